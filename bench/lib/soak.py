"""soak.py - crash soak of one gateway: SIGKILL under load, restart, repeat.

Run through bench/soak (50 cycles by default); tests/e2e/test_soak.py runs
5. One run starts an SMTP sink (aiosmtpd) that records the Message-ID of
every message it receives, and a `securemail run` relaying to it. Four
sender threads keep sending, each message with a unique Message-ID, into
the relay listener; a message counts as acknowledged once DATA got 250.
Every cycle lets the gateway run for a random 0.3-1.2 s, SIGKILLs it and
starts it again on the same data folder. After the last cycle the senders
stop, the queue drains, and the run prints:

  acknowledged  messages that got 250
  delivered     distinct messages the sink received
  lost          acknowledged but never delivered (must be 0: a 250 means
                the message is on stable storage)
  duplicates    extra deliveries of a message already delivered (allowed:
                delivery is at least once; a kill between the next hop's
                250 and our state update delivers again)

Exit status: 0 when nothing was lost, 1 otherwise or when a step failed.
Every process started is stopped by its pid; the temp folder is removed
unless --keep is given. Python standard library plus aiosmtpd.
"""

import argparse
import email.parser
import json
import os
import random
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from aiosmtpd.controller import Controller

REPO = Path(__file__).resolve().parents[2]


class MessageIdSink:
    """The next hop: counts every Message-ID it is given (before replying 250)."""

    def __init__(self):
        self.counts = {}
        self.lock = threading.Lock()
        self.controller = None
        self.port = None

    async def handle_DATA(self, server, session, envelope):
        headers = email.parser.BytesHeaderParser().parsebytes(envelope.original_content)
        mid = (headers.get("Message-ID") or "").strip()
        with self.lock:
            self.counts[mid] = self.counts.get(mid, 0) + 1
        return "250 2.0.0 Ok: recorded"

    def start(self):
        # aiosmtpd checks readiness by connecting to the port it was given,
        # so give it a real one (chosen by the OS, then released).
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port, decode_data=False,
                                     ready_timeout=10)
        self.controller.start()

    def stop(self):
        if self.controller:
            self.controller.stop()


class Gateway:
    """`securemail run` on one data folder, started and SIGKILLed at will."""

    def __init__(self, binary, workdir: Path, sink_port):
        self.binary, self.dir = binary, workdir
        self.data = workdir / "data"
        self.config = workdir / "config.toml"
        self.config.write_text(
            f'domain = "soak.example"\ndata_dir = "{self.data}"\n'
            '[listen]\nrelay = "127.0.0.1:0"\ninbound = "127.0.0.1:0"\nadmin = ""\n'
            f'[routes]\ndefault = "smtp://127.0.0.1:{sink_port}"\n'
            '[queue]\nmin_backoff = "1s"\nmax_backoff = "2s"\nscan_interval = "1s"\n')
        self.proc = None
        self.relay = None
        self.log = open(workdir / "securemail.log", "ab")

    def start(self, timeout=30):
        ready = self.data / "run" / "listeners.json"
        if ready.exists():
            ready.unlink()
        self.proc = subprocess.Popen([self.binary, "run", "--config", str(self.config)],
                                     stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"securemail exited {self.proc.returncode}; see {self.dir / 'securemail.log'}")
            try:
                host, port = json.loads(ready.read_text())["relay"].rsplit(":", 1)
                self.relay = (host, int(port))
                return
            except (FileNotFoundError, json.JSONDecodeError, KeyError):
                time.sleep(0.02)
        raise RuntimeError("securemail did not become ready")

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        if self.proc:
            self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()

    def queued(self):
        """Messages in the queue's segment log, as `securemail queue list --json` counts them."""
        r = subprocess.run([self.binary, "queue", "--config", str(self.config), "list", "--json"],
                           capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            return 1  # not readable yet: never "empty"
        return len(json.loads(r.stdout))


class Senders:
    """`count` threads sending unique Message-IDs to the current relay address."""

    def __init__(self, gateway, count=4):
        self.gateway, self.count = gateway, count
        self.acknowledged = set()
        self.attempts = 0
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(n,), daemon=True) for n in range(count)]

    def run(self, n):
        i = 0
        while not self.stopping.is_set():
            conn = None
            try:
                conn = smtplib.SMTP(*self.gateway.relay, timeout=10)
                while not self.stopping.is_set():
                    i += 1
                    mid = f"<soak-{n}-{i}-{time.monotonic_ns()}@soak.example>"
                    msg = (f"From: <alice@soak.example>\r\nTo: <bob@sink.example>\r\nMessage-ID: {mid}\r\n"
                           f"Subject: soak {n} {i}\r\n\r\n" + f"line {i}\r\n" * 20).encode()
                    with self.lock:
                        self.attempts += 1
                    conn.sendmail("alice@soak.example", ["bob@sink.example"], msg)
                    with self.lock:  # DATA got 250: the gateway promised it is on disk
                        self.acknowledged.add(mid)
            except (OSError, smtplib.SMTPException, TypeError):
                time.sleep(0.02)  # killed under us, or not up yet: try again
            finally:
                if conn is not None:
                    try:
                        conn.close()
                    except OSError:
                        pass

    def start(self):
        for t in self.threads:
            t.start()

    def stop(self):
        self.stopping.set()
        for t in self.threads:
            t.join(20)


def soak(binary, workdir: Path, cycles=50, up=(0.3, 1.2), drain_timeout=120, senders=4, report=None):
    """Run the soak; returns a dict of the counts (see the module comment)."""
    report = report or (lambda _msg: None)
    sink = MessageIdSink()
    sink.start()
    gw = Gateway(binary, workdir, sink.port)
    load = None
    try:
        gw.start()
        load = Senders(gw, senders)
        load.start()
        for cycle in range(1, cycles + 1):
            time.sleep(random.uniform(*up))
            gw.kill()
            gw.start()
            report(f"cycle {cycle}/{cycles}: {len(load.acknowledged)} acknowledged so far")
        time.sleep(0.5)
        load.stop()
        deadline = time.time() + drain_timeout
        while gw.queued() and time.time() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)  # the last delivery's 250 and state update
        left = gw.queued()
    finally:
        if load is not None:
            load.stop()
        gw.stop()
        sink.stop()
    with sink.lock:
        counts = dict(sink.counts)
    acked = load.acknowledged
    lost = sorted(acked - counts.keys())
    return {
        "cycles": cycles,
        "attempted": load.attempts,
        "acknowledged": len(acked),
        "delivered": len(counts),
        "lost": len(lost),
        "duplicates": sum(c - 1 for c in counts.values()),
        "still_queued": left,
        "lost_ids": lost[:20],
    }


def main():
    p = argparse.ArgumentParser(description="Crash soak: SIGKILL a loaded gateway N times; count lost mail.")
    p.add_argument("--cycles", type=int, default=50)
    p.add_argument("--senders", type=int, default=4)
    p.add_argument("--bin", default=os.environ.get("SECUREMAIL_BIN", str(REPO / "build" / "securemail")))
    p.add_argument("--keep", action="store_true", help="keep the temp folder (logs, data) afterwards")
    args = p.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="securemail-soak-"))
    try:
        r = soak(args.bin, workdir, cycles=args.cycles, senders=args.senders,
                 report=lambda m: print(m, file=sys.stderr, flush=True))
    except (RuntimeError, OSError) as e:
        print(f"FAILED: {e}", file=sys.stderr)
        return 1
    finally:
        if args.keep:
            print(f"kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"cycles        {r['cycles']} (SIGKILL under load, {args.senders} senders)")
    for k in ("attempted", "acknowledged", "delivered", "lost", "duplicates", "still_queued"):
        print(f"{k:<13} {r[k]}")
    if r["lost"]:
        print("lost ids: " + " ".join(r["lost_ids"]))
    return 0 if r["lost"] == 0 and r["still_queued"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
