"""Lawful interception orders and the audit trail from the command line.

`securemail intercept add|list|remove` only for an account named in
[intercept] officers that signs in with its password and the current TOTP
code (from the real `oathtool`), given as two lines on stdin (no terminal);
every order change and every refused sign-in is an entry in the audit
trail; `securemail audit verify` passes on the trail as written and fails,
naming the entry, once the file is changed behind its back (triggers
dropped with sqlite3). The gateway side (copies made while an order is in
force) is in test_intercept_gateway.py."""
import json
import os
import sqlite3
import stat
import subprocess
import time

import pytest

from conftest import BIN
from dovecot_host import totp_code


def run(*args, stdin=""):
    # start_new_session: no controlling terminal, so secrets come from stdin.
    return subprocess.run([BIN, *map(str, args)], input=stdin, capture_output=True, text=True, timeout=60,
                          start_new_session=True)


def officer_certificate(folder):
    """A key and self-signed certificate for the authorised recipient (as PEM files)."""
    key, cert = folder / "officer.key", folder / "officer.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "30", "-subj", "/CN=Interception Desk/emailAddress=li-desk@police.example",
                    "-addext", "keyUsage=keyEncipherment,digitalSignature",
                    "-addext", "extendedKeyUsage=emailProtection"], check=True, capture_output=True)
    return key, cert


class World:
    """A config with two officers (olga, oscar: password + TOTP) and one
    account (ned) that is no officer."""

    def __init__(self, tmp_path):
        self.tmp = tmp_path
        self.data = tmp_path / "data"
        self.cfg = tmp_path / "config.toml"
        self.cfg.write_text(f'domain = "a.example"\ndata_dir = "{self.data}"\n'
                            '[intercept]\nofficers = ["olga", "oscar"]\n')
        self.key, self.cert = officer_certificate(tmp_path)
        self.secrets = {}
        for name in ("olga", "oscar", "ned"):
            pw = tmp_path / f"{name}.pw"
            pw.write_text(f"{name} long passphrase\n")
            r = run("user", "--config", self.cfg, "add", name, "--address", f"{name}@a.example", "--password-file", pw)
            assert r.returncode == 0, r.stderr
        for name in ("olga", "ned"):
            r = run("user", "--config", self.cfg, "totp", "enrol", name)
            assert r.returncode == 0, r.stderr
            self.secrets[name] = next(l for l in r.stdout.splitlines() if l.startswith("otpauth://")) \
                .split("secret=")[1].split("&")[0]

    def sign_in(self, name, offset=0, code=None):
        if code is None:
            # A code for the step before is accepted only while the gateway is
            # still in the step it was made in: never start one near a 30 s
            # boundary, as the sign-in (argon2id) may cross it on a loaded machine.
            left = 30 - time.time() % 30
            if left < 10:
                time.sleep(left + 0.2)
            code = totp_code(self.secrets[name], offset)
        return f"{name} long passphrase\n{code}\n"

    def intercept(self, officer, *args, offset=0, code=None, stdin=None):
        return run("intercept", "--config", self.cfg, "--officer", officer, *args,
                   stdin=stdin if stdin is not None else self.sign_in(officer, offset, code))

    def add(self, officer, reference, target="bob@b.example", until="2099-12-31", offset=0, code=None, stdin=None):
        return self.intercept(officer, "add", "--target", target, "--until", until, "--deliver-to",
                              "li-desk@police.example", "--reference", reference, "--certificate", self.cert,
                              offset=offset, code=code, stdin=stdin)

    def audit(self, *args):
        return run("audit", "--config", self.cfg, *args)

    def entries(self, *args):
        r = self.audit("list", "--json", *args)
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)


@pytest.fixture
def world(tmp_path):
    return World(tmp_path)


def test_officer_enters_lists_and_removes_an_order(world):
    r = world.add("olga", "LI-2026-01", target="Bob@B.example", until="2099-12-31", offset=-30)
    assert r.returncode == 0, r.stderr
    assert "in force until 2099-12-31T23:59:59Z" in r.stdout, r.stdout
    assert stat.S_IMODE(os.stat(world.data / "intercept.sqlite").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(world.data / "audit.sqlite").st_mode) == 0o600

    r = world.intercept("olga", "list", "--json", offset=0)
    assert r.returncode == 0, r.stderr
    orders = json.loads(r.stdout)
    assert [(o["reference"], o["target"], o["deliver_to"], o["created_by"]) for o in orders] == [
        ("LI-2026-01", "bob@b.example", "li-desk@police.example", "olga")]
    fingerprint = subprocess.run(["openssl", "x509", "-in", world.cert, "-noout", "-fingerprint", "-sha256"],
                                 capture_output=True, text=True, check=True).stdout
    assert orders[0]["certificate_sha256"] == fingerprint.split("=")[1].strip().replace(":", "").lower()

    r = world.intercept("olga", "remove", "--reference", "LI-2026-01", offset=30)
    assert r.returncode == 0, r.stderr

    entries = world.entries("--reference", "LI-2026-01")
    assert [(e["actor"], e["action"], e["object"]) for e in entries] == [
        ("officer:olga", "intercept.order.add", "bob@b.example"),
        ("officer:olga", "intercept.order.remove", "bob@b.example")]
    assert entries[0]["details"]["until"] == "2099-12-31T23:59:59Z"
    assert [e["action"] for e in world.entries("--action", "intercept.order.")] == [
        "intercept.order.add", "intercept.order.list", "intercept.order.remove"]
    r = world.audit("verify")
    assert r.returncode == 0, r.stderr
    assert "Audit trail intact: 3 entries" in r.stdout

    table = world.audit("list")
    assert table.returncode == 0 and "intercept.order.remove" in table.stdout and "LI-2026-01" in table.stdout


def test_sign_in_must_be_strong_and_by_an_officer(world):
    r = world.add("olga", "LI-1", code="000000" if totp_code(world.secrets["olga"]) != "000000" else "111111")
    assert r.returncode == 1
    assert "sign-in failed: authentication failed" in r.stderr, r.stderr
    r = world.add("olga", "LI-1", stdin="olga long passphrase\n")  # no code at all
    assert r.returncode == 1
    r = world.add("ned", "LI-1")  # has TOTP, but is no officer
    assert r.returncode == 1 and "ned is not an interception officer" in r.stderr, r.stderr
    r = world.add("oscar", "LI-1", stdin="oscar long passphrase\n123456\n")  # officer without TOTP
    assert r.returncode == 1 and "no one-time codes" in r.stderr, r.stderr
    refused = world.entries("--action", "intercept.signin.refused")
    assert [e["object"] for e in refused] == ["olga", "ned", "oscar"]
    assert not (world.data / "intercept.sqlite").exists()


def test_bad_orders_are_refused_with_the_reason(world):
    r = world.intercept("olga", "add", "--target", "bob@b.example", "--until", "2099-02-30", "--deliver-to",
                        "li-desk@police.example", "--reference", "LI-1", "--certificate", world.cert)
    assert r.returncode == 2 and "--until" in r.stderr, r.stderr
    r = world.add("olga", "LI-1", target="bob", offset=-30)
    assert r.returncode == 1 and "neither an address" in r.stderr, r.stderr
    r = world.add("olga", "LI-1", until="2001-01-01", offset=0)
    assert r.returncode == 1 and "already past" in r.stderr, r.stderr
    r = run("intercept", "--config", world.cfg, "--officer", "olga", "add", "--target", "bob@b.example", "--until",
            "2099-01-01", "--deliver-to", "li-desk@police.example", "--reference", "LI-1", "--certificate",
            world.tmp / "missing.pem", stdin=world.sign_in("olga", 30))
    assert r.returncode == 1 and "missing.pem" in r.stderr, r.stderr
    assert world.entries("--action", "intercept.order.") == []


def test_audit_verify_names_the_changed_entry(world):
    assert world.add("olga", "LI-A", offset=-30).returncode == 0
    assert world.add("olga", "LI-B", target="*@c.example", offset=0).returncode == 0
    assert world.audit("verify").returncode == 0
    db = sqlite3.connect(world.data / "audit.sqlite")
    with pytest.raises(sqlite3.DatabaseError):
        db.execute("UPDATE entries SET object = 'eve@b.example' WHERE seq = 1")
    db.execute("DROP TRIGGER entries_no_update")
    db.execute("UPDATE entries SET object = 'eve@b.example' WHERE seq = 1")
    db.commit()
    db.close()
    r = world.audit("verify")
    assert r.returncode == 1
    assert "entry 1 (intercept.order.add, eve@b.example)" in r.stderr, r.stderr
    assert "does not match its hash" in r.stderr, r.stderr


def test_audit_of_a_fresh_data_folder_is_empty(world):
    r = world.audit("verify")
    assert r.returncode == 0 and "nothing to verify" in r.stdout
    assert world.entries() == []
    assert not (world.data / "audit.sqlite").exists()
    r = world.audit("list", "--since", "yesterday")
    assert r.returncode == 2 and "--since" in r.stderr
