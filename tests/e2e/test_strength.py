"""Policy by strength (issue 14) end to end on a testnet (a, b):

- [[strong_auth]] inbound = "hold": verified mail for a b account that
  cannot sign in strongly is held (visible in `securemail queue list`),
  the recipient gets a notice, and it is delivered into the Maildir once
  the account enrols TOTP (`securemail user totp enrol`); another is
  returned to its sender with a 5.7.9 DSN once [mailboxes] hold_time ends.
- inbound = "return": refused at the end of DATA with 550 5.7.9.
- marking_min: a verified [SENSITIVE] message for a b account without a
  second factor is held, an unmarked or [IN-CONFIDENCE] one delivered.
  Outbound on a's submission a weak (password-only) sender's [SENSITIVE]
  message is refused at DATA with 550 5.7.9 (at RCPT the marking is not
  known yet), an [IN-CONFIDENCE] one passes, a refused recipient among
  others gets a DSN, a strong sender passes, and mail through the relay
  listener (nobody signs in) is not held to the rule.
- [[require_assurance]]: mail from member a without a signed, strong
  SecureMail-Sender-Assurance is refused with 550 5.7.1 (and a's gateway
  returns it to its sender); mail carrying one is accepted and shows
  x-securemail-assurance=pass in Authentication-Results. A claim outside
  the signature is removed.
"""
import json
import re
import smtplib
import ssl
import subprocess
import time
import urllib.parse

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
name = "sensitive"
recipients = ["gina@b.example"]
marking_min = "SENSITIVE"
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
        for user in ("carol", "dave", "erin", "frank", "gina"):
            add_account(n, user)
        yield n


def add_account(net, user):
    pw = net.dir / f"{user}.pw"
    pw.write_text("correct horse battery\n")
    securemail("user", "--config", net.config("b.example"), "add", user, "--address", f"{user}@b.example",
               "--password-file", pw, check=True)


def sealed_from_a(net, to, subject, assurance=STRONG, sender="alice@a.example", marking=None):
    """A message sealed by a's gateway key (as a's gateway would), the
    assurance (and marking) fields inside the signed content; sent to b's
    inbound."""
    extra = (assurance,) if assurance else ()
    extra += (f"SecureMail-Marking: {marking}",) if marking else ()
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


def test_marking_rule_holds_only_mail_marked_at_or_above_it(net):
    assert sealed_from_a(net, "gina@b.example", "[SENSITIVE] staff review", marking="SENSITIVE") == (250, "ok")
    assert wait_for(lambda: held_for(net, "gina"), 20), net.logs()
    assert "[[strong_auth]] sensitive (marked [SENSITIVE]): no strong sign-in enrolled: held" in \
        net.gateways["b.example"].log_text()
    net.wait_message("b.example", "gina", "Waiting for your second factor")
    assert sealed_from_a(net, "gina@b.example", "lunch plans") == (250, "ok")
    assert sealed_from_a(net, "gina@b.example", "[IN-CONFIDENCE] rota", marking="IN-CONFIDENCE") == (250, "ok")
    net.wait_message("b.example", "gina", "lunch plans")
    net.wait_message("b.example", "gina", "[IN-CONFIDENCE] rota")
    assert not [m for m in net.messages("b.example", "gina") if m["Subject"] == "[SENSITIVE] staff review"]
    [held] = held_for(net, "gina")  # only the SENSITIVE one waits
    securemail("user", "--config", net.config("b.example"), "totp", "enrol", "gina", check=True)
    net.wait_message("b.example", "gina", "[SENSITIVE] staff review", timeout=30)
    assert not held_for(net, "gina")


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


# --- Outbound [[strong_auth]] marking_min on a's submission listener -------
# A net of its own: b here requires no sender assurance, so what a passes
# arrives.

PASSWORD = "correct horse battery"
A_OUTBOUND = """
[markings]
member_default = "RESTRICTED"

[[strong_auth]]
name = "sensitive-out"
recipients = ["bob@b.example", "board@b.example"]
marking_min = "SENSITIVE"

[listen]
submission = "127.0.0.1:0"
"""


def _tls():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


@pytest.fixture(scope="module")
def outnet(tmp_path_factory):
    def configure(n):
        n.replace_config("a.example", "[listen]", A_OUTBOUND.strip())
        for user in ("gina", "hana"):
            pw = n.dir / f"{user}.pw"
            pw.write_text(PASSWORD + "\n")
            securemail("user", "add", user, "--config", n.config("a.example"), "--address", f"{user}@a.example",
                       "--password-file", pw, check=True)
        enrol = securemail("user", "totp", "enrol", "hana", "--config", n.config("a.example"), check=True)
        uri = re.search(r"otpauth://totp/\S+", enrol.stdout.decode()).group(0)
        n.hana_secret = urllib.parse.parse_qs(urllib.parse.urlsplit(uri).query)["secret"][0]
    with running(tmp_path_factory.mktemp("strength-out"), DOMAINS, configure) as n:
        yield n


def submitted(net, user, secret=PASSWORD):
    s = smtplib.SMTP(*net.gateways["a.example"].addr("submission"), timeout=30)
    s.starttls(context=_tls())
    s.login(user, secret)
    return s


def outbound_message(sender, rcpts, subject):
    return compose(sender, rcpts, subject, new_message_id("strength-out"), body=f"text of {subject}")


def test_weak_sender_passes_in_confidence_and_is_refused_sensitive_at_data(outnet):
    with submitted(outnet, "gina") as s:
        s.sendmail("gina@a.example", ["bob@b.example"],
                   outbound_message("gina@a.example", ["bob@b.example"], "[IN-CONFIDENCE] roster"))
        s.mail("gina@a.example")
        assert s.rcpt("bob@b.example")[0] == 250  # at RCPT the marking is not known yet
        code, text = s.data(outbound_message("gina@a.example", ["bob@b.example"], "[SENSITIVE] appraisal"))
        assert code == 550 and b"5.7.9" in text and b"strong authentication required by rule sensitive-out" in text, \
            (code, text)
    msg = outnet.wait_message("b.example", "bob", "[IN-CONFIDENCE] roster")
    assert "strong=no" in msg["SecureMail-Sender-Assurance"]
    assert re.search(r"to=<bob@b\.example>: policy refuse \(rule strong-auth-sensitive-out\)",
                     outnet.gateways["a.example"].log_text())
    assert not [m for m in outnet.messages("b.example", "bob") if m["Subject"] == "[SENSITIVE] appraisal"]


def test_refused_recipient_among_others_gets_a_dsn(outnet):
    with submitted(outnet, "gina") as s:
        rcpts = ["board@b.example", "carol@b.example"]
        assert s.sendmail("gina@a.example", rcpts, outbound_message("gina@a.example", rcpts, "[SENSITIVE] budget")) == {}
    outnet.wait_message("b.example", "carol", "[SENSITIVE] budget")
    [report] = wait_reports(outnet, "a.example", "gina", "[SENSITIVE] budget")
    fields = report_fields(report)
    assert "board@b.example" in fields and "5.7.9" in fields and "carol@b.example" not in fields, fields
    assert not outnet.messages("b.example", "board")


def test_strong_sender_and_relay_mail_pass(outnet):
    code = subprocess.run(["oathtool", "--totp", "-b", outnet.hana_secret], capture_output=True, text=True,
                          check=True).stdout.strip()
    with submitted(outnet, "hana", PASSWORD + code) as s:
        s.sendmail("hana@a.example", ["bob@b.example"],
                   outbound_message("hana@a.example", ["bob@b.example"], "[SENSITIVE] strong review"))
    msg = outnet.wait_message("b.example", "bob", "[SENSITIVE] strong review")
    assert "strong=yes" in msg["SecureMail-Sender-Assurance"]
    # The relay listener signs nobody in: [[strong_auth]] holds only submission to it (docs/policy.md).
    relayed = outbound_message("ivy@a.example", ["bob@b.example"], "[SENSITIVE] relayed")
    assert send(outnet.port("a.example", "relay"), "ivy@a.example", ["bob@b.example"], relayed) == (250, "ok")
    outnet.wait_message("b.example", "bob", "[SENSITIVE] relayed")
