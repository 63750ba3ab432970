"""certify_peers.py - deliberately flawed member gateways for `securemail
certify` end-to-end tests: TCP relays (stdlib only) in front of a real
gateway's inbound SMTP listener, so that all but one flaw is the real thing.

StripTlsRelay(upstream): a gateway without TLS (or a path stripping it).
EHLO lists no STARTTLS; STARTTLS gets `502 5.5.1 STARTTLS not available`
from the relay; all else passes unchanged, in clear. certify must fail
SEC-TLS-OFFERED and every case that needs TLS (version, PFS, cert, pins...).

LenientRelay(upstream, cert_pem, key_pem): a gateway that accepts bare LF.
STARTTLS is done with the upstream and with the client (the upstream's own
certificate and key, so pins match; TLS 1.2+, the gateway's ciphers); what
the client pipelined after STARTTLS is dropped, as a correct server does.
Then every bare LF from the client becomes CRLF (not in BDAT chunks) and,
as in servers open to SMTP smuggling, text sent right behind DATA is read
as the message once the 354 is in (the real gateway would refuse that
pipelining). `\\n.\\n` thus ends DATA upstream and a smuggled second
transaction is executed. certify must fail exactly SEC-SMTP-BARE-LF and
SEC-SMTP-SMUGGLE.

TrustingRelay(upstream, cert_pem, key_pem): a gateway that trusts any
signer. TLS and STARTTLS as LenientRelay (without its bare-LF and
smuggling flaws). MAIL and RCPT go to the upstream as they come; after an
accepted RCPT the relay answers DATA itself and reads the message. A
sealed one (pkcs7-mime enveloped- or authEnveloped-data) is decrypted with
the upstream's key and its signature checked with `openssl cms -verify
-noverify` (no chain, no check that the signer owns From:). A good
signature whose certificate names no dNSName equal to the From: domain is
answered `250 2.0.0 Ok: queued as TRUSTED` and dropped (the upstream's
transaction is RSET); everything else is replayed to the upstream (DATA,
the octets as sent) and its reply passed on. certify must fail exactly
SEC-SIGNER-WRONGDOMAIN.

All: context managers on 127.0.0.1, an OS-chosen port, a thread per
connection, all closed and joined (bounded) on leaving the block:
    with StripTlsRelay(("127.0.0.1", inbound)) as relay: ... relay.port
"""
import base64
import collections
import email.utils
import re
import select
import socket
import ssl
import subprocess
import tempfile
import threading
import time

_STARTTLS = object()  # in _Conn.pending: the upstream's reply to a STARTTLS the relay handles itself


class _ClientLines:
    """Splits what a client sends into ("cmd", line) commands, ("long", tail)
    the end of an over-long command, ("end", line) the end of DATA and
    ("data", octets) content (DATA lines, BDAT chunks, pieces of long lines).
    Every kind but "data" gets one reply. lenient: bare LF -> CRLF (a CR at
    the end of one read and the LF starting the next are a CRLF)."""
    MAX = 65536

    def __init__(self, lenient=False):
        self.buf, self.lenient = b"", lenient
        self.in_data, self.chunk, self.cont, self.prev_crlf = False, 0, False, True

    def feed(self, data):
        self.buf += data
        while self.buf:
            if self.chunk:  # BDAT octets: raw, whatever they hold
                part, self.buf = self.buf[:self.chunk], self.buf[self.chunk:]
                self.chunk -= len(part)
                yield "data", part
                continue
            nl = self.buf.find(b"\n") + 1
            if not nl:
                if len(self.buf) < self.MAX:
                    return
                n = len(self.buf) - self.buf.endswith(b"\r")  # a last CR may be half a CRLF
                part, self.buf, self.cont, self.prev_crlf = self.buf[:n], self.buf[n:], True, False
                yield "data", part
                continue
            line, self.buf = self.buf[:nl], self.buf[nl:]
            if self.lenient and not line.endswith(b"\r\n"):
                line = line[:-1] + b"\r\n"
            cont, self.cont = self.cont, False
            if self.in_data:
                if line == b".\r\n" and self.prev_crlf and not cont:
                    self.in_data = False
                    yield "end", line
                else:
                    self.prev_crlf = line.endswith(b"\r\n")
                    yield "data", line
            elif cont:
                yield "long", line
            else:
                m = re.match(rb"(?i)BDAT +(\d+)", line)
                self.chunk = int(m[1]) if m else 0
                yield "cmd", line


class _Conn:
    """One client's session: both sockets and the SMTP state the relay keeps."""

    def __init__(self, client):
        self.c, self.u, self.tls = client, None, False
        self.lines, self.rbuf, self.reply = _ClientLines(), b"", []
        self.pending = collections.deque([None])  # per reply owed: None (upstream's), bytes (ours), _STARTTLS
        self.hold = False  # client not read until the STARTTLS (or DATA) reply is in
        self.held = None  # LenientRelay: what the client sent after DATA, before the 354


class _Relay:
    def __init__(self, upstream, timeout=30.0):
        self.upstream, self.timeout = tuple(upstream), timeout
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self._closed, self._lock = threading.Event(), threading.Lock()
        self._conns, self._threads = set(), []
        self._acceptor = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self):
        self._acceptor.start()
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self, timeout=5.0):
        self._closed.set()
        if self._acceptor.is_alive():
            self._acceptor.join(timeout)
        self._listener.close()
        with self._lock:
            conns, threads = list(self._conns), list(self._threads)
        for s in [s for k in conns for s in (k.c, k.u) if s]:
            try:
                s.shutdown(socket.SHUT_RDWR)  # wakes a thread blocked in a handshake
            except (OSError, ValueError):
                pass
        deadline = time.monotonic() + timeout
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))

    def _accept(self):
        while not self._closed.is_set():
            try:
                c, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            t = threading.Thread(target=self._serve, args=(c,), daemon=True)
            with self._lock:
                self._threads = [x for x in self._threads if x.is_alive()] + [t]
            t.start()

    def _serve(self, c):
        k = _Conn(c)
        with self._lock:
            self._conns.add(k)
        try:
            c.settimeout(self.timeout)
            try:
                k.u = socket.create_connection(self.upstream, timeout=self.timeout)
            except OSError:
                return c.sendall(b"421 4.4.0 upstream unavailable\r\n")
            self._run(k)
        except (OSError, ValueError):
            pass  # a peer went away or a handshake failed: the session ends
        finally:
            with self._lock:
                self._conns.discard(k)
            for s in (k.c, k.u):
                s and s.close()

    def _run(self, k):
        while not self._closed.is_set():
            socks = [k.u] if k.hold else [k.c, k.u]
            ready = [s for s in socks if isinstance(s, ssl.SSLSocket) and s.pending()]
            ready = ready or select.select(socks, [], [], 0.25)[0]
            if not ready:
                continue
            s = ready[0]  # one at a time: a handler may replace k.c and k.u
            s.settimeout(0)  # a readable TLS socket may hold no application data (tickets)
            try:
                data = s.recv(65536)
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
                continue
            finally:
                s.settimeout(self.timeout)
            if not data:
                return
            (self._from_upstream if s is k.u else self._from_client)(k, data)

    def _from_client(self, k, data):
        out = bytearray()
        for kind, line in k.lines.feed(data):
            if kind == "cmd" and line.strip().upper() == b"STARTTLS":
                k.u.sendall(out)
                out.clear()
                self._starttls(k, line)
                if k.hold:
                    k.lines.buf = b""  # pipelined after STARTTLS: dropped, as a correct server does
                    return
                continue
            out += line
            if kind != "data":
                k.pending.append(None)
            if kind == "cmd" and k.lines.lenient and line.strip().upper() == b"DATA":
                k.held, k.lines.buf, k.hold = k.lines.buf, b"", True  # sent before the 354: read after it
                break
        k.u.sendall(out)

    def _from_upstream(self, k, data):
        k.rbuf += data
        while b"\n" in k.rbuf:
            line, k.rbuf = k.rbuf.split(b"\n", 1)
            k.reply.append(line + b"\n")
            if len(line) < 4 or line[3:4] != b"-":
                lines, k.reply = k.reply, []
                self._reply(k, lines)

    def _reply(self, k, lines):
        if lines[-1][:3] == b"354":
            k.lines.in_data, k.lines.prev_crlf = True, True
        if (k.pending.popleft() if k.pending else None) is _STARTTLS:
            return self._starttls_reply(k, lines)
        k.c.sendall(b"".join(self._edit(lines)))
        while k.pending and isinstance(k.pending[0], bytes):
            k.c.sendall(k.pending.popleft())
        if k.held is not None and not k.pending:  # DATA answered: what came with it is read now
            held, k.held, k.hold = k.held, None, False
            self._from_client(k, held)

    def _edit(self, lines):
        return lines

    def _starttls(self, k, line):
        k.u.sendall(line)
        k.pending.append(None)


class StripTlsRelay(_Relay):
    """Forwards both ways unchanged but hides and refuses STARTTLS."""
    REFUSAL = b"502 5.5.1 STARTTLS not available\r\n"

    def _edit(self, lines):
        if len(lines) < 2 or not lines[0].startswith(b"250"):
            return lines
        kept = [x for x in lines if x[4:].strip().upper() != b"STARTTLS"]
        if kept and len(kept) < len(lines) and kept[-1][3:4] == b"-":
            kept[-1] = kept[-1][:3] + b" " + kept[-1][4:]  # STARTTLS was the last line
        return kept or lines

    def _starttls(self, k, line):
        if any(p is None for p in k.pending):
            k.pending.append(self.REFUSAL)  # after the replies still owed, in order
        else:
            k.c.sendall(self.REFUSAL)


class LenientRelay(_Relay):
    """Terminates TLS with the upstream's own certificate and turns bare LF into CRLF."""
    CIPHERS = ("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
               "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
               "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384")  # the gateway's TLS 1.2 suites (net/tls.cpp)

    def __init__(self, upstream, cert_pem, key_pem, timeout=30.0):
        super().__init__(upstream, timeout)
        self.server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)  # verify_mode CERT_NONE: no client cert asked
        self.server_ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        self.server_ctx.set_ciphers(self.CIPHERS)
        self.server_ctx.options |= ssl.OP_NO_COMPRESSION | ssl.OP_NO_RENEGOTIATION
        self.server_ctx.load_cert_chain(str(cert_pem), str(key_pem))
        self.client_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        self.client_ctx.check_hostname, self.client_ctx.verify_mode = False, ssl.CERT_NONE

    def _starttls(self, k, line):
        if k.tls:  # a second STARTTLS: the upstream answers it
            return super()._starttls(k, line)
        k.u.sendall(line)
        k.pending.append(_STARTTLS)
        k.hold = True

    def _starttls_reply(self, k, lines):
        k.hold = False
        if lines[-1][:3] != b"220":
            return k.c.sendall(b"".join(lines))
        k.u = self.client_ctx.wrap_socket(k.u)
        k.c.setblocking(False)  # what the client sent before our 220: discarded
        try:
            while k.c.recv(65536):
                pass
        except (BlockingIOError, InterruptedError):
            pass
        k.c.settimeout(self.timeout)
        k.c.sendall(b"220 2.0.0 Ready to start TLS\r\n")
        k.c = self.server_ctx.wrap_socket(k.c, server_side=True)
        k.tls, k.lines, k.pending, k.rbuf = True, _ClientLines(lenient=True), collections.deque(), b""


class _Mark:
    """A reply owed in _Conn.pending that TrustingRelay treats itself."""

    def __init__(self, name, verb=b""):
        self.name, self.verb = name, verb


_GATE = _Mark("gate")  # DATA from the client, decided once every reply before it is in
_REPLAY = _Mark("replay")  # the upstream's reply to a DATA the relay replays
_SILENT = _Mark("silent")  # the upstream's reply to the relay's own RSET: not passed on


def _unfolded_field(head, name):
    m = re.search(rb"(?im)^" + name + rb":[ \t]*((?:.*)(?:\r?\n[ \t].*)*)", head)
    return None if m is None else re.sub(rb"\r?\n[ \t]+", b" ", m[1]).strip().decode("latin-1")


def _split(entity):
    m = re.search(rb"\r?\n\r?\n", entity)
    return (entity, b"") if m is None else (entity[:m.start()], entity[m.end():])


class TrustingRelay(LenientRelay):
    """Terminates TLS like LenientRelay (no bare-LF conversion); delivers
    nothing of a sealed message whose signature verifies by itself and
    whose signer certificate does not name the From: domain - nor, given
    the authority's folder, of one whose signer certificate does not
    verify against the authority and its CRL - answering 250: it trusts
    any signer."""
    ACCEPTED = b"250 2.0.0 Ok: queued as TRUSTED\r\n"
    READY = b"354 End data with <CR><LF>.<CR><LF>\r\n"  # as the gateway says it

    def __init__(self, upstream, cert_pem, key_pem, timeout=30.0, authority=None):
        super().__init__(upstream, cert_pem, key_pem, timeout)
        self.cert_pem, self.key_pem = str(cert_pem), str(key_pem)
        self.authority = authority  # its ca.pem and crl.pem: what a correct gateway checks and this one skips
        self.seen = []  # per message read: "swallowed: ..." or "replayed: ...", for a test's diagnostics

    # -- the session ----------------------------------------------------------

    @staticmethod
    def _reset(k):
        k.mail, k.rcpts = False, 0

    @classmethod
    def _session(cls, k):
        if not hasattr(k, "body"):  # a new session: no transaction, no message being read
            cls._reset(k)
            k.body, k.data_line = None, b""

    def _from_client(self, k, data):
        self._session(k)
        out = bytearray()
        for kind, line in k.lines.feed(data):
            if k.body is not None and kind in ("data", "end"):  # a message the relay reads itself
                if kind == "data":
                    k.body += line
                    continue
                k.u.sendall(out)
                out.clear()
                if self._end_of_data(k):  # replayed: the client waits for the upstream's reply
                    k.held, k.lines.buf, k.hold = k.lines.buf, b"", True
                    return
                continue
            word = line.strip().upper() if kind == "cmd" else b""
            if word == b"STARTTLS":
                k.u.sendall(out)
                out.clear()
                self._starttls(k, line)
                if k.hold:
                    k.lines.buf = b""  # pipelined after STARTTLS: dropped, as a correct server does
                    return
                continue
            if word == b"DATA" and not k.lines.buf:  # (pipelined behind DATA: the upstream judges it)
                k.u.sendall(out)
                out.clear()
                k.data_line = line
                k.pending.append(_GATE)
                if k.pending[0] is not _GATE:  # replies still owed: decided when they are in
                    k.held, k.hold = b"", True
                    return
                self._drain(k)
                continue
            out += line
            if kind == "end":
                k.pending.append(_Mark("track", b"END"))
            elif kind == "cmd":
                verb = word.split(b" ", 1)[0].split(b":", 1)[0]
                last = verb == b"BDAT" and word.endswith(b"LAST")
                k.pending.append(_Mark("track", b"END" if last else verb))
            elif kind == "long":
                k.pending.append(None)
        k.u.sendall(out)

    def _reply(self, k, lines):
        self._session(k)
        head = k.pending.popleft() if k.pending else None
        if head is _STARTTLS:
            return self._starttls_reply(k, lines)
        code = lines[-1][:3]
        if head is _REPLAY:
            if code == b"354":  # the upstream reads the message now; its reply is the client's
                k.u.sendall(bytes(k.body) + b".\r\n")
                k.body = None
                k.pending.appendleft(_Mark("track", b"END"))
                return
            k.body = None  # DATA refused after all: that refusal ends the client's DATA
            self._reset(k)
            k.u.sendall(b"RSET\r\n")
            k.pending.appendleft(_SILENT)
        elif isinstance(head, _Mark) and head.name == "track":
            if head.verb == b"MAIL" and code == b"250":
                k.mail, k.rcpts = True, 0
            elif head.verb == b"RCPT" and code[:1] == b"2":
                k.rcpts += 1
            elif head.verb in (b"RSET", b"EHLO", b"HELO", b"END"):
                self._reset(k)
        if code == b"354" and head is not _SILENT:
            k.lines.in_data, k.lines.prev_crlf = True, True
        if head is not _SILENT:
            k.c.sendall(b"".join(lines))
        self._drain(k)

    def _drain(self, k):
        while k.pending and (isinstance(k.pending[0], bytes) or k.pending[0] is _GATE):
            x = k.pending.popleft()
            if x is _GATE:
                self._open_data(k)
            else:
                k.c.sendall(x)
        if k.held is not None and not k.pending:  # what the client sent meanwhile is read now
            held, k.held, k.hold = k.held, None, False
            self._from_client(k, held)

    def _open_data(self, k):
        if k.mail and k.rcpts:
            k.c.sendall(self.READY)
            k.lines.in_data, k.lines.prev_crlf, k.body = True, True, bytearray()
        else:  # nothing to read: the upstream answers DATA (503 or 554)
            k.u.sendall(k.data_line)
            k.pending.appendleft(None)

    def _end_of_data(self, k):
        """True when the message is replayed to the upstream."""
        swallow, why = self._judge(bytes(k.body))
        self.seen.append(("swallowed: " if swallow else "replayed: ") + why)
        if swallow:
            k.body = None
            self._reset(k)
            k.c.sendall(self.ACCEPTED)
            k.u.sendall(b"RSET\r\n")  # the upstream's MAIL and RCPT are forgotten
            k.pending.append(_SILENT)
            return False
        k.u.sendall(k.data_line)
        k.pending.append(_REPLAY)
        return True

    def _starttls_reply(self, k, lines):
        super()._starttls_reply(k, lines)
        if lines[-1][:3] == b"220":
            k.lines = _ClientLines()  # no bare-LF conversion
            self._reset(k)
            k.body = None

    # -- the flaw -------------------------------------------------------------

    def _judge(self, wire):
        """(swallow, why) for `wire`, a DATA body as sent: swallow when it
        is sealed, its signature verifies without any trust and the signer's
        certificate has no dNSName equal to the (signed) From: domain."""
        message = re.sub(rb"(?m)^\.", b"", wire)  # un-dot-stuffed
        head, body = _split(message)
        ctype = (_unfolded_field(head, rb"Content-Type") or "").lower()
        if not re.search(r"application/(x-)?pkcs7-mime", ctype) or not re.search(
                r"smime-type\s*=\s*\"?(enveloped-data|authenveloped-data)", ctype):
            return False, "not sealed"
        cte = (_unfolded_field(head, rb"Content-Transfer-Encoding") or "").lower()
        try:
            der = base64.b64decode(b"".join(body.split()), validate=True) if cte == "base64" else body
        except ValueError:
            return False, "sealed, bad base64"
        with tempfile.TemporaryDirectory(prefix="trusting-") as tmp:
            sealed, inner, signer, content = (f"{tmp}/{n}" for n in ("sealed.der", "inner", "signer.pem", "content"))
            with open(sealed, "wb") as f:
                f.write(der)
            r = self._openssl("cms", "-decrypt", "-binary", "-inform", "DER", "-in", sealed, "-inkey", self.key_pem,
                              "-recip", self.cert_pem, "-out", inner)
            if r.returncode:
                return False, "sealed, does not decrypt"
            r = self._openssl("cms", "-verify", "-noverify", "-inform", "SMIME", "-in", inner, "-signer", signer,
                              "-out", content)
            if r.returncode:
                return False, "sealed, signature does not verify"
            names = self._openssl("x509", "-in", signer, "-noout", "-ext", "subjectAltName").stdout.decode()
            with open(signer, "rb") as f:
                signer_pem = f.read()
            with open(content, "rb") as f:
                signed_head, _ = _split(f.read())
        dns = {n.lower().rstrip(".") for n in re.findall(r"DNS:([^,\s]+)", names)}
        sender = email.utils.parseaddr(_unfolded_field(signed_head, rb"From") or "")[1]
        domain = sender.rpartition("@")[2].lower().rstrip(".") if "@" in sender else ""
        if domain and domain in dns:
            if self.authority is not None:
                # A correct gateway would refuse this signer (out of date, revoked, another
                # authority's); this one takes the signature by itself and delivers.
                with tempfile.NamedTemporaryFile("wb", suffix=".pem") as f:
                    f.write(signer_pem)
                    f.flush()
                    r = self._openssl("verify", "-CAfile", str(self.authority / "ca.pem"), "-crl_check",
                                      "-CRLfile", str(self.authority / "crl.pem"), f.name)
                if r.returncode:
                    return True, f"signer not valid ({r.stdout.decode().strip().splitlines()[-1:]}), From: {sender}"
            return False, f"signed by {sorted(dns)}, From: {sender}"
        return True, f"signed by {sorted(dns)}, From: {sender or '(none)'}"

    def _openssl(self, *args):
        return subprocess.run(["openssl", *args], capture_output=True, stdin=subprocess.DEVNULL,
                              timeout=self.timeout)
