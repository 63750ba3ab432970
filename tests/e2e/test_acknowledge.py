"""Acknowledging mailboxes (issue 13, [[acknowledge]]) end to end on a
testnet (a, b) where b answers for info@b.example: the sender of verified
mail gets one short acknowledgement, sealed back to its member (smime=pass
at a), at most one per sender per hour; never for Auto-Submitted mail, the
null sender or mail that is not verified.
"""
import email.utils
import time

import pytest

from conftest import wait_for
from testnet_world import compose, new_message_id, queued, reseal, results, running, send

DOMAINS = ["a.example", "b.example"]
INFO = "info@b.example"


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    def configure(n):
        n.append_config("b.example", f'[[acknowledge]]\naddress = "{INFO}"\n')
    with running(tmp_path_factory.mktemp("acknowledge"), DOMAINS, configure) as n:
        yield n


def to_info(net, sender, subject, extra=()):
    """sender@a.example writes to info@b.example through a's relay; returns the Message-ID."""
    mid = new_message_id("ack")
    code, reply = send(net.port("a.example", "relay"), sender, [INFO],
                       compose(sender, [INFO], subject, mid, body=f"private text of {subject}", extra=extra))
    assert code == 250, reply
    net.wait_message("b.example", "info", subject)
    return mid


def acknowledgements(net, user, subject):
    return [m for m in net.messages("a.example", user) if (m["Subject"] or "") == f"Received: {subject}"]


def wait_acknowledgement(net, user, subject):
    assert wait_for(lambda: acknowledgements(net, user, subject), 30), net.logs()
    return acknowledgements(net, user, subject)


def quiet():
    """Long enough for an acknowledgement, were one coming, to arrive."""
    time.sleep(3)


def test_verified_mail_gets_one_sealed_acknowledgement_per_hour(net):
    mid = to_info(net, "alice@a.example", "first question")
    [ack] = wait_acknowledgement(net, "alice", "first question")
    ours = results(ack, "gw.a.example")
    assert len(ours) == 1 and "smime=pass" in ours[0], ack.get_all("Authentication-Results")
    assert email.utils.parseaddr(ack["From"])[1] == INFO
    assert ack["Auto-Submitted"] == "auto-replied"
    assert ack["In-Reply-To"] == mid
    body = ack.get_payload(decode=True).decode(errors="replace") if not ack.is_multipart() else ack.as_string()
    assert mid.strip("<>") in body and ("a-example" in body or "a.example" in body), body
    assert "private text" not in ack.as_string()
    # A second message within the hour: no second acknowledgement.
    to_info(net, "alice@a.example", "second question")
    quiet()
    assert not acknowledgements(net, "alice", "second question")
    assert len([m for m in net.messages("a.example", "alice") if (m["Subject"] or "").startswith("Received: ")]) == 1


def test_auto_submitted_mail_gets_none(net):
    to_info(net, "dave@a.example", "automatic notice", extra=["Auto-Submitted: auto-generated"])
    quiet()
    assert not acknowledgements(net, "dave", "automatic notice")
    # dave's own mail, by hand: acknowledged (the automatic one did not count as answered).
    to_info(net, "dave@a.example", "dave by hand")
    wait_acknowledgement(net, "dave", "dave by hand")


def test_null_sender_and_unverified_mail_get_none(net):
    inbound = net.port("b.example", "inbound")
    # Sealed by a (by hand, with the CLI), from the null sender: verified, not answered.
    msg = compose("erin@a.example", [INFO], "from nobody", new_message_id("null"))
    assert send(inbound, "", [INFO], reseal(net, "a.example", "b.example", msg))[0] == 250
    net.wait_message("b.example", "info", "from nobody")
    # Ordinary mail from outside (smime=none): not answered either.
    outside = compose("news@other.example", [INFO], "outside news", new_message_id("outside"))
    assert send(inbound, "news@other.example", [INFO], outside)[0] == 250
    net.wait_message("b.example", "info", "outside news")
    # The same hand-sealed message with erin as envelope sender: answered.
    msg = compose("erin@a.example", [INFO], "from erin", new_message_id("erin"))
    assert send(inbound, "erin@a.example", [INFO], reseal(net, "a.example", "b.example", msg))[0] == 250
    wait_acknowledgement(net, "erin", "from erin")
    quiet()
    assert not acknowledgements(net, "erin", "from nobody")
    b = net.gateways["b.example"]
    assert not queued(net, "b.example", lambda m: any(r["address"] == "news@other.example" for r in m["recipients"]))
    assert "news@other.example" not in " ".join(
        line for line in b.log_text().splitlines() if "acknowledg" in line.lower())
