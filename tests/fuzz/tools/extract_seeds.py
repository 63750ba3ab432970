#!/usr/bin/env python3
"""extract_seeds.py - make the seed corpora in tests/fuzz/corpus/<target>/
from the unit tests' own inputs: the C++ string literals of the tests that
exercise each parser (adjacent literals joined, escapes decoded), filtered
to what looks like that parser's input, plus a few hand-written sessions.

Run from the repository root when tests change; it only adds files (named
by content hash, so running it again changes nothing). The CMS and feed
seeds that need the fixed test PKI come from tools/make_seeds.cpp."""
import hashlib
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[3]
UNIT = ROOT / "tests" / "unit"
CORPUS = ROOT / "tests" / "fuzz" / "corpus"

LITERAL = re.compile(r'R"([^(]*)\((.*?)\)\1"|"((?:[^"\\\n]|\\.)*)"', re.S)
SIMPLE = {"n": b"\n", "r": b"\r", "t": b"\t", "0": b"\0", "\\": b"\\", '"': b'"', "'": b"'"}


def unescape(s):
    out, i = bytearray(), 0
    while i < len(s):
        c = s[i]
        if c != "\\":
            out += c.encode()
            i += 1
            continue
        n = s[i + 1]
        if n == "x":
            m = re.match(r"[0-9a-fA-F]{1,2}", s[i + 2:])
            out.append(int(m.group(0), 16))
            i += 2 + len(m.group(0))
        elif n in SIMPLE:
            out += SIMPLE[n]
            i += 2
        else:
            out += n.encode()
            i += 2
    return bytes(out)


def literals(path):
    """Adjacent string literals joined, as the compiler would."""
    text = path.read_text()
    found, last_end, current = [], None, None
    for m in LITERAL.finditer(text):
        value = m.group(2).encode() if m.group(2) is not None else unescape(m.group(3))
        if current is not None and text[last_end:m.start()].strip() == "":
            current += value
        else:
            if current is not None:
                found.append(current)
            current = value
        last_end = m.end()
    if current is not None:
        found.append(current)
    return found


def write(target, data, prefix=b""):
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    data = prefix + data
    (d / hashlib.sha1(data).hexdigest()[:16]).write_bytes(data)


def from_tests(target, files, keep, prefix=b""):
    n = 0
    for f in files:
        for lit in literals(UNIT / f):
            if keep(lit):
                write(target, lit, prefix)
                n += 1
    return n


COMMAND = re.compile(rb"^(EHLO|HELO|MAIL|RCPT|DATA|RSET|NOOP|QUIT|VRFY|HELP|STARTTLS)\b", re.I)


def main():
    counts = {}
    counts["smtp_command"] = from_tests("smtp_command", ["smtp_command_test.cpp", "smtp_session_test.cpp"],
                                        lambda s: COMMAND.match(s) is not None)
    # Line limit 1000 (0xf8 * 4 + 8) and 7-octet chunks, then the DATA octets.
    counts["smtp_data"] = from_tests("smtp_data", ["smtp_data_test.cpp"],
                                     lambda s: b"\n" in s or b"\r" in s, prefix=b"\xf8\x07")
    counts["mime_header"] = from_tests("mime_header", ["mime_header_test.cpp", "gateway_auth_results_test.cpp",
                                                       "smime_parts_test.cpp", "gateway_sender_binding_test.cpp"],
                                       lambda s: b":" in s and b"\n" in s)
    counts["mime_dsn"] = from_tests("mime_dsn", ["mime_dsn_test.cpp"], lambda s: len(s) > 4)
    counts["config_toml"] = from_tests("config_toml", ["config_load_test.cpp", "config_policy_test.cpp",
                                                       "config_directory_test.cpp"],
                                       lambda s: b"=" in s and b"\n" in s)
    counts["directory_feed"] = from_tests("directory_feed", ["directory_json_test.cpp", "directory_feed_test.cpp"],
                                          lambda s: s.lstrip().startswith(b"{"))
    counts["admin_http"] = from_tests("admin_http", ["admin_http_test.cpp"],
                                      lambda s: s.startswith(b"/") or s.startswith(b"GET "))
    # The admin tests name paths; make requests of them.
    for p in sorted((CORPUS / "admin_http").glob("*")):
        data = p.read_bytes()
        if data.startswith(b"/"):
            p.unlink()
            write("admin_http", b"GET " + data.split(b"\n")[0] + b" HTTP/1.1\r\nHost: a\r\n\r\n")
    for req in [b"GET /healthz HTTP/1.1\r\nHost: gw\r\n\r\nGET /metrics HTTP/1.1\r\nHost: gw\r\n\r\n",
                b"GET /v1/members/alpha?fields=domains HTTP/1.1\r\nIf-None-Match: W/\"alpha\", \"x\"\r\n\r\n",
                b"POST /v1/members HTTP/1.1\r\nContent-Length: 11\r\nContent-Type: application/json\r\n\r\n{\"id\":\"a\"}\n",
                b"POST /v1/members HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n0\r\n\r\n",
                b"GET /nope HTTP/1.0\r\nRange: bytes=0-4,8-\r\n\r\n"]:
        write("admin_http", req)
    # A server's side of a conversation; the first octet picks the chunking.
    for conv in [b"220 fake.test ESMTP\r\n250-fake.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
                 b"250-8BITMIME\r\n250-DSN\r\n250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n250 SMTPUTF8\r\n",
                 b"250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n550 5.1.1 <x@example.net>: Recipient address rejected\r\n"
                 b"354 End data with <CR><LF>.<CR><LF>\r\n250 2.0.0 Ok: queued as ABC0\r\n",
                 b"452-4.2.2 mailbox full\r\n452 4.2.2 try later\r\n421 4.3.2 shutting down\r\n",
                 b"220 2.0.0 Ready to start TLS\n250 fake.test\n"]:
        write("smtp_reply", conv, prefix=b"\x05")
    counts["smtp_reply"] = 4
    for name, n in counts.items():
        print(f"{name}: {n} literals", file=sys.stderr)


if __name__ == "__main__":
    main()
