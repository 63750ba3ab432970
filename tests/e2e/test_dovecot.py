"""IMAP through Dovecot: `securemail mailhost init` writes a Dovecot
configuration for the gateway's Maildirs that signs in through SecureMail
accounts (checkpassword). A real Dovecot on a loopback port; a message
delivered by a real gateway is fetched with imaplib over TLS using a device
password; password + TOTP code (oathtool) works once per code; a wrong
password fails; a config without a maildir target is refused clearly."""
import imaplib
import subprocess

import pytest

from conftest import BIN, wait_for
from dovecot_host import PASSWORD, MailHost, sm, totp_code


@pytest.fixture
def host():
    h = MailHost()
    yield h
    h.stop()


def deliver(gw, to, subject):
    host, port = gw.addr("relay")
    r = subprocess.run(["swaks", "-4", "--server", f"{host}:{port}", "--from", "carol@c.example",
                        "--to", to, "--h-Subject", subject, "--body", "for imap\n"],
                       capture_output=True, text=True, timeout=30)
    assert "250 2.0.0 Ok: queued as" in r.stdout, r.stdout


def imap_login(host, user, secret):
    c = imaplib.IMAP4_SSL("127.0.0.1", host.imap_port, ssl_context=host.tls_context(), timeout=15)
    try:
        c.login(user, secret)
    except Exception:
        c.shutdown()
        raise
    return c


def test_device_password_and_code_fetch_delivered_mail(host):
    gw = host.start_gateway()
    host.add_account("bob", "bob@b.example")
    phone = host.add_device("bob", "phone")
    secret = host.enrol_totp("bob")
    host.give_accounts_to_run_user()
    deliver(gw, "bob@b.example", "through dovecot")
    new = gw.data / "maildir" / "bob" / "new"
    assert wait_for(lambda: new.exists() and any(new.iterdir())), gw.log_text()[-3000:]

    out = host.init_dovecot().stdout
    assert "dovecot.conf" in out and "dovecot -F -c" in out, out
    host.start_dovecot()

    c = imap_login(host, "bob", phone)
    assert c.select("INBOX")[0] == "OK"
    typ, data = c.search(None, "ALL")
    assert typ == "OK" and len(data[0].split()) == 1, data
    typ, msg = c.fetch(data[0].split()[0], "(RFC822)")
    assert typ == "OK" and b"Subject: through dovecot" in msg[0][1], msg
    assert b"Delivered-To: bob@b.example" in msg[0][1]
    c.logout()

    code = totp_code(secret)
    c = imap_login(host, "bob", PASSWORD + code)
    assert c.select("INBOX", readonly=True)[0] == "OK"
    c.logout()
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        imap_login(host, "bob", PASSWORD + code)  # a code is never accepted twice


def test_wrong_password_and_unknown_user_fail_alike(host):
    host.start_gateway()
    host.add_account("bob", "bob@b.example")
    host.give_accounts_to_run_user()
    host.init_dovecot()
    host.start_dovecot()
    for user, secret in (("bob", PASSWORD + "x"), ("nobody-here", PASSWORD)):
        with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
            imap_login(host, user, secret)
    assert PASSWORD not in host.dovecot_text()  # the secret never reaches Dovecot's log


def test_init_refuses_a_config_without_maildir(host):
    host.gw.write_config(host_listen_lmtp())
    r = sm("mailhost", "init", "--config", host.config, "--out", host.root / "dovecot", check=False)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert "[deliver] internal is lmtp://127.0.0.1:24" in r.stderr and "maildir:" in r.stderr, r.stderr
    assert not (host.root / "dovecot" / "dovecot.conf").exists()


def test_init_refuses_a_bad_imap_endpoint(host):
    host.start_gateway()
    r = sm("mailhost", "init", "--config", host.config, "--imap", "127.0.0.1", check=False)
    assert r.returncode == 2 and "--imap 127.0.0.1" in r.stderr, r.stderr


def host_listen_lmtp():
    return '[deliver]\ninternal = "lmtp://127.0.0.1:24"\n'
