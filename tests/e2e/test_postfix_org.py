"""The organisation side with a real internal MTA: each member organisation
of a two-gateway testnet has its own Postfix (tests/e2e/postfix_org.py).
Postfix A relays alice's outbound mail through gateway a, gateway a seals it
to gateway b, gateway b opens and verifies it and delivers it to Postfix B,
which puts it in bob's Maildir: same body, one Authentication-Results of
gw.b.example with smime=pass, and a Received: chain through all four.
A user of a who writes From: another member's domain gets a bounce from
Postfix A (gateway a refuses to seal it: 550 5.7.1) and bob gets nothing.
Needs root (a private Postfix instance) and swaks; about 10 s.
"""
import email.utils
import os
import re
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

from conftest import wait_for
from postfix_org import OrgPostfix
from testnet_world import Testnet

pytestmark = pytest.mark.skipif(not (shutil.which("postfix") or os.path.exists("/usr/sbin/postfix")),
                                reason="Postfix is not installed (needs /usr/sbin/postfix)")

DOMAINS = ("a.example", "b.example")


class Organisations:
    """A two-gateway testnet (testnet_world.Testnet) in which each gateway
    sits between its organisation's Postfix and the other gateway: Postfix
    relays outbound mail to its gateway's relay listener, the gateway's
    `[deliver] internal` is that Postfix. stop() ends everything started."""

    def __init__(self, root):
        self.testnet = Testnet(root, DOMAINS)
        # Postfix daemons (user postfix) open files in their data directory
        # by absolute path: pytest's tmp folders (0700) are closed to them.
        self.postfix_dir = Path(tempfile.mkdtemp(prefix="sm-postfix-org-"))
        self.postfix_dir.chmod(0o711)
        self.postfix = {}

    def start(self):
        net = self.testnet.build()
        for domain, user in zip(DOMAINS, ("alice", "bob")):
            pf = self.postfix[domain] = OrgPostfix(self.postfix_dir / domain, domain, [user],
                                                   net.port(domain, "relay"))
            internal = net.settings(domain)["deliver"]["internal"]
            net.replace_config(domain, f'internal = "{internal}"', f'internal = "smtp://127.0.0.1:{pf.port}"')
            pf.setup()
            pf.start()
        net.start()

    def stop(self):
        self.testnet.stop()
        for pf in self.postfix.values():
            pf.stop()
        shutil.rmtree(self.postfix_dir, ignore_errors=True)

    def logs(self):
        return "\n".join([self.testnet.logs()] +
                         [f"--- postfix {d}\n{pf.log_tail()}" for d, pf in self.postfix.items()])


@pytest.fixture(scope="module")
def orgs(tmp_path_factory):
    n = Organisations(tmp_path_factory.mktemp("postfix-org"))
    try:
        n.start()
        yield n
    finally:
        n.stop()


def submit(postfix, sender, rcpt, message):
    """swaks hands `message` (CRLF lines) to the organisation's Postfix as a
    user's client would. It is ended with the "." line here: swaks would
    otherwise add an empty line to a message that ends in CRLF."""
    r = subprocess.run(["swaks", "--server", f"127.0.0.1:{postfix.port}", "--helo", f"client.{postfix.domain}",
                        "--from", sender, "--to", rcpt, "--data", "-", "--timeout", "20"],
                       input=message + b".\r\n", capture_output=True, timeout=60)
    assert r.returncode == 0, r.stdout.decode(errors="replace") + r.stderr.decode(errors="replace")


def compose(from_addr, to_addr, subject, body, extra_headers=()):
    domain = email.utils.parseaddr(from_addr)[1].split("@")[1]
    headers = [f"From: {from_addr}", f"To: {to_addr}", f"Subject: {subject}",
               f"Date: {email.utils.formatdate()}", f"Message-ID: <{uuid.uuid4().hex}@{domain}>",
               *extra_headers]
    return ("\r\n".join(headers) + "\r\n\r\n" + body.replace("\n", "\r\n")).encode()


def wait_messages(postfix, user, text, timeout=30):
    """The messages in user's Maildir at `postfix` whose raw bytes hold
    `text`, once there is at least one (or none after `timeout` s)."""
    def find():
        return [m for m in postfix.mailbox(user) if text.encode() in m.raw]
    wait_for(find, timeout)
    return find()


def body_of(msg):
    """The body as the Maildir holds it (LF line ends), after the blank line."""
    return msg.raw.split(b"\n\n", 1)[1]


def received_hops(msg):
    """(from, by) host names of each Received: header, oldest hop first."""
    hops = []
    for value in reversed(msg.get_all("Received", [])):
        text = " ".join(value.split())
        src = re.search(r"\bfrom (\S+)", text)
        by = re.search(r"\bby (\S+)", text)
        hops.append((src.group(1) if src else None, by.group(1) if by else None))
    return hops


def results_of(msg):
    """Every Authentication-Results header, unfolded, as (authserv-id, value)."""
    out = []
    for v in msg.get_all("Authentication-Results", []):
        v = " ".join(v.split())
        out.append((v.split(";")[0].strip().lower(), v))
    return out


# What alice writes: a dot-led line and trailing spaces must survive four
# SMTP hops, sealing and opening; the result header she forges must not.
BODY = ("Hello Bob,\n"
        ".a line that starts with a dot\n"
        "..and one with two\n"
        "trailing spaces  \n"
        "\n"
        "-- \nAlice\n")
SUBJECT = "quarterly figures via Postfix " + uuid.uuid4().hex[:8]
FORGED = "Authentication-Results: gw.b.example; smime=pass (forged by the sender)"


@pytest.fixture(scope="module")
def delivered(orgs):
    """alice@a.example -> bob@b.example submitted to Postfix A; what bob's Maildir at Postfix B got."""
    submit(orgs.postfix["a.example"], "alice@a.example", "bob@b.example",
           compose("Alice <alice@a.example>", "Bob <bob@b.example>", SUBJECT, BODY, [FORGED]))
    got = wait_messages(orgs.postfix["b.example"], "bob", SUBJECT)
    assert len(got) == 1, f"bob's Maildir at Postfix B got {len(got)} copies\n" + orgs.logs()
    return got[0]


def test_postfix_a_to_postfix_b_through_both_gateways(orgs, delivered):
    raw = delivered.raw.decode(errors="replace")
    assert body_of(delivered) == BODY.encode(), raw
    assert delivered["From"] == "Alice <alice@a.example>" and delivered["Subject"] == SUBJECT, raw
    assert received_hops(delivered) == [
        ("client.a.example", "mail.a.example"),  # the user's client -> Postfix A
        ("mail.a.example", "gw.a.example"),      # Postfix A -> gateway a (relay listener)
        ("gw.a.example", "gw.b.example"),        # gateway a -> gateway b (inbound listener)
        ("gw.b.example", "mail.b.example"),      # gateway b -> Postfix B
    ], raw
    for domain in DOMAINS:
        assert wait_for(lambda: orgs.postfix[domain].queue_size() == 0, 10), orgs.logs()


def test_bob_sees_one_verified_result_of_his_gateway(delivered):
    """Sealed by gateway a, verified by gateway b: one result header, gateway
    b's, smime=pass for alice; the one alice forged is gone."""
    results = results_of(delivered)
    assert len(results) == 1, delivered.raw.decode(errors="replace")
    host, value = results[0]
    assert host == "gw.b.example", value
    assert re.search(r"\bsmime=pass\b", value) and "body.smime-identifier=alice@a.example" in value, value
    assert "forged by the sender" not in value, value


def test_from_another_members_domain_bounces_at_postfix_a(orgs):
    """alice writes From: carol@b.example: Postfix A takes it and relays it,
    gateway a will not seal for b.example (no key for that domain: 550 5.7.1
    at the end of DATA), Postfix A bounces it to alice; bob never gets it."""
    subject = "not really from carol " + uuid.uuid4().hex[:8]
    pf_a, pf_b = orgs.postfix["a.example"], orgs.postfix["b.example"]
    submit(pf_a, "alice@a.example", "bob@b.example",
           compose("Carol <carol@b.example>", "Bob <bob@b.example>", subject, "Trust me.\n"))
    bounces = wait_messages(pf_a, "alice", subject)
    assert len(bounces) == 1, "no bounce to alice at Postfix A\n" + orgs.logs()
    bounce = bounces[0]
    raw = bounce.raw.decode(errors="replace")
    assert bounce["From"] == "Mail Delivery System <MAILER-DAEMON@a.example>", raw
    assert bounce.get_content_type() == "multipart/report", raw
    report = " ".join(raw.split())
    assert "Final-Recipient: rfc822; bob@b.example" in report and "Action: failed" in report, raw
    assert "Status: 5.7.1" in report and "Diagnostic-Code: smtp; 550 5.7.1" in report, raw
    assert "From: domain b.example" in report, raw  # the gateway's reason names the domain
    # Refused before gateway a queued anything: nothing can reach bob later.
    assert not orgs.testnet.gateways["a.example"].queue_ids()
    assert not [m for m in pf_b.mailbox("bob") if m["Subject"] == subject]


def test_the_reply_goes_back_the_same_way(orgs):
    """bob answers: Postfix B -> gateway b (seals) -> gateway a (verifies) -> Postfix A -> alice."""
    subject = "Re: quarterly figures " + uuid.uuid4().hex[:8]
    submit(orgs.postfix["b.example"], "bob@b.example", "alice@a.example",
           compose("Bob <bob@b.example>", "Alice <alice@a.example>", subject, "Thanks, Alice.\n"))
    got = wait_messages(orgs.postfix["a.example"], "alice", subject)
    assert len(got) == 1, "alice got nothing at Postfix A\n" + orgs.logs()
    results = results_of(got[0])
    assert len(results) == 1 and results[0][0] == "gw.a.example", results
    assert "smime=pass" in results[0][1] and "body.smime-identifier=bob@b.example" in results[0][1], results
    assert body_of(got[0]) == b"Thanks, Alice.\n"
