"""Every gateway testing itself (issue 17): on a testnet with a
certification facility, a's self-test pings the facility's and b's test
agents (securemail-test@), gets their signed, sealed pongs back, and
reports pass in GET /v1/selftest and /metrics. With the facility down a run
started by POST /v1/selftest/run fails the facility ping: the
selftest-failing alert holds and the admin contact gets an email. Plain
mail to a test agent is refused: it answers verified member agents only."""
import json
import re
import smtplib
import urllib.error
import urllib.request
from email.message import EmailMessage

import pytest

from conftest import securemail, wait_for
from testnet_world import Testnet

SELFTEST = '[selftest]\nfirst_after = "1s"\ninterval = "1h"\ntimeout = "20s"\nsample = 3\n'


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    n = Testnet(tmp_path_factory.mktemp("selftest"), ["a.example", "b.example"], with_facility=True).build()
    n.append_config("a.example", SELFTEST)
    try:
        # a runs its first self-test a second after it starts: the peers it
        # pings are started first (under a sanitizer a gateway takes seconds).
        n.start(Testnet.FACILITY, "b.example", "a.example")
        yield n
    finally:
        n.stop()


@pytest.fixture(scope="module")
def token(net):
    r = securemail("admin", "token", "create", "--name", "ops", "--scope", "write", "--config",
                   net.config("a.example"), check=True)
    return r.stdout.decode().strip()


def api(net, method, path, token):
    req = urllib.request.Request(f"http://127.0.0.1:{net.port('a.example', 'admin')}{path}", method=method)
    req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def last_run(net, token):
    status, body = api(net, "GET", "/v1/selftest", token)
    assert status == 200, body
    return body["last"]


def metrics(net):
    with urllib.request.urlopen(f"http://127.0.0.1:{net.port('a.example', 'admin')}/metrics", timeout=5) as r:
        return r.read().decode()


def checks(run):
    return {c["name"]: c["result"] for c in run["checks"]}


def test_pings_to_the_facility_and_members_come_back_signed(net, token):
    assert wait_for(lambda: last_run(net, token) is not None, 60), net.logs()
    run = last_run(net, token)
    assert run["result"] == "pass", run
    assert checks(run) == {"facility-ping": "pass", "member-ping": "pass", "certificates": "pass", "crl": "pass",
                           "directory": "pass"}
    pinged = {p["member"]: p for p in run["pings"]}
    assert set(pinged) == {"facility-example", "b-example"}
    assert pinged["facility-example"]["facility"] and pinged["facility-example"]["answered"]
    text = metrics(net)
    assert re.search(r'^securemail_selftest_check\{check="facility-ping"\} 1$', text, re.M), text
    assert re.search(r'^securemail_selftest_runs_total\{result="pass"\} [1-9]', text, re.M)
    assert re.search(r'^securemail_alert\{alert="selftest-failing"\} 0$', text, re.M)
    # The pings and pongs were consumed by the agents: nothing in a mailbox.
    for domain in ("a.example", "b.example", Testnet.FACILITY):
        assert not net.messages(domain, "securemail-test")


def test_a_silent_facility_fails_the_run_alerts_and_tells_the_admin(net, token):
    net.stop(Testnet.FACILITY)
    try:
        status, body = api(net, "POST", "/v1/selftest/run", token)
        assert status == 202, body
        assert wait_for(lambda: (last_run(net, token) or {}).get("result") == "fail", 60), last_run(net, token)
        run = last_run(net, token)
        assert checks(run)["facility-ping"] == "fail" and checks(run)["member-ping"] == "pass", run
        status, alerts = api(net, "GET", "/v1/alerts", token)
        names = [a["name"] for a in alerts["alerts"]]
        assert "selftest-failing" in names, alerts
        notice = net.wait_message("a.example", "securemailadmin", "self-test failed", timeout=30)
        body = notice.get_payload()
        assert "facility-ping" in body and "fail" in body
    finally:
        net.start(Testnet.FACILITY)


def test_the_agent_refuses_plain_mail(net):
    msg = EmailMessage()
    msg["From"] = "someone@outside.example"
    msg["To"] = "securemail-test@b.example"
    msg["Subject"] = "SECUREMAIL-TEST ping x"
    msg.set_content('{"protocol":"securemail-test/1","action":"ping","nonce":"aaaaaaaaaaaaaaaaaaaa","sent":"2026-12-01T00:00:00Z"}')
    with smtplib.SMTP("127.0.0.1", net.port("b.example", "inbound"), timeout=30) as s:
        with pytest.raises(smtplib.SMTPDataError) as refused:
            s.send_message(msg)
    assert refused.value.smtp_code == 550 and b"5.7.1" in refused.value.smtp_error
