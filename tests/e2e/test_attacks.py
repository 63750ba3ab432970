"""Issue 11: the attacks that got through, each tried again against real
gateways on a testnet (a, b, c), with variants of its class:

 1. header lines that end the header for us but not for mail readers
    (unsealed, and inside signed content);
 2. several From: fields;
 3. Authentication-Results naming our host behind a comment or quoted;
 4. one captured sealed message ending DATA on six sessions at once;
 5. the same recipient twice;
 6. the CBC padding oracle: every cryptographic failure gets one reply,
    no sooner than the delay, and a client that keeps failing is refused -
    at every address that opens sealed mail (receipts, test agent too);
12. text pipelined after DATA before the 354;
10. a directory feed over the size limit is "too large", naming the key.
"""
import socket
import subprocess
import time

import pytest

from conftest import securemail, wait_for
from helpers import sealed_as_base64
from test_gateway_sealed import send
from testnet_world import Testnet

DOMAINS = ["a.example", "b.example", "c.example"]
UNIFORM = "5.7.5 message refused: the sealed message could not be opened and verified"


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    n = Testnet(tmp_path_factory.mktemp("attacks"), DOMAINS).build()
    # b: failures from one client are slowed (1 s, doubling) and the fourth
    # within ten minutes blocks the client for a minute.
    n.append_config("b.example", '[policy]\nsealed_failure_delay = "1s"\nsealed_failure_limit = 4\n'
                                 'sealed_failure_window = "10m"\nsealed_failure_block = "1m"\n')
    try:
        n.start()
        yield n
    finally:
        n.stop()


def raw(lines):
    return ("\r\n".join(lines) + "\r\n").encode()


def key_files(net, domain):
    d = next((net.dir / domain / "pki" / "keys").iterdir())
    return d / "key.pem", d / "cert.pem"


def openssl(*args, input=None):
    r = subprocess.run(["openssl", *map(str, args)], input=input, capture_output=True, check=True)
    return r.stdout


def crlf(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def sealed_by(net, signer, recipient, inner: bytes, cipher="-aes-256-gcm", sign=True):
    """Sign inner with signer's key (openssl cms, not our code) and encrypt it to recipient's gateway."""
    key, cert = key_files(net, signer)
    _, rcert = key_files(net, recipient)
    content = openssl("cms", "-sign", "-signer", cert, "-inkey", key, "-crlfeol", input=inner) if sign else inner
    return openssl("cms", "-encrypt", cipher, "-recip", rcert, input=content)


def outer(from_addr, subject, sealed: bytes) -> bytes:
    return raw([f"From: {from_addr}", "To: bob@b.example", f"Subject: {subject}",
                "Date: Mon, 23 Nov 2026 12:00:00 +0000"]) + crlf(sealed)


def bob_has(net, subject):
    return [m for m in net.messages("b.example", "bob") if subject in (m["Subject"] or "")]


# ---- 1 and 2: one strict header reader ---------------------------------

@pytest.mark.parametrize("breaker", [":x", "From bounce@evil.example Mon Nov 23 12:00:00 2026",
                                     "this line has no colon", "X-Bad : space before colon"])
def test_unsealed_header_with_a_non_field_line_is_refused(net, breaker):
    subject = f"breaker {breaker[:6]}"
    msg = raw(["From: news@other.example", f"Subject: {subject}", breaker, "From: alice@a.example",
               "Authentication-Results: gw.b.example; smime=pass body.smime-identifier=alice@a.example",
               "", "pay the invoice"])
    code, reply = send(net.port("b.example", "inbound"), "news@other.example", ["bob@b.example"], msg)
    assert code == 550 and reply.startswith("5.6.0") and "line 3" in reply, (code, reply)
    # The relay listener reads headers the same way.
    code, reply = send(net.port("a.example", "relay"), "alice@a.example", ["someone@other.example"], msg)
    assert code == 550 and reply.startswith("5.6.0"), (code, reply)
    time.sleep(0.5)
    assert not bob_has(net, subject)


def test_two_from_fields_are_refused(net):
    msg = raw(["From: news@other.example", "From: alice@a.example", "Subject: two froms", "", "x"])
    code, reply = send(net.port("b.example", "inbound"), "news@other.example", ["bob@b.example"], msg)
    assert code == 550 and reply.startswith("5.6.0") and "From" in reply, (code, reply)
    time.sleep(0.5)
    assert not bob_has(net, "two froms")


def test_signed_header_with_a_hidden_second_from_fails_at_the_gateway_and_in_the_cli(net):
    # c signs, with its own valid key, a header whose From: is c's, and
    # after a line that is not a field, a's From: (which readers would show).
    inner = raw(["From: carol@c.example", "To: bob@b.example", "Subject: hidden from",
                 "Date: Mon, 23 Nov 2026 12:00:00 +0000", ":x", "From: alice@a.example", "", "trust me"])
    msg = outer("carol@c.example", "hidden from", sealed_by(net, "c.example", "b.example", inner))
    code, reply = send(net.port("b.example", "inbound"), "carol@c.example", ["bob@b.example"], msg,
                       source="127.0.0.2")
    assert (code, reply) == (550, UNIFORM), (code, reply)
    assert "FORGERY (from-invalid)" in net.gateways["b.example"].log_text()
    r = securemail("smime", "--config", net.config("b.example"), "open", input=msg)
    report = r.stderr.decode(errors="replace")
    assert r.returncode == 1 and "from-invalid" in report, report
    time.sleep(0.5)
    assert not bob_has(net, "hidden from")


# ---- 3: Authentication-Results with comments and quotes -----------------

def test_forged_results_behind_a_comment_or_quoted_are_removed(net):
    forged = ["Authentication-Results: (x) gw.b.example; smime=pass",
              'Authentication-Results: "gw.b.example"; smime=pass',
              "Authentication-Results: GW.B.EXAMPLE.; smime=pass",
              "Authentication-Results: (open gw.b.example; smime=pass"]
    msg = raw(["From: news@other.example", "To: bob@b.example", "Subject: quoted results", *forged, "", "hi"])
    assert send(net.port("b.example", "inbound"), "news@other.example", ["bob@b.example"], msg)[0] == 250
    m = net.wait_message("b.example", "bob", "quoted results")
    values = [" ".join(v.split()) for v in m.get_all("Authentication-Results", [])]
    assert values == ["gw.b.example; smime=none"], values


# ---- 4 and 5: replays and repeated recipients ---------------------------

def capture_sealed(net, subject):
    """A sealed copy (with its signed envelope) as a's gateway queued it for b; held there."""
    a, b = net.gateways["a.example"], net.gateways["b.example"]
    b.stop()
    try:
        msg = raw(["From: alice@a.example", "To: bob@b.example", f"Subject: {subject}",
                   "Date: Mon, 23 Nov 2026 12:00:00 +0000", "", "captured"])
        assert send(net.port("a.example", "relay"), "alice@a.example", ["bob@b.example"], msg)[0] == 250
        assert wait_for(lambda: a.queue_ids(), 10)
        for qid in a.queue_ids():
            a.queue("hold", qid)
        sealed = next(qid for qid in a.queue_ids()
                      if b"pkcs7-mime" in securemail("queue", "--config", a.config_path, "show", qid).stdout)
        shown = securemail("queue", "--config", a.config_path, "show", sealed, check=True).stdout
        return sealed_as_base64(shown.split(b" ***\n", 2)[2])  # stored binary; replayed over DATA
    finally:
        b.start()
        a.queue("flush")  # b is back: end a's back-off for it (the held copy stays held)


def test_one_sealed_message_on_six_sessions_at_once_is_delivered_once(net):
    captured = capture_sealed(net, "raced")
    port = net.port("b.example", "inbound")
    socks = []
    for _ in range(6):
        s = socket.create_connection(("127.0.0.1", port), timeout=60)
        f = s.makefile("rb")
        f.readline()
        s.sendall(b"EHLO racer.example\r\n")
        while not f.readline().startswith(b"250 "):
            pass
        for cmd in (b"MAIL FROM:<alice@a.example>\r\n", b"RCPT TO:<bob@b.example>\r\n", b"DATA\r\n"):
            s.sendall(cmd)
            f.readline()
        body = captured.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n").replace(b"\r\n.", b"\r\n..")
        s.sendall(body if body.endswith(b"\r\n") else body + b"\r\n")
        socks.append((s, f))
    for s, _ in socks:  # end DATA on all six at the same instant
        s.sendall(b".\r\n")
    replies = [f.readline().decode() for _, f in socks]
    for s, _ in socks:
        s.close()
    codes = sorted(r[:3] for r in replies)
    assert codes.count("250") >= 1 and all(c in ("250", "451") for c in codes), replies
    time.sleep(2)
    assert len(bob_has(net, "raced")) == 1, replies
    b_log = net.gateways["b.example"].log_text()
    assert b_log.count("smime=pass") >= 1
    # Any further 250 was a discarded duplicate, never a second copy.
    assert codes.count("250") == 1 + b_log.count("already delivered to every recipient"), (replies, codes)


def test_the_same_recipient_twice_gets_one_copy(net):
    msg = raw(["From: alice@a.example", "To: bob@b.example", "Subject: twice rcpt",
               "Date: Mon, 23 Nov 2026 12:00:00 +0000", "", "once please"])
    assert send(net.port("a.example", "relay"), "alice@a.example",
                ["bob@b.example", "bob@B.Example", "bob@b.example"], msg)[0] == 250
    net.wait_message("b.example", "bob", "twice rcpt")
    time.sleep(2)
    assert len(bob_has(net, "twice rcpt")) == 1


# ---- 6: no padding oracle ----------------------------------------------

def test_every_cryptographic_failure_gets_one_reply_then_the_client_is_refused(net):
    port = net.port("b.example", "inbound")
    inner = raw(["From: alice@a.example", "To: bob@b.example", "Subject: oracle",
                 "Date: Mon, 23 Nov 2026 12:00:00 +0000", "", "secret " * 40])
    # Good padding, unsigned content (was "carries no signature").
    unsigned = outer("alice@a.example", "oracle", sealed_by(net, "a.example", "b.example", inner,
                                                            cipher="-aes-256-cbc", sign=False))
    # Bad padding (was "decryption ... failed: bad decrypt"): the last
    # ciphertext block altered.
    good = sealed_by(net, "a.example", "b.example", inner, cipher="-aes-256-cbc")
    head, b64 = good.split(b"\n\n", 1)
    lines = b64.rstrip(b"\n").split(b"\n")
    last = bytearray(lines[-1])
    i = len(last.rstrip(b"=")) - 3
    last[i] = ord("A") if last[i] != ord("A") else ord("B")
    lines[-1] = bytes(last)
    bad_padding = outer("alice@a.example", "oracle", head + b"\n\n" + b"\n".join(lines) + b"\n")
    # Signed by another member; and not S/MIME at all inside the wrapper.
    other = outer("alice@a.example", "oracle", sealed_by(net, "c.example", "b.example", inner))
    replies, times = [], []
    for msg in (unsigned, bad_padding, other):
        t = time.monotonic()
        replies.append(send(port, "alice@a.example", ["bob@b.example"], msg, source="127.0.0.5"))
        times.append(time.monotonic() - t)
    assert replies == [(550, UNIFORM)] * 3, replies
    # Each reply waited at least the delay, doubled per earlier failure.
    assert times[0] >= 1.0 and times[1] >= 2.0 and times[2] >= 4.0, times
    log = net.gateways["b.example"].log_text()
    for reason in ("unsigned-content", "decrypt-failed", "signer-"):
        assert f"FORGERY ({reason}" in log, log[-3000:]
    # The fourth failure blocks 127.0.0.5; another client is still served.
    assert send(port, "alice@a.example", ["bob@b.example"], unsigned, source="127.0.0.5")[0] == 550
    code, reply = send(port, "alice@a.example", ["bob@b.example"], unsigned, source="127.0.0.5")
    assert code == 450 and reply.startswith("4.7.1"), (code, reply)
    msg = raw(["From: news@other.example", "Subject: still served", "", "x"])
    assert send(port, "news@other.example", ["bob@b.example"], msg, source="127.0.0.6")[0] == 250


def test_the_receipt_and_test_agent_addresses_answer_a_failed_seal_the_same_way(net):
    # Every address that opens sealed mail gives the one reply after the
    # client's delay and counts against the same throttle: the receipt
    # address and the test agent are no faster way to probe (both used to
    # answer at once, the receipt address in words of its own).
    port = net.port("b.example", "inbound")
    inner = raw(["From: alice@a.example", "To: bob@b.example", "Subject: oracle",
                 "Date: Mon, 23 Nov 2026 12:00:00 +0000", "", "secret " * 40])
    other = outer("alice@a.example", "oracle", sealed_by(net, "c.example", "b.example", inner))
    replies, times = [], []
    for rcpt in ("securemail-receipts@b.example", "securemail-test@b.example", "bob@b.example"):
        t = time.monotonic()
        replies.append(send(port, "alice@a.example", [rcpt], other, source="127.0.0.7"))
        times.append(time.monotonic() - t)
    assert replies == [(550, UNIFORM)] * 3, replies
    assert times[0] >= 1.0 and times[1] >= 2.0 and times[2] >= 4.0, times
    assert send(port, "alice@a.example", ["securemail-receipts@b.example"], other, source="127.0.0.7")[0] == 550
    code, reply = send(port, "alice@a.example", ["securemail-test@b.example"], other, source="127.0.0.7")
    assert code == 450 and reply.startswith("4.7.1"), (code, reply)


# ---- 12: pipelining before the 354 --------------------------------------

def test_text_pipelined_before_the_354_is_refused(net):
    s = socket.create_connection(("127.0.0.1", net.port("b.example", "inbound")), timeout=30)
    f = s.makefile("rb")
    f.readline()
    s.sendall(b"EHLO x.example\r\n")
    while not f.readline().startswith(b"250 "):
        pass
    s.sendall(b"MAIL FROM:<news@other.example>\r\nRCPT TO:<bob@b.example>\r\nDATA\r\n"
              b"From: news@other.example\r\nSubject: pipelined body\r\n\r\nx\r\n.\r\n")
    replies = f.read().decode()
    s.close()
    assert "554 5.5.0 Error: SMTP protocol synchronization" in replies and "354" not in replies, replies
    time.sleep(0.5)
    assert not bob_has(net, "pipelined body")


# ---- 10: a feed over the size limit --------------------------------------

def test_a_feed_over_max_feed_size_is_too_large_not_unreachable(net, tmp_path):
    cfg = tmp_path / "small.toml"
    text = net.config("c.example").read_text().replace("[directory]", '[directory]\nmax_feed_size = "1K"')
    text = text.replace('data_dir = "."', f'data_dir = "{net.dir / "c.example"}"')
    cfg.write_text(text)
    r = securemail("directory", "fetch", "--config", cfg)
    out = (r.stdout + r.stderr).decode(errors="replace")
    assert r.returncode == 1 and "too large" in out and "max_feed_size" in out and "unreachable" not in out, out
