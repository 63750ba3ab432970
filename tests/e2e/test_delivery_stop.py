"""Stopping with a backlog (issue 11, defect 9).

On SIGTERM the gateway must start no new delivery, let the transactions on
the wire finish within the grace period, and exit 0; a message that got its
250 is removed and never sent again after the restart, and the rest is
delivered after the restart. The peer is slow: it answers the end of DATA
two seconds late, so transactions are in flight when the signal comes.
"""
import re
import signal
import smtplib
import time

from conftest import wait_for

GRACE = 10  # seconds; docs/operations.md


def subjects(sink):
    with sink.lock:
        return [re.search(rb"Subject: (\S+)", m["data"]).group(1).decode() for m in sink.messages]


def test_sigterm_finishes_transactions_in_flight_and_starts_none(gateway_factory, sink):
    sink.data_delay = 2.0
    gw = gateway_factory()
    gw.write_config(
        '[listen]\nrelay = "127.0.0.1:0"\ninbound = "127.0.0.1:0"\n'
        f'[routes]\ndefault = "smtp://127.0.0.1:{sink.port}"\n'
        '[queue]\nmin_backoff = "60s"\nscan_interval = "1s"\n')
    gw.start()
    sent = [f"backlog-{i}" for i in range(30)]
    with smtplib.SMTP(*gw.addr("relay"), timeout=10) as s:
        for subj in sent:
            s.sendmail("alice@a.example", ["bob@c.example"], f"From: <alice@a.example>\r\nSubject: {subj}\r\n\r\nhi\r\n")
    assert wait_for(lambda: len(sink.mail_times) >= 1, timeout=10), gw.log_text()[-3000:]
    time.sleep(0.5)  # transactions are waiting for the slow reply to the end of DATA

    t_signal = time.time()
    gw.proc.send_signal(signal.SIGTERM)
    rc = gw.proc.wait(GRACE + 5)
    took = time.time() - t_signal
    assert rc == 0, gw.log_text()[-3000:]
    assert took < GRACE, f"took {took:.1f}s to stop"
    with sink.lock:
        late = [t - t_signal for t in sink.mail_times if t > t_signal]
        on_the_wire = len(sink.mail_times) - len(late)
    assert not late, f"{len(late)} transactions started after SIGTERM (at +{late[0]:.2f}s)\n{gw.log_text()[-3000:]}"
    assert 0 < on_the_wire < len(sent)

    delivered = subjects(sink)
    assert len(delivered) == on_the_wire, "every transaction on the wire finished"
    removed = re.findall(r"[0-9A-F]{16}: removed\b", gw.log_text())
    assert len(removed) == on_the_wire, gw.log_text()[-3000:]
    assert len(gw.queue_ids()) == len(sent) - on_the_wire

    # After the restart the rest goes out, and nothing twice.
    sink.data_delay = 0
    gw.stop()
    gw.start()
    assert sink.wait(len(sent), timeout=20), f"{sink.count()}/{len(sent)}\n{gw.log_text()[-3000:]}"
    assert gw.wait_queue_empty(10)
    time.sleep(0.5)
    got = subjects(sink)
    assert sorted(got) == sorted(sent), sorted(set(got) ^ set(sent)) or [s for s in got if got.count(s) > 1]
