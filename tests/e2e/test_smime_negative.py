"""What `securemail smime open` does with mail that must not pass: altered
bytes, the wrong recipient, signers that are expired, revoked, from another
authority or for another domain, a stripped signature, the CBC gadget
(EFAIL), and a changed outer header. Each one exits 1 and names its own
reason on the `verdict:` line; CBC content that did not verify is never
written out (nothing on stdout, no --out file)."""
import base64
import json
import re

import pytest

from conftest import securemail
from smime_peers import (Openssl, cbc_gadget, message, openssl_issue, outer_headers_of, pkcs7_der, run,
                         split_entity)


@pytest.fixture(scope="module")
def gw_c(pki_world, auth):
    return pki_world.gateway("c.example", auth)


def from_b(subject="quarterly figures", body=None):
    body = body or "".join(f"Line {i:02d} of the figures that must arrive unaltered.\n" for i in range(20))
    return message("bob@b.example", "alice@a.example", subject, body)


def seal_b_to_a(gw_a, gw_b, msg, *args):
    return gw_b.smime("seal", "--to", gw_a.cert(), *args, input=msg, check=True).stdout


def open_fails(gw_a, sealed, reason, *args, tmp_path=None):
    """Open as a.example; assert exit 1 with `reason`; returns (stderr text, stdout bytes)."""
    extra = ["--out", tmp_path / "out.eml"] if tmp_path else []
    r = gw_a.smime("open", *extra, *args, input=sealed)
    err = r.stderr.decode(errors="replace")
    assert r.returncode == 1, err
    assert f"verdict: fail ({reason})" in err, err
    return err, r.stdout


def nothing_written(err, stdout, tmp_path=None):
    assert stdout == b""
    assert "output: nothing written" in err
    if tmp_path:
        assert not (tmp_path / "out.eml").exists() and not list(tmp_path.glob("out.eml.tmp*"))


def rewrap(sealed: bytes, der: bytes) -> bytes:
    """The same outer header with another CMS body."""
    head, _ = split_entity(sealed)
    return head + b"\r\n" + b"\r\n".join(re.findall(rb".{1,64}", base64.b64encode(der))) + b"\r\n"


# ---------------------------------------------------------- baseline

def test_baseline_passes(gw_a, gw_b):
    msg = from_b()
    r = gw_a.smime("open", input=seal_b_to_a(gw_a, gw_b, msg))
    assert r.returncode == 0, r.stderr.decode()
    assert r.stdout == msg and b"verdict: pass" in r.stderr


# ---------------------------------------------------------- altered bytes

@pytest.mark.parametrize("cbc", [False, True], ids=["gcm", "cbc"])
def test_flipped_bytes(gw_a, gw_b, cbc, tmp_path):
    sealed = seal_b_to_a(gw_a, gw_b, from_b("flip"), *(["--cbc"] if cbc else []))
    der = pkcs7_der(sealed)
    reasons = set()
    for where in (1, 40, len(der) // 3, len(der) // 2, 3 * len(der) // 4, len(der) - 40, len(der) - 3):
        bad = bytearray(der)
        bad[where] ^= 0x04
        r = gw_a.smime("open", "--out", tmp_path / "out.eml", input=rewrap(sealed, bytes(bad)))
        err = r.stderr.decode(errors="replace")
        assert r.returncode == 1, f"flip at {where} of {len(der)} passed:\n{err}"
        m = re.search(r"^verdict: fail \(([a-z-]+)\)", err, re.M)
        assert m, err
        reasons.add(m.group(1))
        nothing_written(err, r.stdout, tmp_path)
    assert reasons <= {"malformed", "decrypt-failed", "not-for-us", "bad-signature", "unsigned-content"}, reasons
    # the ciphertext is covered: under GCM by the tag, under CBC by the signature
    assert ("bad-signature" if cbc else "decrypt-failed") in reasons, reasons


def test_flipped_base64_character_in_transit(gw_a, gw_b):
    sealed = bytearray(seal_b_to_a(gw_a, gw_b, from_b("b64")))
    i = len(sealed) // 2
    sealed[i] = ord("A") if sealed[i] != ord("A") else ord("B")
    r = gw_a.smime("open", input=bytes(sealed))
    assert r.returncode == 1 and r.stdout == b""
    assert re.search(rb"verdict: fail \((decrypt-failed|malformed)\)", r.stderr), r.stderr


# ---------------------------------------------------------- recipients and signers

def test_wrong_recipient(gw_a, gw_b, gw_c):
    sealed = gw_b.smime("seal", "--to", gw_c.cert(), input=from_b("for c"), check=True).stdout
    err, out = open_fails(gw_a, sealed, "not-for-us")
    nothing_written(err, out)
    assert gw_c.smime("open", input=sealed).returncode == 0  # its real recipient can


def sealed_by_dated_signer(gw_a, auth, pki_world, name, key_options, not_before, not_after, cipher):
    """A message from b.example signed with a certificate of the authority
    valid only from not_before to not_after, sealed to gateway a."""
    work = pki_world.root / name
    work.mkdir()
    key = work / "key.pem"
    run(["openssl", "genpkey", *key_options, "-out", key])
    cert = openssl_issue(auth / "ca.pem", auth / "ca.key", key, "b.example", work / "ca", not_before, not_after)
    peer = Openssl(key, cert)
    msg = from_b(name + " signer")
    return peer.encrypt(peer.sign(msg), [gw_a.cert()], cipher, outer=outer_headers_of(msg))


def test_expired_signer(gw_a, auth, pki_world):
    sealed = sealed_by_dated_signer(gw_a, auth, pki_world, "expired",
                                    ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
                                    "20200101000000Z", "20200201000000Z", "aes-256-gcm")
    err, _ = open_fails(gw_a, sealed, "signer-expired")
    assert "CN=b.example" in err


def test_not_yet_valid_signer(gw_a, auth, pki_world):
    sealed = sealed_by_dated_signer(gw_a, auth, pki_world, "future",
                                    ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
                                    "20991231000000Z", "21000131000000Z", "aes-256-cbc")
    err, out = open_fails(gw_a, sealed, "signer-not-yet-valid")
    nothing_written(err, out)  # CBC


def test_revoked_signer(gw_a, auth, pki_world):
    gw_r = pki_world.gateway("r.example", auth)
    msg = message("rita@r.example", "alice@a.example", "before revocation", "sealed while valid\n")
    sealed = gw_r.smime("seal", "--to", gw_a.cert(), input=msg, check=True).stdout
    sealed_cbc = gw_r.smime("seal", "--cbc", "--to", gw_a.cert(), input=msg, check=True).stdout
    assert gw_a.smime("open", input=sealed).returncode == 0
    securemail("pki", "revoke", "--authority", auth, gw_r.key_set()["serial"], "--reason", "key-compromise",
               check=True)
    securemail("pki", "crl", "--authority", auth, "--out", gw_a.data / "pki" / "crl.pem", check=True)
    err, _ = open_fails(gw_a, sealed, "signer-revoked")
    assert "revoked" in err.split("revocation:", 1)[1].splitlines()[0]
    err, out = open_fails(gw_a, sealed_cbc, "signer-revoked")
    nothing_written(err, out)


def test_missing_crl_is_revocation_unknown(gw_a, gw_b, pki_world):
    other = pki_world.authority("other-crl-source")
    sealed = seal_b_to_a(gw_a, gw_b, from_b("no crl"))
    open_fails(gw_a, sealed, "revocation-unknown", "--crl", other / "crl.pem")
    r = gw_a.smime("open", "--no-crl", input=sealed)
    assert r.returncode == 0 and b"revocation: not checked" in r.stderr, r.stderr


def test_foreign_authority_signer(gw_a, pki_world):
    foreign = pki_world.authority("foreign")
    # a perfectly formed gateway for b.example - from an authority nobody trusts
    gw_f = pki_world.gateway("b.example", foreign, name="forged-b")
    sealed = gw_f.smime("seal", "--to", gw_a.cert(), input=from_b("forged"), check=True).stdout
    err, _ = open_fails(gw_a, sealed, "untrusted-signer")
    sealed_cbc = gw_f.smime("seal", "--cbc", "--to", gw_a.cert(), input=from_b("forged"), check=True).stdout
    err, out = open_fails(gw_a, sealed_cbc, "untrusted-signer")
    nothing_written(err, out)


def test_signer_for_another_domain(gw_a, gw_b):
    sealed = seal_b_to_a(gw_a, gw_b, from_b("expected c"))
    err, _ = open_fails(gw_a, sealed, "signer-domain-mismatch", "--signer-domain", "c.example")
    assert "b.example" in err
    # b.example's gateway signing mail that claims to be from a.example
    forged = message("ceo@a.example", "alice@a.example", "urgent", "wire the money\n")
    sealed = gw_b.smime("seal", "--cbc", "--to", gw_a.cert(), input=forged, check=True).stdout
    err, out = open_fails(gw_a, sealed, "signer-domain-mismatch")
    nothing_written(err, out)


def test_signer_not_in_directory(gw_a, gw_b):
    sealed = seal_b_to_a(gw_a, gw_b, from_b("pinned"))
    open_fails(gw_a, sealed, "signer-not-member", "--signer-fingerprint", "00" * 32)
    fp = gw_b.key_set()["fingerprint"]
    colons = ":".join(fp[i:i + 2] for i in range(0, 64, 2)).upper()
    r = gw_a.smime("open", "--signer-fingerprint", "00" * 32, "--signer-fingerprint", colons, input=sealed)
    assert r.returncode == 0, r.stderr.decode()


# ---------------------------------------------------------- structure

@pytest.mark.parametrize("cipher", ["aes-256-gcm", "aes-256-cbc"])
def test_stripped_signature(gw_a, cipher, tmp_path):
    msg = from_b("unsigned")
    sealed = Openssl().encrypt(msg, [gw_a.cert()], cipher, outer=outer_headers_of(msg))
    err, out = open_fails(gw_a, sealed, "unsigned-content", tmp_path=tmp_path)
    if cipher.endswith("cbc"):
        nothing_written(err, out, tmp_path)


def test_signed_only_is_not_enough_for_open(gw_a, gw_b):
    signed = gw_b.smime("sign", input=from_b("signed only"), check=True).stdout
    err, out = open_fails(gw_a, signed, "not-encrypted")
    assert gw_a.smime("verify", input=signed).returncode == 0


def test_plain_mail_is_not_smime(gw_a):
    open_fails(gw_a, from_b("plain"), "not-smime")


def test_cbc_refused_when_only_gcm_allowed(gw_a, gw_b, tmp_path):
    sealed = seal_b_to_a(gw_a, gw_b, from_b("cbc"), "--cbc")
    err, out = open_fails(gw_a, sealed, "cbc-not-allowed", "--no-cbc", tmp_path=tmp_path)
    nothing_written(err, out, tmp_path)


def test_cbc_gadget_edit(gw_a, gw_b, tmp_path):
    """EFAIL: without the key, make one block of the signed text decrypt to
    chosen words. OpenSSL shows the edit took; we must refuse and release
    nothing."""
    msg = from_b("gadget")
    sealed = seal_b_to_a(gw_a, gw_b, msg, "--cbc")
    der = pkcs7_der(sealed)
    plain = Openssl(gw_a.key(), gw_a.cert()).decrypt(sealed)  # (the attacker only needs to guess this)
    at = (plain.index(b"Line 10") // 16 + 1) * 16
    edited = cbc_gadget(der, plain, at, b"PAY THE INVOICE ")
    shown = run(["openssl", "cms", "-decrypt", "-inform", "DER", "-recip", gw_a.cert(), "-inkey", gw_a.key(),
                 "-binary"], input=edited).stdout
    assert shown[at:at + 16] == b"PAY THE INVOICE " and shown[:at - 16] == plain[:at - 16]
    err, out = open_fails(gw_a, rewrap(sealed, edited), "bad-signature", tmp_path=tmp_path)
    nothing_written(err, out, tmp_path)
    assert "aes-256-cbc" in err


@pytest.mark.parametrize("cbc", [False, True], ids=["gcm", "cbc"])
def test_changed_outer_subject(gw_a, gw_b, cbc, tmp_path):
    msg = from_b("the real subject")
    sealed = seal_b_to_a(gw_a, gw_b, msg, *(["--cbc"] if cbc else []))
    changed = sealed.replace(b"Subject: the real subject", b"Subject: the fake subject", 1)
    assert changed != sealed
    err, out = open_fails(gw_a, changed, "header-mismatch", tmp_path=tmp_path)
    assert "Subject" in err.split("headers:", 1)[1].splitlines()[0]
    if cbc:
        nothing_written(err, out, tmp_path)


def test_json_verdict_names_the_reason(gw_a, gw_b):
    sealed = seal_b_to_a(gw_a, gw_b, from_b("json"))
    r = gw_a.smime("open", "--json", "--signer-domain", "c.example", input=sealed)
    assert r.returncode == 1
    v = json.loads(r.stderr)
    assert v["verdict"] == "fail" and v["reason"] == "signer-domain-mismatch" and v["description"]
