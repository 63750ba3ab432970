"""Issue 16 (audit): security events in the audit trail of a running
gateway. A forged (unsealed) message claiming a member domain and a failed
AUTH each leave an entry (reason, client, domain; never the Subject or
body); `audit export` re-checks with the recipe in docs/audit.md and a
modified export does not; a row changed behind the trail's back makes
`audit verify` exit 1; bad [audit] keys are named file:line:key.
"""
import json
import re
import smtplib
import sqlite3
import ssl
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import securemail, wait_for
from testnet_world import Testnet, send, wait_directory

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    root = tmp_path_factory.mktemp("audit")
    n = Testnet(root, ["a.example", "b.example"]).build()
    n.replace_config("a.example", "[listen]", '[listen]\nsubmission = "127.0.0.1:0"')
    pw = root / "carol.pw"
    pw.write_text("carol-pass-1\n")
    securemail("user", "add", "carol", "--config", n.config("a.example"), "--password-file", pw,
               "--address", "carol@a.example", check=True)
    try:
        n.start()
        wait_directory(n)  # the first test sends unsealed mail claiming a member's domain
        yield n
    finally:
        n.stop()


def entries(net, domain, action):
    r = securemail("audit", "list", "--config", net.config(domain), "--action", action, "--json", check=True)
    return json.loads(r.stdout)


def recipe():
    """The python recipe of docs/audit.md, as written there."""
    doc = (ROOT / "docs" / "audit.md").read_text()
    return re.search(r"```python\n(.*?)```", doc, re.S).group(1)


def check_export(tmp_path, lines):
    f = tmp_path / "export.jsonl"
    f.write_text("".join(l + "\n" for l in lines))
    script = tmp_path / "check.py"
    script.write_text(recipe())
    return subprocess.run([sys.executable, script, f], capture_output=True, text=True)


def test_a_forged_message_is_recorded_without_its_subject(net):
    msg = ("From: alice@a.example\r\nTo: bob@b.example\r\nSubject: secret-subject-xyz\r\n\r\n"
           "secret-body-xyz\r\n").encode()
    code, reply = send(net.port("b.example", "inbound"), "alice@a.example", ["bob@b.example"], msg)
    assert code == 550, reply
    assert wait_for(lambda: entries(net, "b.example", "mail.spoof"), timeout=10)
    e = entries(net, "b.example", "mail.spoof")[0]
    assert e["object"] == "a.example" and e["actor"] == "gateway"
    assert e["details"]["reason"] == "unsealed" and e["details"]["client"] == "127.0.0.1", e
    raw = (net.gateways["b.example"].data / "audit.sqlite").read_bytes()
    assert b"secret-subject-xyz" not in raw and b"secret-body-xyz" not in raw


def test_a_failed_sign_in_is_recorded(net):
    with smtplib.SMTP(*net.gateways["a.example"].addr("submission"), timeout=30) as s:
        ctx = ssl.create_default_context()
        ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
        s.starttls(context=ctx)
        s.ehlo()
        s.user, s.password = "carol", "wrong-password"
        with pytest.raises(smtplib.SMTPAuthenticationError):
            s.auth("PLAIN", s.auth_plain)
    assert wait_for(lambda: entries(net, "a.example", "auth."), timeout=10)
    found = entries(net, "a.example", "auth.")
    assert found[0]["action"] == "auth.signin.failed" and found[0]["object"] == "carol", found
    assert found[0]["details"]["client"] == "127.0.0.1"
    assert "wrong-password" not in json.dumps(found)


def test_an_export_verifies_and_a_modified_one_does_not(net, tmp_path):
    out = tmp_path / "trail.jsonl"
    securemail("audit", "export", "--config", net.config("b.example"), "--since", "1d", "--out", out, check=True)
    lines = out.read_text().splitlines()
    assert lines and all("hash" in json.loads(l) or "checkpoint" in json.loads(l) for l in lines)
    ok = check_export(tmp_path, lines)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    changed = json.loads(lines[-1])
    changed["object"] = "innocent.example"
    bad = check_export(tmp_path, lines[:-1] + [json.dumps(changed)])
    assert bad.returncode != 0 and "broken" in bad.stdout + bad.stderr
    if len(lines) > 1:
        dropped = check_export(tmp_path, lines[1:] if "checkpoint" not in lines[0] else [lines[0]] + lines[2:])
        assert dropped.returncode != 0


def test_export_needs_since_and_a_sane_range(net):
    r = securemail("audit", "export", "--config", net.config("b.example"))
    assert r.returncode == 2
    r = securemail("audit", "export", "--config", net.config("b.example"), "--since", "1d", "--until", "2d")
    assert r.returncode == 2 and b"--until" in r.stderr


def test_bad_audit_keys_are_named(net, tmp_path):
    for text, key in [('[audit]\nretention = "1h"', "audit.retention"),
                      ('[audit]\nretention = "soon"', "audit.retention"),
                      ('[audit]\naddresses = "scrambled"', "audit.addresses")]:
        cfg = tmp_path / "bad.toml"
        cfg.write_text(net.config("b.example").read_text() + "\n" + text + "\n")
        r = securemail("audit", "list", "--config", cfg)
        assert r.returncode == 2 and key.encode() in r.stderr and b"bad.toml:" in r.stderr, r.stderr


def test_a_changed_row_makes_verify_fail(net):
    net.stop("b.example")
    ok = securemail("audit", "verify", "--config", net.config("b.example"))
    assert ok.returncode == 0, ok.stderr
    db = sqlite3.connect(net.gateways["b.example"].data / "audit.sqlite")
    db.executescript("DROP TRIGGER entries_no_update; UPDATE entries SET object = 'x.example' WHERE seq = 1;")
    db.close()
    bad = securemail("audit", "verify", "--config", net.config("b.example"))
    assert bad.returncode == 1 and b"entry 1 " in bad.stderr, bad.stderr
