"""A failed fsync never becomes a 250: with fsync(2), fdatasync(2) and
syncfs(2) failing (EIO, from an LD_PRELOAD shim built here with cc), the
gateway answers DATA with a 4xx and the message is neither queued nor
delivered; once the disk "recovers", mail flows again. The queue's group
commit is one fdatasync(2) of its log segment per batch (and an fsync of
the segment folder when a segment is created); both values of [queue] sync,
which now mean the same, are checked."""
import os
import shutil
import smtplib
import subprocess
import time
from pathlib import Path

import pytest

SHIM_SOURCE = Path(__file__).parent / "shim" / "fsync_fail.c"


@pytest.fixture(scope="module")
def shim(tmp_path_factory):
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler to build the fsync failure shim")
    out = tmp_path_factory.mktemp("shim") / "fsync_fail.so"
    subprocess.run([cc, "-shared", "-fPIC", "-O2", "-o", str(out), str(SHIM_SOURCE), "-ldl"], check=True)
    return out


def send(gw, subject):
    msg = f"From: <alice@a.example>\r\nTo: <bob@c.example>\r\nSubject: {subject}\r\n\r\nhi\r\n".encode()
    with smtplib.SMTP(*gw.addr("relay"), timeout=15) as s:
        s.sendmail("alice@a.example", ["bob@c.example"], msg)


def delivered(sink, subject):
    with sink.lock:
        return [m for m in sink.messages if f"Subject: {subject}\r\n".encode() in m["data"]]


@pytest.mark.parametrize("sync", ["syncfs", "fsync"])
def test_failed_fsync_is_never_acknowledged(gateway_factory, sink, shim, tmp_path, monkeypatch, sync):
    trigger = tmp_path / "fsync-fails"
    gw = gateway_factory()
    gw.write_config(
        '[listen]\nrelay = "127.0.0.1:0"\ninbound = "127.0.0.1:0"\nadmin = "127.0.0.1:0"\n'
        f'[routes]\ndefault = "smtp://127.0.0.1:{sink.port}"\n[queue]\nsync = "{sync}"\n')
    with monkeypatch.context() as env:  # only the gateway gets the shim
        env.setenv("LD_PRELOAD", str(shim))
        # Under `make test-sanitize` the shim comes before ASan's runtime in
        # the library list; the shim only wraps the sync calls, so that order
        # is harmless.
        env.setenv("ASAN_OPTIONS", os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0")
        env.setenv("FSYNC_FAIL_TRIGGER", str(trigger))
        gw.start()

    trigger.touch()
    with pytest.raises(smtplib.SMTPDataError) as refused:
        send(gw, "while-fsync-fails")
    code, text = refused.value.smtp_code, refused.value.smtp_error.decode(errors="replace")
    assert 400 <= code < 500, (code, text)
    assert text.startswith("4.3."), text
    assert gw.queue_ids() == [], "a message whose sync failed must not stay queued"
    assert list((gw.data / "queue" / "tmp").iterdir()) == []
    time.sleep(1.0)
    assert delivered(sink, "while-fsync-fails") == []
    assert "queue commit failed" in gw.log_text()

    trigger.unlink()
    send(gw, "after-recovery")
    assert sink.wait(1), gw.log_text()[-3000:]
    assert len(delivered(sink, "after-recovery")) == 1
    assert delivered(sink, "while-fsync-fails") == []
