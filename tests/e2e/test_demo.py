"""`securemail demo`: two testnet gateways on loopback, one message from
alice@a.example to bob@b.example, the eight steps each proven by a log
line, the delivered message with smime=pass; exit 0. The gateways are
always stopped (also on Ctrl-C), the temporary network is removed unless
--keep or --dir, and a --dir that is not empty is refused."""
import os
import re
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import BIN, securemail, text, wait_for

STEPS = ["looked up", "signed", "encrypted", "sent over TLS", "received", "decrypted", "verified", "delivered"]


def gateway_processes(folder: Path):
    """PIDs of processes whose command line names `folder` (the demo's gateways)."""
    found = []
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            cmd = (p / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"run" in cmd and any(str(folder).encode() in c for c in cmd):
            found.append(int(p.name))
    return found


def assert_steps_in_order(out):
    at = -1
    for i, step in enumerate(STEPS, 1):
        m = re.search(rf"^\s*{i}\. {re.escape(step)}\s", out[at + 1:], re.M)
        assert m, f"step {i} ({step}) missing or out of order:\n{out}"
        at += 1 + m.end()
    assert "MISSING" not in out, out


@pytest.fixture
def short_tmp():
    """A TMPDIR short enough for the gateways' Unix control sockets (108 bytes)."""
    d = Path(tempfile.mkdtemp(prefix="smdemo-", dir="/tmp"))
    yield d
    shutil.rmtree(d, ignore_errors=True)


def test_demo_shows_sealed_mail(short_tmp):
    tmp_path = short_tmp
    env = dict(os.environ, TMPDIR=str(tmp_path))
    r = securemail("demo", env=env, timeout=120)
    out = r.stdout.decode(errors="replace")
    assert r.returncode == 0, text(r)
    assert_steps_in_order(out)
    assert re.search(r"^>>> Authentication-Results: gw\.b\.example; smime=pass\b", out, re.M), out
    assert "body.smime-identifier=alice@a.example" in out
    assert "Subject: SecureMail demo" in out
    # The temporary network is gone and no gateway outlived the demo.
    assert not list(tmp_path.glob("securemail-demo-*")), list(tmp_path.iterdir())
    assert not gateway_processes(tmp_path)


def test_demo_keep_dir_leaves_logs(tmp_path):
    d = tmp_path / "demo"
    r = securemail("demo", "--dir", d, "--keep", timeout=120)
    assert r.returncode == 0, text(r)
    for domain in ("a.example", "b.example"):
        log = (d / domain / "gateway.log").read_text(errors="replace")
        assert "ready:" in log and "stopped" in log, log[-2000:]
    assert "sealed for member b-example" in (d / "a.example" / "gateway.log").read_text()
    delivered = list((d / "b.example" / "maildir" / "bob" / "new").iterdir())
    assert len(delivered) == 1 and b"smime=pass" in delivered[0].read_bytes()
    assert str(d / "a.example" / "gateway.log") in r.stdout.decode()
    assert not gateway_processes(d)


def test_demo_refuses_too_long_dir(tmp_path):
    """A folder whose gateways could not open their control socket: a clear error, nothing started."""
    d = tmp_path / ("x" * 60) / "demo"
    r = securemail("demo", "--dir", d)
    assert r.returncode == 1, text(r)
    assert "control socket" in text(r) and "shorter --dir" in text(r)
    assert not gateway_processes(d)


def test_demo_refuses_used_dir(tmp_path):
    d = tmp_path / "used"
    d.mkdir()
    (d / "mine").write_text("x")
    r = securemail("demo", "--dir", d)
    assert r.returncode == 1, text(r)
    assert "already exists" in text(r)
    assert sorted(p.name for p in d.iterdir()) == ["mine"]


def test_demo_interrupted_stops_gateways(tmp_path):
    """Ctrl-C as soon as a gateway is up: the demo ends promptly and leaves no gateway running."""
    d = tmp_path / "demo"
    proc = subprocess.Popen([BIN, "demo", "--dir", str(d)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)
    try:
        assert wait_for(lambda: (d / "a.example" / "run" / "listeners.json").exists() or proc.poll() is not None, 60)
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    # It may have finished before the signal; either way nothing is left running.
    assert proc.returncode in (0, 1), out.decode(errors="replace")
    if proc.returncode == 1:
        assert b"interrupted" in out, out.decode(errors="replace")
    assert not gateway_processes(d)
    assert "stopped" in (d / "a.example" / "gateway.log").read_text(errors="replace")
