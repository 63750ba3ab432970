"""PKI from the operator's seat: create an authority, issue and revoke
gateway certificates, set up a gateway with `securemail init`, rotate its
key, back it up and restore it on a new machine. OpenSSL's own tools judge
every certificate and CRL we make; passphrases come only from files or a
terminal, never from arguments."""
import fcntl
import json
import os
import select
import stat
import subprocess
import termios
import time

import pytest

from conftest import BIN, Gateway, securemail, text
from smime_peers import message, run

PASS = "correct horse battery staple"


@pytest.fixture(scope="module")
def secret(pki_world):
    f = pki_world.root / "passphrase.txt"
    f.write_text(PASS + "\n")
    f.chmod(0o600)
    return f


@pytest.fixture(scope="module")
def enc_auth(pki_world, secret):
    return pki_world.authority("enc-auth", "--encrypt-key", "--passphrase-file", secret, "--key-type", "ec-p256")


def x509_text(pem):
    return run(["openssl", "x509", "-in", pem, "-noout", "-text"]).stdout.decode()


def verify(cert, auth, *extra):
    return subprocess.run(["openssl", "verify", "-CAfile", auth / "ca.pem", "-purpose", "smimesign", *map(str, extra),
                           str(cert)], capture_output=True, text=True)


def run_on_terminal(args, answers, timeout=30):
    """Run securemail with a pseudo-terminal as its controlling terminal (what
    /dev/tty opens) and stdin closed; type each answer once one more
    prompt has appeared. Returns (returncode, terminal text, stderr)."""
    master, slave = os.openpty()

    def take_terminal():
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)

    p = subprocess.Popen([BIN, *map(str, args)], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, preexec_fn=take_terminal, pass_fds=(slave,))
    os.close(slave)
    shown, deadline = b"", time.time() + timeout

    def read_some(wait):
        nonlocal shown
        if select.select([master], [], [], wait)[0]:
            try:
                shown += os.read(master, 4096)
            except OSError:  # EIO: the child closed the terminal
                return False
        return True

    try:
        for i, answer in enumerate(answers):
            while shown.count(b": ") <= i and time.time() < deadline and read_some(0.2):  # prompts end in ": "
                pass
            os.write(master, answer.encode() + b"\n")
        out, err = p.communicate(timeout=max(1, deadline - time.time()))
        read_some(0)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        os.close(master)
    return p.returncode, shown.decode(errors="replace"), err.decode(errors="replace")


# ----------------------------------------------------------------- authority

def test_authority_init_makes_a_ca_openssl_accepts(auth):
    assert (auth / "ca.pem").exists() and (auth / "crl.pem").exists()
    assert stat.S_IMODE((auth / "ca.key").stat().st_mode) == 0o600
    t = x509_text(auth / "ca.pem")
    assert "CA:TRUE" in t and "Certificate Sign, CRL Sign" in t
    assert "SecureMail Test Authority auth" in t
    assert "BEGIN PRIVATE KEY" in (auth / "ca.key").read_text()  # plain, but 0600
    r = run(["openssl", "crl", "-in", auth / "crl.pem", "-noout", "-text"]).stdout.decode()
    assert "No Revoked Certificates" in r


def test_authority_init_encrypted_key(enc_auth):
    key = enc_auth / "ca.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert "BEGIN ENCRYPTED PRIVATE KEY" in key.read_text()
    # openssl reads it back only with the passphrase
    bad = subprocess.run(["openssl", "pkey", "-in", str(key), "-passin", "pass:wrong", "-noout"], capture_output=True)
    assert bad.returncode != 0
    run(["openssl", "pkey", "-in", key, "-passin", f"pass:{PASS}", "-noout"])


def test_authority_refuses_existing_folder(auth):
    r = securemail("pki", "authority", "init", "--dir", auth)
    assert r.returncode == 1, text(r)
    assert str(auth) in text(r) or "already" in text(r)


def test_passphrase_from_the_terminal_without_echo(tmp_path):
    d = tmp_path / "auth"
    rc, shown, err = run_on_terminal(["pki", "authority", "init", "--dir", d, "--encrypt-key"],
                                     ["typed secret", "typed secret"])
    assert rc == 0, err + shown
    assert "typed secret" not in shown  # echo was off
    assert "BEGIN ENCRYPTED PRIVATE KEY" in (d / "ca.key").read_text()
    run(["openssl", "pkey", "-in", d / "ca.key", "-passin", "pass:typed secret", "-noout"])
    # the confirmation must match
    rc, shown, err = run_on_terminal(["pki", "authority", "init", "--dir", tmp_path / "auth2", "--encrypt-key"],
                                     ["one thing", "another"])
    assert rc == 1 and not (tmp_path / "auth2" / "ca.key").exists(), err + shown
    # and using the key asks once
    rc, shown, err = run_on_terminal(["pki", "crl", "--authority", d], ["typed secret"])
    assert rc == 0, err + shown
    assert str(d / "ca.key") in shown


def test_encrypt_key_without_passphrase_file_and_no_tty_fails_clearly(tmp_path):
    # No terminal at all (new session, stdin closed): must fail at once, not wait for a prompt.
    d = tmp_path / "auth"
    r = subprocess.run([BIN, "pki", "authority", "init", "--dir", str(d), "--encrypt-key"],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=20, start_new_session=True)
    assert r.returncode == 1, r.stderr
    assert "--passphrase-file" in r.stderr
    assert not (d / "ca.key").exists()


def test_passphrase_is_never_an_argument(tmp_path):
    for flag in ("--passphrase", "--password", "--pass"):
        r = securemail("pki", "authority", "init", "--dir", tmp_path / "x", "--encrypt-key", flag, "secret")
        assert r.returncode == 2, text(r)
        assert flag in r.stderr.decode()
    assert "--passphrase-file" in securemail("pki", "authority", "init", "--help").stdout.decode()
    assert not (tmp_path / "x").exists()


def test_help_everywhere():
    for cmd in (["pki"], ["pki", "authority", "init"], ["pki", "issue"], ["pki", "revoke"], ["pki", "crl"],
                ["pki", "list"], ["init"], ["keys"], ["keys", "show"], ["keys", "rotate"], ["keys", "backup"],
                ["keys", "restore"], ["smime"], ["smime", "seal"], ["smime", "sign"], ["smime", "open"],
                ["smime", "verify"]):
        r = securemail(*cmd, "--help")
        assert r.returncode == 0 and b"Usage" in r.stdout, cmd


@pytest.mark.parametrize("args,names", [
    (["pki", "issue", "--domain", "x.example", "--public-key", "/nonexistent.pem"], "--public-key"),
    (["pki", "issue", "--public-key", "PUB"], "--domain"),
    (["pki", "issue", "--domain", "x.example"], "--public-key"),
    (["pki", "issue", "--domain", "x.example", "--public-key", "PUB", "--csr", "PUB"], "--csr"),
    (["pki", "authority", "init", "--dir", "NEW", "--key-type", "dsa-1024"], "--key-type"),
    (["pki", "revoke", "01", "--reason", "bored"], "--reason"),
    (["keys", "show"], "--config"),
    (["smime", "seal", "--data", "NEW"], "--to"),
])
def test_bad_usage_exits_2_naming_the_option(auth, tmp_path, args, names):
    pub = tmp_path / "pub.pem"
    pub.write_text("x")
    args = [str(pub) if a == "PUB" else str(tmp_path / "new") if a == "NEW" else a for a in args]
    if args[:2] in (["pki", "issue"], ["pki", "revoke"]):
        args += ["--authority", str(auth)]
    r = securemail(*args)
    assert r.returncode == 2, text(r)
    assert names in r.stderr.decode(), r.stderr


# -------------------------------------------------------------------- issue

def test_issue_from_public_key(auth, tmp_path):
    run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", tmp_path / "k.pem"])
    run(["openssl", "pkey", "-in", tmp_path / "k.pem", "-pubout", "-out", tmp_path / "pub.pem"])
    out = tmp_path / "cert.pem"
    r = securemail("pki", "issue", "--authority", auth, "--domain", "c.example", "--domain", "mail.c.example",
                   "--admin", "postmaster@c.example", "--org", "C Org", "--public-key", tmp_path / "pub.pem",
                   "--out", out)
    assert r.returncode == 0, text(r)
    assert b"issued serial" in r.stderr
    v = verify(out, auth)
    assert v.returncode == 0 and ": OK" in v.stdout, v.stdout + v.stderr
    t = x509_text(out)
    assert "DNS:c.example" in t and "DNS:mail.c.example" in t and "email:postmaster@c.example" in t
    assert "E-mail Protection" in t and "TLS Web Server Authentication" in t and "TLS Web Client Authentication" in t
    assert "O = C Org" in t and "CN = c.example" in t
    assert "CA:FALSE" in t and "Digital Signature, Key Agreement" in t
    # the certificate matches the key
    mod = lambda args: run(["openssl", *args]).stdout
    assert mod(["pkey", "-in", tmp_path / "k.pem", "-pubout"]) == mod(["x509", "-in", out, "-noout", "-pubkey"])


def test_issue_from_csr_uses_only_its_key(auth, tmp_path):
    run(["openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", tmp_path / "k.pem",
         "-subj", "/CN=evil.example/O=Evil", "-addext", "subjectAltName=DNS:evil.example",
         "-out", tmp_path / "req.csr"])
    r = securemail("pki", "issue", "--authority", auth, "--domain", "d.example", "--csr", tmp_path / "req.csr")
    assert r.returncode == 0, text(r)
    cert = tmp_path / "cert.pem"
    cert.write_bytes(r.stdout)  # PEM on stdout without --out
    assert verify(cert, auth).returncode == 0
    t = x509_text(cert)
    assert "DNS:d.example" in t and "evil" not in t.lower()
    assert "email:securemailadmin@d.example" in t
    assert "Digital Signature, Key Encipherment" in t


def test_issue_rejects_a_csr_whose_signature_fails(auth, tmp_path):
    run(["openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", tmp_path / "k.pem",
         "-subj", "/CN=x", "-outform", "DER", "-out", tmp_path / "req.der"])
    der = bytearray((tmp_path / "req.der").read_bytes())
    der[-10] ^= 0x01  # inside the signature
    (tmp_path / "bad.der").write_bytes(bytes(der))
    r = securemail("pki", "issue", "--authority", auth, "--domain", "e.example", "--csr", tmp_path / "bad.der")
    assert r.returncode == 1, text(r)
    assert "signature does not verify" in r.stderr.decode()


def test_issue_rejects_bad_domain_and_non_keys(auth, gw_a, tmp_path):
    pub = tmp_path / "pub.pem"
    run(["openssl", "x509", "-in", gw_a.cert(), "-noout", "-pubkey", "-out", pub])
    r = securemail("pki", "issue", "--authority", auth, "--domain", "not a domain!", "--public-key", pub)
    assert r.returncode == 1 and r.stdout == b"", text(r)
    r = securemail("pki", "issue", "--authority", auth, "--domain", "x.example", "--public-key", gw_a.cert())
    assert r.returncode == 1 and b"not a public key" in r.stderr, text(r)


def test_encrypted_authority_wrong_and_right_passphrase(enc_auth, gw_a, tmp_path):
    pub = tmp_path / "pub.pem"
    run(["openssl", "x509", "-in", gw_a.cert(), "-noout", "-pubkey", "-out", pub])
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("not it\n")
    r = securemail("pki", "issue", "--authority", enc_auth, "--domain", "a.example", "--public-key", pub,
                   "--passphrase-file", wrong)
    assert r.returncode == 1, text(r)
    assert "passphrase" in r.stderr.decode().lower()
    assert r.stdout == b""
    # no passphrase file and no terminal: a clear refusal, no prompt
    r = subprocess.run([BIN, "pki", "issue", "--authority", str(enc_auth), "--domain", "a.example",
                        "--public-key", str(pub)], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=20, start_new_session=True)
    assert r.returncode == 1 and "--passphrase-file" in r.stderr, r.stderr
    right = enc_auth.parent / "passphrase.txt"
    r = securemail("pki", "issue", "--authority", enc_auth, "--domain", "a.example", "--public-key", pub,
                   "--passphrase-file", right)
    assert r.returncode == 0, text(r)
    assert b"BEGIN CERTIFICATE" in r.stdout


# ------------------------------------------------------------ revoke and CRL

def test_revoke_then_openssl_rejects_with_the_crl(pki_world, auth, tmp_path):
    gw = pki_world.gateway("revoked.example", auth)
    cert = gw.cert()
    info = gw.key_set()
    assert verify(cert, auth, "-crl_check", "-CRLfile", auth / "crl.pem").returncode == 0
    r = securemail("pki", "revoke", "--authority", auth, info["fingerprint"], "--reason", "key-compromise")
    assert r.returncode == 0, text(r)
    assert info["serial"].encode() in r.stderr
    v = verify(cert, auth, "-crl_check", "-CRLfile", auth / "crl.pem")
    assert v.returncode != 0 and "certificate revoked" in v.stdout + v.stderr
    crl_text = run(["openssl", "crl", "-in", auth / "crl.pem", "-noout", "-text"]).stdout.decode()
    assert "Key Compromise" in crl_text
    # twice is an error; unknown serial is an error
    assert securemail("pki", "revoke", "--authority", auth, info["serial"]).returncode == 1
    assert securemail("pki", "revoke", "--authority", auth, "ABCDEF0123").returncode == 1
    # list shows it
    listed = json.loads(securemail("pki", "list", "--authority", auth, "--json", check=True).stdout)
    mine = [x for x in listed if x["serial"] == info["serial"]]
    assert mine and mine[0]["status"] == "revoked" and mine[0]["domains"] == ["revoked.example"]
    assert info["serial"].encode() in securemail("pki", "list", "--authority", auth, check=True).stdout
    # pki crl republishes (higher CRL number) and copies
    before = run(["openssl", "crl", "-in", auth / "crl.pem", "-noout", "-crlnumber"]).stdout
    out = tmp_path / "copy.pem"
    r = securemail("pki", "crl", "--authority", auth, "--days", "7", "--out", out)
    assert r.returncode == 0, text(r)
    after = run(["openssl", "crl", "-in", auth / "crl.pem", "-noout", "-crlnumber"]).stdout
    assert after != before and out.read_bytes() == (auth / "crl.pem").read_bytes()
    run(["openssl", "crl", "-in", out, "-noout", "-CAfile", auth / "ca.pem"])  # signature checks


# ---------------------------------------------------------------------- init

def test_init_makes_a_gateway_that_runs(gw_a, tmp_path):
    assert stat.S_IMODE(gw_a.data.stat().st_mode) == 0o700
    assert stat.S_IMODE(gw_a.key().stat().st_mode) == 0o600
    cfg = gw_a.config.read_text()
    assert 'domain = "a.example"' in cfg and 'data_dir = "."' in cfg and 'hostname = "gw.a.example"' in cfg
    keys = gw_a.keys()
    assert [s["type"] for s in keys["key_sets"]] == ["ec-p256"]
    s = keys["key_sets"][0]
    assert s["status"] == "active" and s["domains"] == ["a.example"] and len(s["fingerprint"]) == 64
    assert keys["anchors"] and keys["crl"] and not keys["crl"]["expired"]
    shown = securemail("keys", "--config", gw_a.config, "show", check=True).stdout.decode()
    assert s["id"] in shown and "active" in shown and "a.example" in shown and "next update" in shown
    # The config it wrote starts a gateway. Listeners move to OS-chosen ports
    # so parallel runs never collide, and data_dir "." (relative to the
    # config's folder) becomes the init'd folder's absolute path.
    g = Gateway(tmp_path, "run")
    g.config_path.write_text(cfg.replace('data_dir = "."', f'data_dir = "{gw_a.data}"') +
                             '[listen]\nrelay = "127.0.0.1:0"\ninbound = "127.0.0.1:0"\nadmin = "127.0.0.1:0"\n')
    g.data = gw_a.data
    try:
        g.start()
        assert g.proc.poll() is None
        assert "a.example" in g.log_text()
    finally:
        assert g.stop() == 0


def test_init_config_loads_as_written(gw_a):
    # `queue list` loads the config exactly as init wrote it (no listener is opened).
    r = securemail("queue", "--config", gw_a.config, "list")
    assert r.returncode == 0, text(r)


def test_init_multi_domain_and_second_key(pki_world, auth):
    gw = pki_world.gateway("m.example", auth, "ec-p384", ("rsa-3072",), None,
                           "--domain", "m2.example", "--admin", "ops@m.example", "--org", "M Org")
    cfg = gw.config.read_text()
    assert 'domains = ["m2.example"]' in cfg
    sets = gw.keys()["key_sets"]
    assert sorted(s["type"] for s in sets) == ["ec-p384", "rsa-3072"]
    for s in sets:
        assert s["domains"] == ["m.example", "m2.example"] and s["admin"] == ["ops@m.example"]
    t = x509_text(gw.cert("rsa-3072"))
    assert "O = M Org" in t


def test_init_refuses_a_folder_with_keys(gw_a, auth):
    before = gw_a.keys()
    r = securemail("init", "--domain", "a.example", "--authority", auth, "--data", gw_a.data)
    assert r.returncode == 1 and b"already has keys" in r.stderr, text(r)
    assert gw_a.keys() == before


# -------------------------------------------------------- rotate and backup

def test_rotate_keeps_old_key_for_mail_sealed_before(pki_world, auth, gw_b):
    gw = pki_world.gateway("rot.example", auth)
    old = gw.key_set()
    msg = message("bob@b.example", "rita@rot.example", "sealed before rotation", "still readable\n")
    sealed = gw_b.smime("seal", "--to", old["cert"], input=msg, check=True).stdout
    r = securemail("keys", "--data", gw.data, "rotate", "--authority", auth)
    assert r.returncode == 0, text(r)
    assert old["id"].encode() in r.stderr
    sets = gw.keys()["key_sets"]
    assert [s["status"] for s in sets] == ["active", "retired"]
    new, retired = sets
    assert retired["id"] == old["id"] and retired["retired_at"]
    assert new["id"] != old["id"] and new["domains"] == old["domains"] and new["admin"] == old["admin"]
    assert new["fingerprint"] != old["fingerprint"]
    opened = gw.smime("open", input=sealed)
    assert opened.returncode == 0, text(opened)
    assert opened.stdout == msg
    assert old["id"].encode() in opened.stderr  # opened with the retired key
    # new mail goes to the new certificate and signs with the new key
    sealed2 = gw.smime("seal", "--to", gw_b.cert(), input=message("rita@rot.example", "bob@b.example", "n", "x\n"),
                       check=True).stdout
    v = gw_b.smime("open", "--json", input=sealed2)
    assert v.returncode == 0 and json.loads(v.stderr)["signer_fingerprint"] == new["fingerprint"]
    # rotate to another type keeps the EC set active alongside
    r = securemail("keys", "--data", gw.data, "rotate", "--authority", auth, "--key-type", "rsa-3072")
    assert r.returncode == 0, text(r)
    assert sorted((s["type"], s["status"]) for s in gw.keys()["key_sets"]) == [
        ("ec-p256", "active"), ("ec-p256", "retired"), ("rsa-3072", "active")]


def test_rotate_refreshes_the_crl(pki_world, auth):
    gw = pki_world.gateway("crlrot.example", auth)
    held = (gw.data / "pki" / "crl.pem").read_bytes()
    assert securemail("pki", "crl", "--authority", auth).returncode == 0  # a newer CRL at the authority
    newer = (auth / "crl.pem").read_bytes()
    assert newer != held
    r = securemail("keys", "--data", gw.data, "rotate", "--authority", auth)
    assert r.returncode == 0, text(r)
    assert (gw.data / "pki" / "crl.pem").read_bytes() == newer


def test_backup_restore_on_a_new_machine(pki_world, auth, gw_a, gw_b, secret, tmp_path):
    msg = message("bob@b.example", "alice@a.example", "before the disk died", "restore me\n")
    sealed = gw_b.smime("seal", "--to", gw_a.cert(), input=msg, check=True).stdout
    backup = tmp_path / "a.p12"
    r = securemail("keys", "--data", gw_a.data, "backup", "--out", backup, "--passphrase-file", secret)
    assert r.returncode == 0, text(r)
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    info = run(["openssl", "pkcs12", "-info", "-in", backup, "-noout", "-passin", f"pass:{PASS}"]).stderr.decode()
    assert "AES-256-CBC" in info and "PBKDF2" in info
    assert securemail("keys", "--data", gw_a.data, "backup", "--out", backup,
                      "--passphrase-file", secret).returncode == 1  # never overwritten

    fresh = tmp_path / "new-machine"
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("guess\n")
    r = securemail("keys", "--data", fresh, "restore", "--in", backup, "--passphrase-file", wrong)
    assert r.returncode == 1 and b"passphrase" in r.stderr.lower(), text(r)
    r = securemail("keys", "--data", fresh, "restore", "--in", backup, "--passphrase-file", secret,
                   "--crl", auth / "crl.pem")
    assert r.returncode == 0, text(r)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o700
    restored = json.loads(securemail("keys", "--data", fresh, "show", "--json", check=True).stdout)
    assert [s["id"] for s in restored["key_sets"]] == [s["id"] for s in gw_a.keys()["key_sets"]]
    opened = securemail("smime", "open", "--data", fresh, input=sealed)
    assert opened.returncode == 0, text(opened)
    assert opened.stdout == msg
    # restoring twice refuses (same key set IDs)
    r = securemail("keys", "--data", fresh, "restore", "--in", backup, "--passphrase-file", secret)
    assert r.returncode == 1, text(r)


def test_backup_without_passphrase_source_fails_clearly(gw_a, tmp_path):
    r = subprocess.run([BIN, "keys", "--data", str(gw_a.data), "backup", "--out", str(tmp_path / "x.p12")],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=20, start_new_session=True)
    assert r.returncode == 1 and "--passphrase-file" in r.stderr, r.stderr
    assert not (tmp_path / "x.p12").exists()
