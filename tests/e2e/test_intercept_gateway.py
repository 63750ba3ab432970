"""Lawful interception in a running testnet (a.example, b.example): an
order entered with `securemail intercept add` (officer, password + TOTP)
for alice@a.example copies exactly the matching messages, outbound (alice
to bob, sealed for b) and inbound (bob to alice, opened at a), as plain
S/MIME to the order's destination (li-desk@a.example, a's Maildir); the
copy opens with `openssl cms -decrypt` using the officer's key and is the
decrypted original. Mail of others is not copied; an order whose time is
over copies nothing. The audit trail holds the order and every copy with
its reference and `audit verify` passes; a's log never names the copy,
its queue id or the destination; `queue list` never shows it."""
import datetime
import json
import re
import smtplib
import subprocess
import time

from conftest import securemail, text, wait_for
from test_intercept import officer_certificate, run
from test_testnet import Running, listen_ports
from dovecot_host import totp_code


def message(sender, to, subject, body):
    return (f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{subject.replace(' ', '.')}@test>\r\n"
            f"\r\n{body}\r\n").encode()


def send(port, sender, to, subject, body):
    with smtplib.SMTP("127.0.0.1", port) as s:
        s.sendmail(sender, [to], message(sender, to, subject, body))


def maildir(net, domain, user):
    new = net / domain / "maildir" / user / "new"
    return sorted(new.iterdir()) if new.exists() else []


def decrypt(path, key, cert):
    r = subprocess.run(["openssl", "cms", "-decrypt", "-in", path, "-inkey", key, "-recip", cert],
                       capture_output=True)
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    return r.stdout


class Officer:
    def __init__(self, world, tmp_path):
        self.cfg = world.config("a.example")
        world.add_config("a.example", '[intercept]\nofficers = ["olga"]\n')
        pw = tmp_path / "olga.pw"
        pw.write_text("olga long passphrase\n")
        assert run("user", "--config", self.cfg, "add", "olga", "--address", "olga@a.example",
                   "--password-file", pw).returncode == 0
        r = run("user", "--config", self.cfg, "totp", "enrol", "olga")
        assert r.returncode == 0, r.stderr
        self.secret = re.search(r"secret=([A-Z2-7]+)", r.stdout).group(1)
        self.key, self.cert = officer_certificate(tmp_path)
        self.offset = -30

    def add(self, reference, target, until):
        stdin = f"olga long passphrase\n{totp_code(self.secret, self.offset)}\n"
        self.offset += 30  # a TOTP step is never accepted twice
        r = run("intercept", "--config", self.cfg, "--officer", "olga", "add", "--target", target, "--until", until,
                "--deliver-to", "li-desk@a.example", "--reference", reference, "--certificate", self.cert,
                stdin=stdin)
        assert r.returncode == 0, r.stderr


class TwoGateways:
    """a.example and b.example made by `securemail testnet`, replicas fetched;
    start() runs both gateways, stop() returns their exit codes."""

    DOMAINS = ("a.example", "b.example")

    def __init__(self, tmp_path):
        self.net = tmp_path / "net"
        securemail("testnet", "--dir", self.net, "--domains", ",".join(self.DOMAINS), "--base-port", 0, check=True)
        auth = self.net / "authority"
        for member in ("a-example", "b-example"):  # sealed mail goes only to approved jurisdictions (NZ)
            securemail("directory", "update", "--authority", auth, "--id", member, "--jurisdiction", "NZ", check=True)
        securemail("directory", "publish", "--authority", auth, check=True)
        for d in self.DOMAINS:
            securemail("directory", "fetch", "--config", self.config(d), check=True)
        self.relay = {d: listen_ports(self.net, d)["relay"] for d in self.DOMAINS}
        self.gateways = []

    def config(self, domain):
        return self.net / domain / "config.toml"

    def add_config(self, domain, toml):
        self.config(domain).write_text(self.config(domain).read_text() + "\n" + toml)

    def start(self):
        self.gateways = [Running(self.net / d) for d in self.DOMAINS]
        for g in self.gateways:
            g.wait_ready()

    def stop(self):
        return [g.stop() for g in self.gateways]


def test_order_copies_matching_mail_both_ways_until_it_ends(tmp_path):
    world = TwoGateways(tmp_path)
    net = world.net
    officer = Officer(world, tmp_path)
    a_cfg = world.config("a.example")
    officer.add("LI-ALICE", "alice@a.example", "2099-12-31")
    ends = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=25)
    officer.add("LI-DAVE", "dave@a.example", ends.strftime("%Y-%m-%dT%H:%M:%SZ"))
    a_relay, b_relay = world.relay["a.example"], world.relay["b.example"]
    try:
        world.start()
        send(a_relay, "alice@a.example", "bob@b.example", "outbound one", "the first secret")
        send(a_relay, "carol@a.example", "bob@b.example", "not ordered", "carol's own business")
        send(b_relay, "bob@b.example", "alice@a.example", "inbound one", "the reply")
        send(a_relay, "dave@a.example", "bob@b.example", "dave early", "before the end")
        assert wait_for(lambda: len(maildir(net, "b.example", "bob")) == 3, 30), text_log(net)
        assert wait_for(lambda: len(maildir(net, "a.example", "alice")) == 1, 30), text_log(net)
        assert wait_for(lambda: len(maildir(net, "a.example", "li-desk")) == 3, 30), text_log(net)

        opened = [decrypt(p, officer.key, officer.cert) for p in maildir(net, "a.example", "li-desk")]
        subjects = sorted(re.search(rb"Subject: ([^\r\n]*)", o).group(1).decode() for o in opened)
        assert subjects == ["dave early", "inbound one", "outbound one"]
        out = next(o for o in opened if b"outbound one" in o)
        # The decrypted original: signed by a, the message as alice sent it inside.
        assert b"the first secret" in out and b"multipart/signed" in out
        inbound = next(o for o in opened if b"inbound one" in o)
        assert b"the reply" in inbound and b"application/pkcs7-mime" not in inbound  # as opened, not as sealed
        for p in maildir(net, "a.example", "li-desk"):
            raw = p.read_bytes()
            assert b"application/pkcs7-mime" in raw and b"SecureMail-Envelope" not in raw
            assert b"the first secret" not in raw and b"the reply" not in raw

        # After the order's end: dave's mail is no longer copied.
        time.sleep(max(0.0, (ends - datetime.datetime.now(datetime.timezone.utc)).total_seconds() + 4))
        send(a_relay, "dave@a.example", "bob@b.example", "dave late", "after the end")
        assert wait_for(lambda: len(maildir(net, "b.example", "bob")) == 4, 30), text_log(net)
        time.sleep(2)
        assert len(maildir(net, "a.example", "li-desk")) == 3

        r = securemail("queue", "list", "--config", a_cfg, "--json", check=True)
        assert b"li-desk" not in r.stdout
    finally:
        codes = world.stop()
    assert codes == [0, 0]

    copies = audit(a_cfg, "--action", "intercept.copy")
    made = [e for e in copies if e["action"] == "intercept.copy"]
    assert sorted(e["reference"] for e in made) == ["LI-ALICE", "LI-ALICE", "LI-DAVE"]
    delivered = [e for e in copies if e["action"] == "intercept.copy.delivered"]
    assert sorted(e["object"] for e in delivered) == sorted(e["details"]["copy"] for e in made)
    assert sorted(e["reference"] for e in delivered) == ["LI-ALICE", "LI-ALICE", "LI-DAVE"]
    r = securemail("audit", "verify", "--config", a_cfg)
    assert r.returncode == 0, text(r)

    log = (net / "a.example" / "run.log").read_text(errors="replace")
    assert "li-desk" not in log
    for e in made:
        assert e["details"]["copy"] not in log, e["details"]["copy"]
    assert "LI-ALICE" not in log and "LI-DAVE" not in log


def audit(cfg, *args):
    r = securemail("audit", "list", "--config", cfg, "--json", *args, check=True)
    return json.loads(r.stdout)


def text_log(net):
    return "\n".join((net / d / "run.log").read_text(errors="replace")[-3000:] for d in ("a.example", "b.example"))
