"""directory_bench.py - the member directory at 100,000 members, end to end.

Run through bench/directory_100k (see docs/directory.md, "Benchmark"). One run:

  1. runs build/bench/directory_bench (the directory core's own bench, C++):
     publish (canonical JSON, CMS signature), apply (verify every
     certificate, build the index), the replica's apply and restart, one
     million in-process lookups (median, p99) and peak memory;
  2. starts a real gateway (`securemail run`) on the replica that bench
     left behind (its data folder DIR/gateway holds the same signed 100k
     feed), with a [directory] feed that cannot be fetched, so the gateway
     runs on the copy it holds, as when the authority is down; and measures
     how long the gateway takes to have the directory in use;
  3. sends GET /v1/directory/lookup to its admin listener from one client
     (half members, half not) and reports the latency per request (median,
     p99) and the rate; and times one `securemail directory lookup` command
     (a process that opens the replica and answers);
  4. prints a table with the issue's goals: apply under 2 s, in-process
     lookup p99 under 10 us.

It is a measurement, not a test: a missed goal is printed as MISSED and
the exit status stays 0 (--strict makes it 1). It fails (exit 1) when a
program fails or an answer is wrong (a member not found, a non-member
found). Python standard library only. Everything lives in a private temp
dir that is removed afterwards; each process started runs in its own
session and is stopped by its own process-group id on exit, Ctrl-C or
SIGTERM - never by name.
"""

import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GOAL_APPLY_S = 2.0
GOAL_LOOKUP_P99_NS = 10_000


from proctools import RunFailed, log, run_main  # noqa: E402  (shared by every benchmark)


def parse_args(argv):
    p = argparse.ArgumentParser(prog="bench/directory_100k",
                                description="The member directory at 100,000 members: publish, apply, "
                                            "in-process lookups (directory_bench) and HTTP lookups against "
                                            "a running gateway's admin listener.")
    p.add_argument("--members", type=int, default=100_000, metavar="N", help="members in the feed (default 100000)")
    p.add_argument("--per-cert", type=int, default=1, metavar="K",
                   help="members sharing one certificate, like a provider's customers (default 1)")
    p.add_argument("--lookups", type=int, default=1_000_000, metavar="L",
                   help="in-process lookups (default 1000000)")
    p.add_argument("--http-lookups", type=int, default=20_000, metavar="H",
                   help="HTTP lookups against the gateway (default 20000)")
    p.add_argument("--http-seconds", type=float, default=30, metavar="S",
                   help="stop the HTTP lookups after S seconds if H are not done by then (default 30)")
    p.add_argument("--quick", action="store_true",
                   help="smoke run: 10000 members, 100000 in-process and 2000 HTTP lookups (at most 10 s)")
    p.add_argument("--strict", action="store_true", help="exit 1 when a goal is missed")
    p.add_argument("--json", metavar="FILE", help="also write every number as JSON to FILE")
    p.add_argument("--keep", action="store_true", help="keep the temp dir and print its path")
    a = p.parse_args(argv)
    if a.quick:
        a.members, a.lookups, a.http_lookups = 10_000, 100_000, 2_000
        a.http_seconds = min(a.http_seconds, 10)
    for name in ("members", "per_cert", "lookups", "http_lookups"):
        if getattr(a, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1")
    return a


def binaries():
    cli = os.environ.get("SECUREMAIL_BIN") or os.path.join(REPO, "build", "securemail")
    core = os.environ.get("DIRECTORY_BENCH_BIN") or os.path.join(os.path.dirname(cli), "bench", "directory_bench")
    for path, target in ((cli, "securemail"), (core, "directory_bench")):
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            raise RunFailed(f"no {target} at {path} (build it: cmake --build build --target {target}; "
                            "or set SECUREMAIL_BIN / DIRECTORY_BENCH_BIN)")
    return cli, core


def run(cmd, timeout):
    """Run to completion in a new session; on timeout or interruption the
    process group we started is killed."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                         start_new_session=True)
    try:
        out, err = p.communicate(timeout=timeout)
    except BaseException:
        _kill_group(p)
        raise
    return p.returncode, out.decode(errors="replace"), err.decode(errors="replace")


def _kill_group(p, sig=signal.SIGKILL):
    try:
        os.killpg(p.pid, sig)
    except OSError:
        pass
    p.wait()


# ---- 1. the core bench -----------------------------------------------------------------

def core_bench(binary, workdir, a):
    """directory_bench's "name: value" lines as {name: first number or text}."""
    cmd = [binary, "--members", str(a.members), "--per-cert", str(a.per_cert), "--lookups", str(a.lookups),
           "--dir", os.path.join(workdir, "core")]
    log(f"directory_bench: {a.members} members, {a.per_cert} per certificate, {a.lookups} lookups ...")
    rc, out, err = run(cmd, timeout=3600)
    if rc != 0:
        raise RunFailed(f"directory_bench exited {rc}: {err.strip() or out.strip()}")
    values = {}
    for line in out.splitlines():
        name, sep, value = line.partition(": ")
        if not sep:
            continue
        m = re.fullmatch(r"(-?\d+(\.\d+)?)( .*)?", value.strip())
        values[name] = float(m.group(1)) if m and not value.strip().endswith("kB") else value.strip()
        cpu = re.search(r"\(cpu ([\d.]+)\)", value)
        if cpu:
            values[name + "_cpu"] = float(cpu.group(1))
    for needed in ("apply_total_s", "lookup_p50_ns", "lookup_p99_ns"):
        if needed not in values:
            raise RunFailed(f"directory_bench printed no {needed}:\n{out}")
    return values


# ---- 2. a gateway on the 100k replica --------------------------------------------------

class Gateway:
    """`securemail run` on the data folder directory_bench left (its replica)."""

    def __init__(self, cli, workdir):
        core = os.path.join(workdir, "core")
        self.data = os.path.join(core, "gateway")
        # No feed at this path: the gateway starts on the replica it holds and
        # keeps using it while the "authority" is unreachable, as in production.
        self.feed = os.path.join(workdir, "unreachable.cms")
        self.config = os.path.join(workdir, "gateway.toml")
        self.log_path = os.path.join(workdir, "gateway.log")
        self.cli, self.proc = cli, None
        if not os.path.exists(os.path.join(self.data, "directory.sqlite")):
            raise RunFailed(f"directory_bench left no replica in {self.data}")
        # The authority certificate and CRL where `securemail init` puts them,
        # so the gateway trusts exactly what directory_bench trusted (and its
        # replica's cache of checked certificates applies).
        pki = os.path.join(self.data, "pki")
        os.makedirs(pki, mode=0o700, exist_ok=True)
        for src, dst in (("ca.pem", "authority.pem"), ("crl.pem", "crl.pem")):
            shutil.copyfile(os.path.join(core, "authority", src), os.path.join(pki, dst))
        with open(self.config, "w") as f:
            f.write(f'domain = "bench.example"\nhostname = "gw.bench.example"\ndata_dir = "{self.data}"\n'
                    'log_level = "warning"\n'
                    '[listen]\nrelay = "127.0.0.1:0"\ninbound = "127.0.0.1:0"\nadmin = "127.0.0.1:0"\n'
                    f'[directory]\nfeed = "file:{self.feed}"\n'
                    'refresh = "1h"\nnotify_admin = false\n')

    def start(self, probe_domain, timeout=300):
        """Start and wait until the directory answers for probe_domain; the seconds that took."""
        listeners = os.path.join(self.data, "run", "listeners.json")
        if os.path.exists(listeners):
            os.unlink(listeners)
        started = time.perf_counter()
        with open(self.log_path, "ab") as log_file:
            self.proc = subprocess.Popen([self.cli, "run", "--config", self.config], stdout=log_file,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RunFailed(f"securemail run exited {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with open(listeners) as f:
                    host, port = json.load(f)["admin"].rsplit(":", 1)
                self.admin = (host.strip("[]"), int(port))
                conn = http.client.HTTPConnection(*self.admin, timeout=10)
                try:
                    status, _ = lookup_once(conn, probe_domain)
                finally:
                    conn.close()
                if status == 200:
                    return time.perf_counter() - started
            except (OSError, ValueError, KeyError, http.client.HTTPException):
                pass
            time.sleep(0.05)
        raise RunFailed(f"the gateway did not answer lookups within {timeout} s:\n{self.log_tail()}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                _kill_group(self.proc)
            except OSError:
                pass

    def log_tail(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-3000:]
        except OSError:
            return ""


# ---- 3. lookups over HTTP --------------------------------------------------------------

def member_domain(i):
    return f"m{i:07d}.example"  # directory_bench's naming


def lookup_once(conn, domain):
    query = urllib.parse.urlencode({"address": "user@" + domain})
    conn.request("GET", "/v1/directory/lookup?" + query)
    r = conn.getresponse()
    return r.status, r.read()


def http_lookups(admin, members, count, seconds):
    """Per-request seconds over one keep-alive client (reconnecting whenever
    the server closes), half members and half not, for `count` requests or
    `seconds`, whichever ends first; answers are checked."""
    rng = random.Random(42)
    conn = http.client.HTTPConnection(*admin, timeout=10)
    times = []
    deadline = time.perf_counter() + seconds
    for i in range(count):
        if i >= 100 and time.perf_counter() > deadline:
            log(f"HTTP: stopped after {seconds:g} s ({i} lookups)")
            break
        n = rng.randrange(members)
        member = i % 2 == 0
        domain = member_domain(n) if member else "n" + member_domain(n)[1:]
        t0 = time.perf_counter()
        status, body = lookup_once(conn, domain)
        times.append(time.perf_counter() - t0)
        if status != (200 if member else 404):
            raise RunFailed(f"lookup {domain}: HTTP {status} {body[:200]!r}")
    conn.close()
    return times


def cli_lookup(cli, config, domain):
    t0 = time.perf_counter()
    rc, out, err = run([cli, "directory", "lookup", "--config", config, domain, "--json"], timeout=600)
    took = time.perf_counter() - t0
    if rc != 0:
        raise RunFailed(f"securemail directory lookup {domain} exited {rc}: {err.strip()}")
    return took


# ---- 4. the report ---------------------------------------------------------------------

def percentile(sorted_values, p):
    return sorted_values[min(len(sorted_values) - 1, int(p * (len(sorted_values) - 1)))]


def report(a, core, start_s, http_times, cli_s):
    lat = sorted(http_times)
    http_p50, http_p99 = statistics.median(lat) * 1e6, percentile(lat, 0.99) * 1e6
    rate = len(lat) / sum(lat)
    apply_ok = core["apply_total_s"] < GOAL_APPLY_S
    p99_ok = core["lookup_p99_ns"] < GOAL_LOOKUP_P99_NS

    def row(metric, value, goal="", verdict=""):
        print(f"{metric:<44} {value:>22}  {goal:<14} {verdict}")

    def cpu(name):
        return f" (cpu {core[name + '_cpu']:.2f})" if name + "_cpu" in core else ""

    print(f"\nmember directory, {int(core.get('members', a.members)):,} members "
          f"({a.per_cert} per certificate), {os.cpu_count()} CPUs")
    row("metric", "value", "goal", "")
    row("publish: canonical JSON", f"{core.get('publish_canonical_json_s', 0):.3f} s")
    row("publish: sign_feed (JSON + CMS)", f"{core.get('publish_sign_feed_s', 0):.3f} s")
    row("feed size (CMS)", f"{core.get('feed_cms_bytes', 0) / 1e6:.1f} MB")
    apply_cpu = core.get("apply_verify_feed_s_cpu", 0) + core.get("apply_directory_build_s_cpu", 0)
    row("apply: verify_feed + Directory::build", f"{core['apply_total_s']:.3f} s (cpu {apply_cpu:.2f})", "< 2 s",
        "met" if apply_ok else "MISSED")
    row("apply: Replica::apply (+ diff, SQLite)", f"{core.get('replica_apply_s', 0):.3f} s{cpu('replica_apply_s')}")
    row("replica restart (load stored feed)",
        f"{core.get('replica_restart_load_s', 0):.3f} s{cpu('replica_restart_load_s')}")
    if "first_use_check_us" in core:
        row("first use of a member certificate", f"{core['first_use_check_us']:.0f} us")
        row("  again (parsed, chain answer cached)", f"{core['first_use_cached_us']:.2f} us")
    row("lookup in-process p50 / p99",
        f"{core['lookup_p50_ns'] / 1000:.2f} / {core['lookup_p99_ns'] / 1000:.2f} us", "p99 < 10 us",
        "met" if p99_ok else "MISSED")
    row("gateway start to directory in use", f"{start_s:.2f} s")
    row("HTTP GET /v1/directory/lookup p50 / p99", f"{http_p50:.0f} / {http_p99:.0f} us")
    row("HTTP lookups per second (one client)", f"{rate:,.0f}")
    row("`securemail directory lookup` (process)", f"{cli_s:.2f} s")
    row("memory (VmHWM of directory_bench)", str(core.get("vm_hwm", "?")))
    numbers = dict(core, gateway_start_s=start_s, http_p50_us=http_p50, http_p99_us=http_p99,
                   http_rate=rate, http_lookups=len(lat), cli_lookup_s=cli_s,
                   goals={"apply_under_2s": apply_ok, "lookup_p99_under_10us": p99_ok})
    if a.json:
        with open(a.json, "w") as f:
            json.dump(numbers, f, indent=2)
    return apply_ok and p99_ok


def bench(a, state):
    cli, core_bin = binaries()
    state["workdir"] = workdir = tempfile.mkdtemp(prefix="sm-directory-bench-")
    core = core_bench(core_bin, workdir, a)
    gw = state["gateway"] = Gateway(cli, workdir)
    log("gateway: starting on the replica directory_bench left ...")
    start_s = gw.start(member_domain(0))
    log(f"HTTP: {a.http_lookups} lookups against {gw.admin[0]}:{gw.admin[1]} ...")
    times = http_lookups(gw.admin, a.members, a.http_lookups, a.http_seconds)
    gw.stop()
    cli_s = cli_lookup(cli, gw.config, member_domain(a.members - 1))
    met = report(a, core, start_s, times, cli_s)
    return 1 if a.strict and not met else 0


def main(argv):
    a = parse_args(argv)
    state = {}

    def cleanup():
        if state.get("gateway"):
            state["gateway"].stop()
        if state.get("workdir"):
            if a.keep:
                log(f"kept {state['workdir']}")
            else:
                shutil.rmtree(state["workdir"], ignore_errors=True)
    return run_main(lambda: bench(a, state), cleanup)

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
