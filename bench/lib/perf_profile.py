"""perf_profile.py - `perf record -g` on running processes, and a short summary.

Profile(path, pids).start() attaches `perf record -g -F 999 -p PID,PID` to
processes that are already running (and the threads they start later);
stop() ends it with SIGINT, as Ctrl-C would; summary(...) is the top of
`perf report --stdio --no-children` sorted one way (symbols, shared
objects, processes). Only the perf process it started is ever signalled.
"""

import os
import shutil
import signal
import subprocess

import proctools as pt


def unusable():
    """Why perf cannot profile other processes here, or None when it can."""
    if not shutil.which("perf"):
        return "no perf command (Debian package linux-perf)"
    try:
        with open("/proc/sys/kernel/perf_event_paranoid") as f:
            paranoid = int(f.read())
    except (OSError, ValueError):
        paranoid = None
    if os.geteuid() != 0 and (paranoid is None or paranoid > 1):
        return f"kernel.perf_event_paranoid is {paranoid} and we are not root"
    r = subprocess.run(["perf", "stat", "-e", "task-clock", "true"], capture_output=True, text=True,
                       stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        return f"perf stat fails: {r.stderr.strip()[-300:]}"
    return None


class Profile:
    def __init__(self, path, pids, freq=999):
        self.path = path
        self.pids = [p for p in pids if p]
        self.freq = freq
        self.proc = None

    def start(self):
        log = open(self.path + ".log", "wb")
        with log:
            self.proc = subprocess.Popen(
                ["perf", "record", "-g", "-F", str(self.freq), "-o", self.path,
                 "-p", ",".join(str(p) for p in self.pids)],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        # perf writes the file header once it is attached.
        if not pt.wait_until(lambda: os.path.exists(self.path) or self.proc.poll() is not None, 10):
            raise pt.RunFailed(f"perf record wrote no {self.path} within 10 s")
        if self.proc.poll() is not None:
            raise pt.RunFailed(f"perf record exited with {self.proc.returncode}: "
                               f"{pt.tail(self.path + '.log', 1000)}")

    def stop(self):
        pt.stop_popen(self.proc, timeout=60, sig=signal.SIGINT)
        self.proc = None

    def summary(self, sort, lines=20, percent_limit=0.5):
        """The top of `perf report --stdio --no-children -g none --sort SORT`,
        headers and blank lines removed."""
        r = subprocess.run(["perf", "report", "-i", self.path, "--stdio", "--no-children", "-g", "none",
                            "--sort", sort, "--percent-limit", str(percent_limit)],
                           capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
        if r.returncode != 0:
            return [f"(perf report failed: {r.stderr.strip()[-300:]})"]
        rows = [ln.rstrip() for ln in r.stdout.splitlines() if ln.strip() and not ln.startswith("#")]
        return rows[:lines]
