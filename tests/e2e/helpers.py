"""Helpers for the e2e scenarios: an aiosmtpd next-hop sink with
scriptable replies, and small SMTP client utilities."""
import asyncio
import base64
import re
import socket
import threading
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP


class _Handler:
    def __init__(self, sink):
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.sink.rcpt_reply(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        with self.sink.lock:
            self.sink.mail_times.append(time.time())
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.sink.data_delay:
            await asyncio.sleep(self.sink.data_delay)
        if self.sink.data_reply:
            return self.sink.data_reply
        with self.sink.lock:
            self.sink.messages.append({
                "from": envelope.mail_from,
                "to": list(envelope.rcpt_tos),
                "data": envelope.original_content,
                "mail_options": list(envelope.mail_options),
                "rcpt_options": list(envelope.rcpt_options),
            })
        return "250 2.0.0 Ok: queued by sink"


class Sink:
    """An SMTP server on 127.0.0.1 with an OS-chosen port that records what it receives."""

    def __init__(self, tls_context=None):
        self.tls_context = tls_context  # offer STARTTLS with this ssl.SSLContext
        self.messages = []
        self.lock = threading.Lock()
        self.reject = {}        # address -> reply for RCPT
        self.data_reply = None  # e.g. "451 4.3.0 try later"
        self.data_delay = 0     # seconds before the reply to the end of DATA (a slow peer)
        self.mail_times = []    # time.time() of every MAIL FROM
        self.port = None
        self.controller = None

    def rcpt_reply(self, address):
        return self.reject.get(address)

    def start(self, port=None):
        if port is None:
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
            s.close()
        self.port = port
        extra = {"tls_context": self.tls_context} if self.tls_context else {}
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=port,
                                     decode_data=False,
                                     ready_timeout=10, **extra)
        self.controller.start()

    def stop(self):
        if self.controller:
            self.controller.stop()
            self.controller = None

    def count(self):
        with self.lock:
            return len(self.messages)

    def wait(self, n, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.count() >= n:
                return True
            time.sleep(0.05)
        return self.count() >= n


class RawSmtp:
    """A byte-exact SMTP client for protocol tests (smuggling, pipelining)."""

    def __init__(self, host, port, timeout=10):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""
        self.greeting = self.reply()

    def send(self, data: bytes):
        self.sock.sendall(data)

    def reply(self):
        """Read one complete (possibly multi-line) reply; returns (code, text)."""
        lines = []
        while True:
            while b"\r\n" not in self.buf:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise ConnectionError("closed; got " + repr(self.buf + b"".join(lines)))
                self.buf += chunk
            line, self.buf = self.buf.split(b"\r\n", 1)
            lines.append(line)
            if len(line) < 4 or line[3:4] != b"-":
                break
        return int(lines[-1][:3]), b"\n".join(lines).decode(errors="replace")

    def cmd(self, line: str):
        self.send(line.encode() + b"\r\n")
        return self.reply()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def sealed_as_base64(message: bytes) -> bytes:
    """A sealed copy as gateways store it (Content-Transfer-Encoding: binary,
    the CMS as DER) in the base64 form that DATA can carry, as the sending
    gateway converts it for a peer without BINARYMIME. Other messages are
    returned unchanged."""
    header, sep, body = message.partition(b"\r\n\r\n")
    cte = re.compile(rb"^(Content-Transfer-Encoding:)[ \t]*binary[ \t]*(?=\r?$)", re.I | re.M)
    if not sep or not cte.search(header):
        return message
    lines = base64.encodebytes(body).replace(b"\n", b"\r\n")
    return cte.sub(rb"\1 base64", header) + sep + lines
