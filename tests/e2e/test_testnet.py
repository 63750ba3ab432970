"""`securemail testnet`: one command builds an authority, three gateways
and a signed directory feed listing them; every gateway starts on its
config, sees the feed, and plain mail relayed by one gateway arrives in
another's Maildir over the routes testnet wrote. Refusals: an existing
folder (exit 1) and a bad --domains list (exit 2)."""
import json
import random
import signal
import smtplib
import socket
import subprocess
import time

import pytest

from conftest import BIN, securemail, text, wait_for

DOMAINS = ["a.example", "b.example", "c.example"]


def free_base_port(count):
    """A base port N with N .. N+10*count free on 127.0.0.1."""
    for _ in range(50):
        base = random.randrange(30000, 40000 - 10 * count, 10)
        socks = []
        try:
            for p in range(base, base + 10 * count):
                s = socket.socket()
                socks.append(s)
                s.bind(("127.0.0.1", p))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free port range")


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


def test_testnet_three_gateways_route_mail(tmp_path):
    net = tmp_path / "net"
    base = free_base_port(len(DOMAINS))
    r = securemail("testnet", "--dir", net, "--domains", ",".join(DOMAINS), "--base-port", base, check=True)
    out = r.stdout.decode()
    for i, d in enumerate(DOMAINS):
        cfg = net / d / "config.toml"
        assert cfg.exists()
        assert f"securemail run --config {cfg}" in out
        assert f"127.0.0.1:{base + 10 * i + 1}" in out and str(net / d / "maildir") in out
        body = cfg.read_text()
        assert f'hostname = "gw.{d}"' in body and f'"maildir:{net / d / "maildir"}"' in body
        for j, other in enumerate(DOMAINS):
            if other != d:
                assert f'"{other}" = "smtp://127.0.0.1:{base + 10 * j + 1}"' in body
    assert (net / "authority" / "ca.pem").exists()

    # Each gateway's replica fetches the feed: serial 1, all three members.
    for d in DOMAINS:
        f = json.loads(securemail("directory", "fetch", "--config", net / d / "config.toml", "--json",
                                  check=True).stdout)
        assert f["serial"] == 1
        assert sorted(c["member_id"] for c in f["changes"]) == ["a-example", "b-example", "c-example"]
    r = securemail("directory", "lookup", "bob@b.example", "--config", net / "a.example" / "config.toml")
    assert r.returncode == 0, text(r)
    assert "b-example" in text(r)

    gws = [Running(net / d) for d in DOMAINS]
    try:
        listeners = [g.wait_ready() for g in gws]
        assert listeners[0]["relay"].endswith(f":{base}")
        with smtplib.SMTP("127.0.0.1", base) as s:
            s.sendmail("alice@a.example", ["bob@b.example"], b"Subject: across the testnet\r\n\r\nhello bob\r\n")
        new = net / "b.example" / "maildir" / "bob" / "new"
        assert wait_for(lambda: new.exists() and any(new.iterdir()), 20), \
            (net / "a.example" / "run.log").read_text(errors="replace")[-3000:]
        msg = next(new.iterdir()).read_bytes()
        assert b"Subject: across the testnet" in msg and b"hello bob" in msg
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


@pytest.mark.parametrize("domains", ["a.example", "a.example,,b.example", "a.example,bad_domain!", "a.example,a.example",
                                     "localhost,b.example"])
def test_testnet_bad_domains(tmp_path, domains):
    net = tmp_path / "net"
    r = securemail("testnet", "--dir", net, "--domains", domains)
    assert r.returncode == 2, text(r)
    assert "--domains" in text(r)
    assert not net.exists()
