"""relay_bench.py - SecureMail against Postfix as a plain SMTP relay, same run.

Run through bench/relay_vs_postfix (see docs/benchmarks.md). One run
starts smtp-sink as the next hop, a private Postfix instance and a
SecureMail daemon, both configured as a plain relay toward the sink on
loopback ports chosen by the OS, drives each with the same smtp-source load
(4 KiB and 100 KiB messages), and prints accepted and end-to-end delivered
messages per second, CPU per message, and the SecureMail/Postfix ratios;
then the peak resident memory of SecureMail while it relays one 50 MiB
message. Everything lives in a private temp dir that is removed afterwards,
and every process started is stopped on exit, Ctrl-C or SIGTERM.

It is a measurement, not a test: ratios never fail the run. It fails (exit
1) when a relay cannot start or a run does not deliver every message within
its time limit, and says how many arrived.
"""

import argparse
import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peers  # noqa: E402
import proctools as pt  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SENDER, RECIPIENT = "a@x.example", "b@y.example"


RunFailed, log = pt.RunFailed, pt.log


def add_load_options(p, quick_messages):
    """The load options of both relay benchmarks (relay_vs_postfix,
    sealed_vs_postfix): --quick, --messages, --large-messages, --sessions,
    --timeout, --json, --keep."""
    p.add_argument("--quick", action="store_true",
                   help=f"smoke run: {quick_messages} x 4 KiB and {quick_messages // 5} x 100 KiB messages")
    p.add_argument("--messages", type=int, metavar="N",
                   help=f"4 KiB messages per relay (default 5000; --quick {quick_messages})")
    p.add_argument("--large-messages", type=int, metavar="N",
                   help="100 KiB messages per relay (default: --messages / 5)")
    p.add_argument("--sessions", type=int, default=20, metavar="N",
                   help="parallel smtp-source sessions (default 20)")
    p.add_argument("--timeout", type=float, metavar="SECONDS",
                   help="time limit per run for every message to reach the sink "
                        "(default 60 + N / 20)")
    p.add_argument("--json", metavar="FILE", help="also write the results as JSON to FILE")
    p.add_argument("--keep", action="store_true",
                   help="keep the temp dir (configs, logs, spools) and print its path")


def parse_load_options(p, argv, quick_messages):
    """Parse, then fill in the message counts add_load_options left open."""
    a = p.parse_args(argv)
    if a.messages is None:
        a.messages = quick_messages if a.quick else 5000
    if a.large_messages is None:
        a.large_messages = max(1, a.messages // 5)
    if a.messages < 1 or a.large_messages < 1 or a.sessions < 1:
        p.error("counts must be positive")
    return a


def parse_args(argv):
    p = argparse.ArgumentParser(prog="bench/relay_vs_postfix",
                                description="Relay throughput and CPU of SecureMail against a "
                                            "private Postfix instance, measured in the same run.")
    add_load_options(p, 500)
    p.add_argument("--only", choices=("postfix", "securemail"),
                   help="measure one relay only (no ratios)")
    p.add_argument("--big-mib", type=int, default=50, metavar="MIB",
                   help="size of the single large message for the memory check (default 50; 0 skips)")
    return parse_load_options(p, argv, 500)


def wait_drained(relay, timeout=60):
    if pt.wait_until(lambda: relay.queue_size() == 0, timeout, interval=0.05):
        return
    raise RunFailed(f"{relay.name}: queue not empty after {timeout} s "
                    f"({relay.queue_size()} files left)\n{relay.log_tail()}")


def run_load(relay, sink, count, size, sessions, timeout, workdir, sender=SENDER, recipient=RECIPIENT):
    """One measured run: smtp-source -> relay -> sink. Returns a result dict.
    `relay` is anything with name, port, cpu_seconds(), queue_size() and
    log_tail(): one relay, or a chain of them (bench/lib/relay_chain.py).
    smtp-source writes the headers From: <sender> and To: <recipient>."""
    wait_drained(relay)
    base = sink.count()
    out_path = os.path.join(workdir, "smtp-source.out")
    cmd = ["smtp-source", "-s", str(sessions), "-m", str(count), "-l", str(size),
           "-f", sender, "-t", recipient, f"{peers.HOST}:{relay.port}"]
    cpu0 = relay.cpu_seconds()
    t0 = time.monotonic()
    with open(out_path, "wb") as out:
        src = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                               start_new_session=True)
    t_acc = t_del = None
    deadline = t0 + timeout
    try:
        while True:
            now = time.monotonic()
            if t_acc is None and src.poll() is not None:
                t_acc = now
            if t_del is None and sink.count() - base >= count:
                t_del = now
            if (t_acc and t_del) or now > deadline:
                break
            time.sleep(0.01)
    finally:
        pt.stop_popen(src, timeout=2, sig=signal.SIGKILL)
    got = sink.count() - base
    what = f"{relay.name} {size // 1024} KiB x {count}"
    if t_acc is None:
        raise RunFailed(f"{what}: smtp-source still sending after {timeout:.0f} s; "
                        f"{got} of {count} messages reached the sink\n{pt.tail(out_path)}\n"
                        f"{relay.log_tail()}")
    if src.returncode != 0:
        raise RunFailed(f"{what}: smtp-source exited with {src.returncode}; {got} of {count} "
                        f"reached the sink\n{pt.tail(out_path)}")
    if t_del is None:
        raise RunFailed(f"{what}: only {got} of {count} messages reached the sink within "
                        f"{timeout:.0f} s\n{relay.log_tail()}")
    wait_drained(relay)
    cpu1 = relay.cpu_seconds()
    extra = sink.count() - base - count
    if extra > 0:
        log(f"warning: {what}: the sink received {extra} messages more than were sent")
    warnings = pt.tail(out_path).strip()
    if warnings:
        log(f"note: smtp-source said: {warnings[-500:]}")
    return {"relay": relay.name, "size": size, "messages": count, "sessions": sessions,
            "accept_seconds": t_acc - t0, "deliver_seconds": t_del - t0,
            "accepted_per_s": count / (t_acc - t0), "delivered_per_s": count / (t_del - t0),
            "cpu_seconds": cpu1 - cpu0, "cpu_ms_per_msg": (cpu1 - cpu0) * 1000 / count}


def make_big_message(path, total):
    """A message of exactly `total` octets, CRLF line ends, base64 body."""
    head = (f"From: <{SENDER}>\r\nTo: <{RECIPIENT}>\r\nSubject: relay benchmark, one large message\r\n"
            f"Date: {time.strftime('%a, %d %b %Y %H:%M:%S +0000', time.gmtime())}\r\n"
            f"Message-ID: <big.{os.getpid()}@x.example>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            ).encode()
    line = 78  # 76 base64 characters + CRLF
    body_len = total - len(head)
    raw = os.urandom((body_len // line + 1) * 57)
    body = base64.encodebytes(raw).replace(b"\n", b"\r\n")[: body_len // line * line]
    pad = body_len - len(body)  # < 78: one short last line
    if pad >= 3:
        body += b"A" * (pad - 2) + b"\r\n"
    elif pad:
        body = body[:-line] + b"A" * (line - 2 + pad) + b"\r\n"
    with open(path, "wb") as f:
        f.write(head + body)
    return len(head) + len(body)


def big_message(sm, sink, mib, workdir):
    """Peak RSS (VmHWM) of SecureMail while it relays one `mib` MiB message."""
    # Just under the size: SecureMail's default SIZE limit is exactly 50 MiB.
    total = mib * 1024 * 1024 - 64 * 1024
    path = os.path.join(workdir, "big.eml")
    size = make_big_message(path, total)
    wait_drained(sm)
    base = sink.count()
    pid = sm.pid()
    hwm_before = pt.status_field(pid, "VmHWM")
    was_reset = pt.reset_peak_rss(pid)
    rss_at_start = pt.status_field(pid, "VmRSS")
    t0 = time.monotonic()
    r = subprocess.run(["swaks", "--server", f"{peers.HOST}:{sm.port}", "--from", SENDER,
                        "--to", RECIPIENT, "--data", "@" + path, "--timeout", "300",
                        "--suppress-data"], capture_output=True, text=True, timeout=600,
                       stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        raise RunFailed(f"SecureMail {mib} MiB message: swaks exited {r.returncode}\n"
                        f"{r.stdout[-2000:]}{r.stderr[-1000:]}")
    if not pt.wait_until(lambda: sink.count() - base >= 1, 120, interval=0.05):
        raise RunFailed(f"SecureMail {mib} MiB message: not delivered to the sink within 120 s\n"
                        f"{sm.log_tail()}")
    seconds = time.monotonic() - t0
    wait_drained(sm)
    os.unlink(path)
    return {"message_octets": size, "seconds": seconds, "vmhwm_kib": pt.status_field(pid, "VmHWM"),
            "vmhwm_reset": was_reset, "vmhwm_before_kib": hwm_before,
            "rss_at_start_kib": rss_at_start}


def fmt_table(results, busy=False):
    """The results table; busy=True adds "CPUs busy": CPU seconds of the
    relay over the seconds until the sink had everything (well under the
    number of CPUs means the relay waits, not computes)."""
    w = max([11] + [len(r["relay"]) + 1 for r in results])
    lines = [f"{'relay':<{w}} {'size':>7} {'msgs':>6} {'accepted msg/s':>15} "
             f"{'delivered msg/s':>16} {'CPU ms/msg':>11}" + (f" {'CPUs busy':>10}" if busy else "")]
    for r in results:
        lines.append(f"{r['relay']:<{w}} {r['size'] // 1024:>3} KiB {r['messages']:>6} "
                     f"{r['accepted_per_s']:>15.0f} {r['delivered_per_s']:>16.0f} "
                     f"{r['cpu_ms_per_msg']:>11.3f}"
                     + (f" {r['cpu_seconds'] / r['deliver_seconds']:>10.2f}" if busy else ""))
    return "\n".join(lines)


def fmt_ratios(results):
    out = []
    for size in sorted({r["size"] for r in results}):
        by = {r["relay"]: r for r in results if r["size"] == size}
        pf, sm = by.get("Postfix"), by.get("SecureMail")
        if not (pf and sm):
            continue
        d = sm["delivered_per_s"] / pf["delivered_per_s"]
        c = sm["cpu_ms_per_msg"] / pf["cpu_ms_per_msg"] if pf["cpu_ms_per_msg"] else float("nan")
        out.append({"size": size, "delivered_ratio": d, "cpu_ratio": c})
    return out


class Bench:
    def __init__(self, args):
        self.args = args
        self.workdir = None
        self.started = []  # things with .stop(), stopped in reverse order

    def cleanup(self):
        for thing in reversed(self.started):
            try:
                thing.stop()
            except Exception as e:  # keep stopping the others
                log(f"warning: stopping {type(thing).__name__}: {e}")
        self.started = []
        if self.workdir and not self.args.keep:
            shutil.rmtree(self.workdir, ignore_errors=True)
        elif self.workdir:
            log(f"kept {self.workdir}")

    def start(self, thing):
        self.started.append(thing)
        thing.setup() if hasattr(thing, "setup") else None
        thing.start()
        return thing

    def warm_up(self, relays, sink, failed, load=run_load):
        """2 x sessions 4 KiB messages through each relay, not measured: starts
        Postfix's daemons, fills caches. A relay that fails is dropped."""
        a = self.args
        for relay in list(relays):
            try:
                load(relay, sink, 2 * a.sessions, 4096, a.sessions, a.timeout or 60, self.workdir)
            except RunFailed as e:
                log(f"FAILED (warm-up): {e}")
                failed.append("warm-up: " + str(e).splitlines()[0])
                relays.remove(relay)

    def measure(self, relays, sink, failed, load=run_load):
        """The measured runs: for 4 KiB then 100 KiB, each relay in turn
        (interleaved, so drift hits all alike). `load` is run_load or a
        wrapper around it with the same arguments. A relay that fails is
        dropped from later runs (its queue may not be empty). Returns the
        result dicts."""
        a = self.args
        results = []
        for size, count in ((4096, a.messages), (102400, a.large_messages)):
            limit = a.timeout or 60 + count / 20
            for relay in list(relays):
                log(f"{relay.name}: {count} x {size // 1024} KiB, {a.sessions} sessions ...")
                try:
                    r = load(relay, sink, count, size, a.sessions, limit, self.workdir)
                except RunFailed as e:
                    log(f"FAILED: {e}")
                    failed.append(str(e).splitlines()[0])
                    relays.remove(relay)
                    continue
                results.append(r)
                log(f"  accepted {r['accepted_per_s']:.0f}/s, delivered {r['delivered_per_s']:.0f}/s, "
                    f"{r['cpu_ms_per_msg']:.3f} CPU ms/msg")
        return results

    def run(self):
        a = self.args
        self.workdir = tempfile.mkdtemp(prefix="sm-relay-bench-")
        os.chmod(self.workdir, 0o711)  # Postfix daemons run as user postfix
        sink_port, pf_port, *sm_ports = pt.free_ports(5)
        sink = self.start(peers.Sink(self.workdir, sink_port))
        relays, failed = [], []
        if a.only != "securemail":
            relays.append(self.start(peers.Postfix(self.workdir, pf_port, sink_port)))
        if a.only != "postfix":
            binary = os.environ.get("SECUREMAIL_BIN") or os.path.join(REPO, "build", "securemail")
            sm = peers.SecureMail(self.workdir, binary, sm_ports, sink_port)
            try:
                relays.append(self.start(sm))
            except peers.StartError as e:
                if a.only == "securemail":
                    raise
                log(f"FAILED: SecureMail did not start; measuring Postfix alone.\n{e}")
                failed.append(f"SecureMail did not start: {str(e).splitlines()[0]}")
        self.print_header(relays)

        self.warm_up(relays, sink, failed)
        results = self.measure(relays, sink, failed)

        big = None
        sm = next((r for r in relays if r.name == "SecureMail"), None)
        if sm and a.big_mib > 0:
            log(f"SecureMail: one {a.big_mib} MiB message ...")
            try:
                big = big_message(sm, sink, a.big_mib, self.workdir)
            except RunFailed as e:
                log(f"FAILED: {e}")
                failed.append(str(e).splitlines()[0])
        self.report(results, big, failed)
        return 1 if failed else 0

    def print_header(self, relays):
        pf = subprocess.run(["postconf", "-h", "-d", "mail_version"], capture_output=True, text=True)
        print(f"relay benchmark: {os.cpu_count()} CPUs, Postfix {pf.stdout.strip() or '?'}, "
              f"{self.args.sessions} smtp-source sessions, connection per message")
        for r in relays:
            print(f"  {r.name:<10} on {peers.HOST}:{r.port} (pid {r.pid()})")
        sys.stdout.flush()

    def report(self, results, big, failed):
        print()
        print(fmt_table(results))
        ratios = fmt_ratios(results)
        if ratios:
            print()
            print("SecureMail / Postfix, same run (goal: delivered >= 3x):")
            for r in ratios:
                print(f"  {r['size'] // 1024:>3} KiB: delivered msg/s x{r['delivered_ratio']:.2f}, "
                      f"CPU per message x{r['cpu_ratio']:.2f}")
        if big:
            mib = big["vmhwm_kib"] / 1024 if big["vmhwm_kib"] else float("nan")
            note = "" if big["vmhwm_reset"] else " (VmHWM could not be reset: peak since start)"
            print()
            print(f"SecureMail peak memory relaying one {big['message_octets'] / 2**20:.1f} MiB message: "
                  f"VmHWM {mib:.1f} MiB (goal < 64 MiB){note}, delivered in {big['seconds']:.1f} s")
        for f in failed:
            print(f"FAILED: {f}")
        sys.stdout.flush()
        if self.args.json:
            with open(self.args.json, "w") as f:
                json.dump({"results": results, "ratios": ratios, "big_message": big,
                           "failed": failed, "cpus": os.cpu_count()}, f, indent=2)


def main(argv):
    bench = Bench(parse_args(argv))
    return pt.run_main(bench.run, bench.cleanup, failures=(peers.StartError,))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
