"""[deliver] recipients = "verify": the inbound listener refuses, at RCPT,
a local recipient the organisation does not have. A Maildir knows its
accounts (`securemail user add`) and existing folders; an SMTP internal
server (aiosmtpd here) is asked at RCPT without a message, its answer kept;
when it is down, mail is taken and queued until it is back. The role
addresses are always taken."""
import smtplib
import urllib.request

from conftest import securemail, wait_for
from helpers import RawSmtp


def verifying_gateway(gateway_factory, deliver, extra=""):
    gw = gateway_factory()
    gw.write_config('[listen]\nrelay = "127.0.0.1:0"\ninbound = "127.0.0.1:0"\nadmin = "127.0.0.1:0"\n'
                    f'[deliver]\n{deliver}recipients = "verify"\n' + extra)
    return gw


def rcpt_replies(gw, recipients, body=b"Subject: in\r\n\r\nhi\r\n"):
    """RCPT each recipient on the inbound listener; DATA when one was taken."""
    replies = {}
    with smtplib.SMTP(*gw.addr("inbound"), timeout=30) as s:
        s.ehlo("mx.a.example")
        assert s.mail("alice@a.example")[0] == 250
        for r in recipients:
            code, text = s.rcpt(r)
            replies[r] = (code, text.decode())
        if any(code == 250 for code, _ in replies.values()):
            assert s.data(body)[0] == 250
    return replies


def test_maildir_takes_accounts_folders_and_role_addresses_only(gateway_factory, tmp_path):
    gw = verifying_gateway(gateway_factory, "")
    pw = tmp_path / "pw"
    pw.write_text("a long enough password\n")
    securemail("user", "add", "carol", "--config", gw.config_path, "--address", "carol@b.example",
               "--password-file", pw, check=True)
    (gw.data / "maildir" / "dave" / "new").mkdir(parents=True)  # a mailbox provisioned by hand
    gw.start()
    replies = rcpt_replies(gw, ["Carol@b.example", "dave@b.example", "postmaster@b.example",
                                "abuse@b.example", "securemailadmin@b.example", "mallory@b.example"])
    assert all(replies[r][0] == 250 for r in list(replies)[:5]), replies
    code, text = replies["mallory@b.example"]
    assert code == 550 and text == "5.1.1 <mallory@b.example>: Recipient address rejected: no such mailbox here", text
    new = gw.data / "maildir" / "carol" / "new"
    assert wait_for(lambda: new.exists() and any(new.iterdir()))
    assert not (gw.data / "maildir" / "mallory").exists()
    assert "reject RCPT from [127.0.0.1]: from=<alice@a.example> to=<mallory@b.example>: 550 5.1.1" in gw.log_text()


def test_smtp_internal_server_is_asked_and_its_answers_kept(gateway_factory, sink):
    sink.reject["nobody@b.example"] = "550 5.1.1 <nobody@b.example>: Recipient address rejected: User unknown"
    gw = verifying_gateway(gateway_factory, f'internal = "smtp://127.0.0.1:{sink.port}"\n',
                           '[queue]\nmin_backoff = "2s"\nscan_interval = "1s"\n').start()
    replies = rcpt_replies(gw, ["bob@b.example", "nobody@b.example"])
    assert replies["bob@b.example"][0] == 250, replies
    code, text = replies["nobody@b.example"]
    assert code == 550 and text.startswith("5.1.1 <nobody@b.example>: Recipient address rejected: undeliverable"), text
    assert "User unknown" in text and "in reply to RCPT TO" in text, text  # what the internal server said
    assert sink.wait(1)
    assert sink.messages[0]["to"] == ["bob@b.example"] and sink.messages[0]["from"] == "alice@a.example"
    probes = len(sink.mail_times) - 1  # every MAIL but the delivery's was a callout
    assert probes == 2, sink.mail_times

    # The internal server goes away: what it answered is still known, a new
    # recipient is taken and waits in the queue until it is back.
    port = sink.port
    sink.stop()
    replies = rcpt_replies(gw, ["nobody@b.example", "carol@b.example"])
    assert replies["nobody@b.example"][0] == 550 and replies["carol@b.example"][0] == 250, replies
    assert wait_for(lambda: "no answer from the internal server, taken and queued" in gw.log_text(), 10)
    assert gw.queue_ids(), "carol's message waits in the queue"
    sink.start(port=port)
    assert sink.wait(2, timeout=30), gw.log_text()
    assert sink.messages[-1]["to"] == ["carol@b.example"]
    gw.wait_queue_empty(30)
    host, port = gw.addr("admin")
    with urllib.request.urlopen(f"http://{host}:{port}/metrics", timeout=5) as r:
        metrics = r.read().decode()
    # bob, nobody, then nobody (cached) and carol (no answer)
    for line in ('securemail_recipient_checks_total{result="taken"} 1',
                 'securemail_recipient_checks_total{result="refused"} 2',
                 'securemail_recipient_checks_total{result="unanswered"} 1'):
        assert line in metrics, metrics


def test_guessing_local_parts_is_cut_off_at_the_error_limit(gateway_factory):
    """A directory harvest: each unknown recipient counts towards [limits]
    max_errors (3 here), and the session ends with 421 4.7.0."""
    gw = verifying_gateway(gateway_factory, "", '[limits]\nmax_errors = 3\n').start()
    c = RawSmtp(*gw.addr("inbound"))
    c.cmd("EHLO harvester.example")
    assert c.cmd("MAIL FROM:<x@evil.example>")[0] == 250
    assert c.cmd("RCPT TO:<postmaster@b.example>")[0] == 250  # known: not an error
    for guess in ("aaron", "abby"):
        assert c.cmd(f"RCPT TO:<{guess}@b.example>")[0] == 550
    code, text = c.cmd("RCPT TO:<adam@b.example>")
    assert code == 550, text
    code, text = c.reply()
    assert code == 421 and "4.7.0" in text and "too many errors" in text, text
    c.close()
