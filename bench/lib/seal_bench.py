"""seal_bench.py - SecureMail's S/MIME engine against the limit OpenSSL sets, same run.

Run through bench/seal_vs_openssl (see docs/benchmarks.md). One run
measures, on this machine and in this run:

  1. the limit: `openssl speed -multi N -mr` for the private- and public-key
     operations a seal and an open need, and for AES-256-GCM and SHA-256
     (16384-byte blocks);
  2. seals/s and opens/s of the engine (bench/seal_driver on N threads) for
     4 KiB, 100 KiB and 10 MiB messages with the default gateway key, and
     for every key type at 4 KiB, each as a fraction of its limit;
  3. peak resident memory sealing and opening one 100 MiB message, and the
     wall time of sealing and opening a 10 MiB message next to `openssl cms`
     doing the same work.

It is a measurement, not a test: fractions never fail the run. It fails
(exit 1) when the driver or a peer fails, or an open does not give a
verified verdict. Everything lives in a private temp dir that is removed
afterwards; every process started runs in its own session and is killed by
its process-group id on exit, Ctrl-C or SIGTERM. The programs it runs are
in seal_peers.py, the limit and its formula in openssl_limit.py.
"""

import argparse
import json
import os
import re
import shlex
import shutil
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from proctools import run_main  # noqa: E402
from openssl_limit import fmt_limits, limit, measure_limits, merge_passes, pk_ops  # noqa: E402
from seal_peers import (PEER, Driver, RunFailed, cli_tool, driver_tool, log, memory_test,  # noqa: E402
                        peer_test, run)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SIZES = ((4096, "4 KiB"), (102400, "100 KiB"), (10 << 20, "10 MiB"))
KEY_TYPES = ("ec-p256", "ec-p384", "rsa-3072", "rsa-2048")
STRENGTH = {"ec-p256": 128, "ec-p384": 192, "rsa-3072": 128, "rsa-2048": 112, "rsa-4096": 152}


def parse_args(argv):
    p = argparse.ArgumentParser(prog="bench/seal_vs_openssl",
                                description="S/MIME seals and opens per second against the limit "
                                            "`openssl speed` measures in the same run.")
    p.add_argument("--quick", action="store_true",
                   help="smoke run (about 20 s): 1 s per rate, ec-p256 only, 20 MiB memory test")
    p.add_argument("--seconds", type=float, metavar="S", help="seconds per rate (default 3; --quick 1)")
    p.add_argument("--speed-seconds", type=int, metavar="S",
                   help="seconds per `openssl speed` test (default 2; --quick 1)")
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1, metavar="N",
                   help="driver threads and `openssl speed -multi` processes (default: CPUs)")
    p.add_argument("--key-type", default="ec-p256", choices=KEY_TYPES + ("rsa-4096",),
                   help="gateway key type of the main table (default ec-p256)")
    p.add_argument("--compare", metavar="LIST",
                   help="key types compared at 4 KiB (default ec-p256,ec-p384,rsa-3072,rsa-2048; "
                        "--quick: none; 'none': none)")
    p.add_argument("--big-mib", type=int, metavar="MIB",
                   help="size of the memory-test message (default 100; --quick 20; 0 skips)")
    p.add_argument("--json", metavar="FILE", help="also write every number as JSON to FILE")
    p.add_argument("--keep", action="store_true", help="keep the temp dir and print its path")
    a = p.parse_args(argv)
    a.seconds = a.seconds or (1.0 if a.quick else 3.0)
    a.speed_seconds = a.speed_seconds or (1 if a.quick else 2)
    a.big_mib = (20 if a.quick else 100) if a.big_mib is None else a.big_mib
    if a.compare is None:
        a.compare = "none" if a.quick else ",".join(KEY_TYPES)
    a.compare = [] if a.compare == "none" else [t for t in a.compare.split(",") if t]
    bad = [t for t in a.compare if t not in STRENGTH]
    if bad:
        p.error(f"unknown key type(s) in --compare: {', '.join(bad)}")
    if a.threads < 1 or a.seconds <= 0 or a.speed_seconds < 1 or a.big_mib < 0:
        p.error("counts and times must be positive")
    return a


# ---- the engine's rates --------------------------------------------------------

def measure_rates(driver, key_type, sizes, a):
    """The engine's rates per CPU-second each thread got, summed over the
    threads (what `openssl speed` rates become once divided by their CPU
    share); the wall-clock rates and the shares are kept for --json."""
    rows = []
    for size, label in sizes:
        log(f"seal_driver: {key_type}, {label}, {a.threads} threads, {a.seconds:g} s per rate ...")
        s, o = driver.rate(key_type, size, a.threads, a.seconds)
        rows.append({"key_type": key_type, "size": size, "label": label,
                     "seals_per_s": s["cpu_per_s"], "opens_per_s": o["cpu_per_s"],
                     "seals_per_wall_s": s["per_s"], "opens_per_wall_s": o["per_s"],
                     "seal_cpu_share": s["cpu_share"], "open_cpu_share": o["cpu_share"],
                     "seals": s["count"], "opens": o["count"], "sealed_size": s.get("sealed_size"),
                     "verdict": o.get("verdict"), "key_management": o.get("key_management")})
        log(f"  {s['cpu_per_s']:.0f} seals/s, {o['cpu_per_s']:.0f} opens/s per CPU-second "
            f"(wall clock {s['per_s']:.0f} and {o['per_s']:.0f}, CPU share {s['cpu_share']:.2f}), "
            f"verdict {o.get('verdict')}")
    return rows


def add_limits(rows, rates, ca_type):
    for row in rows:
        seal_ops, open_ops = pk_ops(row["key_type"], ca_type)
        row["seal_limit"] = limit(rates, seal_ops, row["size"])
        row["open_limit"] = limit(rates, open_ops, row["size"])
        row["seal_fraction"] = row["seals_per_s"] / row["seal_limit"]
        row["open_fraction"] = row["opens_per_s"] / row["open_limit"]


# ---- report ------------------------------------------------------------------------

def fmt_rate(x):
    return f"{x:.0f}" if x >= 10 else f"{x:.1f}"


def fmt_main(rows, key_type, threads):
    lines = [f"{key_type} gateways, {threads} threads:",
             f"{'size':>9} {'seals/s':>9} {'limit':>8} {'fraction':>9}   "
             f"{'opens/s':>9} {'limit':>8} {'fraction':>9}"]
    for r in rows:
        lines.append(f"{r['label']:>9} {fmt_rate(r['seals_per_s']):>9} {fmt_rate(r['seal_limit']):>8} "
                     f"{r['seal_fraction']:>9.2f}   {fmt_rate(r['opens_per_s']):>9} "
                     f"{fmt_rate(r['open_limit']):>8} {r['open_fraction']:>9.2f}")
    lines.append("goal: fraction >= 0.80 (of the public-key limit for small messages, "
                 "of the AES/SHA limit for large ones)")
    return "\n".join(lines)


def mail_rate(r):
    """Sealed messages per second when one machine does both ends' work."""
    return 1 / (1 / r["seals_per_s"] + 1 / r["opens_per_s"])


def mail_limit(r):
    return 1 / (1 / r["seal_limit"] + 1 / r["open_limit"])


def fmt_compare(rows):
    lines = ["key types, 4 KiB messages:",
             f"{'key type':<9} {'strength':<10} {'seals/s':>8} {'fraction':>9} {'opens/s':>8} "
             f"{'fraction':>9} {'sealed mail/s':>14} {'limit':>7}"]
    for r in rows:
        bits = STRENGTH[r["key_type"]]
        mark = " *" if bits < 128 else "  "
        lines.append(f"{r['key_type']:<9} {bits:>3} bits{mark} {fmt_rate(r['seals_per_s']):>8} "
                     f"{r['seal_fraction']:>9.2f} {fmt_rate(r['opens_per_s']):>8} {r['open_fraction']:>9.2f} "
                     f"{fmt_rate(mail_rate(r)):>14} {fmt_rate(mail_limit(r)):>7}")
    lines.append("sealed mail/s = 1 / (1/seals + 1/opens): one seal at the sending gateway plus one open "
                 "at the receiving one")
    if any(STRENGTH[r["key_type"]] < 128 for r in rows):
        lines.append("* below 128 bits of security: for reference only, never the default")
    eligible = sorted((r for r in rows if STRENGTH[r["key_type"]] >= 128), key=mail_rate, reverse=True)
    if eligible:
        best = eligible[0]
        others = ", ".join(f"x{mail_rate(best) / mail_rate(r):.2f} {r['key_type']}" for r in eligible[1:])
        line = f"fastest sealed mail at >= 128 bits: {best['key_type']}" + (f" ({others})" if others else "")
        default = library_default()
        if default:
            line += f"; pki::kDefaultGatewayKey is {default}" + ("" if default == best["key_type"]
                                                                   else " -- DIFFERENT")
        lines.append(line)
    return "\n".join(lines)


def library_default():
    """The gateway default key type as src/pki/key.h declares it, or None."""
    try:
        with open(os.path.join(REPO, "src", "pki", "key.h")) as f:
            m = re.search(r"kDefaultGatewayKey\s*=\s*KeyType::(\w+)", f.read())
    except OSError:
        return None
    return m.group(1).replace("_", "-").replace("rsa", "rsa-") if m else None


def fmt_memory(results):
    lines = []
    peer = next((m for m in results if m["tool"] == "openssl cms"), None)
    for m in results:
        if m is peer:
            peak = f"{m['open_max_rss_kib'] / 1024:.1f} MiB" if m["open_max_rss_kib"] else "FAILED"
            lines.append(f"peak memory, one {m['mib']} MiB message, openssl cms -decrypt then -verify (peer, "
                         f"opening what the engine sealed): open {peak} max RSS")
            continue
        ratio = (f" (x{m['open_max_rss_kib'] / peer['open_max_rss_kib']:.2f} the peer's)"
                 if peer and peer["open_max_rss_kib"] else "")
        lines.append(f"peak memory, one {m['mib']} MiB message, {m['tool']}: "
                     f"seal {m['seal_max_rss_kib'] / 1024:.1f} MiB, open {m['open_max_rss_kib'] / 1024:.1f} MiB{ratio} "
                     f"max RSS (goal for 100 MiB: < 64 MiB); seal {m['seal_seconds']:.2f} s, open {m['open_seconds']:.2f} s")
    return "\n".join(lines)


def openssl_open(setup, key_type, workdir):
    """The peer's open of a sealed file, as two commands (decrypt to a file,
    then verify it), so each process's peak memory is its own."""
    b = setup["gateways"][key_type]["b.example"]
    trust = os.path.join(workdir, "ca+crl-memory.pem")
    with open(trust, "w") as f, open(setup["ca_cert"]) as ca, open(setup["crl"]) as crl:
        f.write(ca.read() + crl.read())
    inner = os.path.join(workdir, "memory.inner")

    def commands(sealed):
        q = {k: shlex.quote(v) for k, v in dict(sealed=sealed, inner=inner, trust=trust, bkey=b["key"],
                                                bcert=b["cert"]).items()}
        return [f"openssl cms -decrypt -binary -in {q['sealed']} -recip {q['bcert']} -inkey {q['bkey']} "
                f"-out {q['inner']}",
                f"openssl cms -verify -in {q['inner']} -CAfile {q['trust']} -crl_check -out /dev/null; "
                f"rc=$?; rm -f {q['inner']}; exit $rc"]
    return commands


def fmt_goals(rows, memory):
    """The issue-12 figures in one place: the CLI's peak at the memory-test
    size and the 4 KiB fractions of the limit (public-key operations)."""
    small = next((r for r in rows if r["size"] == 4096), None)
    cli = next((m for m in memory if m["tool"] != "openssl cms" and "CLI" in m["tool"]), None) or \
        next((m for m in memory if m["tool"] != "openssl cms"), None)
    parts = []
    if cli:
        parts.append(f"open of one {cli['mib']} MiB message: VmHWM {cli['open_max_rss_kib'] / 1024:.1f} MiB "
                     f"({cli['tool']}; goal at 100 MiB < 64)")
    if small:
        parts.append(f"4 KiB seal / open: {small['seal_fraction']:.2f} / {small['open_fraction']:.2f} "
                     "of the key-operation limit (goal >= 0.6)")
    return "goals: " + "; ".join(parts) if parts else ""


def fmt_peer(p):
    lines = ["one 10 MiB message, wall time with process start and key loading (median; "
             "speed = openssl's time / ours, higher is better):"]
    for op in ("seal", "open"):
        r = p[op]
        peer = r["openssl"]
        lines.append(f"  {op}: {PEER[op]}: " + (f"{peer:.3f} s" if peer else "FAILED"))
        for name, t in r.items():
            if name != "openssl":
                speed = f", speed x{peer / t:.2f}" if (peer and t) else ""
                lines.append(f"  {op}: {name}: " + (f"{t:.3f} s{speed}" if t else "FAILED"))
    return "\n".join(lines)


# ---- one run -------------------------------------------------------------------------

class Bench:
    def __init__(self, args):
        self.args = args
        self.workdir = None

    def cleanup(self):
        if self.workdir and not self.args.keep:
            shutil.rmtree(self.workdir, ignore_errors=True)
        elif self.workdir:
            log(f"kept {self.workdir}")

    def cli_binary(self):
        return os.environ.get("SECUREMAIL_BIN") or os.path.join(REPO, "build", "securemail")

    def driver_binary(self):
        return os.environ.get("SEAL_DRIVER_BIN") or os.path.join(os.path.dirname(self.cli_binary()),
                                                                 "bench", "seal_driver")

    def run(self):
        a = self.args
        binary = self.driver_binary()
        if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
            raise RunFailed(f"no seal_driver at {binary} (build it: cmake --build build --target "
                            "seal_driver; or set SEAL_DRIVER_BIN or SECUREMAIL_BIN)")
        self.workdir = tempfile.mkdtemp(prefix="sm-seal-bench-")
        driver = Driver(binary, self.workdir)
        key_types = list(dict.fromkeys([a.key_type] + a.compare))
        log(f"seal_driver setup: authority and two gateways per key type ({', '.join(key_types)}) ...")
        setup = driver.make_setup(key_types)
        ca_type = setup.get("authority_key_type", "rsa-3072")

        # openssl speed before and (full run) after the engine's rates: the
        # limit is their mean, and their difference shows how steady the
        # machine was while the engine ran.
        passes = [measure_limits(a, key_types, ca_type, "before")]
        main_rows = measure_rates(driver, a.key_type, SIZES, a)
        compare_rows, failed = [], []
        for t in a.compare:
            if t == a.key_type:
                compare_rows.append(main_rows[0])
                continue
            try:
                compare_rows += measure_rates(driver, t, SIZES[:1], a)
            except RunFailed as e:
                log(f"FAILED: {t}: {e}")
                failed.append(f"{t}: {str(e).splitlines()[0]}")
        if not a.quick:
            passes.append(measure_limits(a, key_types, ca_type, "after"))
        rates, spread, speed_share = merge_passes(passes)
        measured = main_rows + [r for r in compare_rows if r is not main_rows[0]]
        add_limits(measured, rates, ca_type)

        tools = [driver_tool(driver, a.key_type)]
        cli = cli_tool(self.cli_binary(), setup, a.key_type)
        if cli:
            tools.append(cli)
        else:
            log(f"note: {self.cli_binary()} has no `smime seal`: measuring the engine only")
        memory = memory_test(driver, tools, a.big_mib, self.workdir, failed,
                             peer_open=openssl_open(setup, a.key_type, self.workdir)) if a.big_mib else []
        peer = peer_test(driver, tools, setup, a.key_type, self.workdir, failed, repeats=1 if a.quick else 3)
        shares = (statistics.mean(r[k] for r in measured for k in ("seal_cpu_share", "open_cpu_share")),
                  speed_share)
        self.report(rates, passes, spread, shares, key_types, ca_type, main_rows, compare_rows,
                    memory, peer, failed)
        return 1 if failed else 0

    def report(self, rates, passes, spread, shares, key_types, ca_type, main_rows, compare_rows,
               memory, peer, failed):
        a = self.args
        ver = run(["openssl", "version"], 10)[1].strip()
        print(f"seal benchmark: {os.cpu_count()} CPUs, {ver}, {a.threads} driver threads against "
              f"`openssl speed -multi {a.threads}`, {a.seconds:g} s per rate")
        print(f"  a.example seals to b.example: detached SHA-256 signature, then AES-256-GCM "
              f"AuthEnvelopedData; {ca_type} authority, CRL checked; output base64")
        print(f"  rates per CPU-second received, summed over the {a.threads} threads or processes: "
              f"the driver got {shares[0]:.0%} of its CPUs, openssl speed {shares[1]:.0%}")
        print()
        print(fmt_main(main_rows, a.key_type, a.threads))
        if compare_rows:
            print()
            print(fmt_compare(compare_rows))
        print()
        if memory:
            print(fmt_memory(memory))
        print(fmt_peer(peer))
        print(fmt_goals(main_rows, memory))
        print()
        print(fmt_limits(rates, len(passes), spread, key_types, ca_type, a))
        for f in failed:
            print(f"FAILED: {f}")
        sys.stdout.flush()
        if a.json:
            with open(a.json, "w") as f:
                json.dump({"rates": rates, "main": main_rows, "compare": compare_rows, "memory": memory,
                           "peer": peer, "failed": failed, "speed_passes": passes, "speed_spread": spread,
                           "cpu_shares": {"driver": shares[0], "openssl_speed": shares[1]},
                           "threads": a.threads, "cpus": os.cpu_count(), "openssl": ver,
                           "authority_key_type": ca_type}, f, indent=2)


def main(argv):
    bench = Bench(parse_args(argv))
    return run_main(bench.run, bench.cleanup)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
