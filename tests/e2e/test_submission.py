"""Authenticated submission end to end on a two-gateway testnet (a, b):
accounts made with `securemail user add`, TOTP enrolled and codes made by
oathtool; swaks and smtplib as the mail clients on [listen] submission
(STARTTLS) and submissions (implicit TLS). What a user sees: AUTH only
after TLS, password and password+code sign-ins, a replayed code refused,
guessing throttled while others still send, sending as someone else
refused, a [[strong_auth]] rule refusing a weak sender, and the signed
SecureMail-Sender-Assurance arriving inside the sealed message at b."""
import re
import smtplib
import ssl
import subprocess
import time
import urllib.parse

import pytest

from conftest import securemail, wait_for
from testnet_world import Testnet, receipt_parts, report_fields, results, send, wait_reports
from testnet_world import metric

PASSWORDS = {"alice": "alice-pass-1", "carol": "carol-pass-1", "dave": "dave-pass-1"}


def tls():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def add_user(net, tmp, name, *addresses):
    pw = tmp / f"{name}.pw"
    pw.write_text(PASSWORDS[name] + "\n")
    args = ["user", "add", name, "--config", net.config("a.example"), "--password-file", pw]
    for a in addresses:
        args += ["--address", a]
    securemail(*args, check=True)


def totp_code(secret, offset=0):
    args = ["oathtool", "--totp", "-b", secret]
    if offset:
        args += ["-N", f"now + {offset} seconds"]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    root = tmp_path_factory.mktemp("submission")
    n = Testnet(root, ["a.example", "b.example"]).build()
    n.replace_config("a.example", "[listen]",
                     '[auth]\ndelay_after = 2\naccount_lock = 4\nclient_lock = 40\n\n'
                     '[[strong_auth]]\nname = "board"\nrecipients = ["ceo@b.example"]\n\n'
                     '[listen]\nsubmission = "127.0.0.1:0"\nsubmissions = "127.0.0.1:0"')
    add_user(n, root, "alice", "alice@a.example", "ceo-office@a.example")
    add_user(n, root, "carol", "carol@a.example")
    add_user(n, root, "dave", "dave@a.example")
    enrol = securemail("user", "totp", "enrol", "alice", "--config", n.config("a.example"), check=True)
    uri = re.search(r"otpauth://totp/\S+", enrol.stdout.decode()).group(0)
    n.alice_secret = urllib.parse.parse_qs(urllib.parse.urlsplit(uri).query)["secret"][0]
    try:
        n.start()
        yield n
    finally:
        n.stop()


def submission(net):
    return net.gateways["a.example"].addr("submission")


def signed_in(net, user, secret=None):
    s = smtplib.SMTP(*submission(net), timeout=30)
    s.starttls(context=tls())
    s.login(user, secret or PASSWORDS[user])
    return s


def auth_plain(s, user, secret):
    """One AUTH PLAIN attempt (smtplib's login() would go on to try LOGIN after a refusal)."""
    s.ehlo()
    s.user, s.password = user, secret
    return s.auth("PLAIN", s.auth_plain)


def compose(from_addr, to, subject, extra=()):
    return "\r\n".join([f"From: {from_addr}", f"To: {to}", f"Subject: {subject}",
                        f"Message-ID: <{abs(hash(subject))}@a.example>", *extra, "", "hello", ""]).encode()


FORGED_ASSURANCE = "SecureMail-Sender-Assurance: auth=totp; strong=yes; sole-user=yes; identity=verified; level=document"


def test_auth_offered_only_after_starttls(net):
    with smtplib.SMTP(*submission(net), timeout=30) as s:
        s.ehlo()
        assert s.has_extn("starttls") and not s.has_extn("auth")
        code, text = s.docmd("AUTH", "PLAIN AGNhcm9sAGNhcm9sLXBhc3MtMQ==")
        assert code == 538 and b"5.7.11" in text
        code, text = s.docmd("MAIL", "FROM:<carol@a.example>")
        assert code == 530 and b"5.7.0" in text
        s.starttls(context=tls())
        s.ehlo()
        assert s.has_extn("auth") and set(s.esmtp_features["auth"].split()) == {"PLAIN", "LOGIN"}
        assert not s.has_extn("starttls")


def test_password_sign_in_sends_sealed_with_our_assurance(net):
    with signed_in(net, "carol") as s:
        s.sendmail("carol@a.example", ["bob@b.example"],
                   compose("Carol <carol@a.example>", "bob@b.example", "weak one", [FORGED_ASSURANCE]))
    msg = net.wait_message("b.example", "bob", "weak one")
    shown = results(msg, "gw.b.example")[0]
    assert "smime=pass" in shown  # it came sealed, the header inside the signature
    assert "x-securemail-assurance=pass header.auth=password" in shown, shown  # and b shows it
    carried = msg.get_all("SecureMail-Sender-Assurance")
    assert carried == ["auth=password; strong=no; sole-user=no; identity=unverified"], carried
    hops = " ".join(msg.get_all("Received"))
    assert "with ESMTPSA" in hops and "carol" not in hops  # the login name stays at a
    assert re.search(r"AUTH PLAIN from \[127\.0\.0\.1\] user=<carol> method=password strong=no",
                     net.gateways["a.example"].log_text())
    assert PASSWORDS["carol"] not in net.gateways["a.example"].log_text()


def test_password_and_code_is_strong_and_a_code_is_used_once(net):
    code = totp_code(net.alice_secret)
    host, port = submission(net)
    swaks = ["swaks", "-4", "--server", f"{host}:{port}", "-tls", "--auth", "PLAIN",
             "--auth-user", "alice", "--auth-password", PASSWORDS["alice"] + code,
             "--from", "alice@a.example", "--to", "bob@b.example",
             "--h-From", "alice@a.example", "--h-Subject", "strong one"]
    r = subprocess.run(swaks, capture_output=True, text=True, timeout=60)
    assert "235 2.7.0 Authentication successful" in r.stdout, r.stdout
    assert "250 2.0.0 Ok: queued as" in r.stdout, r.stdout
    msg = net.wait_message("b.example", "bob", "strong one")
    assert msg["SecureMail-Sender-Assurance"] == "auth=totp; strong=yes; sole-user=no; identity=unverified"
    replay = subprocess.run(swaks[:-4] + ["--h-Subject", "replayed"], capture_output=True, text=True, timeout=60)
    assert "535 5.7.8 authentication failed" in replay.stdout, replay.stdout
    assert "queued as" not in replay.stdout


def test_wrong_password_is_refused(net):
    failures = metric(net, "a.example", "securemail_auth_failures_total")
    with smtplib.SMTP(*submission(net), timeout=30) as s:
        s.starttls(context=tls())
        with pytest.raises(smtplib.SMTPAuthenticationError) as e:
            auth_plain(s, "carol", "not-her-password")
        assert e.value.smtp_code == 535 and b"5.7.8" in e.value.smtp_error
    assert metric(net, "a.example", "securemail_auth_failures_total") == failures + 1  # counted by mechanism


def test_guessing_is_throttled_while_another_user_sends(net):
    replies, started = [], time.time()
    for guess in range(6):
        with smtplib.SMTP(*submission(net), timeout=60) as s:
            s.starttls(context=tls())
            try:
                auth_plain(s, "dave", f"guess-{guess}")
            except smtplib.SMTPResponseException as e:
                replies.append(e.smtp_code)
    assert replies[:4] == [535, 535, 535, 535] and set(replies[4:]) == {454}, replies
    assert time.time() - started >= 1  # the third failure was answered a second late (the fourth locks)
    with smtplib.SMTP(*submission(net), timeout=30) as s:  # even the right password waits for the lock
        s.starttls(context=tls())
        with pytest.raises(smtplib.SMTPResponseException) as e:
            auth_plain(s, "dave", PASSWORDS["dave"])
        assert e.value.smtp_code == 454 and b"4.7.0" in e.value.smtp_error
    with signed_in(net, "carol") as s:  # from the same address, another account is not held up
        s.sendmail("carol@a.example", ["bob@b.example"], compose("carol@a.example", "bob@b.example", "meanwhile"))
    net.wait_message("b.example", "bob", "meanwhile")


def test_sending_as_someone_else_is_refused(net):
    with signed_in(net, "carol") as s:
        code, text = s.docmd("MAIL", "FROM:<alice@a.example>")
        assert code == 550 and b"5.7.1" in text and b"not yours to send as" in text
        s.rset()
        with pytest.raises(smtplib.SMTPDataError) as e:
            s.sendmail("carol@a.example", ["bob@b.example"],
                       compose("Alice <alice@a.example>", "bob@b.example", "forged from"))
        assert e.value.smtp_code == 550 and b"not yours to send as" in e.value.smtp_error
    with signed_in(net, "alice", PASSWORDS["alice"]) as s:  # an alias the account owns is fine
        s.sendmail("ceo-office@a.example", ["bob@b.example"],
                   compose("ceo-office@a.example", "bob@b.example", "from the alias"))
    net.wait_message("b.example", "bob", "from the alias")
    assert not [m for m in net.messages("b.example", "bob") if m["Subject"] == "forged from"]


def test_submissions_speaks_tls_from_the_start(net):
    with smtplib.SMTP_SSL(*net.gateways["a.example"].addr("submissions"), context=tls(), timeout=30) as s:
        s.ehlo()
        assert s.has_extn("auth") and not s.has_extn("starttls")
        s.login("carol", PASSWORDS["carol"])
        s.sendmail("carol@a.example", ["bob@b.example"], compose("carol@a.example", "bob@b.example", "over 465"))
    net.wait_message("b.example", "bob", "over 465")


def test_relay_client_cannot_claim_a_sign_in(net):
    """Mail from [listen] relay (nobody signed in) is sealed by a, so a
    SecureMail-Sender-Assurance its client wrote would reach b inside a's
    signature as a's claim: a removes it."""
    code, _ = send(net.gateways["a.example"].addr("relay")[1], "mallory@a.example", ["bob@b.example"],
                   compose("mallory@a.example", "bob@b.example", "forged strength", [FORGED_ASSURANCE]))
    assert code == 250
    msg = net.wait_message("b.example", "bob", "forged strength")
    shown = results(msg, "gw.b.example")[0]
    assert "smime=pass" in shown
    assert "x-securemail-assurance=none" in shown, shown  # no claim: a relay client signs in nowhere
    assert msg.get_all("SecureMail-Sender-Assurance") is None


def test_receipt_asked_on_submission_reaches_the_signed_in_sender(net):
    """NOTIFY=SUCCESS from a mail client on the submission listener: b's
    signed receipt comes back to carol as a delivery report."""
    with signed_in(net, "carol") as s:
        s.sendmail("carol@a.example", ["bob@b.example"], compose("carol@a.example", "bob@b.example", "receipt please"),
                   rcpt_options=["NOTIFY=SUCCESS"])
    net.wait_message("b.example", "bob", "receipt please")
    # The report names the original by its Message-ID (compose() makes it from the subject).
    [report] = wait_reports(net, "a.example", "carol", f"{abs(hash('receipt please'))}@a.example")
    assert re.search(r"(?im)^Action:\s*delivered\s*$", report_fields(report))
    assert len(receipt_parts(report)) == 1


def test_strong_only_recipient_refuses_a_weak_sender(net):
    with signed_in(net, "carol") as s:
        s.mail("carol@a.example")
        code, text = s.rcpt("ceo@b.example")
        assert code == 550 and b"5.7.9" in text and b"strong authentication required by rule board" in text
        assert s.rcpt("bob@b.example")[0] == 250  # the rule names only ceo@
        s.rset()
    # The next step's code: the one before was used above and is never taken again.
    with signed_in(net, "alice", PASSWORDS["alice"] + totp_code(net.alice_secret, 30)) as s:
        s.sendmail("alice@a.example", ["ceo@b.example"], compose("alice@a.example", "ceo@b.example", "for the board"))
    msg = net.wait_message("b.example", "ceo", "for the board")
    assert "strong=yes" in msg["SecureMail-Sender-Assurance"]
