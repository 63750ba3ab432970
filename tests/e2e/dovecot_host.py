"""A private Dovecot for the IMAP scenarios and bench/auth: a gateway that
delivers into Maildirs, `securemail mailhost init` for it, and `dovecot -F`
on a loopback port the OS picked, stopped afterwards.

Run as root (as here), the gateway drops to `nobody` ([run] user) so the
Maildirs are not root's (Dovecot serves no mail as root), and the work
folder is 0755 under /tmp so that user and Dovecot's login user can reach
it (pytest's tmp_path sits in a 0700 folder of root's). Run as a normal
user, everything stays that user's.
"""
import os
import pwd
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from pathlib import Path

from conftest import BIN, Gateway

PASSWORD = "correct horse battery"
LISTEN = '[listen]\nrelay = "127.0.0.1:0"\ninbound = "127.0.0.1:0"\nadmin = "127.0.0.1:0"\n'


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sm(*args, input=None, check=True, timeout=60):
    r = subprocess.run([BIN, *map(str, args)], input=input, capture_output=True, text=True,
                       timeout=timeout, stdin=None if input is not None else subprocess.DEVNULL)
    if check and r.returncode != 0:
        raise AssertionError(f"securemail {' '.join(map(str, args))} -> {r.returncode}\n{r.stdout}\n{r.stderr}")
    return r


class MailHost:
    """Gateway + accounts + Dovecot in one 0755 folder under /tmp."""

    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="sm-mailhost-", dir="/tmp"))
        self.root.chmod(0o755)
        self.as_root = os.geteuid() == 0
        self.run_user = "nobody" if self.as_root else None
        self.gw = Gateway(self.root, "gw")
        self.dovecot = None
        self.imap_port = None

    @property
    def config(self):
        return self.gw.config_path

    def start_gateway(self):
        run = f'[run]\nuser = "{self.run_user}"\n' if self.run_user else ""
        self.gw.write_config(LISTEN + run)
        self.gw.dir.chmod(0o755)
        self.gw.start()
        return self.gw

    def add_account(self, name, address, password=PASSWORD):
        pw = self.root / f"{name}.password"
        pw.write_text(password + "\n")
        pw.chmod(0o600)
        sm("user", "add", name, "--config", self.config, "--address", address, "--password-file", pw)
        pw.unlink()

    def add_device(self, name, device):
        out = sm("user", "device", "add", name, "--config", self.config, "--name", device).stdout
        return device_password(out)

    def enrol_totp(self, name):
        out = sm("user", "totp", "enrol", name, "--config", self.config).stdout
        m = re.search(r"otpauth://totp/\S*[?&]secret=([A-Z2-7]+)", out)
        assert m, out
        return m.group(1)

    def give_accounts_to_run_user(self):
        """`securemail user` ran as root here: the accounts file goes to the gateway's user,
        as the operator would chown it (the checkpassword helper runs as that user)."""
        if not self.run_user:
            return
        pw = pwd.getpwnam(self.run_user)
        for p in self.gw.data.glob("accounts.sqlite*"):
            os.chown(p, pw.pw_uid, pw.pw_gid)

    def init_dovecot(self, *extra):
        self.imap_port = free_port()
        return sm("mailhost", "init", "--config", self.config, "--out", self.root / "dovecot",
                  "--imap", f"127.0.0.1:{self.imap_port}", *extra)

    def start_dovecot(self, timeout=20):
        conf = self.root / "dovecot" / "dovecot.conf"
        if os.environ.get("SECUREMAIL_SANITIZER_REPORTS"):
            # An ASan build reserves terabytes of address space for its shadow
            # memory; Dovecot's default 256M vsz_limit on the auth service (the
            # checkpassword helper's parent) makes it abort. Test runs only.
            with open(conf, "a") as f:
                f.write("\ndefault_vsz_limit = 0\n")
        self.dovecot_log = open(self.root / "dovecot.stderr", "ab")
        self.dovecot = subprocess.Popen(["dovecot", "-F", "-c", str(conf)], stdout=self.dovecot_log,
                                        stderr=subprocess.STDOUT)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.dovecot.poll() is not None:
                raise RuntimeError(f"dovecot exited {self.dovecot.returncode}:\n{self.dovecot_text()}")
            try:
                socket.create_connection(("127.0.0.1", self.imap_port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("dovecot did not listen:\n" + self.dovecot_text())

    def dovecot_text(self):
        text = ""
        for name in ("dovecot.stderr", "dovecot/dovecot.log"):
            p = self.root / name
            if p.exists():
                text += p.read_text(errors="replace")
        return text[-4000:]

    def tls_context(self):
        # The gateway's development certificate is self-signed for its hostname: the test
        # checks sign-in, not the certificate chain.
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx

    def stop(self):
        if self.dovecot and self.dovecot.poll() is None:
            self.dovecot.terminate()
            try:
                self.dovecot.wait(15)
            except subprocess.TimeoutExpired:
                self.dovecot.kill()
                self.dovecot.wait()
        self.gw.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def device_password(out):
    """The device password `securemail user device add` prints, alone on an indented line."""
    lines = [l.strip() for l in out.splitlines() if l.startswith("  ") and l.strip()]
    assert len(lines) == 1, out
    return lines[0]


def totp_code(secret, offset=0):
    args = ["oathtool", "--totp", "-b", secret]
    if offset:
        args.append(f"--now={time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime(time.time() + offset))}")
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout.strip()
