"""gateway_pair.py - two SecureMail gateways from `securemail testnet`, a.example
sealing to b.example, b delivering to smtp-sink; and the witness that says
whether the mail of a run was really sealed.

  build_pair   runs `securemail testnet --dir WORKDIR/testnet --domains
               a.example,b.example --base-port N` (N: 20 free consecutive
               loopback ports), points b's `[deliver] internal` at the sink,
               turns the directory's admin notices off (they would be mail
               to the sink), and returns the two gateways, not yet started.
  TestnetGateway  peers.SecureMail on a config testnet wrote (start, stop,
               CPU, queue, log as for the relay benchmark).
  SealWitness  reads b's log and both gateways' /metrics before and after a
               run: how many messages b logged as `smime=pass`, and every
               verification counter that moved; and hands out the log lines
               of the run (for gateway_stages). A run whose mail was not verified at b was
               plain relaying and must not be reported as sealed.

Nothing here touches anything outside the run's temp dir.
"""

import os
import re
import subprocess
import urllib.request

import peers
import proctools as pt

HOST = peers.HOST
DOMAINS = ("a.example", "b.example")


class TestnetGateway(peers.SecureMail):
    """One gateway of the testnet, run as `securemail run --config
    DIR/<domain>/config.toml`; its data_dir is DIR/<domain>."""

    def __init__(self, binary, domain, folder, base_port):
        self.name = "SecureMail"
        self.label = f"gateway {domain}"
        self.domain = domain
        self.base = self.data_dir = folder
        self.config = os.path.join(folder, "config.toml")
        self.log = os.path.join(folder, "run.log")
        self.binary = binary
        # testnet: relay N, inbound N+1, admin N+2.
        self.port, self.inbound_port, self.admin_port = base_port, base_port + 1, base_port + 2
        self.sink_port = None
        self.proc = None

    def setup(self):
        pass  # testnet wrote the config

    def start(self):
        super().start()
        listeners = self._listeners()
        if isinstance(listeners, dict) and "admin" in listeners:
            self.admin_port = peers._split_hostport(str(listeners["admin"]))[1]
        # Until the directory is loaded, b.example is no member and a would
        # relay in plain: wait for both members in the replica.
        members = lambda: (metrics(self.admin_port).get("securemail_directory_members", 0)  # noqa: E731
                           >= len(DOMAINS))
        if not pt.wait_until(members, 20, interval=0.1):
            raise peers.StartError(f"{self.label}: the directory does not list {len(DOMAINS)} members "
                                   f"after 20 s\n{self.log_tail()}")

    def metrics(self):
        return metrics(self.admin_port)


def metrics(port):
    """Prometheus text at http://127.0.0.1:PORT/metrics as {"name{labels}": value};
    {} when the admin listener does not answer."""
    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}/metrics", timeout=5) as r:
            text = r.read().decode("utf-8", "replace")
    except OSError:
        return {}
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        key, _, value = line.rpartition(" ")
        try:
            out[key] = float(value)
        except ValueError:
            pass
    return out


def set_toml_key(path, table, key, value):
    """Set `key = value` (value: TOML text) in [table] of a config file, in
    place of the key's line if the table has one, else right after the table
    header. The table must exist."""
    with open(path) as f:
        lines = f.read().split("\n")
    header = f"[{table}]"
    current, at, done = None, None, False
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("["):
            current = stripped
            if current == header:
                at = i
        elif current == header and re.match(rf"{re.escape(key)}\s*=", stripped):
            lines[i] = f"{key} = {value}"
            done = True
    if at is None:
        raise pt.RunFailed(f"{path}: no {header} table to set {key} in")
    if not done:
        lines.insert(at + 1, f"{key} = {value}")
    with open(path, "w") as f:
        f.write("\n".join(lines))


def build_pair(workdir, binary, sink_port):
    """The testnet and its two gateways (a, b), configured, not started."""
    if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        raise peers.StartError(f"no SecureMail binary at {binary} (build it, or set SECUREMAIL_BIN)")
    base = pt.free_port_range(10 * len(DOMAINS))
    net = os.path.join(workdir, "testnet")
    r = subprocess.run([binary, "testnet", "--dir", net, "--domains", ",".join(DOMAINS),
                        "--base-port", str(base)], capture_output=True, text=True, timeout=120,
                       stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        raise peers.StartError(f"securemail testnet exited with {r.returncode}:\n{r.stdout}{r.stderr}")
    gateways = [TestnetGateway(binary, d, os.path.join(net, d), base + 10 * i)
                for i, d in enumerate(DOMAINS)]
    for g in gateways:
        set_toml_key(g.config, "directory", "notify_admin", "false")
        if peers.SECUREMAIL_EXTRA:
            with open(g.config, "a") as f:
                f.write("\n" + peers.SECUREMAIL_EXTRA + "\n")
    set_toml_key(gateways[1].config, "deliver", "internal", f'"smtp://{HOST}:{sink_port}"')
    return gateways


# A counter says "verified" when its name is about S/MIME, verification or
# inbound results (securemail_inbound_total{result="pass"}) and its name or
# labels say pass/verified.
_VERIFY_NAME = re.compile(r"smime|verif|seal|open|inbound_total|forger", re.I)
_PASS = re.compile(r"pass|verified", re.I)
_SMIME_RESULT = re.compile(rb"smime=([a-z]+)")
_QUEUE_ID = re.compile(rb"\]: ([0-9A-Fa-f]{8,}): ")


class SealWitness:
    """Before a run, mark(); after it, check(mark, n) says whether b verified
    n messages in between: from `smime=<result>` in b's log (the
    Authentication-Results text, logged per message) and from b's
    verification counters at /metrics."""

    def __init__(self, sender_gw, receiver_gw):
        self.a, self.b = sender_gw, receiver_gw

    def mark(self):
        return {"a_log": _size(self.a.log), "b_log": _size(self.b.log),
                "a": self.a.metrics(), "b": self.b.metrics()}

    def logs_since(self, mark):
        """The lines (bytes) a and b logged since mark()."""
        return _lines_from(self.a.log, mark["a_log"]), _lines_from(self.b.log, mark["b_log"])

    def check(self, mark, count, b_lines=None):
        seen = {}  # result -> queue ids (a message logged twice counts once)
        if b_lines is None:
            b_lines = _lines_from(self.b.log, mark["b_log"])
        for n, line in enumerate(b_lines):
            m = _SMIME_RESULT.search(line)
            if m:
                qid = _QUEUE_ID.search(line)
                seen.setdefault(m.group(1).decode(), set()).add(qid.group(1) if qid else n)
        results = {k: len(v) for k, v in seen.items()}
        moved = {}
        for side, gw in (("a", self.a), ("b", self.b)):
            now = gw.metrics()
            for key, v in now.items():
                if _VERIFY_NAME.search(key.split("{")[0]) and "directory" not in key:
                    d = v - mark[side].get(key, 0)
                    if d:
                        moved[f"{side}:{key}"] = d
        verified_counter = max([d for k, d in moved.items() if k.startswith("b:") and _PASS.search(k)],
                               default=0)
        logged = results.get("pass", 0)
        sealed = logged >= count or verified_counter >= count
        return {"sealed": sealed, "messages": count, "smime_logged": results,
                "verified_counter": verified_counter, "counters": moved}


def fmt_check(c):
    logged = ", ".join(f"smime={k} x{v}" for k, v in sorted(c["smime_logged"].items())) or "no smime= lines"
    counters = ", ".join(f"{k} +{v:g}" for k, v in sorted(c["counters"].items())) or "no verification counter moved"
    verdict = "SEALED" if c["sealed"] else "NOT SEALED (plain relaying measured)"
    return f"{verdict}: b's log for {c['messages']} messages: {logged}; counters: {counters}"


def _lines_from(path, offset):
    with open(path, "rb") as f:
        f.seek(offset)
        return f.readlines()


def _size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0
