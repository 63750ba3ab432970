"""`securemail queue` says which queue it reads and never creates one; a
data folder the gateway cannot write is refused at start-up with the folder
or file named and the reason (read-only file system), not SQLite's "unable
to open database file" or a 451 at the first message.

Tests run as root here, where chmod does not stop reads or writes: the
read-only cases use a read-only bind mount in a private mount namespace
(unshare -m), and are skipped, saying why, where that is not allowed."""
import os
import subprocess

import pytest

from conftest import BIN


def queue_cmd(*args, cwd=None):
    return subprocess.run([BIN, "queue", *args], capture_output=True, text=True, timeout=30, cwd=cwd)


def test_queue_list_without_a_queue_creates_nothing(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    r = queue_cmd("list", cwd=empty)
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    assert str(empty / "securemail-data" / "queue") in r.stderr, r.stderr
    assert "--config" in r.stderr, r.stderr
    assert os.listdir(empty) == [], "queue list must not create a data folder"


def test_queue_list_with_a_config_but_no_queue_yet(tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'data_dir = "{tmp_path / "data"}"\n')
    for verb in (["list"], ["list", "--json"], ["flush"], ["hold", "0123456789ABCDEF"]):
        r = queue_cmd("--config", str(cfg), *verb)
        assert r.returncode == 1, (verb, r.returncode, r.stdout, r.stderr)
        assert f"no queue in {tmp_path / 'data' / 'queue'}" in r.stderr, r.stderr
        assert str(cfg) in r.stderr, r.stderr
    assert not (tmp_path / "data").exists()


def test_queue_list_names_the_queue_it_reads(gateway_factory):
    gw = gateway_factory()
    gw.write_config('[listen]\nrelay = "127.0.0.1:0"\ninbound = "127.0.0.1:0"\nadmin = "127.0.0.1:0"\n')
    gw.start()
    gw.stop()
    out = gw.queue("list").stdout
    assert f"Mail queue is empty ({gw.data / 'queue'})" in out, out


def test_queue_changes_say_why_not_on_a_running_and_a_stopped_gateway(gateway_factory):
    """A running gateway owns its queue: the change goes through its control socket and its
    reason comes back; a stopped one is changed by the command under the data folder lock."""
    gw = gateway_factory()
    gw.write_config('[listen]\nrelay = "127.0.0.1:0"\ninbound = "127.0.0.1:0"\nadmin = "127.0.0.1:0"\n')
    gw.start()
    for running in (True, False):
        for verb in ("hold", "release", "delete"):
            r = gw.queue(verb, "0123456789ABCDEF", check=False)
            assert r.returncode == 1, (running, verb, r.stdout, r.stderr)
            assert "no such message in the queue: 0123456789ABCDEF" in r.stderr, (running, r.stderr)
        r = gw.queue("hold", "../../etc/passwd", check=False)
        assert r.returncode == 1 and "not a queue id" in r.stderr, (running, r.stderr)
        if running:
            assert gw.proc.poll() is None, "the gateway keeps running"
            gw.stop()
    assert not list((gw.data / "queue").glob("active")), "no file-per-message folders come back"


def test_data_folder_under_a_file_is_named(tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where a folder should be\n")
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'data_dir = "{blocker / "data"}"\n')
    r = queue_cmd("--config", str(cfg), "list")
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    assert str(blocker / "data" / "queue") in r.stderr and "a parent folder is a file" in r.stderr, r.stderr


# --- read-only data folders ------------------------------------------------

def run_read_only(paths, script, timeout=30):
    """Run `sh -c SCRIPT` in a private mount namespace where every path is a read-only bind mount."""
    if os.geteuid() != 0:
        pytest.skip("a read-only bind mount needs root (and chmod would not stop root anyway)")
    mounts = "".join(f'mount --bind -o ro "{p}" "{p}" || exit 99; ' for p in paths)
    r = subprocess.run(["unshare", "-m", "sh", "-c", mounts + script], capture_output=True, text=True,
                       timeout=timeout, env=dict(os.environ, SM=BIN))
    if r.returncode == 99 or "unshare:" in r.stderr:
        pytest.skip(f"no private read-only bind mount here: {r.stderr.strip()[:200]}")
    return r


@pytest.fixture
def stopped_gateway(gateway_factory):
    gw = gateway_factory()
    gw.write_config('[listen]\nrelay = "127.0.0.1:0"\ninbound = "127.0.0.1:0"\nadmin = "127.0.0.1:0"\n')
    gw.start()  # a complete data folder: queue, replay cache, TLS pair
    gw.stop()
    return gw


def test_read_only_queue_folder_is_named_at_start(stopped_gateway):
    gw = stopped_gateway
    cfg = gw.config_path
    r = run_read_only([gw.data / "queue"],
                      f'"$SM" run --config "{cfg}"; echo "run-exit=$?"; "$SM" queue --config "{cfg}" list')
    out = r.stdout + r.stderr
    assert "run-exit=1" in out, out[-3000:]
    assert f"{gw.data / 'queue' / 'tmp'}: read-only file system" in out, out[-3000:]
    # Reading the queue needs no write access.
    assert "Mail queue is empty" in r.stdout, out[-3000:]


def test_read_only_database_is_named_at_start(stopped_gateway):
    gw = stopped_gateway
    db = gw.data / "replay.sqlite"
    assert db.exists()
    r = run_read_only([db], f'"$SM" run --config "{gw.config_path}"; echo "run-exit=$?"')
    out = r.stdout + r.stderr
    assert "run-exit=1" in out, out[-3000:]
    assert f"{db}: read-only file system" in out, out[-3000:]
    assert "unable to open database file" not in out, out[-3000:]


def test_read_only_data_folder_is_named_at_start(stopped_gateway):
    gw = stopped_gateway
    r = run_read_only([gw.data], f'"$SM" run --config "{gw.config_path}"; echo "run-exit=$?"')
    out = r.stdout + r.stderr
    assert "run-exit=0" not in out and "run-exit=" in out, out[-3000:]
    assert str(gw.data) in out and "Read-only file system" in out, out[-3000:]
