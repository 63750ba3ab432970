"""Relay scenarios: what an operator sees pointing swaks and mail servers at
the relay and inbound listeners (delivery, no open relay, SMTP smuggling,
STARTTLS injection, limits, admin endpoints, config errors)."""
import smtplib
import socket
import ssl
import subprocess
import urllib.request

import pytest

from conftest import BIN, wait_for
from helpers import RawSmtp


def relay_gateway(gateway_factory, sink, extra=""):
    gw = gateway_factory()
    gw.write_config(
        '[listen]\nrelay = "127.0.0.1:0"\ninbound = "127.0.0.1:0"\nadmin = "127.0.0.1:0"\n'
        f'[routes]\ndefault = "smtp://127.0.0.1:{sink.port}"\n' + extra)
    return gw.start()


def test_relay_delivers_to_route_with_swaks(gateway_factory, sink):
    gw = relay_gateway(gateway_factory, sink)
    host, port = gw.addr("relay")
    r = subprocess.run(["swaks", "-4", "--server", f"{host}:{port}", "--from", "alice@a.example",
                        "--to", "carol@c.example", "--h-Subject", "hello relay", "--body", ".leading dot\n"],
                       capture_output=True, text=True, timeout=30)
    assert "250 2.0.0 Ok: queued as" in r.stdout, r.stdout
    assert sink.wait(1)
    m = sink.messages[0]
    assert m["from"] == "alice@a.example" and m["to"] == ["carol@c.example"]
    assert b"Subject: hello relay" in m["data"]
    assert b"\r\n.leading dot\r\n" in m["data"]
    assert m["data"].startswith(b"Received: from ")
    assert gw.wait_queue_empty()
    assert wait_for(lambda: "removed" in gw.log_text())
    sent = [l for l in gw.log_text().splitlines() if "to=<carol@c.example>" in l and "status=sent" in l]
    assert len(sent) == 1, sent  # one log line per delivered recipient


def test_inbound_delivers_own_domain_to_maildir(gateway_factory, sink):
    gw = relay_gateway(gateway_factory, sink)
    with smtplib.SMTP(*gw.addr("inbound")) as s:
        s.sendmail("alice@a.example", ["Bob@b.example"], b"Subject: in\r\n\r\nhi\r\n")
    new = gw.data / "maildir" / "bob" / "new"
    assert wait_for(lambda: new.exists() and any(new.iterdir()))
    text = next(new.iterdir()).read_bytes()
    assert b"Delivered-To: Bob@b.example" in text and b"Subject: in" in text
    assert sink.count() == 0


@pytest.mark.parametrize("rcpt", [
    "<x@y.example>",                 # plain other domain
    "<x%y.example@b.example>",       # percent hack
    "<\"x@y.example\"@b.example>",   # quoted local part with @
    "<y.example!x@b.example>",       # bang path
    "<@b.example:x@y.example>",      # source route ending in a foreign domain
])
def test_inbound_is_not_an_open_relay(gateway_factory, sink, rcpt):
    gw = relay_gateway(gateway_factory, sink)
    c = RawSmtp(*gw.addr("inbound"))
    c.cmd("EHLO attacker.example")
    assert c.cmd("MAIL FROM:<spam@evil.example>")[0] == 250
    code, text = c.cmd("RCPT TO:" + rcpt)
    assert code in (550, 554) and "5.7.1" in text, text
    c.close()
    assert sink.count() == 0 and not gw.queue_ids()


SMUGGLING = [b"\n.\n", b"\r.\r", b"\r.\n", b"\n.\r", b"\r\n.\n", b"\n.\r\n", b"\r.\r\n", b"\r\n.\r",
             b"\r\n\x00.\r\n", b"\n.\x00\r\n"]


@pytest.mark.parametrize("fake_end", SMUGGLING, ids=[repr(v) for v in SMUGGLING])
def test_smtp_smuggling_is_rejected(gateway_factory, sink, fake_end):
    gw = relay_gateway(gateway_factory, sink)
    c = RawSmtp(*gw.addr("relay"))
    c.cmd("EHLO client.example")
    c.send(b"MAIL FROM:<alice@a.example>\r\nRCPT TO:<carol@c.example>\r\nDATA\r\n")
    assert c.reply()[0] == 250 and c.reply()[0] == 250 and c.reply()[0] == 354
    smuggled = (b"Subject: outer\r\n\r\nbody" + fake_end +
                b"MAIL FROM:<ceo@b.example>\r\nRCPT TO:<victim@c.example>\r\nDATA\r\n"
                b"Subject: smuggled\r\n\r\nevil\r\n.\r\n")
    c.send(smuggled)
    code, text = c.reply()
    assert code >= 500, text
    assert c.cmd("NOOP")[0] == 250  # still in step: nothing smuggled was executed
    c.close()
    assert not gw.queue_ids()
    assert sink.count() == 0


def test_starttls_injection_discarded(gateway_factory, sink):
    gw = relay_gateway(gateway_factory, sink)
    c = RawSmtp(*gw.addr("relay"))
    c.cmd("EHLO client.example")
    c.send(b"STARTTLS\r\nMAIL FROM:<evil@x.example>\r\n")
    assert c.reply()[0] == 220
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    c.sock = ctx.wrap_socket(c.sock)
    # If the injected MAIL had been executed, this RCPT would be accepted.
    code, text = c.cmd("RCPT TO:<carol@c.example>")
    assert code == 503, text
    assert c.cmd("EHLO client.example")[0] == 250
    c.close()


def test_limits_at_n_and_n_plus_one(gateway_factory, sink):
    gw = relay_gateway(gateway_factory, sink, "[limits]\nmax_recipients = 3\nmax_message_size = 2000\n")
    c = RawSmtp(*gw.addr("relay"))
    c.cmd("EHLO client.example")
    assert c.cmd("MAIL FROM:<alice@a.example> SIZE=2001")[0] == 552
    assert c.cmd("MAIL FROM:<alice@a.example> SIZE=2000")[0] == 250
    for i in range(3):
        assert c.cmd(f"RCPT TO:<r{i}@c.example>")[0] == 250
    code, text = c.cmd("RCPT TO:<r3@c.example>")
    assert code == 452 and "4.5.3" in text
    assert c.cmd("DATA")[0] == 354
    c.send(b"X: " + b"x" * 995 + b"\r\n\r\n" + b"y" * 997 + b"\r\n.\r\n")  # 2001 octets: one too many
    code, text = c.reply()
    assert code == 552 and "5.3.4" in text, text
    assert c.cmd("RSET")[0] == 250
    c.cmd("MAIL FROM:<alice@a.example>")
    c.cmd("RCPT TO:<r0@c.example>")
    assert c.cmd("DATA")[0] == 354
    c.send(b"X: " + b"x" * 995 + b"\r\n\r\n" + b"y" * 996 + b"\r\n.\r\n")  # 2000 octets: a header line, then the body
    assert c.reply()[0] == 250
    long_line = "NOOP " + "a" * 1000
    assert c.cmd(long_line)[0] == 500
    c.close()
    assert sink.wait(1)


def test_admin_healthz_and_metrics(gateway_factory, sink):
    gw = relay_gateway(gateway_factory, sink)
    with smtplib.SMTP(*gw.addr("relay")) as s:
        s.sendmail("alice@a.example", ["carol@c.example"], b"Subject: m\r\n\r\nhi\r\n")
    assert sink.wait(1)
    host, port = gw.addr("admin")
    assert urllib.request.urlopen(f"http://{host}:{port}/healthz", timeout=5).status == 200
    metrics = urllib.request.urlopen(f"http://{host}:{port}/metrics", timeout=5).read().decode()
    assert 'securemail_messages_accepted_total{listener="relay"} 1' in metrics
    assert wait_for(lambda: 'securemail_recipients_delivered_total{listener="relay",lane="normal"} 1' in
                    urllib.request.urlopen(f"http://{host}:{port}/metrics", timeout=5).read().decode())


def test_bad_config_names_file_line_and_key(tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text('domain = "b.example"\n[queue]\nlifetime = "5x"\n')
    r = subprocess.run([BIN, "run", "--config", str(cfg)], capture_output=True, text=True, timeout=10)
    assert r.returncode == 2
    assert f"{cfg}:3" in r.stderr and "queue.lifetime" in r.stderr, r.stderr


def default_ports_free():
    """The embedded default listens on fixed ports; another gateway on this
    machine (a developer's `make run`, a parallel test run) may hold them."""
    for port in (10025, 10026, 10080):
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                return False
    return True


def test_embedded_default_prints_what_runs_where(tmp_path):
    if not wait_for(default_ports_free, 20):
        pytest.skip("127.0.0.1:10025/10026/10080 are held by another process on this machine")
    p = subprocess.Popen([BIN, "run"], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        assert wait_for(lambda: (tmp_path / "securemail-data" / "run" / "listeners.json").exists(), 15)
    finally:
        p.terminate()
        out = p.communicate(timeout=15)[0].decode()
    assert p.returncode == 0, out
    for needle in ("127.0.0.1:10025", "data_dir", "lifetime", "maildir:", "listening: relay"):
        assert needle in out, out
