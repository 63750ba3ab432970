"""`securemail run` under systemd's Type=notify: the sd_notify datagrams
(src/util/sd_notify.h) arrive on a real socket named by NOTIFY_SOCKET.
READY=1 comes only once the SMTP ports accept, WATCHDOG=1 repeats every
half of WATCHDOG_USEC, STOPPING=1 follows SIGTERM. A bad WATCHDOG_USEC or
an unreachable NOTIFY_SOCKET is logged and the gateway still runs."""
import os
import signal
import socket
import subprocess
import tempfile
import time

from conftest import BIN, Gateway, wait_for

CONFIG = """
[listen]
relay = "127.0.0.1:0"
inbound = "127.0.0.1:0"
admin = "127.0.0.1:0"
"""


def notify_socket(name):
    """A datagram socket bound like systemd's: a path, or '@' for the abstract namespace."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind("\0" + name[1:] if name.startswith("@") else name)
    s.settimeout(20)
    return s


def start(gw, env):
    gw.write_config(CONFIG)
    gw.log = open(gw.log_path, "ab")
    gw.proc = subprocess.Popen([BIN, "run", "--config", str(gw.config_path)], stdout=gw.log,
                               stderr=subprocess.STDOUT, env={**os.environ, **env})
    return gw


def smtp_greeting(gw, listener):
    import json
    listeners = json.loads((gw.data / "run" / "listeners.json").read_text())
    host, port = listeners[listener].rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as c:
        return c.recv(512)


def test_ready_watchdog_and_stopping(tmp_path):
    path = os.path.join(tempfile.mkdtemp(prefix="sm-notify-"), "notify")
    sock = notify_socket(path)
    gw = start(Gateway(tmp_path), {"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "400000"})
    try:
        first = sock.recv(4096).decode()
        # READY=1 is the first thing said, and by then the listeners answer.
        assert first.startswith("READY=1\nSTATUS=listening: "), first
        assert "inbound on 127.0.0.1:" in first and "message(s) waiting" in first, first
        assert smtp_greeting(gw, "inbound").startswith(b"220 ")
        assert smtp_greeting(gw, "relay").startswith(b"220 ")
        pings, started = 0, time.time()
        while pings < 4:
            assert sock.recv(4096) == b"WATCHDOG=1"
            pings += 1
        # Four pings at 200 ms (half of WATCHDOG_USEC): about 0.6 s, not much more.
        assert time.time() - started < 3
        assert "systemd watchdog: WATCHDOG=1 every 200 ms" in gw.log_text()
        gw.proc.send_signal(signal.SIGTERM)
        while True:
            msg = sock.recv(4096).decode()
            if msg != "WATCHDOG=1":
                break
        assert msg == "STOPPING=1\nSTATUS=stopping: accepted mail stays queued"
        assert gw.proc.wait(15) == 0
    finally:
        gw.stop()
        sock.close()
        os.unlink(path)


def test_abstract_socket_without_watchdog(tmp_path):
    name = f"@securemail-test-{os.getpid()}"
    sock = notify_socket(name)
    env = {"NOTIFY_SOCKET": name}
    os.environ.pop("WATCHDOG_USEC", None)
    gw = start(Gateway(tmp_path), env)
    try:
        assert sock.recv(4096).decode().startswith("READY=1\n")
        sock.settimeout(1)
        try:
            extra = sock.recv(4096)
        except socket.timeout:
            extra = None
        assert extra is None, extra  # no watchdog asked for: no pings
        assert gw.stop() == 0
    finally:
        gw.stop()
        sock.close()


def test_bad_watchdog_usec_and_missing_socket_are_logged(tmp_path):
    missing = os.path.join(tempfile.mkdtemp(prefix="sm-notify-"), "nobody-listens")
    gw = start(Gateway(tmp_path), {"NOTIFY_SOCKET": missing, "WATCHDOG_USEC": "soon"})
    try:
        assert wait_for(lambda: "ready: queue" in gw.log_text())
        assert wait_for(lambda: "systemd watchdog off: WATCHDOG_USEC soon: not a positive number" in gw.log_text())
        assert wait_for(lambda: f"systemd notification: NOTIFY_SOCKET {missing}:" in gw.log_text())
        assert gw.proc.poll() is None
        assert smtp_greeting(gw, "inbound").startswith(b"220 ")
    finally:
        assert gw.stop() == 0
