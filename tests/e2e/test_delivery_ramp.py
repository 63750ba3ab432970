"""Delivery under a backlog to a peer that hangs (issue 11, defect 7).

A peer whose accept queue overflows (SYN cookies) or a tarpit accepts the
TCP connection and never sends its 220 greeting. The gateway must ramp its
connections to a destination up from a small window, keep such a peer from
holding mail that other connections (to it or to other destinations) could
deliver, declare a destination dead only when no connection to it works,
and show the stuck mail: a log line per waiting message and the
securemail_queue_oldest_seconds{lane} gauge.

The peers: HangingPeer accepts connections and says nothing on the first
`hang` of them; later ones are relayed byte for byte to an aiosmtpd sink,
so one destination can have hung and working connections at once.
"""
import re
import smtplib
import socket
import threading
import time
import urllib.request

from conftest import wait_for
from helpers import Sink


class HangingPeer:
    """A TCP listener on 127.0.0.1: the first `hang` connections are accepted
    and never greeted; later ones are relayed to `forward_to` (a port)."""

    def __init__(self, hang, forward_to=None):
        self.hang, self.forward_to = hang, forward_to
        self.accepted = 0
        self.held = []
        self.lock = threading.Lock()
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                self.accepted += 1
                hang = self.accepted <= self.hang or self.forward_to is None
                self.held.append(conn)
            if not hang:
                threading.Thread(target=self._relay, args=(conn,), daemon=True).start()

    def _relay(self, client):
        try:
            upstream = socket.create_connection(("127.0.0.1", self.forward_to))
        except OSError:
            client.close()
            return
        with self.lock:
            self.held.append(upstream)

        def pump(a, b):
            try:
                while data := a.recv(65536):
                    b.sendall(data)
            except OSError:
                pass
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        threading.Thread(target=pump, args=(upstream, client), daemon=True).start()
        pump(client, upstream)

    def connections(self):
        with self.lock:
            return self.accepted

    def close(self):
        self.listener.close()
        with self.lock:
            for s in self.held:
                s.close()


def start_gateway(gateway_factory, routes, delivery=""):
    gw = gateway_factory()
    gw.write_config(
        '[listen]\nrelay = "127.0.0.1:0"\ninbound = "127.0.0.1:0"\nadmin = "127.0.0.1:0"\n'
        f'[routes]\n{routes}\n[delivery]\n{delivery}\n'
        '[queue]\nmin_backoff = "60s"\nmax_backoff = "60s"\nscan_interval = "1s"\n')
    return gw.start()


def hung_and_good(gateway_factory, hung, sink, delivery):
    """A gateway routing hung.example to the hanging peer, the rest to the sink."""
    return start_gateway(gateway_factory,
                         f'"hung.example" = "smtp://127.0.0.1:{hung.port}"\n'
                         f'default = "smtp://127.0.0.1:{sink.port}"', delivery)


def send_many(gw, rcpt, n, tag):
    """n messages to rcpt over one relay session; their subjects."""
    subjects = [f"{tag}-{i}" for i in range(n)]
    with smtplib.SMTP(*gw.addr("relay"), timeout=10) as s:
        for subj in subjects:
            s.sendmail("alice@a.example", [rcpt], f"From: <alice@a.example>\r\nSubject: {subj}\r\n\r\nhi\r\n")
    return subjects


def delivered_subjects(sink):
    with sink.lock:
        return [re.search(rb"Subject: (\S+)", m["data"]).group(1).decode() for m in sink.messages]


def metric(gw, sample):
    host, port = gw.addr("admin")
    text = urllib.request.urlopen(f"http://{host}:{port}/metrics", timeout=5).read().decode()
    m = re.search("^" + re.escape(sample) + r" (\d+)$", text, re.M)
    return int(m.group(1)) if m else None


def test_new_mail_goes_out_while_a_backlog_hangs_on_a_silent_peer(gateway_factory, sink):
    hung = HangingPeer(hang=10**6)
    try:
        # Eight connections, two kept for priority mail: six for normal mail.
        gw = hung_and_good(gateway_factory, hung, sink, 'max_connections = 8\npriority_connections = 2\n')
        t0 = time.time()
        stuck = send_many(gw, "bob@hung.example", 20, "stuck")
        assert wait_for(lambda: hung.connections() >= 5, timeout=10), hung.connections()
        time.sleep(0.5)
        assert hung.connections() == 5, \
            f"{hung.connections()} connections at once to a destination that never greeted: no ramp"

        t1 = time.time()
        send_many(gw, "carol@good.example", 1, "fresh")
        assert sink.wait(1, timeout=5), \
            f"new mail to a working destination waited behind the hung one\n{gw.log_text()[-3000:]}"
        assert time.time() - t1 < 5
        assert delivered_subjects(sink) == ["fresh-0"]

        # Every stuck message says what it waits for, and the gauge ages.
        log = gw.log_text()
        waiting = [l for l in log.splitlines() if f"waiting for delivery to smtp://127.0.0.1:{hung.port}" in l]
        assert len(waiting) == 20, waiting
        time.sleep(max(0.0, 3 - (time.time() - t0)))
        oldest = metric(gw, 'securemail_queue_oldest_seconds{lane="normal"}')
        assert oldest is not None and oldest >= 2, oldest
        assert metric(gw, 'securemail_queue_oldest_seconds{lane="priority"}') == 0
        assert len(gw.queue_ids()) == len(stuck)
    finally:
        hung.close()


def test_mail_to_a_destination_with_some_hung_connections_goes_through_the_others(gateway_factory, sink):
    peer = HangingPeer(hang=3, forward_to=sink.port)
    try:
        gw = start_gateway(gateway_factory, f'default = "smtp://127.0.0.1:{peer.port}"',
                           'command_timeout = "6s"\n')
        t0 = time.time()
        subjects = send_many(gw, "bob@c.example", 20, "mixed")
        assert sink.wait(20, timeout=4), \
            f"{sink.count()}/20 delivered; mail waited behind hung connections\n{gw.log_text()[-3000:]}"
        assert gw.wait_queue_empty(5), gw.queue("list").stdout
        # The working connections have closed (2 s idle); the hung ones still
        # wait for their greeting. New mail must not wait for them.
        time.sleep(max(0.0, 3 - (time.time() - t0)))
        subjects += send_many(gw, "bob@c.example", 1, "later")
        assert sink.wait(21, timeout=2), f"new mail waited for connections that hang\n{gw.log_text()[-3000:]}"
        # The hung connections time out (6 s) after the others delivered:
        # that must not defer anything nor declare the destination dead.
        assert wait_for(lambda: "timed out while receiving the initial server greeting" in gw.log_text(), timeout=10)
        time.sleep(0.5)
        log = gw.log_text()
        assert "status=deferred" not in log and "suspended" not in log, log[-3000:]
        assert sorted(delivered_subjects(sink)) == sorted(subjects)
        assert peer.connections() <= 20
    finally:
        peer.close()


def test_a_destination_is_dead_only_when_no_connection_to_it_works(gateway_factory, sink):
    hung = HangingPeer(hang=10**6)
    try:
        gw = hung_and_good(gateway_factory, hung, sink, 'command_timeout = "2s"\n')
        stuck = send_many(gw, "bob@hung.example", 8, "dead")
        assert wait_for(lambda: "no connection works, delivery suspended" in gw.log_text(), timeout=15), \
            gw.log_text()[-3000:]
        assert hung.connections() <= 5 + 4, hung.connections()
        assert wait_for(lambda: gw.log_text().count("status=deferred") >= len(stuck), timeout=5), \
            gw.log_text()[-3000:]
        # New mail for the dead destination is deferred at once, not sent
        # into another greeting time-out; other destinations are unaffected.
        before = hung.connections()
        send_many(gw, "eve@hung.example", 1, "later")
        send_many(gw, "carol@good.example", 1, "other")
        assert sink.wait(1, timeout=5)
        assert wait_for(lambda: "delivery temporarily suspended" in gw.log_text(), timeout=5)
        assert hung.connections() == before
        assert len(gw.queue_ids()) == len(stuck) + 1
    finally:
        hung.close()
