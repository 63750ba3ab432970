"""Log privacy ([log], docs/privacy.md): with addresses = "hashed" and a
log file, neither stderr nor the daily file names the sender or recipient
(only <h:HEX@domain>), nor holds the Subject or any body text;
`securemail log hash` gives the hash the log wrote; daily files older than
the retention are deleted at start; [sovereignty] warnings appear in the
log at start."""
import os
import re
import smtplib
import time

from conftest import BIN, securemail, wait_for

SUBJECT = "Quarterly figures zanzibar"
BODY = "the body says aardvark-kumquat"


def hashed_gateway(gateway_factory, sink, extra=""):
    gw = gateway_factory()
    gw.write_config(
        '[listen]\nrelay = "127.0.0.1:0"\ninbound = "127.0.0.1:0"\nadmin = "127.0.0.1:0"\n'
        f'[routes]\ndefault = "smtp://127.0.0.1:{sink.port}"\n'
        '[log]\naddresses = "hashed"\nfile = "logs/securemail.log"\nretention = "30d"\n' + extra)
    return gw


def daily_files(gw):
    folder = gw.dir / "logs"
    return sorted(p for p in folder.iterdir() if re.fullmatch(r"securemail_\d{4}-\d\d-\d\d\.log", p.name))


def log_hash(gw, address):
    r = securemail("log", "hash", "--config", gw.config_path, address)
    assert r.returncode == 0, r.stderr
    return r.stdout.decode().strip()


def test_hashed_log_names_nobody_and_keeps_no_subject_or_body(gateway_factory, sink):
    gw = hashed_gateway(gateway_factory, sink).start()
    message = (f"From: Sender <alice.sender@a.example>\r\nTo: carol.rcpt@c.example\r\n"
               f"Subject: {SUBJECT}\r\n\r\n{BODY}\r\n").encode()
    with smtplib.SMTP(*gw.addr("relay")) as s:
        s.sendmail("alice.sender@a.example", ["carol.rcpt@c.example"], message)
    assert sink.wait(1)
    assert gw.wait_queue_empty()
    assert wait_for(lambda: "removed" in gw.log_text())
    gw.stop()
    stderr = gw.log_text()
    files = daily_files(gw)
    assert len(files) == 1, files
    in_file = files[0].read_text()
    assert "status=sent" in in_file and "status=sent" in stderr
    for text in (stderr, in_file):
        for secret in ("alice.sender", "carol.rcpt", "zanzibar", "Quarterly", "aardvark", "kumquat"):
            assert secret not in text, (secret, text)
    sender, recipient = log_hash(gw, "alice.sender@a.example"), log_hash(gw, "Carol.Rcpt@C.example")
    assert re.fullmatch(r"h:[0-9a-f]{12}@a\.example", sender), sender
    assert recipient.endswith("@C.example")  # the domain as given, the hash case-blind
    recipient = recipient[:-len("C.example")] + "c.example"
    for text in (stderr, in_file):
        assert f"from=<{sender}>" in text, text
        assert f"to=<{recipient}>" in text and "status=sent" in text, text
    key = gw.data / "log.key"
    assert key.stat().st_size == 32 and (key.stat().st_mode & 0o777) == 0o600


def test_log_hash_needs_the_gateways_key(gateway_factory, sink):
    gw = hashed_gateway(gateway_factory, sink)
    r = securemail("log", "hash", "--config", gw.config_path, "alice@a.example")
    assert r.returncode == 1 and b"no log key" in r.stderr, r.stderr
    assert not (gw.data / "log.key").exists()  # a reader never makes one
    gw.start()
    gw.stop()
    r = securemail("log", "hash", "--config", gw.config_path, "not-an-address")
    assert r.returncode == 2 and b"not an address" in r.stderr, r.stderr


def test_daily_files_past_retention_are_deleted_at_start(gateway_factory, sink):
    gw = hashed_gateway(gateway_factory, sink)
    folder = gw.dir / "logs"
    folder.mkdir()
    now = time.time()
    old, recent, other = (folder / "securemail_2020-01-01.log", folder / "securemail_2020-01-02.log",
                          folder / "notes_2020-01-01.log")
    for path, days in ((old, 31), (recent, 29), (other, 400)):
        path.write_text("an earlier line\n")
        os.utime(path, (now - days * 86400, now - days * 86400))
    gw.start()
    assert not old.exists()
    assert recent.exists() and other.exists()  # inside the retention; not a file of this log
    assert wait_for(lambda: f"log: deleted {old}" in gw.log_text()), gw.log_text()
    assert any(p.name != recent.name for p in daily_files(gw))  # today's file was opened


def test_log_config_errors_stop_the_start(gateway_factory, sink):
    gw = hashed_gateway(gateway_factory, sink, 'bodies = true\n')
    r = securemail("run", "--config", gw.config_path, timeout=20)
    assert r.returncode == 2
    assert b"config.toml:" in r.stderr and b"log.bodies" in r.stderr, r.stderr


def test_sovereignty_warnings_at_start(gateway_factory, sink):
    gw = gateway_factory()
    gw.write_config(
        '[listen]\nrelay = "127.0.0.1:0"\ninbound = "127.0.0.1:0"\nadmin = "127.0.0.1:0"\n'
        f'[routes]\ndefault = "smtp://127.0.0.1:{sink.port}"\n"partner.example" = "smtp://127.0.0.1:{sink.port}"\n'
        '"au.example" = "mx"\n'
        '[sovereignty]\napproved = ["NZ", "AU"]\ndata = "US"\n'
        '[sovereignty.routes]\ndefault = "NZ"\n"partner.example" = "SG"\n"au.example" = "AU"\n')
    gw.start()
    warnings = [l for l in gw.log_text().splitlines() if " warning " in l and "sovereignty: " in l]
    assert len(warnings) == 2, gw.log_text()
    assert 'sovereignty.data = "US"' in warnings[0] and str(gw.data) in warnings[0]
    assert ('routes."partner.example" (smtp://127.0.0.1:' in warnings[1]
            and 'declared in SG by sovereignty.routes."partner.example"' in warnings[1]), warnings[1]
    gw.stop()
    gw.write_config(
        '[listen]\nrelay = "127.0.0.1:0"\ninbound = "127.0.0.1:0"\nadmin = "127.0.0.1:0"\n'
        '[sovereignty]\napproved = ["NZ"]\ndata = "NZ"\n')
    gw.log_path.unlink()
    gw.start()
    assert "sovereignty:" not in gw.log_text()  # all approved: nothing to say
