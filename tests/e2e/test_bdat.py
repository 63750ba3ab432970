"""RFC 3030 CHUNKING and BINARYMIME end to end.

A client writing BDAT on a socket to the relay listener (python's smtplib
has no BDAT): pipelined chunks taken as sent and relayed on with DATA,
the sequence errors on a real gateway, the strict header check applied to
BDAT bodies, a foreign binary message that cannot be converted for a plain
next hop. Two gateways (a testnet): a member-bound sealed copy travels
with BODY=BINARYMIME over BDAT (the receiving gateway's log says so) and
opens with smime=pass, small and large.
"""
import re

import pytest

from conftest import wait_for
from helpers import RawSmtp
from test_gateway_sealed import compose, results, send
from test_relay import relay_gateway
from testnet_world import Testnet


def bdat(chunk: bytes, last=False) -> bytes:
    return f"BDAT {len(chunk)}{' LAST' if last else ''}\r\n".encode() + chunk


def ehlo(c):
    code, text = c.cmd("EHLO client.example")
    assert code == 250
    return text


def test_bdat_client_on_a_socket(gateway_factory, sink):
    gw = relay_gateway(gateway_factory, sink)
    c = RawSmtp(*gw.addr("relay"))
    keywords = ehlo(c)
    assert "CHUNKING" in keywords and "BINARYMIME" in keywords
    header = b"From: alice@a.example\r\nTo: carol@c.example\r\nSubject: by bdat\r\n\r\n"
    body = b".a leading dot stays one dot\r\n" + (b"0123456789abcdef" * 4 + b"\r\n") * 1600 + b"end\r\n"
    # Everything pipelined in one write: MAIL, RCPT and three chunks.
    c.send(b"MAIL FROM:<alice@a.example>\r\nRCPT TO:<carol@c.example>\r\n" +
           bdat(header) + bdat(body[:70000]) + bdat(body[70000:], last=True))
    assert c.reply()[0] == 250
    assert c.reply()[0] == 250
    assert c.reply() == (250, f"250 2.0.0 {len(header)} octets received")
    assert c.reply() == (250, "250 2.0.0 70000 octets received")
    code, text = c.reply()
    assert code == 250 and "queued as" in text, text
    assert c.cmd("QUIT")[0] == 221
    assert sink.wait(1)
    data = sink.messages[0]["data"]
    assert data.endswith(header + body), data[-200:]  # after our Received:, octet for octet
    assert re.search(r"client=\[127\.0\.0\.1\].*via=BDAT", gw.log_text())


def test_bdat_sequence_errors_and_header_check(gateway_factory, sink):
    gw = relay_gateway(gateway_factory, sink)
    c = RawSmtp(*gw.addr("relay"))
    ehlo(c)
    c.send(bdat(b"QUIT\r\n"))  # no transaction: read and dropped, never a command
    code, text = c.reply()
    assert (code, text[4:9]) == (503, "5.5.1"), text
    assert c.cmd("NOOP")[0] == 250
    assert c.cmd("MAIL FROM:<alice@a.example> BODY=BINARYMIME")[0] == 250
    assert c.cmd("RCPT TO:<carol@c.example>")[0] == 250
    code, text = c.cmd("DATA")
    assert (code, text[4:9]) == (503, "5.5.1"), text
    assert c.cmd("RSET")[0] == 250
    assert c.cmd("MAIL FROM:<alice@a.example>")[0] == 250
    assert c.cmd("RCPT TO:<carol@c.example>")[0] == 250
    c.send(bdat(b"Subject: half\r\n"))
    assert c.reply()[0] == 250
    code, text = c.cmd("DATA")
    assert (code, text[4:9]) == (503, "5.5.1"), text
    # The header is read as strictly as after DATA: a bare CR is refused.
    c.send(bdat(b"X-Bad: a\rb\r\n\r\nbody\r\n", last=True))
    code, text = c.reply()
    assert code >= 500, text
    # Bad size syntax: 501 5.5.4 and the session ends.
    c.send(b"BDAT ten LAST\r\n")
    code, text = c.reply()
    assert (code, text[4:9]) == (501, "5.5.4"), text
    assert c.sock.recv(100) == b""  # closed
    assert sink.count() == 0


def test_bdat_without_transaction_is_503_and_stream_stays_in_step(gateway_factory, sink):
    gw = relay_gateway(gateway_factory, sink)
    c = RawSmtp(*gw.addr("relay"))
    ehlo(c)
    c.send(bdat(b"RSET\r\nMAIL FROM:<evil@x.example>\r\n", last=True))
    code, text = c.reply()
    assert (code, text[4:9]) == (503, "5.5.1"), text
    assert c.cmd("NOOP")[0] == 250  # the chunk's octets were not taken as commands
    assert "evil@x.example" not in gw.log_text()


def test_foreign_binary_message_is_not_converted_for_a_plain_next_hop(gateway_factory, sink):
    gw = relay_gateway(gateway_factory, sink)
    c = RawSmtp(*gw.addr("relay"))
    ehlo(c)
    assert c.cmd("MAIL FROM:<alice@a.example> BODY=BINARYMIME")[0] == 250
    assert c.cmd("RCPT TO:<carol@c.example>")[0] == 250
    c.send(bdat(b"Subject: binary\r\nContent-Type: application/octet-stream\r\n\r\n\x00\x01\xff\n", last=True))
    code, text = c.reply()
    assert code == 250, text
    c.cmd("QUIT")
    # The sink offers neither CHUNKING nor BINARYMIME: a permanent failure.
    assert wait_for(lambda: "5.6.3" in gw.log_text(), 20), gw.log_text()[-2000:]
    assert re.search(r"to=<carol@c\.example>.*dsn=5\.6\.3, status=bounced", gw.log_text())
    assert all(b"Subject: binary" not in m["data"] or b"Content-Type: multipart/report" in m["data"]
               for m in sink.messages)


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    n = Testnet(tmp_path_factory.mktemp("bdat"), ["a.example", "b.example"]).build()
    try:
        n.start()
        yield n
    finally:
        n.stop()


@pytest.mark.parametrize("size", [4 * 1024, 300 * 1024])
def test_sealed_copy_goes_binary_between_gateways(pair, size):
    subject = f"binary hop {size}"
    line = "the figures, line by line, for bob only\r\n"
    body = line * (size // len(line))
    assert send(pair.port("a.example", "relay"), "alice@a.example", ["bob@b.example"],
                compose("Alice <alice@a.example>", ["bob@b.example"], subject, body))[0] == 250
    msg = pair.wait_message("b.example", "bob", subject)
    ours = results(msg, "gw.b.example")
    assert len(ours) == 1 and "smime=pass" in ours[0], ours
    assert msg.get_payload().replace("\r\n", "\n").strip() == body.replace("\r\n", "\n").strip()
    b_log = pair.gateways["b.example"].log_text()
    # The receiving gateway took it with BDAT and BODY=BINARYMIME, as DER.
    accepted = [l for l in b_log.splitlines() if "client=[127.0.0.1]" in l and "from=<alice@a.example>" in l]
    assert accepted and all("via=BDAT, body=BINARYMIME" in l for l in accepted), accepted
    a_log = pair.gateways["a.example"].log_text()
    assert re.search(r"to .* with BDAT, BODY=BINARYMIME", a_log), a_log[-2000:]
    sizes = [int(m) for m in re.findall(r"sealed for member b-example as \w+: .*?, (\d+) octets", a_log)]
    assert sizes and sizes[-1] < size * 1.1 + 8000  # DER: no base64 growth
