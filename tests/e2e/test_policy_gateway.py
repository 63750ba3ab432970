"""Policy in the gateway's message flow (issue 15), on a testnet of four
gateways. The directory says b and d are in New Zealand and accredited up
to RESTRICTED, c is in Australia (not approved); d's own gateway is
accredited only up to SENSITIVE. a has a personal-use sender and a rule
that holds mail for carol@b.example.

- a marked message to an accredited member arrives sealed and verified,
  with SecureMail-Marking inside the signed content;
- the same marking to a non-member is refused at DATA with the reason;
- [SEEMAIL] to a non-member is returned with a DSN, the member still gets it;
- a member in a non-approved jurisdiction is refused at RCPT;
- a verified message whose signed SecureMail-Marking disagrees with its
  content is refused like any failed sealed message; unverified mail loses
  the field;
- personal mail is tagged;
- inbound mail above the accreditation is refused, the sender's gateway
  returns it, the recipient and the administrator are told without the
  content;
- a hold rule holds the sealed copy until `securemail queue release`.
Every decision is logged with the queue id and never with the subject."""
import json
import re
import time

import pytest

from conftest import securemail, wait_for
from testnet_world import (compose, new_message_id, reports, report_fields, reseal, results, running, send,
                           wait_reports)

DOMAINS = ["a.example", "b.example", "c.example", "d.example"]

A_POLICY = """
[personal]
senders = ["pat@a.example"]

[[policy.rule]]
name = "hold-carol"
to = ["carol@b.example"]
decision = "hold"
"""

D_MARKINGS = """
[markings]
accreditation = "SENSITIVE"
"""


def configure(net):
    auth = net.dir / "authority"
    for member, country in (("b-example", "NZ"), ("c-example", "AU"), ("d-example", "NZ")):
        securemail("directory", "update", "--authority", auth, "--id", member, "--jurisdiction", country,
                   "--max-marking", "RESTRICTED", check=True)
    securemail("directory", "update", "--authority", auth, "--id", "a-example", "--jurisdiction", "NZ", check=True)
    securemail("directory", "publish", "--authority", auth, check=True)
    for d in DOMAINS:
        securemail("directory", "fetch", "--config", net.config(d), check=True)
    net.append_config("a.example", A_POLICY)
    net.append_config("d.example", D_MARKINGS)


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    with running(tmp_path_factory.mktemp("policy"), DOMAINS, configure) as n:
        yield n


def relay(net, sender, rcpts, subject, extra=(), body="the body text"):
    mid = new_message_id("policy")
    code, reply = send(net.port("a.example", "relay"), sender, rcpts,
                       compose(sender, rcpts, subject, mid, body=body, extra=extra))
    return code, reply, mid


def log_of(net, domain):
    return net.gateways[domain].log_text()


def decision_logged(net, domain, pattern):
    return wait_for(lambda: re.search(pattern, log_of(net, domain)), 10)


def test_marked_mail_to_accredited_member_arrives_sealed_with_signed_marking(net):
    code, reply, _ = relay(net, "alice@a.example", ["bob@b.example"], "[RESTRICTED:MEDICAL] lab results one")
    assert code == 250, reply
    m = net.wait_message("b.example", "bob", "lab results one")
    assert m.get_all("SecureMail-Marking") == ["RESTRICTED; endorsements=MEDICAL"], m.as_string()[:2000]
    assert results(m, "gw.b.example") and results(m, "gw.b.example")[0].startswith("gw.b.example; smime=pass")
    assert decision_logged(net, "a.example", r"[0-9A-Za-z]+: to=<bob@b\.example>: policy seal \(rule [^)]+\)")
    assert "lab results one" not in log_of(net, "a.example"), "subjects are never logged"


def test_marked_mail_to_non_member_refused_with_the_reason(net):
    code, reply, _ = relay(net, "alice@a.example", ["someone@outside.example"], "[RESTRICTED] budget two")
    assert code == 550, (code, reply)
    assert reply.startswith("5.7.1") and "RESTRICTED" in reply, reply
    assert decision_logged(net, "a.example", r"to=<someone@outside\.example>: policy refuse \(rule marking-")
    assert "budget two" not in log_of(net, "a.example")


def test_trigger_word_to_non_member_returned_with_dsn(net):
    code, reply, mid = relay(net, "alice@a.example", ["bob@b.example", "xavier@outside.example"],
                             "[SEEMAIL] plans three")
    assert code == 250, reply
    net.wait_message("b.example", "bob", "plans three")
    [report] = wait_reports(net, "a.example", "alice", mid.strip("<>"))
    fields = report_fields(report)
    assert "xavier@outside.example" in fields and "5.7.1" in fields, fields
    assert "bob@b.example" not in fields, fields
    assert decision_logged(net, "a.example", r"to=<xavier@outside\.example>: policy return \(rule trigger-SEEMAIL\)")
    # Nothing went out plain to the non-member.
    queue = json.loads(net.gateways["a.example"].queue("list", "--json").stdout)
    assert not [m for m in queue if any(r["address"] == "xavier@outside.example" for r in m["recipients"])], queue


def test_member_in_unapproved_jurisdiction_refused_at_rcpt(net):
    code, reply, _ = relay(net, "alice@a.example", ["carl@c.example"], "across the ditch four")
    assert code == 550, (code, reply)
    assert reply.startswith("5.7.1"), reply
    assert decision_logged(net, "a.example", r"to=<carl@c\.example>: policy refuse \(rule sovereignty-member\).*refused at RCPT")


def test_signed_marking_that_disagrees_with_the_content_is_refused(net):
    inbound = net.port("b.example", "inbound")
    agreed = compose("erin@a.example", ["bob@b.example"], "[SENSITIVE] agreed five", new_message_id("agreed"),
                     extra=["SecureMail-Marking: SENSITIVE"])
    assert send(inbound, "erin@a.example", ["bob@b.example"], reseal(net, "a.example", "b.example", agreed))[0] == 250
    net.wait_message("b.example", "bob", "agreed five")
    # Signed, verified - and lowered: the content says SENSITIVE, the field UNCLASSIFIED.
    lowered = compose("erin@a.example", ["bob@b.example"], "[SENSITIVE] lowered five", new_message_id("lowered"),
                      extra=["SecureMail-Marking: UNCLASSIFIED"])
    code, reply = send(inbound, "erin@a.example", ["bob@b.example"], reseal(net, "a.example", "b.example", lowered))
    assert (code, reply.split(" ")[0]) == (550, "5.7.5"), (code, reply)
    assert "marking" not in reply.lower(), "the same reply as every failed sealed message"
    assert decision_logged(net, "b.example", r'signed SecureMail-Marking "UNCLASSIFIED" disagrees')
    time.sleep(1)
    assert not [m for m in net.messages("b.example", "bob") if "lowered five" in (m["Subject"] or "")]
    # Unverified mail never carries the field in.
    plain = compose("news@other.example", ["bob@b.example"], "outside claims five", new_message_id("outside"),
                    extra=["SecureMail-Marking: RESTRICTED"])
    assert send(inbound, "news@other.example", ["bob@b.example"], plain)[0] == 250
    m = net.wait_message("b.example", "bob", "outside claims five")
    assert m.get_all("SecureMail-Marking") is None, m.as_string()[:1500]


def test_personal_mail_tagged(net):
    code, reply, _ = relay(net, "pat@a.example", ["bob@b.example"], "lunch on friday six",
                           extra=["SecureMail-Category: official"])
    assert code == 250, reply
    m = net.wait_message("b.example", "bob", "lunch on friday six")
    assert m["Subject"] == "[PERSONAL] lunch on friday six", m["Subject"]
    assert m.get_all("SecureMail-Category") == ["personal"]
    # Not personal: the sender's own claim is taken out.
    code, reply, _ = relay(net, "alice@a.example", ["bob@b.example"], "official seven",
                           extra=["SecureMail-Category: personal"])
    assert code == 250, reply
    m = net.wait_message("b.example", "bob", "official seven")
    assert m.get_all("SecureMail-Category") is None and m["Subject"] == "official seven"


def test_inbound_above_accreditation_refused_and_recipient_told(net):
    code, reply, mid = relay(net, "alice@a.example", ["dora@d.example"], "[RESTRICTED] over the line eight",
                             body="secret body eight")
    assert code == 250, reply  # a may send RESTRICTED to d (the directory accredits it) ...
    [report] = wait_reports(net, "a.example", "alice", mid.strip("<>"), timeout=40)  # ... d's gateway refuses it
    assert "dora@d.example" in report_fields(report) and "5.7.1" in report_fields(report)
    notice = net.wait_message("d.example", "dora", "was refused")
    text = notice.as_string()
    assert "alice@a.example" in text and "SENSITIVE" in text, text
    assert "over the line eight" not in text and "secret body eight" not in text
    admin = net.wait_message("d.example", "securemailadmin", "refused above accreditation")
    assert "dora@d.example" in admin.as_string() and "secret body eight" not in admin.as_string()
    assert not [m for m in net.messages("d.example", "dora") if "over the line" in (m["Subject"] or "")]
    d_log = log_of(net, "d.example")
    assert re.search(r"policy refuse \(rule marking-accreditation\)", d_log), d_log[-3000:]
    assert "over the line eight" not in d_log


def test_hold_rule_holds_until_released(net):
    a = net.gateways["a.example"]
    code, reply, _ = relay(net, "alice@a.example", ["carol@b.example"], "for review nine")
    assert code == 250, reply
    assert decision_logged(net, "a.example", r"to=<carol@b\.example>: policy hold \(rule hold-carol\)")
    held = []
    assert wait_for(lambda: held.extend(m for m in json.loads(a.queue("list", "--json").stdout)
                                        if m["held"] and m["recipients"][0]["address"] == "carol@b.example") or held, 10)
    time.sleep(1.5)
    assert not [m for m in net.messages("b.example", "carol") if "for review nine" in (m["Subject"] or "")]
    a.queue("release", held[0]["id"])
    m = net.wait_message("b.example", "carol", "for review nine", timeout=30)
    assert results(m, "gw.b.example")[0].startswith("gw.b.example; smime=pass"), "held sealed, released sealed"
