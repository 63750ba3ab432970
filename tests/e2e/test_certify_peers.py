"""The flawed peers of certify_peers.py against a real gateway: b.example
of a `securemail testnet`, started on OS-chosen ports. Directly, b offers
STARTTLS and refuses a bare LF; through StripTlsRelay STARTTLS is neither
listed nor accepted, yet plain mail is still delivered; through
LenientRelay TLS works with b's own certificate, a bare LF is accepted and
a `\\n.\\n` smuggles a second transaction into b, while what a client
pipelines after STARTTLS is still dropped. A fake upstream shows that
StripTlsRelay reads replies split over many TCP segments and keeps replies
in order."""
import smtplib
import socket
import ssl
import threading
import time
import uuid

import pytest

from certify_peers import LenientRelay, StripTlsRelay
from helpers import RawSmtp
from testnet_world import Testnet, gateway_key

SMUGGLED = ("\n.\nMAIL FROM:<x@a.example>\r\nRCPT TO:<postmaster@b.example>\r\nDATA\r\n"
            "Subject: {subject}\r\n\r\nsmuggled\r\n.\r\n")


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    n = Testnet(tmp_path_factory.mktemp("certify_peers"), ["a.example", "b.example"]).build()
    try:
        n.start("b.example")
        yield n
    finally:
        n.stop("b.example")


@pytest.fixture(scope="module")
def inbound(net):
    return net.gateways["b.example"].addr("inbound")


@pytest.fixture(scope="module")
def tls_pair(net):
    """(cert, key) the inbound listener presents: [tls] when set, else the gateway's key set."""
    tls = net.settings("b.example").get("tls", {})
    if tls.get("cert"):
        base = net.config("b.example").parent
        return base / tls["cert"], base / tls["key"]
    key, cert = gateway_key(net, "b.example")
    return cert, key


def subject(tag):
    return f"{tag} {uuid.uuid4().hex[:12]}"


def starttls(r):
    code, text = r.cmd("STARTTLS")
    assert code == 220, text
    assert r.buf == b"", r.buf
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    r.sock = ctx.wrap_socket(r.sock)
    return r.sock


def ehlo_keywords(r):
    code, text = r.cmd("EHLO client.a.example")
    assert code == 250, text
    return [line[4:].split(" ")[0].upper() for line in text.split("\n")[1:]]


def open_data(r, rcpt="postmaster@b.example"):
    for line, want in (("MAIL FROM:<x@a.example>", 250), (f"RCPT TO:<{rcpt}>", 250), ("DATA", 354)):
        code, text = r.cmd(line)
        assert code == want, f"{line}: {text}"


def session(port, tls=False):
    r = RawSmtp("127.0.0.1", port)
    assert r.greeting[0] == 220, r.greeting
    ehlo_keywords(r)
    if tls:
        starttls(r)
        ehlo_keywords(r)
    return r


def body(subj, text):
    return f"From: tester@outside.example\r\nTo: postmaster@b.example\r\nSubject: {subj}\r\n\r\n{text}".encode()


def test_gateway_offers_starttls_and_refuses_bare_lf(net, inbound):
    r = RawSmtp(*inbound)
    try:
        assert "STARTTLS" in ehlo_keywords(r)
        starttls(r)
        assert "STARTTLS" not in ehlo_keywords(r)
        open_data(r)
        r.send(body(subject("bare"), "line one\nline two\r\n.\r\n"))
        code, text = r.reply()
        assert 500 <= code < 600, text
        open_data(r)  # the session goes on; a smuggling attempt is one refused message
        r.send(body(subject("smuggle"), "x" + SMUGGLED.format(subject=subject("smuggled"))))
        code, text = r.reply()
        assert 500 <= code < 600, text
        assert r.cmd("NOOP")[0] == 250
    finally:
        r.close()


def test_strip_tls_relay_hides_and_refuses_starttls(net, inbound):
    with StripTlsRelay(inbound) as relay:
        r = session(relay.port)
        try:
            assert "STARTTLS" not in ehlo_keywords(r)  # and the reply still ends with "250 "
            assert r.cmd("STARTTLS") == (502, "502 5.5.1 STARTTLS not available")
            subj = subject("plain through strip")
            open_data(r)
            r.send(body(subj, "in clear\r\n.\r\n"))
            assert r.reply()[0] == 250
            assert r.cmd("QUIT")[0] == 221
        finally:
            r.close()
        net.wait_message("b.example", "postmaster", subj)

        def send(i, out):  # concurrent clients through the same relay (smtplib: no STARTTLS offered)
            with smtplib.SMTP("127.0.0.1", relay.port, timeout=20) as s:
                s.ehlo("client.a.example")
                out[i] = (s.has_extn("starttls"), s.sendmail("x@a.example", ["postmaster@b.example"],
                                                             body(f"{subj} #{i}", "hello\r\n")))
        out = {}
        threads = [threading.Thread(target=send, args=(i, out)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert out == {i: (False, {}) for i in range(6)}
    assert not any(t.is_alive() for t in relay._threads)  # all joined on leaving the block
    for i in range(6):
        net.wait_message("b.example", "postmaster", f"{subj} #{i}")


def test_strip_tls_relay_reads_split_replies_and_keeps_order():
    """A fake upstream writes every reply one octet per segment; NOOP,
    STARTTLS, NOOP pipelined get their replies in order."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(10)

    def fake():
        c, _ = server.accept()
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        f = c.makefile("rb")

        def say(text):
            for octet in text.encode():
                c.sendall(bytes([octet]))
                time.sleep(0.001)
        say("220 fake ESMTP\r\n")
        n = 0
        for line in f:
            verb = line.strip().upper()
            if verb.startswith(b"EHLO"):
                say("250-fake\r\n250-PIPELINING\r\n250 STARTTLS\r\n")
            elif verb == b"NOOP":
                n += 1
                say(f"250 noop {n}\r\n")
            elif verb == b"QUIT":
                say("221 bye\r\n")
                break
            else:
                say("500 unexpected " + line.decode(errors="replace").strip() + "\r\n")
        c.close()

    t = threading.Thread(target=fake, daemon=True)
    t.start()
    try:
        with StripTlsRelay(server.getsockname()) as relay:
            r = RawSmtp("127.0.0.1", relay.port)
            assert r.greeting == (220, "220 fake ESMTP")
            assert r.cmd("EHLO x") == (250, "250-fake\n250 PIPELINING")
            r.send(b"NOOP\r\nSTARTTLS\r\nNOOP\r\n")
            assert [r.reply() for _ in range(3)] == [
                (250, "250 noop 1"), (502, "502 5.5.1 STARTTLS not available"), (250, "250 noop 2")]
            assert r.cmd("QUIT") == (221, "221 bye")
            r.close()
    finally:
        t.join(10)
        server.close()


def test_lenient_relay_presents_gateway_certificate_and_accepts_bare_lf(net, inbound, tls_pair):
    cert, key = tls_pair
    direct = session(inbound[1], tls=True)
    try:
        gateway_der = direct.sock.getpeercert(binary_form=True)
    finally:
        direct.close()
    assert gateway_der == ssl.PEM_cert_to_DER_cert(cert.read_text())
    with LenientRelay(inbound, cert, key) as relay:
        r = RawSmtp("127.0.0.1", relay.port)
        try:
            assert "STARTTLS" in ehlo_keywords(r)
            sock = starttls(r)
            assert sock.getpeercert(binary_form=True) == gateway_der
            assert sock.version() in ("TLSv1.2", "TLSv1.3")
            ehlo_keywords(r)
            bare = subject("bare lf")
            open_data(r)
            r.send(body(bare, "line one\nline two\r\n.\r\n"))
            code, text = r.reply()
            assert code == 250, text
            split = subject("split crlf")  # a CR ending one segment and its LF starting the next: one CRLF
            open_data(r)
            r.send(body(split, "line one\r"))
            time.sleep(0.2)
            r.send(b"\nline two\r\n.\r\n")
            code, text = r.reply()
            assert code == 250, text
            assert r.cmd("QUIT")[0] == 221
        finally:
            r.close()
        r = RawSmtp("127.0.0.1", relay.port)  # a TLS 1.2 client gets a forward-secret suite
        try:
            ehlo_keywords(r)
            assert r.cmd("STARTTLS")[0] == 220
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname, ctx.verify_mode, ctx.maximum_version = False, ssl.CERT_NONE, ssl.TLSVersion.TLSv1_2
            r.sock = ctx.wrap_socket(r.sock)
            assert r.sock.version() == "TLSv1.2" and r.sock.cipher()[0].startswith("ECDHE-"), r.sock.cipher()
            assert r.cmd("NOOP")[0] == 250
        finally:
            r.close()
    got = net.wait_message("b.example", "postmaster", bare)
    assert "line one" in got.get_payload() and "line two" in got.get_payload()
    net.wait_message("b.example", "postmaster", split)


def test_lenient_relay_lets_a_smuggled_transaction_through(net, inbound, tls_pair):
    outer, smuggled = subject("outer"), subject("smuggled")
    with LenientRelay(inbound, *tls_pair) as relay:
        r = session(relay.port, tls=True)
        try:
            open_data(r)
            r.send(body(outer, "first" + SMUGGLED.format(subject=smuggled)))
            replies = [r.reply() for _ in range(5)]
            assert [c for c, _ in replies] == [250, 250, 250, 354, 250], replies
            assert all("queued" in replies[i][1] for i in (0, 4)), replies  # two ends of data
            assert r.cmd("QUIT")[0] == 221
        finally:
            r.close()
    net.wait_message("b.example", "postmaster", outer)
    net.wait_message("b.example", "postmaster", smuggled)


def test_lenient_relay_drops_commands_pipelined_with_starttls(net, inbound, tls_pair):
    with LenientRelay(inbound, *tls_pair) as relay:
        r = RawSmtp("127.0.0.1", relay.port)
        try:
            ehlo_keywords(r)
            r.send(b"STARTTLS\r\nNOOP\r\n")
            assert r.reply() == (220, "220 2.0.0 Ready to start TLS")
            assert r.buf == b""
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
            r.sock = ctx.wrap_socket(r.sock)
            r.sock.settimeout(1.0)
            with pytest.raises(TimeoutError):
                unprompted = r.sock.recv(1024)
                pytest.fail(f"unprompted after the handshake: {unprompted!r}")
            r.sock.settimeout(10)
            assert r.cmd("NOOP")[0] == 250  # the session itself works
            assert r.cmd("QUIT")[0] == 221
        finally:
            r.close()
