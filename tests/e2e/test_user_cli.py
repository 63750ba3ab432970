"""`securemail user`: mailbox accounts from the command line, checked with
the diagnostic `user check` (the same AccountStore::check that SMTP AUTH
uses). TOTP codes come from the real `oathtool --totp -b SECRET`, as an
authenticator app would compute them from the enrolment URI; the PNG is
checked as a PNG (signature, chunk CRCs, size); passwords only ever come
from a file or a terminal, never from argv."""
import json
import os
import re
import stat
import struct
import subprocess
import zlib

import pytest

from conftest import BIN


def user(cfg, *args, stdin=subprocess.DEVNULL):
    # start_new_session: no controlling terminal, so nothing can be asked interactively.
    return subprocess.run([BIN, "user", "--config", str(cfg), *args], capture_output=True, text=True,
                          timeout=60, stdin=stdin, start_new_session=True)


@pytest.fixture
def cfg(tmp_path):
    c = tmp_path / "config.toml"
    c.write_text(f'domain = "b.example"\ndata_dir = "{tmp_path / "data"}"\n[auth]\nissuer = "B Mail"\n')
    return c


def secret_file(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text + "\n")
    p.chmod(0o600)
    return str(p)


def check(cfg, tmp_path, secret):
    return user(cfg, "check", "alice", "--password-file", secret_file(tmp_path, "secret", secret))


def test_account_life_cycle(cfg, tmp_path):
    pw = secret_file(tmp_path, "pw", "correct horse battery")
    r = user(cfg, "add", "alice", "--address", "alice@b.example", "--address", "a.smith@b.example",
             "--password-file", pw)
    assert r.returncode == 0, r.stderr
    assert stat.S_IMODE(os.stat(tmp_path / "data" / "accounts.sqlite").st_mode) == 0o600

    r = check(cfg, tmp_path, "correct horse battery")
    assert r.returncode == 0, r.stderr
    assert "method=password strong=no" in r.stdout
    r = check(cfg, tmp_path, "wrong horse battery")
    assert r.returncode == 1
    assert "535 5.7.8 authentication failed" in r.stderr

    # TOTP: the URI on its own line, ten recovery codes, a PNG only its owner reads.
    png = tmp_path / "qr.png"
    r = user(cfg, "totp", "enrol", "alice", "--png", str(png))
    assert r.returncode == 0, r.stderr
    uris = [l for l in r.stdout.splitlines() if l.startswith("otpauth://")]
    assert len(uris) == 1, r.stdout
    m = re.fullmatch(r"otpauth://totp/B%20Mail:alice\?secret=([A-Z2-7]{32})&issuer=B%20Mail"
                     r"&algorithm=SHA1&digits=6&period=30", uris[0])
    assert m, uris[0]
    secret = m.group(1)
    codes = re.findall(r"^  ([2-9a-z]{4}-[2-9a-z]{4}-[2-9a-z]{4})$", r.stdout, re.M)
    assert len(codes) == 10 and len(set(codes)) == 10, r.stdout
    assert "\u2588" in r.stdout  # the QR code drawn in the terminal
    assert stat.S_IMODE(os.stat(png).st_mode) == 0o600
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    at, chunks = 8, []
    while at < len(data):
        (length,) = struct.unpack(">I", data[at:at + 4])
        kind, body = data[at + 4:at + 8], data[at + 8:at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length:at + 12 + length])
        assert crc == zlib.crc32(kind + body), kind
        chunks.append((kind, body))
        at += 12 + length
    assert [k for k, _ in chunks] == [b"IHDR", b"IDAT", b"IEND"]
    width, height = struct.unpack(">II", chunks[0][1][:8])
    assert width == height and width >= 29 * 8
    assert len(zlib.decompress(chunks[1][1])) == (width + 1) * height

    code = subprocess.run(["oathtool", "--totp", "-b", secret], capture_output=True, text=True,
                          check=True).stdout.strip()
    r = check(cfg, tmp_path, "correct horse battery" + code)
    assert r.returncode == 0, r.stderr
    assert "method=totp strong=yes" in r.stdout
    r = check(cfg, tmp_path, "correct horse battery" + code)  # the same code again: refused
    assert r.returncode == 1 and "535 5.7.8" in r.stderr

    r = check(cfg, tmp_path, "correct horse battery" + codes[0])
    assert r.returncode == 0 and "method=recovery strong=yes" in r.stdout, r.stderr
    assert check(cfg, tmp_path, "correct horse battery" + codes[0]).returncode == 1

    # A device password, shown once; its use recorded.
    r = user(cfg, "device", "add", "alice", "--name", "phone")
    assert r.returncode == 0, r.stderr
    device = re.search(r"^  ([a-z]{4}(?:-[a-z]{4}){6})$", r.stdout, re.M).group(1)
    r = check(cfg, tmp_path, device)
    assert r.returncode == 0 and "method=device strong=yes" in r.stdout, r.stderr
    devices = json.loads(user(cfg, "device", "list", "alice", "--json").stdout)
    assert devices[0]["name"] == "phone" and devices[0]["last_used_at"] and devices[0]["strong"]

    r = user(cfg, "flag", "set", "alice", "identity-verified", "--level", "document", "--by", "ops:carol")
    assert r.returncode == 0, r.stderr
    shown = json.loads(user(cfg, "show", "alice", "--json").stdout)
    assert shown["addresses"] == ["alice@b.example", "a.smith@b.example"]
    assert shown["totp"] and shown["strong_capable"] and shown["recovery_codes_left"] == 9
    assert shown["assurance"]["identity_verified"]["level"] == "document"
    assert shown["assurance"]["identity_verified"]["by"] == "ops:carol"
    listed = json.loads(user(cfg, "list", "--json").stdout)
    assert [a["name"] for a in listed] == ["alice"]
    for secret_text in ("correct horse battery", codes[1], device, secret):
        assert secret_text not in json.dumps(listed) + json.dumps(shown)

    assert user(cfg, "disable", "alice").returncode == 0
    assert check(cfg, tmp_path, device).returncode == 1
    assert user(cfg, "enable", "alice").returncode == 0
    assert user(cfg, "device", "revoke", "alice", "--name", "phone").returncode == 0
    assert check(cfg, tmp_path, device).returncode == 1
    assert user(cfg, "delete", "alice").returncode == 0
    assert json.loads(user(cfg, "list", "--json").stdout) == []


def test_bad_input_named(cfg, tmp_path):
    pw = secret_file(tmp_path, "pw", "correct horse battery")
    r = user(cfg, "add", "alice", "--address", "alice@elsewhere.example", "--password-file", pw)
    assert r.returncode == 2
    assert "address alice@elsewhere.example is not in this gateway's domains (b.example)" in r.stderr
    r = user(cfg, "add", "alice", "--address", "alice@b.example", "--password-file", secret_file(tmp_path, "s", "short"))
    assert r.returncode == 1 and "too short" in r.stderr
    assert user(cfg, "add", "alice", "--address", "alice@b.example", "--password-file", pw).returncode == 0
    r = user(cfg, "add", "alice", "--address", "alice2@b.example", "--password-file", pw)
    assert r.returncode == 1 and 'account "alice" already exists' in r.stderr
    r = user(cfg, "show", "bob")
    assert r.returncode == 1 and 'no account "bob"' in r.stderr
    r = user(cfg, "flag", "set", "alice", "vip", "--by", "ops")
    assert r.returncode == 2
    r = user(cfg, "flag", "set", "alice", "identity-verified", "--by", "ops")
    assert r.returncode == 1 and "needs a level" in r.stderr
    r = user(cfg, "totp", "enrol", "alice", "--png", str(tmp_path / "no" / "such" / "dir.png"))
    assert r.returncode == 1 and "cannot create" in r.stderr
    assert not json.loads(user(cfg, "show", "alice", "--json").stdout)["totp"]  # nothing enrolled


def test_passwords_never_from_argv(cfg, tmp_path):
    r = user(cfg, "add", "alice", "--address", "alice@b.example", "--password", "correct horse battery")
    assert r.returncode == 2  # no such option
    r = user(cfg, "add", "alice", "--address", "alice@b.example")  # no file, no terminal
    assert r.returncode == 1
    assert "pass --password-file FILE" in r.stderr
    assert json.loads(user(cfg, "list", "--json").stdout) == []
