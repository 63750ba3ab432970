"""Signed delivery receipts (issue 13) end to end on a three-gateway
testnet (a, b, c): alice@a.example asks (DSN NOTIFY=SUCCESS, or a's
[receipts] request = "always", or her [[relay_client]]'s), b delivers to
bob's Maildir and sends a signed receipt back sealed, a checks it against
its ledger and gives alice an RFC 3464 report with the receipt attached. Bad receipts (altered in
transit, signed by another member, replayed, late) are refused with one
550 5.7.5 and never make a report; a forgery or a dropped duplicate never
makes a receipt; a missing receipt makes one "not confirmed" report; a
bounce from b to alice arrives sealed (smime=pass).

To hold a receipt before a sees it, a's inbound listener is moved off the
port the directory lists (testnet_world.unreachable_inbound): b's receipt
then waits in b's queue, where the test takes it (`queue show`) and
delivers it itself, as it was, altered, or rebuilt around another receipt.
"""
import email
import email.policy
import re
import time

import pytest

from conftest import securemail, wait_for
from helpers import Sink
from smime_peers import run
from testnet_world import (RECEIPT_TYPE, before_listen, compose, config_changed, fresh_binding,
                           gateway_key, inner_message, is_receipt_for, metric, new_message_id, open_sealed,
                           openssl_sealed_with_request, queued, receipt_message, receipt_parts, receipts,
                           receipts_total, report_fields, reports, reseal, results, running, send,
                           unreachable_inbound, wait_queued, wait_reports)

DOMAINS = ["a.example", "b.example", "c.example"]
RECEIPTS_TO = "securemail-receipts@a.example"
REFUSED = re.compile(r"^5\.7\.5\b")


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    with running(tmp_path_factory.mktemp("receipts"), DOMAINS) as n:
        yield n


def relay(net, subject, message_id, rcpts=("bob@b.example",), notify="SUCCESS", sender="alice@a.example",
          extra=()):
    """alice@a.example sends through a's relay listener; NOTIFY=notify on every RCPT (None: no NOTIFY)."""
    msg = compose(sender, list(rcpts), subject, message_id, body=f"body of {subject}", extra=extra)
    options = [f"NOTIFY={notify}"] if notify else []
    code, reply = send(net.port("a.example", "relay"), sender, list(rcpts), msg, rcpt_options=options)
    assert code == 250, reply
    return msg


def rows_for(net, domain, message_id, *args):
    return [r for r in receipts(net, domain, *args) if r["message_id"] == message_id.strip("<>")]


def assert_receipt_report(report):
    """An RFC 3464 report of a delivery confirmed by a signed receipt from b."""
    fields = report_fields(report)
    assert re.search(r"(?im)^Action:\s*delivered\s*$", fields), fields
    assert re.search(r"(?im)^Final-Recipient:\s*rfc822;\s*bob@b\.example\s*$", fields), fields
    assert re.search(r"(?im)^Status:\s*2\.\d+\.\d+", fields), fields
    assert "b-example" in report.as_string(), "the report names the member that signed the receipt"
    [der] = receipt_parts(report)
    printed = run(["openssl", "cms", "-cmsout", "-print", "-inform", "DER"], input=der).stdout
    assert b"id-smime-ct-receipt" in printed, printed[:800]
    ctype = " ".join(next(p for p in report.walk() if p.get_content_type() == "application/pkcs7-mime")
                     ["Content-Type"].split())
    assert ctype.lower().startswith(RECEIPT_TYPE), ctype


def settle_pause():
    """Long enough for a second report or receipt, were one coming, to arrive."""
    time.sleep(3)


def test_receipt_asked_by_dsn_reaches_alice_as_a_report(net):
    mid = new_message_id("by-dsn")
    relay(net, "receipt by dsn", mid)
    m = net.wait_message("b.example", "bob", "receipt by dsn")
    assert "smime=pass" in results(m, "gw.b.example")[0]
    [report] = wait_reports(net, "a.example", "alice", mid)
    assert_receipt_report(report)
    [row] = rows_for(net, "a.example", mid)
    assert (row["recipient"], row["member"], row["state"]) == ("bob@b.example", "b-example", "received"), row
    assert row["signed_at"] and row["settled_at"], row
    assert not rows_for(net, "a.example", mid, "--pending")
    shown = securemail("receipts", "show", mid, "--config", net.config("a.example"), "--json")
    assert shown.returncode == 0 and b"bob@b.example" in shown.stdout and b"received" in shown.stdout, shown
    unknown = securemail("receipts", "show", "<no-such-message@a.example>", "--config", net.config("a.example"))
    assert unknown.returncode == 1, unknown
    # The receipt replaces b's plain success DSN: alice gets this one report only.
    settle_pause()
    assert len(reports(net, "a.example", "alice", mid)) == 1
    assert not [r for r in reports(net, "a.example", "alice", mid) if not receipt_parts(r)]


def test_no_receipt_without_a_request(net):
    # Disposition-Notification-To asks for a read receipt: left alone.
    mid = new_message_id("no-request")
    relay(net, "no receipt wanted", mid, notify=None, extra=["Disposition-Notification-To: alice@a.example"])
    net.wait_message("b.example", "bob", "no receipt wanted")
    settle_pause()
    assert not reports(net, "a.example", "alice", mid)
    assert not rows_for(net, "a.example", mid)


def test_receipt_by_request_always(net):
    mid = new_message_id("always")
    with config_changed(net, "a.example", before_listen('[receipts]\nrequest = "always"')):
        relay(net, "receipt always", mid, notify=None)
        net.wait_message("b.example", "bob", "receipt always")
        [report] = wait_reports(net, "a.example", "alice", mid)
    assert_receipt_report(report)
    assert [r["state"] for r in rows_for(net, "a.example", mid)] == ["received"]


def test_receipt_by_request_always_for_one_relay_client(net):
    client = ('[[relay_client]]\nname = "a-staff"\nnetworks = ["127.0.0.1"]\ndomains = ["a.example"]\n'
              'receipts = "always"')
    mid = new_message_id("client-always")
    with config_changed(net, "a.example", before_listen(client)):
        relay(net, "receipt for the client", mid, notify=None)
        net.wait_message("b.example", "bob", "receipt for the client")
        [report] = wait_reports(net, "a.example", "alice", mid)
    assert_receipt_report(report)


def signed_original(net, mid, tmp_path):
    """The signed entity a kept for the message (`evidence export`), as a file."""
    out = tmp_path / f"export-{mid.strip('<>')}"
    securemail("evidence", "export", "--config", net.config("a.example"), "--message-id", mid, "--out", out,
               check=True)
    return out / "original-sent.eml"


def test_bad_receipts_are_refused_and_never_reported(net, tmp_path):
    mid = new_message_id("bad")
    with unreachable_inbound(net, "a.example") as inbound:
        before = receipts_total(net, "a.example")  # counters start again with each restart
        relay(net, "held receipt", mid)
        net.wait_message("b.example", "bob", "held receipt")
        [(entry, sealed)] = wait_queued(net, "b.example", is_receipt_for(net, "a.example"))
        assert entry["sealed_for"] == "a-example" and entry["lane"] == "priority", entry
        net.gateways["b.example"].queue("delete", entry["id"])  # the test delivers it
        inner = inner_message(open_sealed(net, "a.example", sealed))
        parsed = email.message_from_bytes(inner, policy=email.policy.compat32)
        assert parsed["From"] == "MAILER-DAEMON@b.example" and parsed["SecureMail-Receipt-For"] == "bob@b.example"
        assert parsed["Auto-Submitted"] == "auto-replied"
        assert "body of held receipt" not in inner.decode(errors="replace")  # nothing of the original
        [genuine] = receipt_parts(parsed)
        assert [r["state"] for r in rows_for(net, "a.example", mid)] == ["pending"]

        def deliver(message):
            return send(inbound, "", [RECEIPTS_TO], message)

        def refused(message, what):
            code, reply = deliver(message)
            assert code == 550 and REFUSED.match(reply), (what, code, reply)

        # Altered in transit: one octet of the sealed message.
        head, body = sealed.split(b"\r\n\r\n", 1)
        i = len(body) // 2
        while body[i:i + 1] in (b"\r", b"\n"):
            i += 1
        refused(head + b"\r\n\r\n" + body[:i] + (b"A" if body[i:i + 1] != b"A" else b"B") + body[i + 1:],
                "sealed receipt message altered")
        # Altered inside b's seal: the receipt's signature, re-sealed with b's own key.
        altered = bytearray(genuine)
        altered[-5] ^= 0x01
        refused(reseal(net, "b.example", "a.example",
                       receipt_message("b.example", RECEIPTS_TO, "bob@b.example", mid, bytes(altered),
                                       fresh_binding(inner))), "receipt altered")
        # Signed by another member: c signs a receipt for b's message and seals it itself.
        c_key, c_cert = gateway_key(net, "c.example")
        original = signed_original(net, mid, tmp_path)
        by_c = run(["openssl", "cms", "-sign_receipt", "-in", original, "-signer", c_cert, "-inkey", c_key,
                    "-outform", "DER"]).stdout
        refused(reseal(net, "c.example", "a.example",
                       receipt_message("c.example", RECEIPTS_TO, "bob@b.example", mid, by_c, fresh_binding(inner))),
                "receipt signed by c")
        # ... or handed to b to seal: the signer is still not the member of bob's domain.
        refused(reseal(net, "b.example", "a.example",
                       receipt_message("b.example", RECEIPTS_TO, "bob@b.example", mid, by_c, fresh_binding(inner))),
                "receipt signed by c, sealed by b")
        settle_pause()
        assert not reports(net, "a.example", "alice", mid)
        assert [r["state"] for r in rows_for(net, "a.example", mid)] == ["pending"]

        # The genuine one, as b sealed it: accepted, reported once.
        assert deliver(sealed) == (250, "ok")
        [report] = wait_reports(net, "a.example", "alice", mid)
        assert_receipt_report(report)
        assert receipt_parts(report) == [genuine]
        # Replayed as it was (a duplicate of that seal), and in a new seal: never a second report.
        code, reply = deliver(sealed)
        assert code == 250 or (code == 550 and REFUSED.match(reply)), (code, reply)
        refused(reseal(net, "b.example", "a.example",
                       receipt_message("b.example", RECEIPTS_TO, "bob@b.example", mid, genuine, fresh_binding(inner))),
                "replayed receipt")
        settle_pause()
        assert len(reports(net, "a.example", "alice", mid)) == 1
        after = receipts_total(net, "a.example")
    [row] = rows_for(net, "a.example", mid)
    assert row["state"] == "received", row
    assert after.get("accepted", 0) - before.get("accepted", 0) == 1, (before, after)
    refusals = sum(v for k, v in after.items() if k not in ("accepted", "timed-out")) - \
        sum(v for k, v in before.items() if k not in ("accepted", "timed-out"))
    assert refusals >= 4, (before, after)
    log = net.gateways["a.example"].log_text()
    assert "receipt" in log and mid.strip("<>") in log


def test_no_receipt_after_a_forgery_and_one_for_a_duplicate(net, tmp_path):
    # A sealed message from a with a request, caught in a's queue while b is down.
    mid = new_message_id("dup")
    a, b = net.gateways["a.example"], net.gateways["b.example"]
    b.stop()
    try:
        relay(net, "duplicate", mid)
        [(_, copy)] = wait_queued(net, "a.example", lambda m: m["sealed_for"] == "b-example")
    finally:
        b.start()
    signed_before = metric(net, "b.example", "securemail_receipts_signed_total")
    # A forgery carrying a request: signed by c's key, From: alice@a.example.
    forged_id = new_message_id("forged")
    msg = compose("alice@a.example", ["bob@b.example"], "forged with request", forged_id)
    sealed, _ = openssl_sealed_with_request(net, "c.example", "b.example", msg, RECEIPTS_TO, tmp_path)
    code, reply = send(net.port("b.example", "inbound"), "alice@a.example", ["bob@b.example"], sealed)
    assert code == 550 and reply.startswith("5.7."), reply
    # The message from a, delivered by a: one receipt, one report.
    a.queue("flush")
    net.wait_message("b.example", "bob", "duplicate")
    [report] = wait_reports(net, "a.example", "alice", mid)
    assert_receipt_report(report)
    # The same sealed message again: accepted and dropped, no second receipt.
    assert send(net.port("b.example", "inbound"), "alice@a.example", ["bob@b.example"], copy)[0] == 250
    assert wait_for(lambda: "already delivered to every recipient" in b.log_text(), 10)
    settle_pause()
    assert len([m for m in net.messages("b.example", "bob") if m["Subject"] == "duplicate"]) == 1
    assert len(reports(net, "a.example", "alice", mid)) == 1
    assert metric(net, "b.example", "securemail_receipts_signed_total") - signed_before == 1
    assert not queued(net, "b.example", is_receipt_for(net, "a.example"))
    assert forged_id.strip("<>") not in "".join(m.as_string() for m in reports(net, "a.example", "alice"))


def test_missing_receipt_times_out_with_one_report(net):
    mid = new_message_id("timeout")
    with unreachable_inbound(net, "a.example", before_listen('[receipts]\ntimeout = "2s"')) as inbound:
        relay(net, "no receipt in time", mid)
        net.wait_message("b.example", "bob", "no receipt in time")
        [report] = wait_reports(net, "a.example", "alice", mid, timeout=30)
        text = " ".join(report.as_string().split())  # the explanation may be wrapped
        assert "not confirmed" in text, text[:3000]
        assert not receipt_parts(report)
        assert not re.search(r"(?im)^Action:\s*delivered", report_fields(report)), report_fields(report)
        assert [r["state"] for r in rows_for(net, "a.example", mid)] == ["timed-out"]
        assert not rows_for(net, "a.example", mid, "--pending")
        # b's receipt, arriving after that: refused, no second report.
        [(entry, sealed)] = wait_queued(net, "b.example", is_receipt_for(net, "a.example"))
        net.gateways["b.example"].queue("delete", entry["id"])
        code, reply = send(inbound, "", [RECEIPTS_TO], sealed)
        assert code == 550 and REFUSED.match(reply), (code, reply)
        settle_pause()
        assert len(reports(net, "a.example", "alice", mid)) == 1
    assert [r["state"] for r in rows_for(net, "a.example", mid)] == ["timed-out"]


def test_a_bounce_between_members_arrives_sealed(net):
    sink = Sink()
    sink.start()
    sink.reject["nobody@b.example"] = "550 5.1.1 no such mailbox"
    internal = re.search(r'internal = "maildir:[^"]+"', net.config("b.example").read_text()).group(0)
    try:
        with config_changed(net, "b.example", (internal, f'internal = "smtp://127.0.0.1:{sink.port}"')):
            mid = new_message_id("bounce")
            relay(net, "to nobody", mid, rcpts=("nobody@b.example",), notify=None)
            [bounce] = wait_reports(net, "a.example", "alice", mid)
    finally:
        sink.stop()
    assert re.search(r"(?im)^Action:\s*failed", report_fields(bounce)), report_fields(bounce)
    ours = results(bounce, "gw.a.example")
    assert len(ours) == 1 and "smime=pass" in ours[0], bounce.get_all("Authentication-Results")
    assert "b.example" in ours[0]


def test_a_delay_notice_between_members_arrives_sealed_once(net):
    """b cannot hand a message over for longer than [queue] delay_warning:
    alice at a gets one "delayed" report, sealed by b; none after DELAY is
    refused by NOTIFY."""
    sink = Sink()
    sink.start()
    sink.reject["bob@b.example"] = "451 4.2.0 mailbox busy, try later"
    internal = re.search(r'internal = "maildir:[^"]+"', net.config("b.example").read_text()).group(0)
    try:
        with config_changed(net, "b.example", (internal, f'internal = "smtp://127.0.0.1:{sink.port}"'),
                            before_listen('[queue]\nmin_backoff = "1s"\nmax_backoff = "1s"\ndelay_warning = "2s"')):
            mid = new_message_id("delayed")
            relay(net, "slow mailbox", mid, notify=None)
            quiet = new_message_id("no-delay-wanted")
            relay(net, "slow and quiet", quiet, notify="FAILURE")
            [notice] = wait_reports(net, "a.example", "alice", mid)
            time.sleep(4)  # more attempts: still one notice
            assert len(reports(net, "a.example", "alice", mid)) == 1
            assert not reports(net, "a.example", "alice", quiet)
            for q in queued(net, "b.example"):  # not left to bounce into the next test
                net.gateways["b.example"].queue("delete", q[0]["id"])
    finally:
        sink.stop()
    fields = report_fields(notice)
    assert re.search(r"(?im)^Action:\s*delayed", fields), fields
    assert re.search(r"(?im)^Status:\s*4\.", fields), fields
    ours = results(notice, "gw.a.example")
    assert len(ours) == 1 and "smime=pass" in ours[0], notice.get_all("Authentication-Results")
    assert "b.example" in ours[0]


def test_sealed_receipt_message_is_the_agreed_format(net):
    """What b sends back, opened with a's key: the receipt message of
    issue 13's common format, b's signature over the recipient it confirms."""
    mid = new_message_id("format")
    with unreachable_inbound(net, "a.example") as inbound:
        relay(net, "format check", mid)
        [(entry, sealed)] = wait_queued(net, "b.example", is_receipt_for(net, "a.example"))
        net.gateways["b.example"].queue("delete", entry["id"])
        assert entry["sender"] == "" and entry["recipients"][0]["address"] == RECEIPTS_TO
        opened = open_sealed(net, "a.example", sealed)
        inner = email.message_from_bytes(inner_message(opened), policy=email.policy.compat32)
        assert inner["To"] == RECEIPTS_TO and inner["SecureMail-Receipt-Message-Id"] == mid, inner.items()
        assert inner["Subject"].startswith("Signed receipt: ")
        assert inner.get_content_type() == "multipart/mixed"
        kinds = [p.get_content_type() for p in inner.get_payload()]
        assert kinds == ["text/plain", "application/pkcs7-mime"], kinds
        assert (inner.get_payload()[1].get_filename() or "") == "receipt.p7m"
        assert send(inbound, "", [RECEIPTS_TO], sealed)[0] == 250
        wait_reports(net, "a.example", "alice", mid)
