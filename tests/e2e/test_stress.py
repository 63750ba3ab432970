"""Issue 11, defect 13: many idle connections held the relay listener for
the whole 5-minute command timeout. Like Postfix's stress mode, a listener
at 80% of max_connections cuts every wait for a client (idle sessions
already waiting included) to [limits] stress_command_timeout, so a new
client is served again within seconds; refused connections are logged at
a bounded rate."""
import smtplib
import socket
import time

from conftest import wait_for
from test_relay import relay_gateway


def idle(addr):
    s = socket.create_connection(addr, timeout=30)
    s.recv(512)  # the greeting; then say nothing
    return s


def closed_with_421(s, within):
    """Did the server end the session (421 timeout, or closed) within `within` seconds?"""
    s.settimeout(within)
    try:
        data = s.recv(512)
    except socket.timeout:
        return False
    except ConnectionResetError:
        return True
    return data.startswith(b"421 4.4.2") or data == b""


def test_idle_connections_are_cut_under_stress_and_new_clients_served(gateway_factory, sink):
    gw = relay_gateway(gateway_factory, sink,
                       '[limits]\nmax_connections = 5\nmax_connections_per_ip = 100\n'
                       'command_timeout = "5m"\nstress_command_timeout = "2s"\n')
    addr = gw.addr("relay")
    held = [idle(addr) for _ in range(5)]
    # At the limit: the next ones are refused, their log lines bounded.
    for _ in range(40):
        try:
            s = socket.create_connection(addr, timeout=5)
            s.recv(512)
            s.close()
        except OSError:
            pass
    # Idle sessions are cut within the stress timeout (plus one tick), not
    # after 5 minutes, until the listener is below 60% of its limit (3 of
    # 5) and stress ends; the rest keep the normal timeout.
    t = time.monotonic()
    ended = [closed_with_421(s, 10) for s in held[:3]]
    assert all(ended), (ended, gw.log_text()[-3000:])
    assert time.monotonic() - t < 10
    assert wait_for(lambda: "stress over" in gw.log_text(), 10)
    for s in held:
        s.close()
    log = gw.log_text()
    assert "under stress" in log
    refusals = log.count("too many connections, refusing")
    assert 1 <= refusals <= 10, refusals
    # The listener serves mail again.
    with smtplib.SMTP(*addr, timeout=30) as c:
        assert not c.sendmail("a@b.example", ["x@other.example"], b"Subject: after stress\r\n\r\nhi\r\n")
    assert sink.wait(1, 10)


def test_without_stress_an_idle_client_keeps_the_normal_timeout(gateway_factory, sink):
    gw = relay_gateway(gateway_factory, sink,
                       '[limits]\nmax_connections = 50\ncommand_timeout = "5m"\nstress_command_timeout = "1s"\n')
    s = idle(gw.addr("relay"))
    assert not closed_with_421(s, 4)  # 1 connection of 50: no stress, still waiting
    s.close()
