"""`securemail config check` (like `postfix check`), `securemail config
show [-n]` (like `postconf [-n]`), "did you mean" for a mistyped
subcommand at any level, and the admin listener's bind error naming the
key and errno like the SMTP listeners'."""
import os
import socket
import subprocess
import time

from conftest import BIN, securemail


def write_config(tmp_path, extra="", name="config.toml"):
    cfg = tmp_path / name
    cfg.write_text(f'domain = "a.example"\ndata_dir = "{tmp_path / "data"}"\n' + extra)
    return cfg


def check(cfg):
    r = securemail("config", "check", "--config", cfg)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def test_good_file_is_ok(tmp_path):
    cfg = write_config(tmp_path)
    rc, out, err = check(cfg)
    assert (rc, out) == (0, f"{cfg}: ok\n"), err
    assert not (tmp_path / "data").exists()  # checking creates nothing


def test_syntax_error_names_file_and_line(tmp_path):
    cfg = write_config(tmp_path, "[queue]\nlifetime = \n")
    rc, out, err = check(cfg)
    assert rc == 2 and out == ""
    assert f"{cfg}:4" in err


def test_unknown_key_and_bad_value_both_reported(tmp_path):
    cfg = write_config(tmp_path, '[queue]\nlifetme = "2d"\nmin_backoff = "soon"\n')
    rc, _, err = check(cfg)
    assert rc == 2
    assert f"{cfg}:4: queue.lifetme" in err and 'did you mean "lifetime"' in err
    assert f"{cfg}:5: queue.min_backoff" in err


def test_missing_key_file_and_open_key_every_problem(tmp_path):
    key = tmp_path / "key.pem"
    key.write_text("key")
    key.chmod(0o600)
    cert = tmp_path / "cert.pem"
    cert.write_text("cert")
    cfg = write_config(tmp_path, f'[tls]\ncert = "{tmp_path / "nocert.pem"}"\nkey = "{tmp_path / "nokey.pem"}"\n')
    rc, out, err = check(cfg)
    assert rc == 2 and out == ""
    assert f"{cfg}:4: tls.cert: {tmp_path / 'nocert.pem'}: no such file" in err
    assert f"{cfg}:5: tls.key: {tmp_path / 'nokey.pem'}: no such file" in err

    cfg = write_config(tmp_path, f'[tls]\ncert = "{cert}"\nkey = "{key}"\n')
    assert check(cfg)[0] == 0
    key.chmod(0o644)
    rc, _, err = check(cfg)
    assert rc == 2
    assert f"{cfg}:5: tls.key:" in err and str(key) in err and "644" in err


def test_data_dir_that_cannot_be_created(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'domain = "a.example"\ndata_dir = "{blocker / "data"}"\n')
    rc, _, err = check(cfg)
    assert rc == 2 and f"{cfg}:2: data_dir:" in err


def test_check_binds_no_port(tmp_path):
    held = socket.socket()
    held.bind(("127.0.0.1", 0))
    held.listen()
    port = held.getsockname()[1]
    try:
        cfg = write_config(tmp_path, f'[listen]\nrelay = "127.0.0.1:{port}"\n')
        rc, out, err = check(cfg)
        assert (rc, out) == (0, f"{cfg}: ok\n"), err
    finally:
        held.close()


def test_show_all_and_only_set(tmp_path):
    cfg = write_config(tmp_path, '[queue]\nlifetime = "2d"\n')
    full = securemail("config", "show", "--config", cfg, check=True).stdout.decode()
    assert 'queue.lifetime = "2d"' in full
    assert 'queue.min_backoff = "5m"' in full  # a default
    assert "directory.max_age = " in full
    only = securemail("config", "show", "--config", cfg, "-n", check=True).stdout.decode()
    assert only.splitlines() == ['domain = "a.example"', f'data_dir = "{tmp_path / "data"}"',
                                 'queue.lifetime = "2d"']
    bad = write_config(tmp_path, "[queue]\nlifetime = \"soon\"\n", name="bad.toml")
    r = securemail("config", "show", "--config", bad)
    assert r.returncode == 2 and f"{bad}:4" in r.stderr.decode() and r.stdout == b""


def test_did_you_mean_at_every_level():
    r = securemail("queu", "list")
    assert r.returncode == 2
    assert r.stderr.decode() == 'securemail: unknown command "queu"; did you mean "queue"?\n'
    r = securemail("queue", "lst")
    assert r.returncode == 2
    assert r.stderr.decode() == 'securemail: unknown command "lst"; did you mean "list"?\n'
    r = securemail("config", "chek", "--config", "x.toml")
    assert r.returncode == 2 and 'did you mean "check"?' in r.stderr.decode()
    r = securemail("xyzzyplugh")
    assert r.returncode == 2 and r.stderr.decode() == 'securemail: unknown command "xyzzyplugh"\n'


def test_admin_bind_error_names_key_and_errno(tmp_path):
    held = socket.socket()
    held.bind(("127.0.0.1", 0))
    held.listen()
    port = held.getsockname()[1]
    try:
        cfg = write_config(tmp_path, '[listen]\nrelay = "127.0.0.1:0"\ninbound = "127.0.0.1:0"\n'
                                     f'admin = "127.0.0.1:{port}"\nsubmission = ""\n')
        r = subprocess.run([BIN, "run", "--config", str(cfg)], capture_output=True, timeout=60)
        assert r.returncode != 0
        err = r.stderr.decode()
        assert f"listen.admin: cannot listen on 127.0.0.1:{port}: Address already in use" in err, err
    finally:
        held.close()
