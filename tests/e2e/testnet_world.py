"""testnet_world.py - a `securemail testnet` network for the gateway
scenarios: built with the real command on free ports, each gateway a real
`securemail run` process (conftest.Gateway), their Maildirs readable.

    net = Testnet(tmp, ["a.example", "b.example", "c.example"])
    net.build(); net.append_config("a.example", "[routes]\\n...")
    net.start(); ...; net.stop()
"""
import base64
import contextlib
import email
import email.policy
import email.utils
import json
import re
import secrets
import smtplib
import socket
import time
import tomllib
import urllib.request
from pathlib import Path

from conftest import Gateway, securemail, wait_for
from helpers import sealed_as_base64
from smime_peers import (Openssl, crlf, header_value, outer_headers_of, pkcs7_der, run,
                         split_multipart_signed)


class Testnet:
    __test__ = False  # not a test class, despite the name

    FACILITY = "facility.example"  # what `testnet --with-facility` adds

    def __init__(self, root: Path, domains, with_facility=False):
        self.dir = root / "net"
        self.domains = list(domains)
        self.with_facility = with_facility
        self.gateways = {}

    def build(self):
        securemail("testnet", "--dir", self.dir, "--domains", ",".join(self.domains), "--base-port", 0,
                   *(["--with-facility"] if self.with_facility else []), check=True, timeout=120)
        if self.with_facility:
            self.domains.append(self.FACILITY)
        for d in self.domains:
            gw = Gateway(self.dir, d)
            gw.data = gw.dir  # testnet's data_dir is the gateway's own folder
            if d == self.FACILITY:
                gw.command = ["certify", "serve"]
            self.gateways[d] = gw
        return self

    def config(self, domain) -> Path:
        return self.dir / domain / "config.toml"

    def settings(self, domain):
        return tomllib.loads(self.config(domain).read_text())

    def port(self, domain, listener):
        return int(self.settings(domain)["listen"][listener].rsplit(":", 1)[1])

    def append_config(self, domain, text):
        with open(self.config(domain), "a") as f:
            f.write("\n" + text + "\n")

    def replace_config(self, domain, old, new):
        p = self.config(domain)
        body = p.read_text()
        assert old in body, f"{old!r} not in {p}"
        p.write_text(body.replace(old, new))

    def start(self, *domains):
        for d in domains or self.domains:
            self.gateways[d].start()
        return self

    def stop(self, *domains):
        for d in domains or self.domains:
            self.gateways[d].stop()

    def maildir(self, domain, user) -> Path:
        return self.dir / domain / "maildir" / user / "new"

    def messages(self, domain, user):
        new = self.maildir(domain, user)
        if not new.exists():
            return []
        return [email.message_from_bytes(p.read_bytes(), policy=email.policy.compat32)
                for p in sorted(new.iterdir())]

    def wait_message(self, domain, user, subject, timeout=20):
        found = []

        def look():
            found[:] = [m for m in self.messages(domain, user) if m["Subject"] and subject in m["Subject"]]
            return bool(found)
        assert wait_for(look, timeout), f"no {subject!r} for {user}@{domain}\n{self.logs()}"
        return found[0]

    def logs(self):
        return "\n".join(f"--- {d}\n{gw.log_text()[-3000:]}" for d, gw in self.gateways.items())


# ---------------------------------------------------------------------------
# Issue 13 (signed receipts, kept evidence): restarts with another config,
# a gateway that members cannot reach, sealed mail captured from a queue,
# the receipt and report CLIs, and hand-built receipt messages.

RECEIPT_TYPE = "application/pkcs7-mime; smime-type=signed-receipt"


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@contextlib.contextmanager
def running(root, domains, configure=lambda net: None):
    """A testnet built under root, configure(net) applied, every gateway
    started; all stopped afterwards (for a module's fixture)."""
    net = Testnet(root, domains).build()
    configure(net)
    try:
        net.start()
        yield net
    finally:
        net.stop()


def restart(net, domain):
    net.gateways[domain].stop()
    net.gateways[domain].start()


def before_listen(text):
    """A (old, new) edit for config_changed that puts TOML tables in front of [listen]."""
    return "[listen]", text.strip() + "\n\n[listen]"


@contextlib.contextmanager
def config_changed(net, domain, *edits):
    """Run `domain`'s gateway with each (old, new) edit made to its config;
    afterwards with the config it had."""
    path = net.config(domain)
    before = path.read_text()
    for old, new in edits:
        net.replace_config(domain, old, new)
    restart(net, domain)
    try:
        yield net
    finally:
        path.write_text(before)
        restart(net, domain)


@contextlib.contextmanager
def unreachable_inbound(net, domain, *edits):
    """`domain`'s inbound listener moved off the port the directory lists:
    the other members' mail to it (receipts, reports) waits in their queues,
    while its relay listener works as before. Yields the port it listens on
    now. `edits`: more config edits meanwhile (see config_changed)."""
    port = _free_port()
    moved = (f'inbound = "127.0.0.1:{net.port(domain, "inbound")}"', f'inbound = "127.0.0.1:{port}"')
    with config_changed(net, domain, moved, *edits):
        yield port


def gateway_key(net, domain):
    """(key.pem, cert.pem) of the gateway's key set (testnet makes one)."""
    folder = next((net.dir / domain / "pki" / "keys").glob("*/cert.pem")).parent
    return folder / "key.pem", folder / "cert.pem"


def authority_pem(net):
    return net.dir / "authority" / "ca.pem"


def queued(net, domain, predicate=lambda m: True):
    """[(queue list --json entry, octets as queued)] of `domain`'s queue for
    which predicate(entry) holds; sealed copies in the base64 form a peer
    gets over DATA."""
    gw = net.gateways[domain]
    out = []
    for m in json.loads(gw.queue("list", "--json").stdout):
        if predicate(m):
            shown = securemail("queue", "--config", gw.config_path, "show", m["id"], check=True).stdout
            out.append((m, sealed_as_base64(shown.split(b" ***\n", 2)[2])))
    return out


def wait_queued(net, domain, predicate, timeout=20):
    found = []

    def look():
        found[:] = queued(net, domain, predicate)
        return bool(found)
    assert wait_for(look, timeout), f"nothing matching in {domain}'s queue\n{net.logs()}"
    return found


def is_receipt_for(net, member_domain):
    """Predicate for queue entries: own mail (null sender) to member_domain's receipt address."""
    address = f"securemail-receipts@{member_domain}"
    return lambda m: m["sender"] == "" and any(r["address"] == address for r in m["recipients"])


def open_sealed(net, domain, sealed: bytes) -> bytes:
    """The signed entity inside a sealed message, decrypted with `domain`'s key (openssl cms)."""
    key, cert = gateway_key(net, domain)
    return run(["openssl", "cms", "-decrypt", "-inform", "DER", "-recip", cert, "-inkey", key, "-binary"],
               input=pkcs7_der(sealed)).stdout


def receipts(net, domain, *args):
    """`securemail receipts list --config F --json ARGS...` as a list of dicts."""
    r = securemail("receipts", "list", "--config", net.config(domain), "--json", *args, check=True)
    return json.loads(r.stdout)


def reports(net, domain, user, marker=None):
    """The multipart/report messages in user's Maildir (containing `marker` bytes, when given)."""
    new = net.maildir(domain, user)
    if not new.exists():
        return []
    out = []
    for p in sorted(new.iterdir()):
        raw = p.read_bytes()
        msg = email.message_from_bytes(raw, policy=email.policy.compat32)
        if msg.get_content_type() == "multipart/report" and (marker is None or marker.encode() in raw):
            out.append(msg)
    return out


def wait_reports(net, domain, user, marker, n=1, timeout=30):
    assert wait_for(lambda: len(reports(net, domain, user, marker)) >= n, timeout), \
        f"no report about {marker} for {user}@{domain}\n{net.logs()}"
    return reports(net, domain, user, marker)


def report_fields(report):
    """The per-message and per-recipient fields of a report's message/delivery-status part, as text."""
    for part in report.walk():
        if part.get_content_type() == "message/delivery-status":
            payload = part.get_payload()
            if isinstance(payload, list):  # compat32 parses it as a list of header blocks
                return "\n".join(str(p) for p in payload)
            return str(payload)
    return ""


def receipt_parts(msg):
    """The DER of every application/pkcs7-mime; smime-type=signed-receipt part of a message."""
    out = []
    for part in msg.walk():
        ctype = " ".join((part.get("Content-Type") or "").split()).lower()
        if part.get_content_type() == "application/pkcs7-mime" and "smime-type=signed-receipt" in ctype:
            out.append(part.get_payload(decode=True))
    return out


def inner_message(signed_entity: bytes) -> bytes:
    """The message inside an S/MIME signed entity (multipart/signed: its first part)."""
    return split_multipart_signed(crlf(signed_entity))[0]


def fresh_binding(message: bytes) -> str:
    """The message's SecureMail-Envelope field with a new seal id and the
    time now: a receiving gateway takes a message carrying it as a new
    sealed message (not a replay) for the same envelope."""
    v = header_value(message, "SecureMail-Envelope")
    assert v, f"no SecureMail-Envelope in {message[:500]!r}"
    v = re.sub(r"(?i)\bid=[0-9A-Za-z_-]+", "id=" + secrets.token_hex(16), v, count=1)
    v = re.sub(r"(?i)\bt=\d+", "t=" + str(int(time.time())), v, count=1)
    return "SecureMail-Envelope: " + v


def reseal(net, signer_domain, recipient_domain, message: bytes) -> bytes:
    """`securemail smime seal` of `message` with signer_domain's keys to recipient_domain's gateway."""
    _, cert = gateway_key(net, recipient_domain)
    return securemail("smime", "--config", net.config(signer_domain), "seal", "--to", cert, input=message,
                      check=True).stdout


def receipt_message(sender_domain, receipts_to, recipient, original_id, receipt_der, binding=None) -> bytes:
    """A receipt message in the format gateways exchange (common.md of issue
    13): From MAILER-DAEMON@sender_domain, the receipt as an attachment."""
    boundary = "=_receipt_" + secrets.token_hex(8)
    b64 = base64.encodebytes(receipt_der).decode().replace("\n", "\r\n")
    lines = ([binding] if binding else []) + [
        f"From: MAILER-DAEMON@{sender_domain}", f"To: {receipts_to}",
        f"Subject: Signed receipt: {original_id}", f"Date: {email.utils.formatdate(localtime=False)}",
        f"Message-ID: <{secrets.token_hex(12)}@{sender_domain}>", "Auto-Submitted: auto-replied",
        f"SecureMail-Receipt-For: {recipient}", f"SecureMail-Receipt-Message-Id: {original_id}",
        "MIME-Version: 1.0", f'Content-Type: multipart/mixed; boundary="{boundary}"', "",
        f"--{boundary}", "Content-Type: text/plain; charset=us-ascii", "",
        f"The message {original_id} was delivered to {recipient}.", f"--{boundary}",
        'Content-Type: application/pkcs7-mime; smime-type=signed-receipt; name="receipt.p7m"',
        "Content-Transfer-Encoding: base64", 'Content-Disposition: attachment; filename="receipt.p7m"', "",
        b64.rstrip("\r\n"), f"--{boundary}--", ""]
    return "\r\n".join(lines).encode()


def metric(net, domain, name):
    """The sum of a metric's series (any labels) at the gateway's /metrics; 0 when absent."""
    with urllib.request.urlopen(f"http://127.0.0.1:{net.port(domain, 'admin')}/metrics", timeout=5) as r:
        text = r.read().decode()
    return sum(float(m.group(1)) for m in re.finditer(rf"^{re.escape(name)}(?:\{{[^}}]*\}})? (\S+)$", text, re.M))


def wait_directory(net, *domains, timeout=20):
    """Each gateway holds a directory (its first fetch, after start, is done):
    before it a member's unsealed mail is ordinary mail from a non-member."""
    for d in domains or net.domains:
        assert wait_for(lambda: (metric(net, d, "securemail_directory_serial") or 0) > 0, timeout), \
            f"{d} holds no directory after {timeout} s\n{net.logs()}"


def receipts_total(net, domain):
    """{result: value} of securemail_receipts_total at the gateway's /metrics."""
    with urllib.request.urlopen(f"http://127.0.0.1:{net.port(domain, 'admin')}/metrics", timeout=5) as r:
        text = r.read().decode()
    return {m.group(1): float(m.group(2))
            for m in re.finditer(r'^securemail_receipts_total\{result="([^"]+)"\} (\S+)$', text, re.M)}


def new_message_id(tag):
    return f"<{tag}.{secrets.token_hex(6)}@a.example>"


def compose(from_addr, to_addrs, subject, message_id, body="x", extra=()):
    lines = [f"From: {from_addr}", f"To: {', '.join(to_addrs)}", f"Subject: {subject}",
             f"Date: {email.utils.formatdate(localtime=False)}", f"Message-ID: {message_id}", *extra, "", body, ""]
    return "\r\n".join(lines).encode()


def send(port, sender, rcpts, message, source=None, rcpt_options=()):
    """Send one message to 127.0.0.1:port (from the address `source`, when
    given); (code, text) of the reply that ended it (250 when accepted)."""
    try:
        with smtplib.SMTP("127.0.0.1", port, source_address=(source, 0) if source else None, timeout=30) as s:
            refused = s.sendmail(sender, rcpts, message, rcpt_options=list(rcpt_options))
            assert not refused, refused
            return 250, "ok"
    except smtplib.SMTPRecipientsRefused as e:
        code, msg = next(iter(e.recipients.values()))
        return code, msg.decode(errors="replace")
    except smtplib.SMTPResponseException as e:
        return e.smtp_code, e.smtp_error.decode(errors="replace")


def results(msg, host):
    """Our Authentication-Results values, unfolded."""
    values = [" ".join(v.split()) for v in msg.get_all("Authentication-Results", [])]
    return [v for v in values if v.split(";")[0].strip().lower() == host]


def openssl_sealed_with_request(net, signer_domain, recipient_domain, message: bytes, receipts_to, tmp):
    """`message` signed by signer_domain's gateway key with `openssl cms -sign
    -receipt_request_to RECEIPTS_TO -receipt_request_all` and encrypted to
    recipient_domain's gateway with `openssl cms -encrypt`. (sealed message,
    the signed entity as written to tmp/signed.eml)"""
    key, cert = gateway_key(net, signer_domain)
    signed = run(["openssl", "cms", "-sign", "-signer", cert, "-inkey", key, "-md", "sha256", "-crlfeol", "-binary",
                  "-receipt_request_to", receipts_to, "-receipt_request_all"], input=message).stdout
    (tmp / "signed.eml").write_bytes(signed)
    _, recipient_cert = gateway_key(net, recipient_domain)
    return Openssl().encrypt(signed, [recipient_cert], outer=outer_headers_of(message)), tmp / "signed.eml"
