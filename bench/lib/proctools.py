"""proctools.py - small process, port and /proc helpers for the benchmarks.

Used by every benchmark under bench/. Python standard library only, Linux only
(reads /proc). Nothing here ever signals a process it was not handed by pid:
cleanup is by recorded pid (and start time, so a recycled pid is never hit),
never by process name.
"""

import os
import random
import signal
import socket
import sys
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


class RunFailed(RuntimeError):
    """A benchmark step failed: the run stops and says why."""


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def run_main(body, cleanup, failures=()):
    """A benchmark's main: body() returns the exit status. SIGTERM and SIGHUP
    end it (exit 128+N), Ctrl-C gives 130 (also when started in the
    background with SIGINT ignored), RunFailed or one of `failures` gives 1
    with its reason. cleanup() always runs, with SIGINT/SIGTERM ignored, as
    an interrupt during cleanup would leave processes behind."""
    def on_signal(signum, _frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return body()
    except KeyboardInterrupt:
        log("interrupted; stopping everything")
        return 130
    except (RunFailed, *failures) as e:
        log(f"FAILED: {e}")
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        cleanup()


def free_ports(count, host="127.0.0.1"):
    """Return `count` distinct free TCP ports chosen by the OS (bind port 0).

    All sockets are held open until every port is chosen, so the ports are
    distinct; they are closed before returning, so a small race with other
    programs on the machine remains (as with any port-0 scheme)."""
    socks = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((host, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def free_port_range(count, host="127.0.0.1", low=30000, high=60000, tries=50):
    """A base port N with N .. N+count-1 all free on `host`, for programs
    that take fixed consecutive ports (`securemail testnet --base-port`).
    Same small race as free_ports; RuntimeError when none is found."""
    for _ in range(tries):
        base = random.randrange(low, high - count, 10)
        socks = []
        try:
            for port in range(base, base + count):
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                socks.append(s)
                s.bind((host, port))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError(f"no {count} consecutive free ports on {host} in {tries} tries")


def _read_stat(pid):
    """(ppid, starttime, utime+stime, cutime+cstime) in clock ticks, or None."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return None
    # comm may contain spaces and parentheses: split after the last ')'.
    rest = data[data.rfind(b")") + 2:].split()
    # rest[0] is field 3 (state); field n is rest[n - 3].
    ppid = int(rest[1])
    utime, stime, cutime, cstime = (int(x) for x in rest[11:15])
    starttime = int(rest[19])
    return ppid, starttime, utime + stime, cutime + cstime


def _all_stats():
    stats = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            st = _read_stat(int(name))
            if st is not None:
                stats[int(name)] = st
    return stats


def descendants(root):
    """Pids of every live process below `root` (not root itself), with their
    start times: {pid: starttime}."""
    stats = _all_stats()
    children = {}
    for pid, (ppid, _, _, _) in stats.items():
        children.setdefault(ppid, []).append(pid)
    out, todo = {}, list(children.get(root, []))
    while todo:
        pid = todo.pop()
        out[pid] = stats[pid][1]
        todo.extend(children.get(pid, []))
    return out


def tree_cpu_seconds(root):
    """CPU seconds (user+system) used by `root` and all its descendants so
    far, including descendants that already exited and were reaped (their
    time is in the parent's cutime/cstime). Compare two readings to get the
    CPU of an interval: a child that exits in between moves from "live" to
    its parent's cumulative children time, so nothing is lost or doubled
    (apart from a child reaped during the one pass over /proc)."""
    stats = _all_stats()
    if root not in stats:
        return None
    children = {}
    for pid, (ppid, _, _, _) in stats.items():
        children.setdefault(ppid, []).append(pid)
    ticks, todo = 0, [root]
    while todo:
        pid = todo.pop()
        _, _, own, reaped = stats[pid]
        ticks += own + reaped
        todo.extend(children.get(pid, []))
    return ticks / CLK_TCK


def status_field(pid, key):
    """A field of /proc/PID/status in kB (e.g. VmHWM, VmRSS), or None."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def reset_peak_rss(pid):
    """Reset VmHWM of a process (Linux >= 4.0, needs privileges). True on success."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def alive(pid, starttime=None):
    st = _read_stat(pid)
    if st is None:
        return False
    return starttime is None or st[1] == starttime


def kill_recorded(procs, sig=signal.SIGKILL):
    """Send `sig` to each {pid: starttime} still alive with the same start time."""
    for pid, start in procs.items():
        if alive(pid, start):
            try:
                os.kill(pid, sig)
            except OSError:
                pass


def stop_popen(p, timeout=10.0, sig=signal.SIGTERM):
    """Stop a subprocess.Popen we started: `sig`, wait, then SIGKILL."""
    if p is None or p.poll() is not None:
        return
    try:
        p.send_signal(sig)
        p.wait(timeout=timeout)
    except Exception:
        try:
            p.kill()
            p.wait(timeout=5)
        except Exception:
            pass


def smtp_banner(host, port, timeout=1.0):
    """The first reply line of an SMTP server, or None if it does not answer."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.settimeout(timeout)
            data = b""
            while b"\n" not in data and len(data) < 1024:
                chunk = s.recv(1024)
                if not chunk:
                    break
                data += chunk
            try:
                s.sendall(b"QUIT\r\n")
            except OSError:
                pass
            return data.decode("latin-1").strip() or None
    except OSError:
        return None


def wait_until(predicate, timeout, interval=0.05):
    """Poll `predicate` until it returns a true value or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        v = predicate()
        if v:
            return v
        if time.monotonic() >= deadline:
            return v
        time.sleep(interval)


def tail(path, max_bytes=4000):
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - max_bytes))
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""
