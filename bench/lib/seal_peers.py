"""seal_peers.py - the programs bench/seal_vs_openssl runs, each in its own session.

  Driver   bench/seal_driver (setup, message, rate, seal, open): the engine.
  Tool     one way to seal or open a file: the driver's file mode, or
           `securemail smime seal|open` when that binary has it.
  memory_test, peer_test
           one large message through each tool (peak RSS from wait4), and
           one 10 MiB message against `openssl cms` doing the same work.

Every child runs in a new session; one still running on a timeout or an
interruption is killed by its process-group id (the id we started), never
by name.
"""

import json
import os
import shlex
import signal
import statistics
import subprocess
import tempfile
import time


from proctools import RunFailed, log  # noqa: E402  (shared by every benchmark)


def run(cmd, timeout, **kw):
    """subprocess.run in a new session; on timeout or interruption the whole
    process group we started (its id is the child's pid) is killed."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                         start_new_session=True, **kw)
    try:
        out, err = p.communicate(timeout=timeout)
    except BaseException as e:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except OSError:
            pass
        p.wait()
        if isinstance(e, subprocess.TimeoutExpired):
            raise RunFailed(f"{' '.join(cmd[:3])} still running after {timeout} s") from None
        raise
    return p.returncode, out.decode(errors="replace"), err.decode(errors="replace")


def run_rusage(cmd, timeout):
    """Run cmd; return (wall seconds, its rusage from wait4 - children it
    reaped included - and stdout). Raises RunFailed when it fails or outlives
    `timeout`."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.monotonic()
        p = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            while True:
                pid, status, ru = os.wait4(p.pid, os.WNOHANG)
                if pid:
                    break
                if time.monotonic() - t0 > timeout:
                    raise RunFailed(f"{cmd[0]} still running after {timeout} s")
                time.sleep(0.002)
        except BaseException:
            try:
                os.killpg(p.pid, signal.SIGKILL)
                os.waitpid(p.pid, 0)
            except OSError:
                pass
            raise
        seconds = time.monotonic() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if p.returncode != 0:
            raise RunFailed(f"{' '.join(cmd[:3])} exited {p.returncode}: "
                            f"{err.read().decode(errors='replace')[-1500:]}")
        return seconds, ru, out.read().decode(errors="replace")


class Driver:
    def __init__(self, binary, workdir):
        self.binary, self.dir = binary, os.path.join(workdir, "pki")
        self.setup = None

    def _json_lines(self, args, timeout):
        rc, out, err = run([self.binary, *args], timeout)
        if rc != 0:
            raise RunFailed(f"seal_driver {args[0]} exited {rc}: {err.strip()[-1500:]}")
        return [json.loads(line) for line in out.splitlines() if line.startswith("{")]

    def make_setup(self, key_types):
        self.setup = self._json_lines(["setup", "--dir", self.dir, "--key-types", ",".join(key_types)],
                                      timeout=300)[0]
        return self.setup

    def message(self, size, path):
        self._json_lines(["message", "--size", str(size), "--out", path], timeout=300)
        return path

    def rate(self, key_type, size, threads, seconds):
        lines = self._json_lines(["rate", "--dir", self.dir, "--key-type", key_type, "--size", str(size),
                                  "--threads", str(threads), "--seconds", str(seconds)],
                                 timeout=120 + 4 * seconds)
        by = {r["op"]: r for r in lines}
        return by["seal"], by["open"]

    def file_cmd(self, op, key_type, src, dst):
        return [self.binary, op, "--dir", self.dir, "--key-type", key_type, "--in", src, "--out", dst]


class Tool:
    """One way to seal or open a file as a.example -> b.example: the
    engine through seal_driver's file mode, or `securemail smime`."""

    def __init__(self, name, command):
        self.name, self.command = name, command  # command(op, src, dst) -> argv


def driver_tool(driver, key_type):
    return Tool("engine, seal_driver file mode",
                lambda op, src, dst: driver.file_cmd(op, key_type, src, dst))


def cli_tool(binary, setup, key_type):
    """`securemail smime seal|open` on the same data folders, or None when
    that binary has no such command."""
    if not os.access(binary, os.X_OK) or run([binary, "smime", "seal", "--help"], 30)[0] != 0:
        return None
    gw = setup["gateways"][key_type]
    a, b = gw["a.example"], gw["b.example"]

    def command(op, src, dst):
        if op == "seal":
            return [binary, "smime", "--data", a["data_dir"], "seal", "--key", key_type, "--to", b["cert"],
                    "--in", src, "--out", dst]
        return [binary, "smime", "--data", b["data_dir"], "open", "--in", src, "--out", dst]
    return Tool("securemail smime CLI", command)


def memory_test(driver, tools, mib, workdir, failed, peer_open=None):
    """Peak RSS (wait4's ru_maxrss: the child's VmHWM) sealing, then opening
    one `mib` MiB message with each tool; the opened message must equal the
    original. A tool that fails is reported in `failed` and skipped. With
    `peer_open` (a function of the sealed file giving shell commands run
    one after the other), the peer opens what the first tool sealed and its
    largest peak is reported as the tool "openssl cms" (open only)."""
    src = driver.message(mib << 20, os.path.join(workdir, f"big-{mib}.eml"))
    sealed, opened = src + ".p7m", src + ".out"
    results = []
    for tool in tools:
        log(f"{tool.name}: seal and open one {mib} MiB message ...")
        try:
            seal_s, seal_ru, _ = run_rusage(tool.command("seal", src, sealed), 600)
            open_s, open_ru, _ = run_rusage(tool.command("open", sealed, opened), 600)
            if not files_equal(src, opened):
                raise RunFailed(f"the opened {mib} MiB message differs from the original")
            if peer_open and tool is tools[0]:
                results.append(peer_memory(peer_open(sealed), mib))
        except RunFailed as e:
            log(f"FAILED: {tool.name}, {mib} MiB message: {e}")
            failed.append(f"{tool.name}, {mib} MiB message: {str(e).splitlines()[0]}")
            continue
        finally:
            sealed_octets = os.path.getsize(sealed) if os.path.exists(sealed) else None
            for f in (sealed, opened):
                if os.path.exists(f):
                    os.unlink(f)
        results.append({"tool": tool.name, "mib": mib, "seal_seconds": seal_s, "seal_max_rss_kib": seal_ru.ru_maxrss,
                        "open_seconds": open_s, "open_max_rss_kib": open_ru.ru_maxrss, "sealed_octets": sealed_octets})
    os.unlink(src)
    return results


def peer_memory(commands, mib):
    """The peer's open of the same sealed message: each command's peak RSS,
    the largest reported (a failing peer is reported as None)."""
    peaks, seconds = [], 0.0
    for cmd in commands:
        try:
            wall, ru, _ = run_rusage(["bash", "-o", "pipefail", "-c", cmd], 600)
        except RunFailed as e:
            log(f"peer open of the {mib} MiB message failed: {e}")
            return {"tool": "openssl cms", "mib": mib, "open_max_rss_kib": None, "open_seconds": None}
        peaks.append(ru.ru_maxrss)
        seconds += wall
    return {"tool": "openssl cms", "mib": mib, "open_max_rss_kib": max(peaks), "open_seconds": seconds}


def files_equal(a, b, chunk=1 << 20):
    if os.path.getsize(a) != os.path.getsize(b):
        return False
    with open(a, "rb") as fa, open(b, "rb") as fb:
        while True:
            x, y = fa.read(chunk), fb.read(chunk)
            if x != y:
                return False
            if not x:
                return True


PEER = {"seal": "openssl cms -sign | openssl cms -encrypt -aes-256-gcm",
        "open": "openssl cms -decrypt | openssl cms -verify -crl_check"}


def peer_test(driver, tools, setup, key_type, workdir, failed, repeats=3):
    """Wall time (median of `repeats`, process start and key loading
    included) to seal and to open one 10 MiB message: each tool against
    `openssl cms` doing the same work as a two-process pipeline."""
    a, b = setup["gateways"][key_type]["a.example"], setup["gateways"][key_type]["b.example"]
    msg = driver.message(10 << 20, os.path.join(workdir, "peer.eml"))
    sealed = {t.name: os.path.join(workdir, f"peer.{i}.p7m") for i, t in enumerate(tools)}
    trust = os.path.join(workdir, "ca+crl.pem")
    with open(trust, "w") as f, open(setup["ca_cert"]) as ca, open(setup["crl"]) as crl:
        f.write(ca.read() + crl.read())
    q = {k: shlex.quote(v) for k, v in dict(msg=msg, ours=sealed[tools[0].name], trust=trust,
                                            theirs=os.path.join(workdir, "peer.openssl.p7m"),
                                            akey=a["key"], acert=a["cert"], bkey=b["key"],
                                            bcert=b["cert"]).items()}
    peer = {"seal": "openssl cms -sign -binary -crlfeol -md sha256 -in {msg} -signer {acert} -inkey {akey}"
                    " | openssl cms -encrypt -binary -crlfeol -aes-256-gcm -out {theirs} {bcert}",
            # Opens what our engine sealed: an interoperability check as well.
            # No -binary on -verify: openssl's multipart/signed reader then
            # fails the content digest of a CRLF message.
            "open": "openssl cms -decrypt -binary -in {ours} -recip {bcert} -inkey {bkey}"
                    " | openssl cms -verify -CAfile {trust} -crl_check -out /dev/null"}
    result = {}
    for op in ("seal", "open"):
        log(f"{op}: one 10 MiB message, {' / '.join(t.name for t in tools)} and openssl cms, "
            f"{repeats} times each ...")
        runs = [(t.name, t.command(op, *((msg, sealed[t.name]) if op == "seal"
                                         else (sealed[t.name], msg + ".opened")))) for t in tools]
        runs.append(("openssl", ["bash", "-o", "pipefail", "-c", peer[op].format(**q)]))
        times = {name: [] for name, _ in runs}
        for _ in range(repeats):  # interleaved, so drift hits all alike
            for name, cmd in runs:
                if times[name] is None:
                    continue
                try:
                    times[name].append(run_rusage(cmd, 300)[0])
                except RunFailed as e:
                    log(f"FAILED: 10 MiB {op}, {name}: {e}")
                    failed.append(f"10 MiB {op}, {name}: {str(e).splitlines()[0]}")
                    times[name] = None
        result[op] = {name: statistics.median(v) if v else None for name, v in times.items()}
    return result
