"""One gateway per data folder: a second `securemail run` on the same folder
is refused (exit 2, naming the PID that holds the lock), while the
`securemail queue` commands keep working beside the running gateway. A
SIGKILLed gateway leaves no stale lock behind."""
import smtplib
import subprocess
import time

from conftest import BIN, wait_for


def make_gateway(gateway_factory, sink):
    gw = gateway_factory()
    gw.write_config(
        '[listen]\nrelay = "127.0.0.1:0"\ninbound = "127.0.0.1:0"\nadmin = "127.0.0.1:0"\n'
        f'[routes]\ndefault = "smtp://127.0.0.1:{sink.port}"\n')
    return gw.start()


def send(gw, subject):
    msg = f"From: <alice@a.example>\r\nTo: <bob@c.example>\r\nSubject: {subject}\r\n\r\nhi\r\n".encode()
    with smtplib.SMTP(*gw.addr("relay"), timeout=10) as s:
        s.sendmail("alice@a.example", ["bob@c.example"], msg)


def test_second_gateway_on_one_data_folder_is_refused(gateway_factory, sink):
    sink.data_reply = "451 4.3.0 try later"  # keeps the message queued for the queue commands
    gw = make_gateway(gateway_factory, sink)
    send(gw, "lock-1")
    assert wait_for(lambda: len(gw.queue_ids()) == 1, timeout=10), gw.queue_ids()

    second = subprocess.run([BIN, "run", "--config", str(gw.config_path)],
                            capture_output=True, text=True, timeout=30)
    assert second.returncode == 2, second.stderr[-2000:]
    assert f"PID {gw.proc.pid}" in second.stderr, second.stderr[-2000:]
    assert str(gw.data / "securemail.lock") in second.stderr, second.stderr[-2000:]
    assert (gw.data / "securemail.lock").read_text().strip() == str(gw.proc.pid)

    # The queue commands work beside the running gateway (the lock is taken:
    # they read its log and send changes through its control socket, which
    # still answers): the second start touched nothing of the first's.
    (qid,) = gw.queue_ids()
    assert qid in gw.queue("list").stdout
    gw.queue("hold", qid)
    gw.queue("release", qid)
    sink.data_reply = None
    flush = gw.queue("flush")
    assert "not running" not in flush.stderr, flush.stderr
    assert sink.wait(1, timeout=20), gw.log_text()[-3000:]
    assert gw.wait_queue_empty(10)
    assert "Mail queue is empty" in gw.queue("list").stdout
    time.sleep(0.5)
    assert sink.count() == 1, "delivered by one gateway, once"
    assert gw.proc.poll() is None, "the first gateway keeps running"


def test_killed_gateway_leaves_no_stale_lock(gateway_factory, sink):
    gw = make_gateway(gateway_factory, sink)
    first_pid = gw.proc.pid
    gw.kill()
    gw.start()  # raises when refused
    assert gw.proc.pid != first_pid
    assert (gw.data / "securemail.lock").read_text().strip() == str(gw.proc.pid)
    send(gw, "after-kill")
    assert sink.wait(1), gw.log_text()[-3000:]
