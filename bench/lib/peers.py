"""peers.py - the three programs of the relay benchmark, each private to one run.

  Sink        /usr/sbin/smtp-sink, the next hop; counts messages received.
  Postfix     a private Postfix instance (own config, queue and data
              directories under the run's temp dir) set up as a plain relay.
  SecureMail  build/securemail run --config FILE, set up the same way.

Each class writes its configuration under the run's temp dir, starts its
program on loopback ports chosen by the caller, reports the CPU its
processes used so far and how many messages still sit in its queue, and
stops everything it started (by pid, never by name). None of them ever
touches the machine's own Postfix configuration or queue.
"""

import json
import os
import re
import shutil
import signal
import subprocess

import proctools as pt

HOST = "127.0.0.1"


class StartError(RuntimeError):
    pass


def _split_hostport(text):
    host, _, port = text.rpartition(":")
    return host.strip("[]"), int(port)


class Sink:
    """smtp-sink with -c: it prints "sess=N quit=N mesg=N" followed by CR
    each time a session ends, QUIT is executed or "." is received, and
    flushes it. The output goes to a file and count() reads the last
    complete record: a counter that is cheap to poll and exact."""

    def __init__(self, workdir, port):
        self.port = port
        self.counter_path = os.path.join(workdir, "sink.counter")
        self.err_path = os.path.join(workdir, "sink.err")
        self.proc = None

    def start(self):
        exe = shutil.which("smtp-sink") or "/usr/sbin/smtp-sink"
        # -u nobody: drop root after binding (required when run as root).
        # 1000: listen backlog. -m: simultaneous sessions handled.
        cmd = [exe, "-c", "-m", "512", f"{HOST}:{self.port}", "1000"]
        if os.geteuid() == 0:
            cmd[1:1] = ["-u", "nobody"]
        with open(self.counter_path, "wb") as out, open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                         start_new_session=True)
        if not pt.wait_until(lambda: self.proc.poll() is None and pt.smtp_banner(HOST, self.port), 10):
            raise StartError(f"smtp-sink did not answer on port {self.port}: {pt.tail(self.err_path)}")

    def count(self):
        text = pt.tail(self.counter_path, 400)
        records = text.split("\r")[:-1]  # the last element is incomplete (or empty)
        for rec in reversed(records):
            m = re.search(r"mesg=(\d+)", rec)
            if m:
                return int(m.group(1))
        return 0

    def stop(self):
        pt.stop_popen(self.proc, timeout=5)


POSTFIX_MASTER_CF = """\
# A private Postfix instance for bench/relay_vs_postfix: no chroot, smtpd
# on a loopback port chosen by the benchmark, only the services a relay uses.
{listen}     inet  n       -       n       -       -       smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""

POSTFIX_MAIN_CF = """\
# A private Postfix instance for bench/relay_vs_postfix: a plain relay from
# 127.0.0.0/8 to smtp-sink, no local delivery, no TLS, default fsync
# behaviour, logging to a file in its own directory.
compatibility_level = 3.6
config_directory = {conf}
queue_directory = {queue}
data_directory = {data}
mail_owner = postfix
setgid_group = postdrop
myhostname = {instance}-bench.localdomain
mydomain = localdomain
myorigin = $myhostname
inet_interfaces = loopback-only
inet_protocols = ipv4
mydestination =
local_recipient_maps =
local_transport = error:5.1.1 no local delivery in the benchmark
alias_maps =
alias_database =
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
relayhost = [{host}]:{sink_port}
smtp_tls_security_level = none
smtpd_tls_security_level = none
message_size_limit = 52428800
biff = no
append_dot_mydomain = no
maillog_file = {log}
maillog_file_prefixes = {base}
"""

QUEUE_SUBDIRS = ("maildrop", "incoming", "active", "deferred", "hold", "corrupt")


class Postfix:
    """A private Postfix instance relaying everything from 127.0.0.0/8 to
    127.0.0.1:sink_port (smtp-sink, or another instance: a chain). Several
    instances can run side by side: each has its own `instance` name, which
    names its directory under workdir and its myhostname (two instances with
    the same myhostname refuse to relay to each other: "loops back to
    myself")."""

    def __init__(self, workdir, port, sink_port, instance="postfix", name="Postfix"):
        self.name = name
        self.instance = instance
        self.base = os.path.join(workdir, instance)
        self.conf = os.path.join(self.base, "etc")
        self.queue = os.path.join(self.base, "spool")
        self.data = os.path.join(self.base, "lib")
        self.log = os.path.join(self.base, "maillog")
        self.port = port
        self.sink_port = sink_port
        self.master_pid = None
        self.master_start = None

    def setup(self):
        for d in (self.base, self.conf, self.queue, self.data):
            os.makedirs(d, mode=0o755, exist_ok=True)
        # queue_directory belongs to root, data_directory to mail_owner.
        shutil.chown(self.data, "postfix", "postfix")
        with open(os.path.join(self.conf, "main.cf"), "w") as f:
            f.write(POSTFIX_MAIN_CF.format(conf=self.conf, queue=self.queue, data=self.data,
                                           host=HOST, sink_port=self.sink_port, log=self.log,
                                           base=self.base, instance=self.instance))
        with open(os.path.join(self.conf, "master.cf"), "w") as f:
            f.write(POSTFIX_MASTER_CF.format(listen=f"{HOST}:{self.port}"))

    def _postfix(self, *args, timeout=60):
        return subprocess.run(["postfix", "-c", self.conf, *args], capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)

    def start(self):
        if os.geteuid() != 0:
            raise StartError("a private Postfix instance needs root (postfix -c DIR start)")
        r = self._postfix("start")
        if r.returncode != 0:
            raise StartError(f"postfix -c {self.conf} start failed ({r.returncode}):\n"
                             f"{r.stdout}{r.stderr}{pt.tail(self.log)}")
        pidfile = os.path.join(self.queue, "pid", "master.pid")

        def master():
            try:
                with open(pidfile) as f:
                    return int(f.read().split()[0])
            except (OSError, ValueError, IndexError):
                return None
        self.master_pid = pt.wait_until(master, 15)
        if not self.master_pid:
            raise StartError(f"Postfix wrote no {pidfile}:\n{pt.tail(self.log)}")
        st = pt._read_stat(self.master_pid)
        self.master_start = st[1] if st else None
        banner = pt.wait_until(lambda: pt.smtp_banner(HOST, self.port), 20)
        if not banner or not banner.startswith("220"):
            raise StartError(f"Postfix smtpd does not answer on {HOST}:{self.port}: {banner}\n"
                             f"{pt.tail(self.log)}")

    def pid(self):
        return self.master_pid

    def cpu_seconds(self):
        return pt.tree_cpu_seconds(self.master_pid)

    def queue_size(self):
        n = 0
        for sub in QUEUE_SUBDIRS:
            for _root, _dirs, files in os.walk(os.path.join(self.queue, sub)):
                n += len(files)
        return n

    def log_tail(self):
        return pt.tail(self.log)

    def stop(self):
        if not self.master_pid:
            return
        leftovers = pt.descendants(self.master_pid)
        leftovers[self.master_pid] = self.master_start
        try:
            self._postfix("stop", timeout=30)
        except Exception:
            pass
        pt.wait_until(lambda: not pt.alive(self.master_pid, self.master_start), 10)
        pt.wait_until(lambda: not any(pt.alive(p, s) for p, s in leftovers.items()), 3)
        pt.kill_recorded(leftovers)
        self.master_pid = None


SECUREMAIL_CONFIG = """\
# SecureMail for bench/relay_vs_postfix: a plain relay from the relay
# listener to smtp-sink, loopback ports chosen by the benchmark.
domain = "bench.example"
data_dir = "{data_dir}"

[listen]
relay = "{host}:{relay}"
inbound = "{host}:{inbound}"
admin = "{host}:{admin}"

[routes]
default = "smtp://{host}:{sink_port}"
"""
# Extra TOML appended to the SecureMail config, for experiments such as
# SECUREMAIL_BENCH_EXTRA='[queue]\nsync = "fsync"'.
SECUREMAIL_EXTRA = os.environ.get("SECUREMAIL_BENCH_EXTRA", "").replace("\\n", "\n")


class SecureMail:
    name = "SecureMail"

    def __init__(self, workdir, binary, ports, sink_port):
        self.base = os.path.join(workdir, "securemail")
        self.data_dir = os.path.join(self.base, "sm-data")
        self.config = os.path.join(self.base, "config.toml")
        self.log = os.path.join(self.base, "securemail.log")
        self.binary = binary
        self.port, self.inbound_port, self.admin_port = ports
        self.sink_port = sink_port
        self.proc = None

    def setup(self):
        os.makedirs(self.base, exist_ok=True)
        with open(self.config, "w") as f:
            f.write(SECUREMAIL_CONFIG.format(data_dir=self.data_dir, host=HOST, relay=self.port,
                                             inbound=self.inbound_port, admin=self.admin_port,
                                             sink_port=self.sink_port))
            if SECUREMAIL_EXTRA:
                f.write(SECUREMAIL_EXTRA + "\n")

    def _listeners(self):
        try:
            with open(os.path.join(self.data_dir, "run", "listeners.json")) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def start(self):
        if not (os.path.isfile(self.binary) and os.access(self.binary, os.X_OK)):
            raise StartError(f"no SecureMail binary at {self.binary} (build it, or set SECUREMAIL_BIN)")
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen([self.binary, "run", "--config", self.config],
                                         stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)

        def ready():
            if self.proc.poll() is not None:
                return "exited"
            listeners = self._listeners()
            if isinstance(listeners, dict) and "relay" in listeners:
                _host, port = _split_hostport(str(listeners["relay"]))
                self.port = port
            banner = pt.smtp_banner(HOST, self.port, timeout=0.5)
            return banner if banner and banner.startswith("220") else None
        state = pt.wait_until(ready, 30, interval=0.1)
        if state == "exited":
            raise StartError(f"{self.binary} run --config {self.config} exited with status "
                             f"{self.proc.returncode}:\n{pt.tail(self.log)}")
        if not state:
            raise StartError(f"SecureMail does not answer 220 on {HOST}:{self.port} after 30 s:\n"
                             f"{pt.tail(self.log)}")

    def pid(self):
        return self.proc.pid if self.proc else None

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def cpu_seconds(self):
        return pt.tree_cpu_seconds(self.proc.pid)

    def queue_size(self):
        """Messages still in the queue (its segment log), as `securemail queue list --json`
        counts them; a queue that cannot be read yet counts as one, never as empty."""
        r = subprocess.run([self.binary, "queue", "--config", self.config, "list", "--json"],
                           capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            return 1
        return len(json.loads(r.stdout))

    def log_tail(self):
        return pt.tail(self.log)

    def stop(self):
        # SIGTERM drains and stops cleanly (DESIGN.md section 8).
        pt.stop_popen(self.proc, timeout=20, sig=signal.SIGTERM)
