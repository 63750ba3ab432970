"""Configuration reload without restart (issue 16): `securemail reload`
and SIGHUP apply a changed config file to a running gateway - same PID,
same listening ports, no connection refused, a session in progress
finishes first; a config that would not load leaves the running gateway
untouched and says FILE:LINE: KEY; a `keys rotate` takes effect at once."""
import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time

import pytest

from conftest import BIN, Gateway, securemail, text, wait_for
from helpers import RawSmtp
from test_systemd_notify import notify_socket, start as start_notified
from testnet_world import Testnet, compose, new_message_id, send


def reload_cli(gw, timeout=90):
    return subprocess.run([BIN, "reload", "--config", str(gw.config_path)], capture_output=True, text=True,
                          timeout=timeout)


def limited_gateway(gateway_factory, sink, max_recipients):
    gw = gateway_factory()
    gw.write_config(limits_config(sink, max_recipients))
    return gw.start()


def limits_config(sink, max_recipients, extra=""):
    return ('[listen]\nrelay = "127.0.0.1:0"\ninbound = "127.0.0.1:0"\nadmin = "127.0.0.1:0"\n'
            f'[routes]\ndefault = "smtp://127.0.0.1:{sink.port}"\n'
            f'[limits]\nmax_recipients = {max_recipients}\n' + extra)


def recipients_taken(gw, n):
    """How many of n RCPTs a new relay session takes."""
    s = RawSmtp(*gw.addr("relay"))
    try:
        assert s.cmd("EHLO client.example")[0] == 250
        assert s.cmd("MAIL FROM:<alice@a.example>")[0] == 250
        return sum(s.cmd(f"RCPT TO:<r{i}@c.example>")[0] == 250 for i in range(n))
    finally:
        s.cmd("QUIT")
        s.close()


def listeners_file(gw):
    return json.loads((gw.data / "run" / "listeners.json").read_text())


def reloads_done(gw):
    return gw.log_text().count("reload: restarting in place")


def readies(gw):
    return len(re.findall(r"ready: queue", gw.log_text()))


def test_reload_command_applies_new_limits_same_pid_same_ports(gateway_factory, sink):
    gw = limited_gateway(gateway_factory, sink, 2)
    assert recipients_taken(gw, 3) == 2
    before = listeners_file(gw)
    gw.write_config(limits_config(sink, 5))
    r = reload_cli(gw)
    assert r.returncode == 0, r.stdout + r.stderr + gw.log_text()
    assert r.stdout.startswith("reloaded") and f"PID {gw.proc.pid}" in r.stdout
    assert gw.proc.poll() is None  # the same process, exec'd in place
    assert readies(gw) == 2
    after = listeners_file(gw)
    assert after["relay"] == before["relay"] and after["inbound"] == before["inbound"]
    assert (gw.data / "securemail.lock").read_text().strip() == str(gw.proc.pid)
    assert recipients_taken(gw, 6) == 5
    log = gw.log_text()
    assert "relay listener: kept its socket across the reload" in log
    assert "inbound listener: kept its socket across the reload" in log
    # Mail still flows through the kept socket.
    s = RawSmtp(*gw.addr("relay"))
    for line in ("EHLO c", "MAIL FROM:<alice@a.example>", "RCPT TO:<carol@c.example>"):
        assert s.cmd(line)[0] == 250
    assert s.cmd("DATA")[0] == 354
    assert s.cmd("Subject: after reload\r\n\r\nhi\r\n.")[0] == 250
    s.close()
    assert sink.wait(1)
    # The data folder stays locked by the reloaded gateway.
    second = subprocess.run([BIN, "run", "--config", str(gw.config_path)], capture_output=True, text=True, timeout=30)
    assert second.returncode == 2 and f"PID {gw.proc.pid}" in second.stderr, second.stderr


def test_session_in_a_transaction_finishes_and_waiting_clients_are_served(gateway_factory, sink):
    gw = limited_gateway(gateway_factory, sink, 2)
    open_session = RawSmtp(*gw.addr("relay"))
    for line in ("EHLO early.example", "MAIL FROM:<alice@a.example>", "RCPT TO:<carol@c.example>"):
        assert open_session.cmd(line)[0] == 250
    gw.write_config(limits_config(sink, 5))
    done = {}
    t = threading.Thread(target=lambda: done.update(r=reload_cli(gw)))
    t.start()
    assert wait_for(lambda: "reload: configuration checked" in gw.log_text(), 15), gw.log_text()
    # Meanwhile a new client connects: it waits in the kept socket's backlog, never refused.
    waiting = socket.create_connection(gw.addr("relay"), timeout=30)
    time.sleep(0.5)
    assert t.is_alive()  # the reload waits for the open session
    assert open_session.cmd("DATA")[0] == 354
    assert open_session.cmd("Subject: begun before the reload\r\n\r\nbody\r\n.")[0] == 250
    assert open_session.cmd("QUIT")[0] == 221
    open_session.close()
    t.join(60)
    assert done["r"].returncode == 0, done["r"].stdout + done["r"].stderr + gw.log_text()
    assert waiting.recv(512).startswith(b"220 "), "the client that waited got no greeting"
    waiting.close()
    assert sink.wait(1)
    assert sink.messages[0]["to"] == ["carol@c.example"] and b"begun before the reload" in sink.messages[0]["data"]
    assert recipients_taken(gw, 6) == 5


def test_a_session_between_transactions_is_sent_to_the_new_image(gateway_factory, sink):
    gw = limited_gateway(gateway_factory, sink, 2)
    cached = RawSmtp(*gw.addr("relay"))  # like a peer's cached connection, idle after EHLO
    assert cached.cmd("EHLO peer.example")[0] == 250
    gw.write_config(limits_config(sink, 5))
    gw.proc.send_signal(signal.SIGHUP)
    assert wait_for(lambda: "reload: configuration checked" in gw.log_text(), 15), gw.log_text()
    # A new transaction would run on the old settings: 421, try again (on a new connection, the new image).
    code, reply = cached.cmd("MAIL FROM:<alice@a.example>")
    assert code == 421 and "4.3.2" in reply, reply
    cached.close()
    assert wait_for(lambda: readies(gw) == 2, 30), gw.log_text()
    assert recipients_taken(gw, 6) == 5


@pytest.mark.parametrize("bad,names", [
    ('max_recipients = "many"', re.compile(r"config\.toml:\d+: limits\.max_recipients")),
    ('max_recipients = 2\n[tls]\ncert = "/nonexistent/cert.pem"\nkey = "/nonexistent/key.pem"',
     re.compile(r"config\.toml:\d+: tls\.(cert|key)")),
    ('max_recipients = 2\nno_such_key = 1', re.compile(r"config\.toml:\d+: limits\.no_such_key")),
])
def test_a_bad_config_is_refused_and_the_old_one_kept(gateway_factory, sink, bad, names):
    gw = limited_gateway(gateway_factory, sink, 2)
    good = gw.config_path.read_text()
    gw.config_path.write_text(good.replace("max_recipients = 2", bad))
    r = reload_cli(gw)
    assert r.returncode == 2, r.stdout + r.stderr
    assert names.search(r.stderr), r.stderr
    assert "reloaded" not in r.stdout
    # Nothing was signalled: the gateway runs on, with its old settings.
    assert "reload" not in gw.log_text()
    assert recipients_taken(gw, 3) == 2
    # The same file by SIGHUP: refused and logged the same way, the gateway goes on.
    gw.proc.send_signal(signal.SIGHUP)
    assert wait_for(lambda: "reload refused: " in gw.log_text(), 15), gw.log_text()
    refused = next(l for l in gw.log_text().splitlines() if "reload refused: " in l)
    assert names.search(refused), refused
    time.sleep(0.3)
    assert gw.proc.poll() is None and readies(gw) == 1
    assert recipients_taken(gw, 3) == 2


def test_sighup_applies_new_limits(gateway_factory, sink):
    gw = limited_gateway(gateway_factory, sink, 2)
    before = listeners_file(gw)
    gw.write_config(limits_config(sink, 4))
    gw.proc.send_signal(signal.SIGHUP)
    assert wait_for(lambda: readies(gw) == 2, 30), gw.log_text()
    assert gw.proc.poll() is None
    assert listeners_file(gw)["relay"] == before["relay"]
    assert recipients_taken(gw, 5) == 4
    # And again: a second reload of the reloaded image works the same.
    gw.write_config(limits_config(sink, 3))
    gw.proc.send_signal(signal.SIGHUP)
    assert wait_for(lambda: readies(gw) == 3, 30), gw.log_text()
    assert recipients_taken(gw, 5) == 3 and gw.proc.poll() is None


def test_a_sighup_while_the_new_image_starts_waits_for_it(gateway_factory, sink):
    gw = limited_gateway(gateway_factory, sink, 2)
    gw.write_config(limits_config(sink, 3))
    gw.proc.send_signal(signal.SIGHUP)
    assert wait_for(lambda: reloads_done(gw) == 1, 30, 0.001), gw.log_text()
    gw.proc.send_signal(signal.SIGHUP)  # the new image is starting: SIGHUP's default action would end it
    assert wait_for(lambda: readies(gw) == 3, 30), gw.log_text()
    assert gw.proc.poll() is None and reloads_done(gw) == 2
    assert recipients_taken(gw, 5) == 3


def test_systemd_hears_reloading_then_ready(tmp_path):
    path = os.path.join(tempfile.mkdtemp(prefix="sm-notify-"), "notify")
    sock = notify_socket(path)
    gw = start_notified(Gateway(tmp_path), {"NOTIFY_SOCKET": path})
    try:
        assert sock.recv(4096).startswith(b"READY=1\n")
        before = time.monotonic_ns() // 1000
        gw.proc.send_signal(signal.SIGHUP)
        reloading = sock.recv(4096).decode().split("\n")
        assert reloading[0] == "RELOADING=1", reloading
        usec = int(reloading[1].removeprefix("MONOTONIC_USEC="))
        assert before <= usec <= time.monotonic_ns() // 1000  # CLOCK_MONOTONIC, as systemd compares it
        assert sock.recv(4096).startswith(b"READY=1\nSTATUS=listening: ")
        assert gw.proc.poll() is None
    finally:
        gw.stop()
        sock.close()
        os.unlink(path)


def test_a_removed_listener_is_closed_and_a_new_one_bound(gateway_factory, sink):
    gw = limited_gateway(gateway_factory, sink, 2)
    inbound = gw.addr("inbound")
    gw.write_config(limits_config(sink, 2).replace('inbound = "127.0.0.1:0"', 'inbound = ""'))
    assert reload_cli(gw).returncode == 0, gw.log_text()
    assert "inbound" not in listeners_file(gw)
    assert "listener inbound is no longer configured: closed" in gw.log_text()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(inbound, timeout=5)
    gw.write_config(limits_config(sink, 2))
    assert reload_cli(gw).returncode == 0, gw.log_text()
    gw.listeners = listeners_file(gw)
    assert RawSmtp(*gw.addr("inbound")).greeting[0] == 220


def test_reload_without_a_running_gateway_says_so(gateway_factory, sink):
    gw = gateway_factory()
    gw.write_config(limits_config(sink, 2))
    gw.data.mkdir(parents=True, exist_ok=True)
    r = reload_cli(gw)
    assert r.returncode == 1 and "no gateway answers" in r.stderr, r.stderr


def test_reload_is_in_the_help():
    r = securemail("reload", "--help")
    assert r.returncode == 0 and b"--config" in r.stdout
    assert securemail("reload").returncode == 2  # --config is required


# ---------------------------------------------------------------- key rotation

@pytest.fixture(scope="module")
def net(tmp_path_factory):
    n = Testnet(tmp_path_factory.mktemp("reload"), ["a.example", "b.example"]).build()
    try:
        n.start()
        yield n
    finally:
        n.stop()


def signers(gw):
    return re.findall(r"sealed for member b-example as \w+: signed by (\S+) \(a\.example\)", gw.log_text())


def test_keys_rotate_then_reload_signs_with_the_new_key(net):
    a = net.gateways["a.example"]
    sent = lambda tag: send(net.port("a.example", "relay"), "alice@a.example", ["bob@b.example"],
                            compose("alice@a.example", ["bob@b.example"], tag, new_message_id(tag)))[0]
    assert sent("before rotation") == 250
    assert wait_for(lambda: len(signers(a)) == 1), net.logs()
    old = signers(a)[0]
    r = securemail("keys", "--data", a.data, "rotate", "--authority", net.dir / "authority")
    assert r.returncode == 0, text(r)
    new = next(s["id"] for s in json.loads(securemail("keys", "--data", a.data, "show", "--json", check=True).stdout)[
        "key_sets"] if s["status"] == "active")
    assert new not in old
    r = subprocess.run([BIN, "reload", "--config", str(net.config("a.example"))], capture_output=True, text=True,
                       timeout=90)
    assert r.returncode == 0, r.stdout + r.stderr + a.log_text()
    assert sent("after rotation") == 250
    assert wait_for(lambda: len(signers(a)) == 2), net.logs()
    assert new in signers(a)[1] and signers(a)[1] != old
