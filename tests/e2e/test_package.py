"""The Debian package (`make package`, scripts/package.sh): its metadata and
file list, the shipped config loading with the binary it ships, the
extracted gateway answering /healthz and SMTP, the maintainer scripts, the
systemd unit (systemd-analyze verify when there is one) and the bash
completion generated from the command tree.

The package comes from SECUREMAIL_DEB (the Makefile sets it after `make
package`), else it is built here from SECUREMAIL_BIN's build folder."""
import json
import os
import re
import shutil
import socket
import subprocess
import urllib.request
from pathlib import Path

import pytest

from conftest import BIN, ROOT, wait_for


@pytest.fixture(scope="module")
def deb(tmp_path_factory):
    given = os.environ.get("SECUREMAIL_DEB")
    if given:
        assert Path(given).is_file(), f"SECUREMAIL_DEB={given}: no such file"
        return Path(given)
    out = tmp_path_factory.mktemp("deb")
    r = subprocess.run(["bash", str(ROOT / "scripts" / "package.sh"), str(Path(BIN).parent), str(out)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return Path(r.stdout.strip())


@pytest.fixture(scope="module")
def scratch(deb, tmp_path_factory):
    root = tmp_path_factory.mktemp("root")
    subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    return root


def field(deb, name):
    return subprocess.run(["dpkg-deb", "-f", str(deb), name], capture_output=True, text=True, check=True).stdout.strip()


def test_metadata(deb):
    assert field(deb, "Package") == "securemail"
    version = subprocess.run([BIN, "--version"], capture_output=True, text=True).stdout.split()[1]
    assert field(deb, "Version") == version
    depends = field(deb, "Depends")
    # Computed by dpkg-shlibdeps from what the binary links, plus adduser for
    # postinst and the fonts of pickup's PDFs.
    for lib in ("adduser", "libc6", "libssl3", "libsqlite3-0", "libsodium23", "libgmime-3.0-0",
                "libcairo2", "libpango-1.0-0", "libqpdf29", "fonts-dejavu-core"):
        assert re.search(rf"(^|, ){re.escape(lib)}( |,|$)", depends), depends
    info = subprocess.run(["dpkg-deb", "-I", str(deb)], capture_output=True, text=True, check=True).stdout
    for script in ("postinst", "prerm", "postrm", "conffiles"):
        assert re.search(rf"^\s+\d+ bytes,\s+\d+ lines\s+\*?\s*{script}", info, re.M), info
    conffiles = subprocess.run(["dpkg-deb", "--ctrl-tarfile", str(deb)], capture_output=True, check=True).stdout
    assert b"/etc/securemail/config.toml" in conffiles


def debug_sections(binary):
    headers = subprocess.run(["readelf", "-S", "-W", str(binary)], capture_output=True, text=True, check=True).stdout
    return set(re.findall(r"\s(\.debug_\w+|\.symtab)\s", headers))


def test_file_list(deb):
    listing = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True, check=True).stdout
    files = {line.split()[-1]: line.split()[:2] for line in listing.splitlines()}
    for path, mode in [("./usr/sbin/securemail", "-rwxr-xr-x"),
                       ("./etc/securemail/config.toml", "-rw-r--r--"),
                       ("./lib/systemd/system/securemail.service", "-rw-r--r--"),
                       ("./usr/share/man/man8/securemail.8.gz", "-rw-r--r--"),
                       ("./usr/share/man/man5/securemail.toml.5.gz", "-rw-r--r--"),
                       ("./usr/share/bash-completion/completions/securemail", "-rw-r--r--"),
                       ("./usr/share/doc/securemail/copyright", "-rw-r--r--")]:
        assert path in files, listing
        assert files[path] == [mode, "root/root"], (path, files[path])


def test_shipped_binary_is_stripped(scratch):
    # The build carries (compressed) debug sections and a symbol table; the
    # shipped binary carries neither. Compared by section, not by size: with
    # -gz and a sanitizer build the sizes say little.
    assert {".debug_info", ".symtab"} <= debug_sections(BIN)
    assert debug_sections(scratch / "usr/sbin/securemail") == set()


def test_shipped_config_runs_the_shipped_binary(scratch, tmp_path):
    exe = scratch / "usr/sbin/securemail"
    shipped = (scratch / "etc/securemail/config.toml").read_text()
    assert shipped == (ROOT / "contrib/securemail.toml").read_text()
    # The same file with only the data folder and ports made testable.
    text = shipped.replace('data_dir = "/var/lib/securemail"', f'data_dir = "{tmp_path / "data"}"')
    text = text.replace('relay = "127.0.0.1:10025"', 'relay = "127.0.0.1:0"')
    text = text.replace('inbound = "0.0.0.0:25"', 'inbound = "127.0.0.1:0"')
    text = text.replace("[listen]\n", '[listen]\nadmin = "127.0.0.1:0"\n', 1)
    assert text.count(":0\"") == 3
    config = tmp_path / "config.toml"
    config.write_text(text)
    listeners = tmp_path / "data" / "run" / "listeners.json"
    with open(tmp_path / "securemail.log", "wb") as log:
        proc = subprocess.Popen([str(exe), "run", "--config", str(config)], stdout=log, stderr=subprocess.STDOUT)
        try:
            assert wait_for(lambda: listeners.exists() and listeners.read_text().endswith("}\n") or proc.poll() is not None)
            assert proc.poll() is None, (tmp_path / "securemail.log").read_text()
            bound = {k: v.rsplit(":", 1) for k, v in json.loads(listeners.read_text()).items()}
            host, port = bound["admin"]
            with urllib.request.urlopen(f"http://{host}:{port}/healthz", timeout=5) as r:
                assert r.status == 200
            host, port = bound["inbound"]
            with socket.create_connection((host, int(port)), timeout=5) as c:
                assert c.recv(512).startswith(b"220 ")
                c.sendall(b"EHLO client.example\r\n")
                reply = b""
                while b"\r\n250 " not in reply and not reply.startswith(b"250 "):
                    chunk = c.recv(4096)
                    assert chunk, reply
                    reply += chunk
        finally:
            proc.terminate()
            assert proc.wait(15) == 0


def test_maintainer_scripts(scratch, deb, tmp_path):
    ctrl = tmp_path / "ctrl"
    subprocess.run(["dpkg-deb", "-e", str(deb), str(ctrl)], check=True)
    for script in ("postinst", "prerm", "postrm"):
        subprocess.run(["sh", "-n", str(ctrl / script)], check=True)
        assert os.access(ctrl / script, os.X_OK)
    # Creating a system user needs root on the real system: checked by content,
    # never run here.
    postinst = (ctrl / "postinst").read_text()
    assert "adduser --system --group" in postinst and "securemail" in postinst
    assert "install -d -m 0750 -o securemail -g securemail /var/lib/securemail" in postinst
    postrm = (ctrl / "postrm").read_text()
    purge = postrm[postrm.index('if [ "$1" = "purge" ]'):]
    assert "rm -rf /var/lib/securemail" in purge and "deluser --system" in purge
    assert (ctrl / "conffiles").read_text() == "/etc/securemail/config.toml\n"


def test_systemd_unit(scratch):
    unit = (scratch / "lib/systemd/system/securemail.service").read_text()
    for line in ("Type=notify", "User=securemail", "AmbientCapabilities=CAP_NET_BIND_SERVICE",
                 "NoNewPrivileges=yes", "ProtectSystem=strict", "ReadWritePaths=/var/lib/securemail",
                 "ProtectHome=yes", "PrivateTmp=yes", "PrivateDevices=yes",
                 "SystemCallFilter=@system-service",
                 "ExecStart=/usr/sbin/securemail run --config /etc/securemail/config.toml"):
        assert re.search(rf"^{re.escape(line)}$", unit, re.M), line
    assert re.search(r"^WatchdogSec=\d+s$", unit, re.M)
    analyze = shutil.which("systemd-analyze")
    if not analyze:
        pytest.skip("no systemd-analyze on this machine: the unit's content is checked above")
    # verify resolves ExecStart=/usr/sbin/securemail on this machine: point it at the scratch copy.
    local = scratch / "securemail.service"
    local.write_text(unit.replace("/usr/sbin/securemail", str(scratch / "usr/sbin/securemail")))
    r = subprocess.run([analyze, "verify", "--man=no", str(local)], capture_output=True, text=True, timeout=60)
    # verify exits 0 even for an unknown key: any line about the unit is a problem.
    problems = [l for l in (r.stdout + r.stderr).splitlines() if "securemail.service" in l]
    assert r.returncode == 0 and not problems, r.stdout + r.stderr


def complete(script, *words):
    """What bash completes for `securemail WORDS...` (the last word being typed)."""
    words = ["securemail", *words]
    prog = (f"source {script}\nCOMP_WORDS=({' '.join(repr(w) for w in words)})\n"
            f"COMP_CWORD={len(words) - 1}\n_securemail\necho \"${{COMPREPLY[*]}}\"\n")
    r = subprocess.run(["bash", "-c", prog], capture_output=True, text=True, check=True)
    return r.stdout.split()


def test_bash_completion(scratch):
    script = scratch / "usr/share/bash-completion/completions/securemail"
    assert script.read_text() == subprocess.run([BIN, "completion", "bash"], capture_output=True, text=True,
                                                check=True).stdout
    assert complete(script, "qu") == ["queue"]
    assert complete(script, "queue", "") == ["list", "show", "flush", "hold", "release", "delete"]
    assert complete(script, "queue", "--config", "x.toml", "l") == ["list"]
    assert "--json" in complete(script, "queue", "list", "--")
    assert complete(script, "run", "--c") == ["--config"]
    assert complete(script, "run", "--config", "") == []  # a value: bash's file completion
    assert "completion" not in complete(script, "")  # the hidden command stays hidden
    assert "completion" not in subprocess.run([BIN, "--help"], capture_output=True, text=True).stdout


def test_completion_refuses_other_shells():
    r = subprocess.run([BIN, "completion", "fish"], capture_output=True, text=True)
    assert r.returncode == 2
    assert "fish" in r.stderr


def test_man_pages(scratch):
    # securemail(8) names every subcommand `securemail --help` lists.
    helptext = subprocess.run([BIN, "--help"], capture_output=True, text=True).stdout
    commands = re.findall(r"^  ([a-z]+) ", helptext.split("Subcommands:")[1], re.M)
    assert len(commands) >= 15, helptext
    source = (ROOT / "contrib/man/securemail.8").read_text()
    for c in commands:
        assert re.search(rf"^\.(TP\n\.)?B(I)? \"?{c}\b|^\.B {c}\b|^\.B [a-z]+\\fR, \\fP{c}", source, re.M), c
    if not shutil.which("man"):
        pytest.skip("no man on this machine: the page sources are checked above")
    for page in ("usr/share/man/man8/securemail.8.gz", "usr/share/man/man5/securemail.toml.5.gz"):
        r = subprocess.run(["man", "--warnings", "-l", str(scratch / page)], capture_output=True, text=True,
                           env={**os.environ, "MANWIDTH": "80"})
        assert r.returncode == 0 and r.stderr == "", r.stderr
        assert "SecureMail" in r.stdout or "securemail" in r.stdout
