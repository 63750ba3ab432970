"""`securemail doctor`: on a healthy testnet gateway (running, its peers
running) every check passes (exit 0); on broken ones (key open to others,
key removed, directory copy stale, directory not listing a domain) it
exits 1 with a FAIL line naming the problem and a fix; --json says the same."""
import json
import re
import shutil

import pytest

from conftest import securemail, wait_for
from testnet_world import Testnet

DOMAINS = ["a.example", "b.example"]


def doctor(net, domain, *extra):
    r = securemail("doctor", "--config", net.config(domain), *extra, timeout=60)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def line(out, status, name):
    found = [l for l in out.splitlines() if l.startswith(status) and l[5:].startswith(name + ":")]
    assert found, f"no {status} {name} in:\n{out}"
    return found[0]


@pytest.fixture
def net(tmp_path):
    n = Testnet(tmp_path, DOMAINS).build()
    yield n
    n.stop()


def machine_disk_full(path):
    """The machine running the tests is itself short of space (doctor then
    rightly says FAIL disk: not the gateway's fault)."""
    u = shutil.disk_usage(path)
    return u.used / u.total > 0.90 or u.free < 6 * 2**30


def healthy(net, out):
    fails = [l for l in out.splitlines() if l.startswith("FAIL")]
    if fails and all(l.startswith("FAIL disk:") for l in fails) and machine_disk_full(net.dir):
        return True
    return not fails


def test_healthy_running_gateway(net):
    net.start()
    assert wait_for(lambda: healthy(net, doctor(net, "a.example")[1]), timeout=30), doctor(net, "a.example")[1]
    rc, out, err = doctor(net, "a.example")
    assert healthy(net, out), out + err
    assert rc == (1 if "FAIL" in out else 0), out + err
    assert "running" in line(out, "OK", "gateway")
    assert "held by this gateway, reachable" in line(out, "OK", "listen.relay")
    assert "held by this gateway, reachable" in line(out, "OK", "listen.inbound")
    assert "fresh copy" in line(out, "OK", "directory")
    assert "listed as member" in line(out, "OK", "directory a.example")
    peers = [l for l in out.splitlines() if l[5:].startswith("peer ")]
    assert len(peers) == 1 and peers[0].startswith("OK") and "reachable" in peers[0], out
    assert "development pair" in line(out, "OK", "tls") or "matches the certificate" in line(out, "OK", "tls.key")
    assert "chain valid to the trust anchor" in out
    assert "dns a.example" in out  # OK or WARN offline, never FAIL
    doc = json.loads(doctor(net, "a.example", "--json")[1])
    assert all(c["status"] != "FAIL" or c["check"] == "disk" for c in doc["checks"])

    # Stopped: its ports are free, still healthy.
    net.stop("a.example")
    rc, out, _ = doctor(net, "a.example")
    assert healthy(net, out), out
    assert "free (the gateway is not running)" in line(out, "OK", "listen.relay")


def key_files(net, domain):
    return sorted((net.dir / domain / "pki" / "keys").glob("*/key.pem"))


def test_key_open_to_others_then_removed(net):
    net.start("a.example")
    wait_for(lambda: (net.dir / "a.example" / "directory.sqlite").exists(), timeout=20)
    net.stop("a.example")
    key = key_files(net, "a.example")[0]
    key.chmod(0o644)
    rc, out, _ = doctor(net, "a.example")
    assert rc == 1, out
    fail = line(out, "FAIL", "keys")
    assert str(key) in fail and "chmod 600" in fail
    doc = json.loads(doctor(net, "a.example", "--json")[1])
    assert doc["ok"] is False
    assert any(c["check"] == "keys" and c["status"] == "FAIL" and str(key) in c["detail"] for c in doc["checks"])

    key.unlink()
    rc, out, _ = doctor(net, "a.example")
    assert rc == 1, out
    gone = line(out, "FAIL", "keys")
    assert str(key) in gone and "No such file" in gone and "keys restore" in gone, gone


def test_directory_stale_and_not_listing(net):
    net.start("a.example")
    assert wait_for(lambda: (net.dir / "a.example" / "directory.sqlite").exists(), timeout=20)
    assert wait_for(lambda: "fresh copy" in doctor(net, "a.example")[1], timeout=20)
    net.stop("a.example")

    original = net.config("a.example").read_text()
    net.replace_config("a.example", 'domain = "a.example"', 'domain = "a.example"\ndomains = ["a.example", "other.example"]')
    rc, out, _ = doctor(net, "a.example")
    assert rc == 1, out
    assert "does not list other.example" in line(out, "FAIL", "directory other.example")
    assert "listed as member" in line(out, "OK", "directory a.example")

    net.config("a.example").write_text(re.sub(r'(?m)^refresh = .*$', 'refresh = "1s"\nmax_age = "1s"', original, count=1)
                                        if "[directory]" in original else original + '[directory]\nmax_age = "1s"\n')
    import time
    time.sleep(2.5)
    rc, out, err = doctor(net, "a.example")
    assert rc == 1, out + err
    stale = line(out, "FAIL", "directory")
    assert "stale copy" in stale and "max_age 1s" in stale
