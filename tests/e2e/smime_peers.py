"""Real S/MIME peers for the interop and negative scenarios.

Three independent implementations stand on the other side of the wire:

* OpenSSL's `openssl cms` (the reference CMS implementation),
* GnuPG's `gpgsm` (what Kleopatra/KMail users run), in a private GNUPGHOME,
* NSS's `cmsutil` (Thunderbird's engine), in a private NSS database.

Each peer is set up the way docs/pki.md tells an operator (see also
/work/shared/notes/interop.md for the measured facts): keys come in as a
legacy PKCS#12 file with an empty passphrase, the SecureMail authority is
trusted explicitly, nothing touches the user's own keyrings, and every
helper process (gpg-agent) is stopped by close().

The tools speak DER (or base64) CMS, not S/MIME MIME, so this module also
carries the small MIME wrapping S/MIME adds around CMS: pkcs7-mime
entities, multipart/signed, and getting the DER back out of them.
"""
import base64
import os
import re
import subprocess
from pathlib import Path

CRLF = b"\r\n"


def run(cmd, input=None, check=True, env=None, timeout=60):
    """Run a peer tool; bytes in and out. Raises with its stderr when check."""
    r = subprocess.run([str(c) for c in cmd], input=input, capture_output=True, env=env,
                       timeout=timeout, stdin=None if input is not None else subprocess.DEVNULL)
    if check and r.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, cmd))} -> {r.returncode}\n"
                             f"{r.stdout[-2000:]!r}\n{r.stderr.decode(errors='replace')}")
    return r


# ---------------------------------------------------------------- MIME / CMS

def crlf(text) -> bytes:
    """Bare LF to CRLF (canonical form), leaving CRLF alone."""
    if isinstance(text, str):
        text = text.encode()
    return re.sub(rb"(?<!\r)\n", b"\r\n", text)


def message(sender, to, subject, body, extra_headers=()):
    """A small RFC 5322 message with CRLF line ends."""
    lines = [f"From: {sender}", f"To: {to}", f"Subject: {subject}",
             "Date: Mon, 23 Nov 2026 12:00:00 +0000",
             f"Message-ID: <{abs(hash((sender, to, subject, body)))}@test.example>", *extra_headers, "", body]
    return crlf("\n".join(lines) + ("\n" if not body.endswith("\n") else ""))


def split_entity(raw: bytes):
    """(header block, body) of a MIME entity or message, split at the first empty line."""
    raw = crlf(raw)
    i = raw.find(b"\r\n\r\n")
    if i < 0:
        return raw, b""
    return raw[: i + 2], raw[i + 4:]


def header_value(raw: bytes, name: str):
    """The unfolded value of the first header field `name`, or None."""
    head, _ = split_entity(raw)
    m = re.search(rb"(?im)^" + re.escape(name.encode()) + rb":[ \t]*((?:.*)(?:\r\n[ \t].*)*)", head)
    return None if m is None else re.sub(rb"\r\n[ \t]+", b" ", m.group(1)).decode(errors="replace").strip()


def pkcs7_der(raw: bytes) -> bytes:
    """The DER CMS inside an application/pkcs7-mime (or -signature) entity."""
    _, body = split_entity(raw)
    return base64.b64decode(b"".join(body.split()))


def b64_lines(der: bytes) -> bytes:
    return base64.encodebytes(der).replace(b"\n", CRLF)


def pkcs7_mime(der: bytes, smime_type: str, outer_headers: bytes = b"") -> bytes:
    """An application/pkcs7-mime entity (message when outer_headers has From/To/...)."""
    head = outer_headers
    if head and not head.endswith(CRLF):
        head += CRLF
    return (head + b"MIME-Version: 1.0\r\n"
            b"Content-Type: application/pkcs7-mime; smime-type=" + smime_type.encode() + b'; name="smime.p7m"\r\n'
            b"Content-Transfer-Encoding: base64\r\n"
            b'Content-Disposition: attachment; filename="smime.p7m"\r\n\r\n' + b64_lines(der))


def multipart_signed(signed_part: bytes, signature_der: bytes, micalg="sha-256") -> bytes:
    """multipart/signed around `signed_part` (an entity, byte for byte) and a detached CMS signature."""
    b = b"----=_SecureMailTestSigned_0001"
    return (b"MIME-Version: 1.0\r\n"
            b'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg='
            + micalg.encode() + b'; boundary="' + b + b'"\r\n\r\n'
            b"This is an S/MIME signed message\r\n\r\n"
            b"--" + b + CRLF + signed_part + CRLF +
            b"--" + b + CRLF +
            b'Content-Type: application/pkcs7-signature; name="smime.p7s"\r\n'
            b"Content-Transfer-Encoding: base64\r\n"
            b'Content-Disposition: attachment; filename="smime.p7s"\r\n\r\n' + b64_lines(signature_der) + CRLF +
            b"--" + b + b"--\r\n")


def split_multipart_signed(raw: bytes):
    """(signed part bytes exactly as signed, signature DER) of a multipart/signed entity."""
    head, body = split_entity(raw)
    m = re.search(rb'boundary="?([^";\r\n]+)"?', head)
    assert m, f"not multipart: {head[:300]!r}"
    delim = b"--" + m.group(1)
    if body.startswith(delim):
        first = 0
    else:
        first = body.find(CRLF + delim)
        assert first >= 0, "no first part"
        first += 2
    p1 = body.index(CRLF, first) + 2
    e1 = body.index(CRLF + delim, p1)
    p2 = body.index(CRLF, e1 + 2) + 2
    e2 = body.index(CRLF + delim, p2)
    return body[p1:e1], pkcs7_der(body[p2:e2])


def outer_headers_of(msg: bytes, names=("From", "To", "Subject", "Date", "Message-ID")) -> bytes:
    """The header fields a sealed message repeats outside (for wrapping peer output)."""
    out = b""
    for n in names:
        v = header_value(msg, n)
        if v is not None:
            out += n.encode() + b": " + v.encode() + CRLF
    return out


# ------------------------------------------------------- BER, for edits

AES256_CBC_OID = bytes.fromhex("60864801650304012a")  # 2.16.840.1.101.3.4.1.42 (the OID's value octets)


def ber_nodes(der: bytes, pos=0, end=None, depth=0):
    """Pre-order walk of a BER/DER encoding (indefinite lengths allowed):
    yields (offset, tag, constructed, content_start, content_end, depth)."""
    end = len(der) if end is None else end
    while pos < end:
        start, tag = pos, der[pos]
        if tag == 0 and pos + 1 < len(der) and der[pos + 1] == 0:
            return  # end-of-contents of an indefinite-length parent
        pos += 1
        first = der[pos]
        pos += 1
        if first == 0x80:
            length = None
        elif first < 0x80:
            length = first
        else:
            n = first & 0x7F
            length = int.from_bytes(der[pos:pos + n], "big")
            pos += n
        constructed = bool(tag & 0x20)
        if length is None:  # indefinite: children run until the end-of-contents octets
            inner_end = _indefinite_end(der, pos)
            yield start, tag, constructed, pos, inner_end, depth
            yield from ber_nodes(der, pos, inner_end, depth + 1)
            pos = inner_end + 2
        else:
            yield start, tag, constructed, pos, pos + length, depth
            if constructed:
                yield from ber_nodes(der, pos, pos + length, depth + 1)
            pos += length


def _indefinite_end(der: bytes, pos: int) -> int:
    """Offset of the end-of-contents octets closing the element whose content starts at pos."""
    while not (der[pos] == 0 and der[pos + 1] == 0):
        pos += 1
        first = der[pos]
        pos += 1
        if first == 0x80:
            pos = _indefinite_end(der, pos) + 2
        elif first < 0x80:
            pos += first
        else:
            n = first & 0x7F
            pos += n + int.from_bytes(der[pos:pos + n], "big")
    return pos


def cbc_layout(der: bytes):
    """Where an EnvelopedData with AES-256-CBC keeps its IV and ciphertext:
    (iv_offset, [(offset, length), ...] of the ciphertext chunks in order)."""
    nodes = list(ber_nodes(der))
    for i, (off, tag, cons, cs, ce, depth) in enumerate(nodes):
        if tag == 0x06 and der[cs:ce] == AES256_CBC_OID:
            iv = nodes[i + 1]
            assert iv[1] == 0x04 and iv[4] - iv[3] == 16, "no IV after aes-256-cbc"
            for j in range(i + 2, len(nodes)):
                n = nodes[j]
                if n[1] == 0x80:  # [0] IMPLICIT primitive encryptedContent
                    return iv[3], [(n[3], n[4] - n[3])]
                if n[1] == 0xA0:  # constructed: OCTET STRING chunks
                    chunks = [(c[3], c[4] - c[3]) for c in nodes[j + 1:] if c[5] == n[5] + 1 and c[1] == 0x04
                              and c[0] < n[4]]
                    return iv[3], chunks
    raise AssertionError("not an AES-256-CBC EnvelopedData")


def cbc_gadget(der: bytes, plaintext: bytes, at: int, replacement: bytes) -> bytes:
    """The CBC malleability gadget (EFAIL): XOR the ciphertext block before
    block `at // 16` so that block decrypts to `replacement` (16 bytes),
    without knowing the key. The block before it decrypts to garbage."""
    assert len(replacement) == 16 and at % 16 == 0 and at >= 16
    iv_off, chunks = cbc_layout(der)
    cipher_offsets = [o + k for o, n in chunks for k in range(n)]
    out = bytearray(der)
    for k in range(16):
        delta = plaintext[at + k] ^ replacement[k]
        out[cipher_offsets[at - 16 + k]] ^= delta
    return bytes(out)


# ------------------------------------------------------------------- OpenSSL

def sha1_fingerprint(cert_pem: Path) -> str:
    """Upper-case hex SHA-1 fingerprint without separators (gpgsm's key id)."""
    out = run(["openssl", "x509", "-in", cert_pem, "-noout", "-fingerprint", "-sha1"]).stdout.decode()
    return out.strip().split("=", 1)[1].replace(":", "")


def sha256_fingerprint(cert_pem: Path) -> str:
    out = run(["openssl", "x509", "-in", cert_pem, "-noout", "-fingerprint", "-sha256"]).stdout.decode()
    return out.strip().split("=", 1)[1].replace(":", "").lower()


def legacy_p12(key: Path, cert: Path, out: Path, name: str, chain=()):
    """A PKCS#12 file gpgsm and pk12util import: legacy RC2/3DES, empty passphrase."""
    cmd = ["openssl", "pkcs12", "-export", "-legacy", "-inkey", key, "-in", cert, "-name", name,
           "-passout", "pass:", "-out", out]
    for c in chain:
        cmd += ["-certfile", c]
    run(cmd)
    return out


def openssl_issue(ca_pem: Path, ca_key: Path, key: Path, domain: str, workdir: Path, start: str, end: str) -> Path:
    """A gateway-profile certificate for `key` with chosen validity dates
    (YYYYMMDDHHMMSSZ), signed by the authority's own ca.key through `openssl
    ca` - the one thing the securemail CLI will not do (backdating)."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "index.txt").write_text("")
    (workdir / "serial").write_text("1000\n")
    is_ec = b"ASN1 OID" in run(["openssl", "pkey", "-in", key, "-noout", "-text"]).stdout
    usage = "digitalSignature,keyAgreement" if is_ec else "digitalSignature,keyEncipherment"
    (workdir / "ca.cnf").write_text(f"""[ca]
default_ca = dflt
[dflt]
dir = {workdir}
database = $dir/index.txt
new_certs_dir = $dir
serial = $dir/serial
default_md = sha256
policy = any
unique_subject = no
[any]
commonName = supplied
[gw]
basicConstraints = critical,CA:FALSE
keyUsage = critical,{usage}
extendedKeyUsage = emailProtection,serverAuth,clientAuth
subjectAltName = DNS:{domain},email:securemailadmin@{domain}
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
""")
    csr, cert = workdir / "req.csr", workdir / "cert.pem"
    run(["openssl", "req", "-new", "-key", key, "-subj", f"/CN={domain}", "-out", csr])
    run(["openssl", "ca", "-batch", "-config", workdir / "ca.cnf", "-cert", ca_pem, "-keyfile", ca_key, "-in", csr,
         "-out", cert, "-startdate", start, "-enddate", end, "-extensions", "gw", "-notext"])
    return cert


class Openssl:
    """`openssl cms` as a peer gateway holding `key`/`cert`."""

    def __init__(self, key: Path = None, cert: Path = None):
        self.key, self.cert = key, cert

    def sign(self, msg: bytes, opaque=False) -> bytes:
        """S/MIME signed (multipart/signed, canonical CRLF) or opaque pkcs7-mime."""
        cmd = ["openssl", "cms", "-sign", "-signer", self.cert, "-inkey", self.key, "-md", "sha256"]
        cmd += ["-nodetach"] if opaque else ["-crlfeol"]
        return run(cmd + ["-binary"], input=msg).stdout

    def encrypt(self, entity: bytes, recipients, cipher="aes-256-gcm", rsa_padding=None, outer=b"") -> bytes:
        """EnvelopedData/AuthEnvelopedData as an S/MIME message with `outer` header fields."""
        cmd = ["openssl", "cms", "-encrypt", f"-{cipher}", "-binary", "-outform", "DER"]
        for r in recipients:
            cmd += ["-recip", r]
            if rsa_padding == "oaep":
                cmd += ["-keyopt", "rsa_padding_mode:oaep", "-keyopt", "rsa_oaep_md:sha256"]
        der = run(cmd, input=entity).stdout
        stype = "authEnveloped-data" if cipher.endswith("gcm") else "enveloped-data"
        return pkcs7_mime(der, stype, outer)

    def decrypt(self, sealed: bytes) -> bytes:
        return run(["openssl", "cms", "-decrypt", "-inform", "DER", "-recip", self.cert, "-inkey", self.key,
                    "-binary"], input=pkcs7_der(sealed)).stdout

    @staticmethod
    def verify(signed_entity: bytes, ca: Path, crl: Path = None, check=True):
        """openssl cms -verify of an S/MIME signed entity; returns the CompletedProcess.

        `openssl cms` has no -CRLfile: with a CRL, the CA file handed to it
        holds the certificate and the CRL together, and -crl_check is on."""
        cafile = ca
        if crl:
            cafile = Path(str(ca) + ".with-crl.pem")
            cafile.write_bytes(Path(ca).read_bytes() + Path(crl).read_bytes())
        cmd = ["openssl", "cms", "-verify", "-CAfile", cafile, "-purpose", "smimesign"]
        if crl:
            cmd += ["-crl_check"]
        return run(cmd, input=signed_entity, check=check)


# --------------------------------------------------------------------- gpgsm

class Gpgsm:
    """gpgsm in a private home: loopback pinentry, no dirmngr, CA trusted by trustlist.txt."""

    def __init__(self, home: Path):
        self.home = Path(home)
        self.home.mkdir(mode=0o700, parents=True, exist_ok=True)
        (self.home / "gpg-agent.conf").write_text("allow-loopback-pinentry\n")
        (self.home / "gpgsm.conf").write_text("disable-crl-checks\ndisable-dirmngr\n")
        self.env = dict(os.environ, GNUPGHOME=str(self.home))
        self.env.pop("GPG_AGENT_INFO", None)

    def gpgsm(self, *args, input=None, check=True):
        return run(["gpgsm", "--batch", "--pinentry-mode", "loopback", "--status-fd", "2",
                    *args], input=input, check=check, env=self.env)

    def import_p12(self, p12: Path):
        """Import a key; import the CA first, or gpgsm exits 2 over the missing issuer."""
        # The empty PKCS#12 passphrase (and the empty new protection
        # passphrase) come through loopback pinentry on stdin.
        self.gpgsm("--passphrase-fd", "0", "--import", p12, input=b"\n\n")

    def import_certs(self, *pems: Path):
        self.gpgsm("--import", *pems)

    def trust_ca(self, ca_pem: Path):
        fpr = sha1_fingerprint(ca_pem)
        fpr = ":".join(fpr[i:i + 2] for i in range(0, len(fpr), 2))
        with open(self.home / "trustlist.txt", "a") as f:
            f.write(f"{fpr} S relax\n")

    def decrypt(self, der: bytes, check=True):
        return self.gpgsm("--decrypt", input=der, check=check)

    def verify_detached(self, signed_part: bytes, signature_der: bytes, check=True):
        sig = self.home / "verify.p7s"
        sig.write_bytes(signature_der)
        data = self.home / "verify.data"
        data.write_bytes(signed_part)
        return self.gpgsm("--verify", sig, data, check=check)

    def verify_opaque(self, der: bytes, check=True):
        """Verify an opaque signed-data; stdout is the content."""
        sig = self.home / "verify.p7m"
        sig.write_bytes(der)
        return self.gpgsm("--verify", "--output", "-", sig, check=check)

    def sign(self, data: bytes, signer_sha1: str, detached=True) -> bytes:
        args = ["-u", "0x" + signer_sha1, "--include-certs", "-1"]
        return self.gpgsm(*args, "--detach-sign" if detached else "--sign", input=data).stdout

    def encrypt(self, data: bytes, recipient_sha1: str, cipher="AES256") -> bytes:
        return self.gpgsm("--cipher-algo", cipher, "-r", "0x" + recipient_sha1, "--encrypt", input=data).stdout

    def encrypt_and_sign(self, data: bytes, recipient_sha1: str, signer_sha1: str, check=False):
        return self.gpgsm("-r", "0x" + recipient_sha1, "-u", "0x" + signer_sha1, "--encrypt", "--sign",
                          input=data, check=check)

    @staticmethod
    def status(r) -> list:
        """The [GNUPG:] status keywords of a run, e.g. ['NEWSIG', 'GOODSIG', 'TRUST_FULLY']."""
        return [l.split()[1] for l in r.stderr.decode(errors="replace").splitlines()
                if l.startswith("[GNUPG:] ") and len(l.split()) > 1]

    def close(self):
        subprocess.run(["gpgconf", "--homedir", str(self.home), "--kill", "all"], env=self.env,
                       capture_output=True, timeout=30)


# ----------------------------------------------------------------------- NSS

class Nss:
    """NSS tools (certutil, pk12util, cmsutil) on a private sql: database with no password."""

    def __init__(self, dir: Path):
        self.dir = Path(dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.db = f"sql:{self.dir}"
        run(["certutil", "-N", "-d", self.db, "--empty-password"])

    def import_p12(self, p12: Path):
        run(["pk12util", "-i", p12, "-d", self.db, "-W", ""])

    def add_cert(self, nick: str, pem: Path, trust=",,"):
        run(["certutil", "-A", "-d", self.db, "-n", nick, "-t", trust, "-i", pem])

    def trust_ca(self, nick: str, ca_pem: Path):
        self.add_cert(nick, ca_pem, "C,C,C")
        run(["certutil", "-M", "-d", self.db, "-n", nick, "-t", "C,C,C"])

    def cmsutil(self, *args, input=None, check=True):
        return run(["cmsutil", *args, "-d", self.db, "-p", ""], input=input, check=check)

    def decode(self, der: bytes, check=True):
        """cmsutil -D: decrypt an (Auth)EnvelopedData or unwrap signed data; stdout is the content."""
        return self.cmsutil("-D", input=der, check=check)

    def verify_detached(self, signed_part: bytes, signature_der: bytes, check=True):
        """cmsutil -D -c CONTENT: stdout has 'signerN.status=GoodSignature' when it verifies."""
        content = self.dir / "verify.data"
        content.write_bytes(signed_part)
        return self.cmsutil("-D", "-c", content, "-n", "-h", "3", "-u", "4", input=signature_der, check=check)

    def sign(self, data: bytes, nick: str, detached=True) -> bytes:
        args = ["-S", "-N", nick, "-G", "-P", "-H", "SHA256"] + (["-T"] if detached else [])
        return self.cmsutil(*args, input=data).stdout

    def encrypt(self, data: bytes, recipients) -> bytes:
        return self.cmsutil("-E", "-r", ",".join(recipients), input=data).stdout

