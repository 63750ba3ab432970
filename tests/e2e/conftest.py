"""Shared fixtures for the end-to-end scenarios.

Every test starts real processes on loopback ports chosen by the OS and
stops them afterwards: the securemail binary (SECUREMAIL_BIN, default
build/securemail), aiosmtpd sinks standing in for the next hop, swaks as a
client. Nothing relies on a service already running on the machine.
"""
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from helpers import Sink  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("SECUREMAIL_BIN", str(ROOT / "build" / "securemail"))


class Gateway:
    """One `securemail run` process with its own data folder."""

    def __init__(self, workdir: Path, name="gw"):
        self.dir = workdir / name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.data = self.dir / "data"
        self.config_path = self.dir / "config.toml"
        self.proc = None
        self.listeners = {}
        self.log_path = self.dir / "securemail.log"

    def write_config(self, text: str):
        base = (
            f'domain = "b.example"\n'
            f'hostname = "gw.b.example"\n'
            f'data_dir = "{self.data}"\n'
            f'log_level = "debug"\n'
        )
        self.config_path.write_text(base + text)

    def start(self, timeout=20):
        run_file = self.data / "run" / "listeners.json"
        if run_file.exists():
            run_file.unlink()
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [BIN, "run", "--config", str(self.config_path)],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"securemail exited {self.proc.returncode}:\n{self.log_text()}")
            if run_file.exists():
                try:
                    self.listeners = json.loads(run_file.read_text())
                    return self
                except json.JSONDecodeError:
                    pass
            time.sleep(0.05)
        raise RuntimeError("securemail did not become ready:\n" + self.log_text())

    def addr(self, listener):
        host, port = self.listeners[listener].rsplit(":", 1)
        return host.strip("[]"), int(port)

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.log.close()
        return self.proc.returncode if self.proc else None

    def kill(self):
        return self.stop(signal.SIGKILL)

    def log_text(self):
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def queue(self, *args, check=True, timeout=30):
        """Run `securemail queue --config CONFIG ARGS...`."""
        cmd = [BIN, "queue", "--config", str(self.config_path), *args]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} -> {r.returncode}\n{r.stdout}\n{r.stderr}")
        return r

    def queue_ids(self):
        q = self.data / "queue"
        return sorted(p.name for d in ("active", "hold") for p in (q / d).glob("*") if p.is_file())

    def wait_queue_empty(self, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if not self.queue_ids():
                return True
            time.sleep(0.05)
        return False


@pytest.fixture
def gateway_factory(tmp_path):
    made = []

    def make(name="gw"):
        g = Gateway(tmp_path, name)
        made.append(g)
        return g

    yield make
    for g in made:
        g.stop()


@pytest.fixture
def sink():
    s = Sink()
    s.start()
    yield s
    s.stop()


def wait_for(predicate, timeout=20, interval=0.05):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
