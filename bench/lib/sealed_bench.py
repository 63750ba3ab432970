"""sealed_bench.py - sealed SecureMail (gateway a seals, gateway b opens,
verifies and delivers) against Postfix as a plain relay, same run.

Run through bench/sealed_vs_postfix (see docs/benchmarks.md). One run
starts smtp-sink, a private Postfix instance relaying to it ("Postfix", the
relay benchmark's peer), a second instance in front of the first ("Postfix
x2": a plain two-hop chain, the same shape as a gateway pair), and the two
gateways of `securemail testnet` (a.example -> b.example -> smtp-sink). Each
gets the same smtp-source load (alice@a.example to bob@b.example, From:
and To: headers to match, one connection per message), 4 KiB then 100 KiB,
interleaved. It prints accepted and end-to-end msg/s (counted at the sink),
CPU per message over all processes of each side, and sealed SecureMail /
Postfix ratios, where a sealed message waits between the gateways (from
their logs: gateway_stages.py); with --perf, a perf profile of both
gateways in extra runs.

Every SecureMail run is checked for sealing (gateway_pair.SealWitness: b's
`smime=pass` log lines and verification counters): a run that was plain
relaying is marked NOT SEALED and fails the benchmark (exit 1) unless
--allow-plain. Otherwise it is a measurement: ratios never fail the run.
The relays, the load and the loop are those of relay_bench.py; this file
adds the chain, the gateway pair, the seal check and the profile.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gateway_pair as gp  # noqa: E402
import gateway_stages as gs  # noqa: E402
import peers  # noqa: E402
import perf_profile  # noqa: E402
import proctools as pt  # noqa: E402
import relay_bench as rb  # noqa: E402
from relay_chain import Chain  # noqa: E402

SENDER, RECIPIENT = "alice@a.example", "bob@b.example"
PAIR, SINGLE, CHAIN = "SecureMail sealed", "Postfix", "Postfix x2"
RECEIPTS = "SecureMail receipts"
QUICK_MESSAGES = 300
log = pt.log


def parse_args(argv):
    p = argparse.ArgumentParser(prog="bench/sealed_vs_postfix",
                                description="End-to-end rate and CPU of a sealing SecureMail gateway pair "
                                            "against Postfix as a plain relay, measured in the same run.")
    rb.add_load_options(p, QUICK_MESSAGES)
    p.add_argument("--postfix", choices=("single", "chain", "both"), default="both",
                   help="Postfix as one relay, as a chain of two, or both (default both)")
    p.add_argument("--perf", action="store_true",
                   help="after the measured runs, profile both gateways with perf record -g during one "
                        "extra run per size and print the top symbols")
    p.add_argument("--allow-plain", action="store_true",
                   help="do not fail when the gateways relayed in plain instead of sealing")
    p.add_argument("--no-receipts", action="store_true",
                   help='leave out the second gateway pair that asks for signed receipts ([receipts] '
                        'request = "always")')
    return rb.parse_load_options(p, argv, QUICK_MESSAGES)


class ReceiptPair(Chain):
    """A gateway pair whose a asks for a receipt for every message: its
    queue counts as empty only when a has also accepted a receipt for every
    message b verified (securemail_receipts_total{result="accepted"} at a
    against securemail_inbound_total{result="pass"} at b), so run_load
    counts the CPU of the whole round trip."""

    def outstanding(self):
        a, b = self.hops
        verified = b.metrics().get('securemail_inbound_total{result="pass"}', 0)
        return max(0, int(verified - a.metrics().get('securemail_receipts_total{result="accepted"}', 0)))

    def queue_size(self):
        return super().queue_size() + self.outstanding()


class SealedBench(rb.Bench):
    def __init__(self, args):
        super().__init__(args)
        self.pair = None
        self.witnesses = {}  # gateway pair -> SealWitness
        self.checks = []

    def load(self, relay, sink, count, size, sessions, timeout, workdir):
        """relay_bench.run_load with the a.example addresses; for a gateway
        pair, also the seal check of that run (in the result)."""
        witness = self.witnesses.get(relay)
        mark = witness.mark() if witness else None
        r = rb.run_load(relay, sink, count, size, sessions, timeout, workdir, sender=SENDER, recipient=RECIPIENT)
        if mark is not None:
            a_lines, b_lines = witness.logs_since(mark)
            check = witness.check(mark, count, b_lines)
            check["size"] = size
            check["relay"] = relay.name
            r["seal_check"] = check
            r["stages"] = gs.stages(a_lines, b_lines)
            self.checks.append(check)
            log(f"  seal check: {gp.fmt_check(check)}")
        return r

    def start_relays(self):
        a = self.args
        sink_port, pf_port, pf_front_port = pt.free_ports(3)
        sink = self.start(peers.Sink(self.workdir, sink_port))
        relays = []
        pf = self.start(peers.Postfix(self.workdir, pf_port, sink_port, instance="postfix", name=SINGLE))
        if a.postfix in ("single", "both"):
            relays.append(pf)
        if a.postfix in ("chain", "both"):
            front = self.start(peers.Postfix(self.workdir, pf_front_port, pf_port, instance="postfix-front",
                                             name=CHAIN))
            relays.append(Chain(CHAIN, [front, pf]))
        binary = os.environ.get("SECUREMAIL_BIN") or os.path.join(rb.REPO, "build", "securemail")
        self.pair = self.start_pair(Chain, PAIR, self.workdir, binary, sink_port)
        relays.append(self.pair)
        if not a.no_receipts:
            folder = os.path.join(self.workdir, "receipts")
            os.mkdir(folder)
            relays.append(self.start_pair(ReceiptPair, RECEIPTS, folder, binary, sink_port,
                                          a_extra='[receipts]\nrequest = "always"\n'))
        return sink, relays

    def start_pair(self, kind, name, folder, binary, sink_port, a_extra=""):
        """A testnet pair in `folder` (a_extra: config text for a), started b
        first (a's first delivery finds it listening), with its witness."""
        gw_a, gw_b = gp.build_pair(folder, binary, sink_port)
        if a_extra:
            with open(gw_a.config, "a") as f:
                f.write("\n" + a_extra)
        self.start(gw_b)
        self.start(gw_a)
        pair = kind(name, [gw_a, gw_b])
        self.witnesses[pair] = gp.SealWitness(gw_a, gw_b)
        return pair

    def run(self):
        a = self.args
        why_no_perf = perf_profile.unusable() if a.perf else None
        if why_no_perf:
            raise pt.RunFailed(f"--perf: {why_no_perf}")
        self.workdir = tempfile.mkdtemp(prefix="sm-sealed-bench-")
        os.chmod(self.workdir, 0o711)  # Postfix daemons run as user postfix
        sink, relays = self.start_relays()
        self.print_header(relays)
        failed = []
        self.warm_up(relays, sink, failed, load=self.load)
        self.checks = []  # the warm-up's checks are only logged
        results = self.measure(relays, sink, failed, load=self.load)
        profiles = self.profile(sink, failed) if a.perf and self.pair in relays else []
        plain = [c for c in self.checks if not c["sealed"]]
        if plain and not a.allow_plain:
            failed.append(f"{len(plain)} SecureMail run(s) were not sealed (plain relaying measured); "
                          "--allow-plain to accept")
        if not self.checks:
            failed.append("no SecureMail run was measured, so nothing was checked for sealing")
        self.report(results, profiles, failed)
        return 1 if failed else 0

    def profile(self, sink, failed):
        """One extra run per size with perf attached to both gateways (not in
        the table: perf slows what it watches)."""
        a, out = self.args, []
        for size, count in ((4096, min(a.messages, 2000)), (102400, min(a.large_messages, 400))):
            path = os.path.join(self.workdir, f"perf-{size // 1024}k.data")
            prof = perf_profile.Profile(path, self.pair.pids())
            log(f"{PAIR} under perf: {count} x {size // 1024} KiB ...")
            try:
                prof.start()
                try:
                    r = self.load(self.pair, sink, count, size, a.sessions, a.timeout or 60 + count / 20,
                                  self.workdir)
                    r["seal_check"]["perf_run"] = True
                    threads = {tid: g.label for g in self.pair.hops for tid in _threads(g.pid())}
                finally:
                    prof.stop()
            except pt.RunFailed as e:
                log(f"FAILED (perf run): {e}")
                failed.append("perf run: " + str(e).splitlines()[0])
                break
            by_pid = _per_process(prof.summary("pid", lines=1000, percent_limit=0), threads)
            out.append({"size": size, "messages": count, "delivered_per_s": r["delivered_per_s"],
                        "by_process": by_pid, "by_object": prof.summary("dso", lines=8),
                        "symbols": prof.summary("dso,sym", lines=25)})
        return out

    def print_header(self, relays):
        v = subprocess.run(["postconf", "-h", "-d", "mail_version"], capture_output=True, text=True)
        print(f"sealed benchmark: {os.cpu_count()} CPUs, Postfix {v.stdout.strip() or '?'}, "
              f"{self.args.sessions} smtp-source sessions, connection per message, {SENDER} -> {RECIPIENT}")
        for r in relays:
            if r in self.witnesses:
                a, b = r.hops
                path = (f"{a.label} {peers.HOST}:{a.port} (pid {a.pid()}) seals -> TLS -> {b.label} "
                        f"(pid {b.pid()}) opens, verifies")
                if isinstance(r, ReceiptPair):
                    path += ", signs a receipt -> TLS -> a checks it, reports to alice"
            elif isinstance(r, Chain):
                path = " -> ".join(f"{h.instance} {peers.HOST}:{h.port} (pid {h.pid()})" for h in r.hops)
            else:
                path = f"{r.instance} {peers.HOST}:{r.port} (pid {r.pid()})"
            print(f"  {r.name:<18} {path} -> smtp-sink")
        sys.stdout.flush()

    def report(self, results, profiles, failed):
        print()
        print(rb.fmt_table(results, busy=True))
        if self.checks:
            print()
            print("seal check (gateway b's log and /metrics during each SecureMail run):")
            for c in self.checks:
                what = " (perf run)" if c.get("perf_run") else ""
                who = f" {c['relay']}" if c.get("relay", PAIR) != PAIR else ""
                print(f"  {c['size'] // 1024:>3} KiB{who}{what}: {gp.fmt_check(c)}")
        for r in results:
            if r["relay"] == PAIR:
                print()
                print(f"where a sealed message waits, {r['size'] // 1024} KiB run (both gateways' logs, "
                      f"{(r['stages'] or {}).get('messages', 0)} messages followed; CPUs busy "
                      f"{r['cpu_seconds'] / r['deliver_seconds']:.2f}):")
                for line in gs.fmt_stages(r["stages"]):
                    print("  " + line)
        ratios, receipts = fmt_ratios(results), fmt_receipt_ratios(results)
        for title, block in ((f"{PAIR} / Postfix, same run (goal: delivered >= 3x Postfix's plain relay):", ratios),
                             (f"{RECEIPTS} / {PAIR}, same run (CPU counted until every receipt was settled at a):",
                              receipts)):
            if block:
                print()
                print(title)
                for line in block["lines"]:
                    print("  " + line)
        for p in profiles:
            print()
            print(f"perf profile of both gateways, extra run of {p['messages']} x {p['size'] // 1024} KiB "
                  f"({p['delivered_per_s']:.0f} msg/s under perf; perf record -g, "
                  "perf report --no-children):")
            for title, rows in (("by process", p["by_process"]), ("by shared object", p["by_object"]),
                                ("top symbols", p["symbols"])):
                print(f"  {title}:")
                for row in rows:
                    print(f"    {row.strip()}")
        for f in failed:
            print(f"FAILED: {f}")
        sys.stdout.flush()
        if self.args.json:
            with open(self.args.json, "w") as f:
                json.dump({"results": results, "ratios": ratios.get("numbers", []) if ratios else [],
                           "receipt_ratios": receipts.get("numbers", []) if receipts else [],
                           "seal_checks": self.checks, "profiles": profiles, "failed": failed,
                           "cpus": os.cpu_count()}, f, indent=2)


def fmt_ratios(results):
    """Per size: sealed SecureMail against each Postfix shape measured, as
    text lines and as numbers."""
    lines, numbers = [], []
    for size in sorted({r["size"] for r in results}):
        by = {r["relay"]: r for r in results if r["size"] == size}
        sm = by.get(PAIR)
        if not sm:
            continue
        parts = []
        for peer in (SINGLE, CHAIN):
            pf = by.get(peer)
            if not pf:
                continue
            d = sm["delivered_per_s"] / pf["delivered_per_s"]
            c = sm["cpu_ms_per_msg"] / pf["cpu_ms_per_msg"] if pf["cpu_ms_per_msg"] else float("nan")
            sealed = sm.get("seal_check", {}).get("sealed", False)
            numbers.append({"size": size, "against": peer, "delivered_ratio": d, "cpu_ratio": c,
                            "sealed": sealed})
            parts.append(f"x{d:.2f} {peer} delivered msg/s, CPU per message x{c:.2f}")
        if parts:
            tag = "" if sm.get("seal_check", {}).get("sealed") else "  [NOT SEALED: plain relaying]"
            lines.append(f"{size // 1024:>3} KiB: " + "; ".join(parts) + tag)
    return {"lines": lines, "numbers": numbers} if lines else None


def fmt_receipt_ratios(results):
    """Per size: the pair that asks for receipts against the pair that does
    not, delivered msg/s and CPU per message, as text lines and numbers."""
    lines, numbers = [], []
    for size in sorted({r["size"] for r in results}):
        by = {r["relay"]: r for r in results if r["size"] == size}
        with_r, without = by.get(RECEIPTS), by.get(PAIR)
        if not (with_r and without):
            continue
        d = with_r["delivered_per_s"] / without["delivered_per_s"]
        c = with_r["cpu_ms_per_msg"] / without["cpu_ms_per_msg"] if without["cpu_ms_per_msg"] else float("nan")
        numbers.append({"size": size, "delivered_ratio": d, "cpu_ratio": c})
        lines.append(f"{size // 1024:>3} KiB: delivered msg/s x{d:.2f}, CPU per message x{c:.2f} "
                     f"({with_r['cpu_ms_per_msg']:.3f} against {without['cpu_ms_per_msg']:.3f} ms)")
    return {"lines": lines, "numbers": numbers} if lines else None


def _threads(pid):
    try:
        return os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []


def _per_process(rows, threads):
    """perf's per-thread rows ("45.99%  32098:securemail") summed per gateway
    (threads: {tid: label}, read while the run was on)."""
    share, count = {}, {}
    for row in rows:
        parts = row.split()
        if len(parts) < 2 or not parts[0].endswith("%"):
            continue
        label = threads.get(parts[1].split(":")[0], "threads that ended before the end of the run")
        share[label] = share.get(label, 0.0) + float(parts[0].rstrip("%"))
        count[label] = count.get(label, 0) + 1
    return [f"{share[k]:6.2f}%  {k} ({count[k]} threads)" for k in sorted(share, key=share.get, reverse=True)]


def main(argv):
    bench = SealedBench(parse_args(argv))
    return pt.run_main(bench.run, bench.cleanup, failures=(peers.StartError,))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
