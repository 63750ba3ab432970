"""Least privilege for `securemail run`: a private key in the data folder
that group or others may read stops the start (exit 2, naming the file, as
ssh does); a gateway started as root switches to [run] user once its ports
are bound and keeps serving mail; started as root without one, it warns."""
import os
import pwd
import shutil
import smtplib
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import BIN, Gateway

LISTEN = '[listen]\nrelay = "127.0.0.1:0"\ninbound = "127.0.0.1:0"\nadmin = "127.0.0.1:0"\n'


def needs_root():
    if os.geteuid() != 0:
        pytest.skip("switching user needs a gateway started as root; these tests run as uid "
                    f"{os.geteuid()}")


def run_once(config, timeout=30):
    return subprocess.run([BIN, "run", "--config", str(config)], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def send(gw, subject):
    msg = f"From: <alice@a.example>\r\nTo: <bob@c.example>\r\nSubject: {subject}\r\n\r\nhi\r\n".encode()
    with smtplib.SMTP(*gw.addr("relay"), timeout=10) as s:
        s.sendmail("alice@a.example", ["bob@c.example"], msg)


def test_group_readable_tls_key_refuses_start(gateway_factory):
    gw = gateway_factory()
    gw.write_config(LISTEN)
    gw.start()
    gw.stop()
    key = gw.data / "tls" / "key.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600, "the gateway writes its TLS key 0600"
    key.chmod(0o644)
    r = run_once(gw.config_path)
    assert r.returncode == 2, (r.returncode, r.stderr[-2000:])
    assert f"{key}: private key is accessible by group or others (mode 0644)" in r.stderr, r.stderr[-2000:]


def test_group_readable_gateway_key_refuses_start(pki_world, auth):
    data = pki_world.gateway("keymode.example", auth)
    key = data.key()
    assert stat.S_IMODE(key.stat().st_mode) == 0o600, "securemail init writes keys 0600"
    key.chmod(0o640)
    try:
        r = run_once(data.config)
        assert r.returncode == 2, (r.returncode, r.stderr[-2000:])
        assert str(key) in r.stderr and "mode 0640" in r.stderr, r.stderr[-2000:]
    finally:
        key.chmod(0o600)


def test_unknown_run_user_is_bad_config(gateway_factory):
    gw = gateway_factory()
    gw.write_config(LISTEN + '[run]\nuser = "no-such-user-sm"\n')
    r = run_once(gw.config_path)
    assert r.returncode == 2, (r.returncode, r.stderr[-2000:])
    assert f'{gw.config_path}: run.user: no such user "no-such-user-sm"' in r.stderr, r.stderr[-2000:]


def test_root_without_run_user_warns(gateway_factory):
    needs_root()
    gw = gateway_factory()
    gw.write_config(LISTEN)
    gw.start()
    assert "running as root: set [run] user" in gw.log_text(), gw.log_text()[-3000:]


@pytest.fixture
def open_workdir():
    # pytest's tmp_path sits under a 0700 folder of root's, which `nobody`
    # cannot pass through: the data folder must be reachable by the account.
    d = Path(tempfile.mkdtemp(prefix="sm-priv-", dir="/tmp"))
    d.chmod(0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def proc_ids(pid, field):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return [int(x) for x in line.split()[1:]]
    raise LookupError(field)


def test_drops_to_nobody_and_keeps_serving(open_workdir, sink):
    needs_root()
    nobody = pwd.getpwnam("nobody")
    gw = Gateway(open_workdir)
    gw.write_config(LISTEN + f'[routes]\ndefault = "smtp://127.0.0.1:{sink.port}"\n[run]\nuser = "nobody"\n')
    gw.start()
    try:
        pid = gw.proc.pid
        assert proc_ids(pid, "Uid") == [nobody.pw_uid] * 4
        assert proc_ids(pid, "Gid") == [nobody.pw_gid] * 4
        assert proc_ids(pid, "Groups") == [nobody.pw_gid]
        log = gw.log_text()
        assert "running as user nobody" in log, log[-3000:]
        assert "running as root" not in log, log[-3000:]

        # Still serving on the ports bound as root, and the queue it now
        # writes as nobody works end to end.
        send(gw, "as-nobody")
        assert sink.wait(1), gw.log_text()[-3000:]
        assert (gw.data / "queue" / "tmp").stat().st_uid == nobody.pw_uid

        # Key memory: OpenSSL's secure heap holds the TLS key's private parts
        # and is excluded from core dumps ("dd" in smaps VmFlags).
        assert "bytes of private key material in the secure heap" in log, log[-3000:]
        used = int(log.split(" bytes of private key material")[0].rsplit(" ", 1)[1])
        assert used > 0, log[-3000:]
        try:
            smaps = Path(f"/proc/{pid}/smaps").read_text()
        except PermissionError:
            smaps = None  # no CAP_SYS_PTRACE for a non-dumpable process: the log line above stands
        if smaps is not None:
            assert any(l.startswith("VmFlags:") and " dd" in l for l in smaps.splitlines())
    finally:
        assert gw.stop() == 0, gw.log_text()[-3000:]
