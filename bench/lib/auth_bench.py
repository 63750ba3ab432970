"""auth_bench.py - sign-ins per second through SecureMail's accounts.

Run through bench/auth (see docs/benchmarks.md). One run, on this machine:

  1. makes a data folder with one account (`securemail user add`, argon2id
     password) and one device password (`securemail user device add`), a
     TLS pair, and `securemail mailhost init` for it;
  2. starts that Dovecot and a peer Dovecot identical but for its passdb:
     Dovecot's own passwd-file with the same kinds of secrets (the password
     as {ARGON2ID} from `doveadm pw`, the device password as {SHA256});
  3. N clients log in over IMAPS (connect, TLS, LOGIN, LOGOUT) for S
     seconds against each, with the password and with the device password,
     and prints logins/s and the ratio SecureMail / peer;
  4. times one `securemail mailhost checkpassword` alone (no Dovecot) per
     secret kind, with its peak RSS from GNU time: what the argon2id cost
     takes in memory;
  5. AUTH PLAIN logins/s through [listen] submission when the gateway
     offers AUTH after STARTTLS (else says it is not measured).

Password + TOTP code costs what the password costs (the code is an HMAC):
a code is accepted once, so it cannot be replayed in a loop. It is a
measurement, not a test; it fails (exit 1) only when a login that must
work does not. Everything lives in a temp dir removed afterwards; every
process it starts is stopped by pid.
"""

import argparse
import os
import pwd
import re
import shutil
import smtplib
import socket
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from proctools import RunFailed, free_ports, log, run_main  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PASSWORD = "bench password 1"


def sh(*args, input=None, check=True):
    r = subprocess.run([str(a) for a in args], input=input, capture_output=True, text=True,
                       stdin=None if input is not None else subprocess.DEVNULL, timeout=120)
    if check and r.returncode != 0:
        raise RunFailed(f"{' '.join(map(str, args))} -> {r.returncode}: {r.stderr.strip()[-600:]}")
    return r


class Bench:
    def __init__(self, args):
        self.args = args
        self.bin = args.securemail
        self.root = tempfile.mkdtemp(prefix="sm-authbench-", dir="/tmp")
        os.chmod(self.root, 0o755)
        self.procs = []
        self.run_user = "nobody" if os.geteuid() == 0 else None

    # ---- setup ---------------------------------------------------------------
    def setup(self):
        r = self.root
        data = os.path.join(r, "data")
        os.makedirs(os.path.join(data, "maildir"), mode=0o700)
        os.chmod(data, 0o700)
        sh("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
           "-subj", "/CN=mail.bench.example", "-days", "2", "-keyout", f"{r}/key.pem", "-out", f"{r}/cert.pem")
        self.sub_port, self.imap_port, self.peer_port = free_ports(3)
        run = f'[run]\nuser = "{self.run_user}"\n' if self.run_user else ""
        self.config = os.path.join(r, "config.toml")
        with open(self.config, "w") as f:
            f.write(f'domain = "bench.example"\nhostname = "mail.bench.example"\ndata_dir = "{data}"\n'
                    f'log_level = "warning"\n[tls]\ncert = "{r}/cert.pem"\nkey = "{r}/key.pem"\n'
                    f'[listen]\nrelay = "127.0.0.1:0"\ninbound = "127.0.0.1:0"\nadmin = "127.0.0.1:0"\n'
                    f'submission = "127.0.0.1:{self.sub_port}"\n' + run)
        pwfile = os.path.join(r, "pw")
        with open(pwfile, "w") as f:
            f.write(PASSWORD + "\n")
        sh(self.bin, "user", "add", "bench", "--config", self.config, "--address", "bench@bench.example",
           "--password-file", pwfile)
        out = sh(self.bin, "user", "device", "add", "bench", "--config", self.config, "--name", "bench").stdout
        lines = [x.strip() for x in out.splitlines() if x.startswith("  ") and x.strip()]
        if len(lines) != 1:
            raise RunFailed(f"no device password in the output of user device add ({len(lines)} candidates)")
        self.device = lines[0]
        self.argon = stored_argon2id(os.path.join(data, "accounts.sqlite"))
        if self.run_user:
            pw = pwd.getpwnam(self.run_user)
            for dirpath, dirs, files in os.walk(data):
                for n in [dirpath] + [os.path.join(dirpath, x) for x in files]:
                    os.lchown(n, pw.pw_uid, pw.pw_gid)
        sh(self.bin, "mailhost", "init", "--config", self.config, "--out", f"{r}/dovecot",
           "--imap", f"127.0.0.1:{self.imap_port}")
        self.peer_conf = self.write_peer()

    def write_peer(self):
        """The same dovecot.conf with Dovecot's own passwd-file passdb."""
        r = self.root
        argon = sh("doveadm", "pw", "-s", "ARGON2ID", "-p", PASSWORD).stdout.strip()
        sha = sh("doveadm", "pw", "-s", "SHA256", "-p", self.device).stdout.strip()
        self.peer_argon = argon
        users = os.path.join(r, "peer.users")
        with open(users, "w") as f:
            f.write(f"bench:{argon}\nbenchdev:{sha}\n")
        os.chmod(users, 0o644)
        text = open(os.path.join(r, "dovecot", "dovecot.conf")).read()
        text = re.sub(r"passdb \{.*?\n\}", f"passdb {{\n  driver = passwd-file\n  args = {users}\n}}", text,
                      flags=re.S)
        for key in ("base_dir", "state_dir"):
            text = re.sub(rf"^{key} = .*$", f"{key} = {r}/peer/{key}", text, flags=re.M)
        text = re.sub(r"^log_path = .*$", f"log_path = {r}/peer/dovecot.log", text, flags=re.M)
        text = text.replace(f"port = {self.imap_port}", f"port = {self.peer_port}")
        text = text.replace("instance_name = securemail-imap", "instance_name = securemail-imap-peer")
        os.makedirs(f"{r}/peer/base_dir", mode=0o755)
        os.makedirs(f"{r}/peer/state_dir", mode=0o755)
        os.chmod(f"{r}/peer", 0o755)
        conf = os.path.join(r, "peer.conf")
        with open(conf, "w") as f:
            f.write(text)
        return conf

    def start_dovecot(self, conf, port):
        p = subprocess.Popen(["dovecot", "-F", "-c", conf], stdout=subprocess.DEVNULL,
                             stderr=open(os.path.join(self.root, f"dovecot-{port}.err"), "ab"),
                             start_new_session=True)
        self.procs.append(p)
        wait_port(port, p)

    # ---- measurements --------------------------------------------------------
    def imap_rate(self, port, user, secret):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE

        def login():
            import imaplib
            c = imaplib.IMAP4_SSL("127.0.0.1", port, ssl_context=ctx, timeout=30)
            c.login(user, secret)
            c.logout()
        login()  # must work before it is timed
        return parallel_rate(login, self.args.clients, self.args.seconds)

    def submission_rate(self, user, secret):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE

        def login():
            with smtplib.SMTP("127.0.0.1", self.sub_port, timeout=30) as s:
                s.starttls(context=ctx)
                s.login(user, secret)
        login()
        return parallel_rate(login, self.args.clients, self.args.seconds)

    def helper_alone(self, secret):
        """One checkpassword run without Dovecot: seconds and peak RSS (KiB)."""
        reply = shutil.which("true")
        req = f"bench\0{secret}\0".encode()
        rfd, wfd = os.pipe()
        os.write(wfd, req)
        os.close(wfd)
        t0 = time.perf_counter()
        p = subprocess.run(["/usr/bin/time", "-f", "%M", self.bin, "mailhost", "checkpassword", "--config",
                            self.config, "--", reply], close_fds=False, preexec_fn=lambda: os.dup2(os.dup(rfd), 3),
                           capture_output=True, text=True, stdin=subprocess.DEVNULL)
        dt = time.perf_counter() - t0
        os.close(rfd)
        if p.returncode != 0:
            raise RunFailed(f"checkpassword alone -> {p.returncode}: {p.stderr[-400:]}")
        return dt, int(p.stderr.strip().splitlines()[-1])

    def run(self):
        self.setup()
        a = self.args
        log(f"securemail argon2id: {self.argon}; Dovecot peer: {self.peer_argon.split('$', 4)[:4]}")
        print(f"# bench/auth: {a.clients} clients, {a.seconds:g} s per figure, {os.cpu_count()} cores")
        print(f"argon2id cost (securemail, from the stored hash): {self.argon}")
        print(f"argon2id cost (Dovecot peer, doveadm pw -s ARGON2ID): {argon_params(self.peer_argon)}")
        for secret, kind in ((PASSWORD, "password"), (self.device, "device password")):
            dt, rss = self.helper_alone(secret)
            print(f"checkpassword alone, {kind}: {dt * 1000:.0f} ms, peak RSS {rss / 1024:.1f} MiB")
        self.start_dovecot(os.path.join(self.root, "dovecot", "dovecot.conf"), self.imap_port)
        self.start_dovecot(self.peer_conf, self.peer_port)
        rows = []
        for kind, ours, peer in (("password (argon2id)", ("bench", PASSWORD), ("bench", PASSWORD)),
                                 ("device password", ("bench", self.device), ("benchdev", self.device))):
            sm_rate = self.imap_rate(self.imap_port, *ours)
            peer_rate = self.imap_rate(self.peer_port, *peer)
            rows.append((kind, sm_rate, peer_rate))
            print(f"IMAP LOGIN over TLS, {kind}: securemail checkpassword {sm_rate:.1f}/s, "
                  f"Dovecot passwd-file {peer_rate:.1f}/s, ratio {sm_rate / peer_rate:.2f}")
        self.submission()
        return 0

    def submission(self):
        gw = subprocess.Popen([self.bin, "run", "--config", self.config], stdout=subprocess.DEVNULL,
                              stderr=open(os.path.join(self.root, "gateway.err"), "ab"), start_new_session=True)
        self.procs.append(gw)
        try:
            wait_port(self.sub_port, gw)
        except RunFailed:
            print(f"AUTH PLAIN through submission: not measured (the gateway did not listen on [listen] "
                  f"submission 127.0.0.1:{self.sub_port}: this build has no submission listener)")
            return
        if not offers_auth(self.sub_port):
            print("AUTH PLAIN through submission: not measured (this build offers no AUTH after STARTTLS)")
            return
        for kind, secret in (("password (argon2id)", PASSWORD), ("device password", self.device)):
            print(f"AUTH PLAIN through submission, {kind}: {self.submission_rate('bench', secret):.1f}/s")

    def cleanup(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(15)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        shutil.rmtree(self.root, ignore_errors=True)


def stored_argon2id(db):
    """The $argon2id$ string of the account's password, from any column holding one."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        for (table,) in con.execute("select name from sqlite_master where type='table'"):
            for row in con.execute(f'select * from "{table}"'):
                for v in row:
                    if isinstance(v, str) and v.startswith("$argon2id$"):
                        return argon_params(v)
    finally:
        con.close()
    raise RunFailed(f"no argon2id hash in {db}")


def argon_params(h):
    m = re.search(r"\$argon2id\$v=\d+\$m=(\d+),t=(\d+),p=(\d+)", h)
    if not m:
        return h[:40]
    mem, t, p = map(int, m.groups())
    return f"m={mem} KiB ({mem / 1024:.0f} MiB), t={t}, p={p}"


def wait_port(port, proc, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RunFailed(f"{proc.args[0]} exited {proc.returncode} before listening on {port}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RunFailed(f"nothing listens on {port}")


def offers_auth(port):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as s:
            s.starttls(context=ctx)
            s.ehlo()
            return s.has_extn("auth")
    except (smtplib.SMTPException, OSError):
        return False


def parallel_rate(fn, clients, seconds):
    """Calls of fn per second over `clients` threads for `seconds`; any failure stops the run."""
    count = [0] * clients
    errors = []
    stop = time.monotonic() + seconds

    def worker(i):
        try:
            while time.monotonic() < stop:
                fn()
                count[i] += 1
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)
    t0 = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise RunFailed(f"a login failed: {errors[0]!r}")
    return sum(count) / (time.monotonic() - t0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clients", type=int, default=4, help="parallel clients (default 4)")
    ap.add_argument("--seconds", type=float, default=10, help="seconds per figure (default 10)")
    ap.add_argument("--securemail", default=os.path.join(REPO, "build", "securemail"))
    args = ap.parse_args()
    bench = Bench(args)
    return run_main(bench.run, bench.cleanup)


if __name__ == "__main__":
    sys.exit(main())
