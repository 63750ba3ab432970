"""Postfix as the next hop of a sealed copy: CHUNKING without BINARYMIME.

Gateway a seals mail for member b and stores the copy binary (DER). Here
b's endpoint is a private Postfix instance instead of gateway b: it listens
on b's inbound port and presents b's gateway certificate, so a's pinned TLS
accepts it. Postfix (>= 3.4) offers CHUNKING but not BINARYMIME, so a sends
BDAT with the copy converted to base64 on the fly. What Postfix put in
bob's mailbox opens with `securemail smime open` (b's keys) and with
`openssl cms -decrypt` using b's key.
Needs root (a private Postfix instance); a few seconds.
"""
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import securemail, wait_for
from postfix_org import OrgPostfix, main_cf_with
from test_gateway_sealed import compose, send
from testnet_world import Testnet

pytestmark = pytest.mark.skipif(not (shutil.which("postfix") or os.path.exists("/usr/sbin/postfix"))
                                or os.geteuid() != 0,
                                reason="needs /usr/sbin/postfix and root for a private instance")


class PostfixAsMemberB(OrgPostfix):
    """bob@b.example's mailbox behind smtpd on gateway b's inbound port,
    with b's gateway key and certificate for STARTTLS."""

    def __init__(self, workdir, net):
        super().__init__(workdir, "b.example", ["bob"], net.port("b.example", "relay"))
        self.port = net.port("b.example", "inbound")
        keys = next((net.dir / "b.example" / "pki" / "keys").glob("*/cert.pem")).parent
        self.tls_key, self.tls_cert = keys / "key.pem", keys / "cert.pem"

    def setup(self):
        super().setup()
        main_cf = Path(self.conf) / "main.cf"
        main_cf.write_text(main_cf_with(main_cf.read_text(), {
            "smtpd_tls_security_level": "may",
            "smtpd_tls_chain_files": f"{self.tls_key}, {self.tls_cert}",
        }))


@pytest.fixture
def world(tmp_path):
    net = Testnet(tmp_path, ["a.example", "b.example"]).build()
    postfix_dir = Path(tempfile.mkdtemp(prefix="sm-bdat-postfix-"))
    postfix_dir.chmod(0o711)  # Postfix daemons open their files by absolute path
    pf = PostfixAsMemberB(postfix_dir, net)
    try:
        pf.setup()
        pf.start()
        net.start("a.example")
        yield net, pf
    finally:
        net.stop("a.example")
        pf.stop()
        shutil.rmtree(postfix_dir, ignore_errors=True)


def test_sealed_copy_to_postfix_goes_as_base64_over_bdat(world):
    net, pf = world
    body = "for bob, through a plain MTA\r\n" * 3000  # about 90 KiB: several BDAT chunks once base64
    assert send(net.port("a.example", "relay"), "alice@a.example", ["bob@b.example"],
                compose("Alice <alice@a.example>", ["bob@b.example"], "via postfix", body))[0] == 250
    assert wait_for(lambda: pf.mailbox("bob"), 30), net.gateways["a.example"].log_text()[-3000:] + pf.log_tail()
    a_log = net.gateways["a.example"].log_text()
    assert "with BDAT, converted to base64" in a_log, a_log[-3000:]
    assert "BODY=BINARYMIME" not in a_log
    stored = pf.mailbox("bob")[0]
    assert stored.get_content_type() == "application/pkcs7-mime"
    assert stored["Content-Transfer-Encoding"].strip() == "base64"
    raw = stored.raw
    body_lines = raw.split(b"\n\n", 1)[1].split(b"\n")  # Maildir: LF line ends
    assert b"\x00" not in raw and all(len(line.rstrip(b"\r")) <= 76 for line in body_lines)
    assert len(body_lines) > 100

    # b's gateway opens it: verified, the original restored.
    opened = securemail("smime", "--config", net.config("b.example"), "open", input=raw)
    assert opened.returncode == 0, opened.stderr.decode(errors="replace")
    assert b"Subject: via postfix" in opened.stdout
    assert b"for bob, through a plain MTA" in opened.stdout

    # And OpenSSL's own S/MIME reader decrypts it with b's key.
    eml = Path(pf.base) / "bob.eml"
    eml.write_bytes(raw)
    r = subprocess.run(["openssl", "cms", "-decrypt", "-in", str(eml), "-inkey", str(pf.tls_key),
                        "-recip", str(pf.tls_cert)], capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    assert b"Subject: via postfix" in r.stdout
