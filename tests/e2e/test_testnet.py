"""`securemail testnet`: one command builds an authority, three gateways
and a signed directory feed listing them; every gateway starts on its
config, sees the feed, and mail given to one gateway's relay listener
arrives sealed and verified in another's Maildir, routed by the directory
alone (testnet writes no [routes]). --base-port 0 picks free ports; the
default is 20000. Refusals: an existing folder (exit 1), a bad --domains
list and a --base-port with no room (exit 2)."""
import json
import re
import signal
import smtplib
import subprocess
import time
import tomllib
import urllib.request

import pytest

from conftest import BIN, securemail, text, wait_for

DOMAINS = ["a.example", "b.example", "c.example"]


class Running:
    def __init__(self, data):
        self.data = data
        self.log = open(data / "run.log", "ab")
        self.proc = subprocess.Popen([BIN, "run", "--config", str(data / "config.toml")],
                                     stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout=20):
        f = self.data / "run" / "listeners.json"
        deadline = time.time() + timeout
        while time.time() < deadline:
            assert self.proc.poll() is None, (self.data / "run.log").read_text(errors="replace")
            if f.exists():
                try:
                    return json.loads(f.read_text())
                except json.JSONDecodeError:
                    pass
            time.sleep(0.05)
        raise AssertionError("not ready:\n" + (self.data / "run.log").read_text(errors="replace"))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode


def knows(admin, domain):
    """The member id a gateway's directory gives for `domain` (admin API), or None."""
    with urllib.request.urlopen(f"http://{admin}/v1/directory/lookup?domain={domain}", timeout=10) as r:
        found = json.loads(r.read())
    return found["member"]["id"] if found["found"] else None


def listen_ports(net, domain):
    listen = tomllib.loads((net / domain / "config.toml").read_text())["listen"]
    return {k: int(v.rsplit(":", 1)[1]) for k, v in listen.items()}


def test_testnet_three_gateways_seal_mail(tmp_path):
    net = tmp_path / "net"
    r = securemail("testnet", "--dir", net, "--domains", ",".join(DOMAINS), "--base-port", 0, check=True)
    out = r.stdout.decode()
    base = listen_ports(net, DOMAINS[0])["relay"]
    assert base % 10 == 0 and base >= 1024
    for i, d in enumerate(DOMAINS):
        cfg = net / d / "config.toml"
        assert cfg.exists()
        assert f"securemail run --config {cfg}" in out
        assert f"127.0.0.1:{base + 10 * i + 1}" in out and str(net / d / "maildir") in out
        assert listen_ports(net, d) == {"relay": base + 10 * i, "inbound": base + 10 * i + 1,
                                        "admin": base + 10 * i + 2}
        body = cfg.read_text()
        assert f'hostname = "gw.{d}"' in body and f'"maildir:{net / d / "maildir"}"' in body
        settings = tomllib.loads(body)
        assert "routes" not in settings, "mail between members goes where the directory says"
        assert settings["directory"]["feed"] == f"file:{net / 'authority' / 'directory' / 'feed.cms'}"
    assert (net / "authority" / "ca.pem").exists()

    # Each gateway's replica fetches the feed: serial 1, all three members.
    for d in DOMAINS:
        f = json.loads(securemail("directory", "fetch", "--config", net / d / "config.toml", "--json",
                                  check=True).stdout)
        assert f["serial"] == 1
        assert sorted(c["member_id"] for c in f["changes"]) == ["a-example", "b-example", "c-example"]
    r = securemail("directory", "lookup", "bob@b.example", "--config", net / "a.example" / "config.toml")
    assert r.returncode == 0, text(r)
    assert "b-example" in text(r) and f"127.0.0.1:{base + 11}" in text(r)

    gws = [Running(net / d) for d in DOMAINS]
    try:
        listeners = [g.wait_ready() for g in gws]
        assert listeners[0]["relay"].endswith(f":{base}")
        # The replicas were fetched above; a's admin API answers from it.
        assert knows(listeners[0]["admin"], "b.example") == "b-example"
        with smtplib.SMTP("127.0.0.1", base) as s:
            s.sendmail("alice@a.example", ["bob@b.example"],
                       b"From: alice@a.example\r\nTo: bob@b.example\r\nSubject: across the testnet\r\n\r\nhello bob\r\n")
        new = net / "b.example" / "maildir" / "bob" / "new"
        assert wait_for(lambda: new.exists() and any(new.iterdir()), 20), \
            (net / "a.example" / "run.log").read_text(errors="replace")[-3000:]
        msg = next(new.iterdir()).read_bytes()
        assert b"Subject: across the testnet" in msg and b"hello bob" in msg
        assert re.search(rb"Authentication-Results: gw\.b\.example; smime=pass", msg), msg[:1500]
        a_log = (net / "a.example" / "run.log").read_text(errors="replace")
        assert f"sealed for member b-example: sent to 127.0.0.1:{base + 11} over TLS" in a_log, a_log[-3000:]
    finally:
        codes = [g.stop() for g in gws]
    assert codes == [0, 0, 0]


def test_testnet_refuses_existing_dir(tmp_path):
    net = tmp_path / "net"
    net.mkdir()
    (net / "something").write_text("x")
    r = securemail("testnet", "--dir", net, "--domains", "a.example,b.example")
    assert r.returncode == 1, text(r)
    assert "already exists" in text(r) and str(net) in text(r)
    assert sorted(p.name for p in net.iterdir()) == ["something"]


def test_testnet_default_ports(tmp_path):
    """Without --base-port the ports are fixed from 20000 (nothing is started)."""
    net = tmp_path / "net"
    securemail("testnet", "--dir", net, "--domains", "a.example,b.example", check=True)
    assert listen_ports(net, "a.example") == {"relay": 20000, "inbound": 20001, "admin": 20002}
    assert listen_ports(net, "b.example") == {"relay": 20010, "inbound": 20011, "admin": 20012}


@pytest.mark.parametrize("base", ["-1", "65530"])
def test_testnet_bad_base_port(tmp_path, base):
    net = tmp_path / "net"
    r = securemail("testnet", "--dir", net, "--domains", "a.example,b.example", "--base-port", base)
    assert r.returncode == 2, text(r)
    assert "--base-port" in text(r)
    assert not net.exists()


@pytest.mark.parametrize("domains", ["a.example", "a.example,,b.example", "a.example,bad_domain!", "a.example,a.example",
                                     "localhost,b.example"])
def test_testnet_bad_domains(tmp_path, domains):
    net = tmp_path / "net"
    r = securemail("testnet", "--dir", net, "--domains", domains)
    assert r.returncode == 2, text(r)
    assert "--domains" in text(r)
    assert not net.exists()
