"""Policy by strength (issue 14) end to end on a testnet (a, b):

- [[strong_auth]] inbound = "hold": verified mail for a b account that
  cannot sign in strongly is held (visible in `securemail queue list`),
  the recipient gets a notice, and it is delivered into the Maildir once
  the account enrols TOTP (`securemail user totp enrol`); another is
  returned to its sender with a 5.7.9 DSN once [mailboxes] hold_time ends.
- inbound = "return": refused at the end of DATA with 550 5.7.9.
- [[require_assurance]]: mail from member a without a signed, strong
  SecureMail-Sender-Assurance is refused with 550 5.7.1 (and a's gateway
  returns it to its sender); mail carrying one is accepted and shows
  x-securemail-assurance=pass in Authentication-Results. A claim outside
  the signature is removed.
"""
import json
import time

import pytest

from conftest import securemail, wait_for
from testnet_world import compose, new_message_id, reports, report_fields, reseal, results, running, send, wait_reports

DOMAINS = ["a.example", "b.example"]
HOLD_TIME = 40
STRONG = "SecureMail-Sender-Assurance: auth=totp; strong=yes; sole-user=yes; identity=unverified"
WEAK = "SecureMail-Sender-Assurance: auth=password; strong=no; sole-user=no; identity=unverified"


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    def configure(n):
        n.append_config("b.example", f"""
[mailboxes]
hold_time = "{HOLD_TIME}s"

[[strong_auth]]
name = "board"
members = ["a-example"]
recipients = ["carol@b.example", "dave@b.example"]
inbound = "hold"

[[strong_auth]]
name = "finance"
senders = ["*@a.example"]
recipients = ["erin@b.example"]
inbound = "return"

[[require_assurance]]
members = ["a-example"]
strong = true
""")
    with running(tmp_path_factory.mktemp("strength"), DOMAINS, configure) as n:
        for user in ("carol", "dave", "erin", "frank"):
            add_account(n, user)
        yield n


def add_account(net, user):
    pw = net.dir / f"{user}.pw"
    pw.write_text("correct horse battery\n")
    securemail("user", "--config", net.config("b.example"), "add", user, "--address", f"{user}@b.example",
               "--password-file", pw, check=True)


def sealed_from_a(net, to, subject, assurance=STRONG, sender="alice@a.example"):
    """A message sealed by a's gateway key (as a's gateway would), the
    assurance field inside the signed content; sent to b's inbound."""
    extra = (assurance,) if assurance else ()
    msg = compose(sender, [to], subject, new_message_id("strength"), body=f"text of {subject}", extra=extra)
    return send(net.port("b.example", "inbound"), sender, [to], reseal(net, "a.example", "b.example", msg))


def queue_list(net):
    return json.loads(net.gateways["b.example"].queue("list", "--json").stdout)


def held_for(net, user):
    return [m for m in queue_list(net)
            if m["held"] and m["strong_hold_until"] and m["recipients"][0]["address"] == f"{user}@b.example"]


def test_held_until_enrolment_then_delivered(net):
    assert sealed_from_a(net, "carol@b.example", "board minutes") == (250, "ok")
    assert wait_for(lambda: held_for(net, "carol"), 20), net.logs()
    [entry] = held_for(net, "carol")
    assert entry["strong_hold_until"] >= time.time() + HOLD_TIME - 15
    text = securemail("queue", "--config", net.config("b.example"), "list", check=True).stdout.decode()
    assert "recipient has no strong authentication" in text, text
    notice = net.wait_message("b.example", "carol", "Waiting for your second factor")
    assert "alice@a.example" in notice["Subject"]
    assert not [m for m in net.messages("b.example", "carol") if m["Subject"] == "board minutes"]

    securemail("user", "--config", net.config("b.example"), "totp", "enrol", "carol", check=True)
    delivered = net.wait_message("b.example", "carol", "board minutes", timeout=30)
    [ours] = results(delivered, "gw.b.example")
    assert "smime=pass" in ours and "x-securemail-assurance=pass header.auth=totp header.strong=yes" in ours, ours
    assert not held_for(net, "carol")


def test_returned_with_a_dsn_after_hold_time(net):
    assert sealed_from_a(net, "dave@b.example", "board agenda", sender="bob@a.example") == (250, "ok")
    assert wait_for(lambda: held_for(net, "dave"), 20), net.logs()
    [report] = wait_reports(net, "a.example", "bob", "board agenda", timeout=HOLD_TIME + 40)
    fields = report_fields(report)
    assert "5.7.9" in fields and "dave@b.example" in fields, fields
    assert "recipient has no strong authentication" in fields, fields
    assert not held_for(net, "dave")
    assert not [m for m in net.messages("b.example", "dave") if m["Subject"] == "board agenda"]


def test_return_rule_refuses_at_end_of_data(net):
    code, reply = sealed_from_a(net, "erin@b.example", "invoice")
    assert code == 550 and "5.7.9" in reply and "recipient has no strong authentication" in reply, reply
    # Once erin enrols a strong device, the same mail is accepted.
    securemail("user", "--config", net.config("b.example"), "device", "add", "erin", "--name", "phone", check=True)
    assert sealed_from_a(net, "erin@b.example", "invoice again") == (250, "ok")
    net.wait_message("b.example", "erin", "invoice again")


def test_require_assurance_refuses_mail_lacking_it(net):
    code, reply = sealed_from_a(net, "frank@b.example", "no claim", assurance=None)
    assert code == 550 and "5.7.1" in reply and "no signed sender assurance" in reply, reply
    code, reply = sealed_from_a(net, "frank@b.example", "weak claim", assurance=WEAK)
    assert code == 550 and "sender did not sign in strongly" in reply, reply
    # Through a's relay (no sign-in, so no assurance): a returns it to its sender.
    msg = compose("grace@a.example", ["frank@b.example"], "relayed without assurance", new_message_id("relay"))
    assert send(net.port("a.example", "relay"), "grace@a.example", ["frank@b.example"], msg) == (250, "ok")
    [report] = wait_reports(net, "a.example", "grace", "relayed without assurance")
    assert "5.7.1" in report_fields(report), report_fields(report)


def test_require_assurance_accepts_mail_carrying_it(net):
    assert sealed_from_a(net, "frank@b.example", "strong claim") == (250, "ok")
    msg = net.wait_message("b.example", "frank", "strong claim")
    [ours] = results(msg, "gw.b.example")
    assert ("x-securemail-assurance=pass header.auth=totp header.strong=yes header.sole-user=yes "
            "header.identity=unverified") in ours, ours
    assert msg.get_all("SecureMail-Sender-Assurance") == [STRONG.split(": ", 1)[1]]


def test_unsigned_claim_is_removed(net):
    forged = compose("news@other.example", ["frank@b.example"], "outside claim", new_message_id("outside"),
                     extra=(STRONG,))
    assert send(net.port("b.example", "inbound"), "news@other.example", ["frank@b.example"], forged) == (250, "ok")
    msg = net.wait_message("b.example", "frank", "outside claim")
    assert msg.get_all("SecureMail-Sender-Assurance") is None
    [ours] = results(msg, "gw.b.example")
    assert "smime=none" in ours and "assurance" not in ours, ours
