"""Applications handing mail to the gateway (issue 18) on a two-gateway
testnet, gateway a with an [[application]] "billing" (127.0.0.1, may send as
invoices@a.example):

- S/MIME encrypted to gateway a's own certificate by the real `openssl cms
  -encrypt` (AES-256-GCM, and AES-256-CBC with a whole message inside) over
  SMTP from the application: a opens it, applies policy and seals it again
  for member b, where it arrives verified with the text readable;
- the same from 127.0.0.2 (no application): refused, 550 5.7.1;
- From: or envelope sender outside its senders: refused, 550 5.7.1;
- mail encrypted to someone else passes as it is (end-to-end S/MIME);
- POST /v1/messages with a send token: a dry run says sealed and plain per
  recipient and queues nothing; the real one answers 202 with the queue id
  and the message arrives at b; a From: outside its senders is 403 with the
  SMTP reply; `admin token create --scope send` for no application exits 2;
- the directory lookup says in advance whether mail is sealed."""
import json
import re
import smtplib
import subprocess
import urllib.error
import urllib.request

import pytest

from conftest import securemail, wait_for
from testnet_world import Testnet, gateway_key


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    n = Testnet(tmp_path_factory.mktemp("apps"), ["a.example", "b.example"]).build()
    n.append_config("a.example", '[[application]]\nname = "billing"\nnetworks = ["127.0.0.1"]\n'
                                 'senders = ["invoices@a.example"]\n')
    n.start()
    yield n
    n.stop()


def encrypt(tmp_path, net, content, cipher, recipient_cert=None, subject="Invoice 4711"):
    _, cert = gateway_key(net, "a.example")
    (tmp_path / "in.txt").write_bytes(content)
    out = tmp_path / "out.eml"
    subprocess.run(["openssl", "cms", "-encrypt", "-" + cipher, "-binary", "-crlfeol", "-in", tmp_path / "in.txt",
                    "-from", "invoices@a.example", "-to", "bob@b.example", "-subject", subject, "-out", out,
                    recipient_cert or cert], check=True, capture_output=True)
    return re.sub(rb"\r?\n", b"\r\n", out.read_bytes())  # openssl writes its header fields with LF


def relay(net, sender, recipients, message, source="127.0.0.1"):
    with smtplib.SMTP("127.0.0.1", net.port("a.example", "relay"), timeout=30,
                      source_address=(source, 0)) as s:
        s.sendmail(sender, recipients, message)


def api(net, method, path, token=None, body=None):
    port = net.port("a.example", "admin")
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method,
                                 data=json.dumps(body).encode() if body is not None else None)
    if body is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def body_text(m):
    return "".join(p.get_payload(decode=True).decode(errors="replace") for p in m.walk()
                   if p.get_content_type() == "text/plain")


def test_mail_encrypted_to_the_gateway_is_opened_and_sealed_again(net, tmp_path):
    relay(net, "invoices@a.example", ["bob@b.example"],
          encrypt(tmp_path, net, b"Content-Type: text/plain\r\n\r\nInvoice 4711: 120 EUR.\r\n", "aes-256-gcm"))
    m = net.wait_message("b.example", "bob", "Invoice 4711")
    assert m["Authentication-Results"] and "smime=pass" in m["Authentication-Results"], m.as_string()[:2000]
    assert "Invoice 4711: 120 EUR." in body_text(m)
    log = net.gateways["a.example"].log_text()
    assert "application billing: opened (aes-256-gcm" in log, log[-3000:]
    # A whole message inside, under AES-256-CBC: the inner header is the message's.
    whole = (b"From: invoices@a.example\r\nTo: bob@b.example\r\nSubject: Reminder 4712\r\n"
             b"MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nPlease pay 4712.\r\n")
    relay(net, "invoices@a.example", ["bob@b.example"],
          encrypt(tmp_path, net, whole, "aes-256-cbc", subject="outer subject"))
    m = net.wait_message("b.example", "bob", "Reminder 4712")
    assert "Please pay 4712." in body_text(m) and "smime=pass" in m["Authentication-Results"]


def test_only_an_application_may_hand_in_encrypted_mail_and_only_as_its_senders(net, tmp_path):
    sealed = encrypt(tmp_path, net, b"Content-Type: text/plain\r\n\r\nnot from an application\r\n", "aes-256-gcm")
    with pytest.raises(smtplib.SMTPDataError) as e:
        relay(net, "invoices@a.example", ["bob@b.example"], sealed, source="127.0.0.2")
    assert e.value.smtp_code == 550 and b"5.7.1" in e.value.smtp_error
    assert b"only from a configured application" in e.value.smtp_error
    with pytest.raises(smtplib.SMTPSenderRefused) as e:
        relay(net, "ceo@a.example", ["bob@b.example"], sealed)
    assert e.value.smtp_code == 550 and b"application billing may not send as this address" in e.value.smtp_error
    forged = sealed.replace(b"From: invoices@a.example", b"From: ceo@a.example")
    with pytest.raises(smtplib.SMTPDataError) as e:
        relay(net, "invoices@a.example", ["bob@b.example"], forged)
    assert e.value.smtp_code == 550 and b"From: <ceo@a.example>" in e.value.smtp_error
    # Encrypted to someone else (b's certificate: end-to-end S/MIME): not opened here.
    _, b_cert = gateway_key(net, "b.example")
    relay(net, "invoices@a.example", ["bob@b.example"],
          encrypt(tmp_path, net, b"Content-Type: text/plain\r\n\r\nend to end\r\n", "aes-256-gcm",
                  recipient_cert=b_cert, subject="End to end"))
    m = net.wait_message("b.example", "bob", "End to end")
    assert "smime=pass" in m["Authentication-Results"]
    assert "application/pkcs7-mime" in m.as_string(), "still encrypted to the end recipient"


def test_the_http_submission_endpoint(net):
    cfg = net.config("a.example")
    r = securemail("admin", "token", "create", "--name", "nobody", "--scope", "send", "--config", cfg)
    assert r.returncode == 2 and b"no [[application]] named 'nobody'" in r.stderr, r.stderr
    token = securemail("admin", "token", "create", "--name", "billing", "--scope", "send", "--config", cfg,
                       check=True).stdout.decode().strip()
    parts = {"from": "invoices@a.example", "to": ["bob@b.example"], "cc": ["carol@outside.example"],
             "subject": "Statement December", "text": "Your statement is attached.",
             "attachments": [{"filename": "statement.csv", "content_type": "text/csv",
                              "content_base64": "ZGF0ZSxhbW91bnQKMjAyNi0xMi0wMSwxMjAK"}]}
    before = net.gateways["a.example"].queue_ids()
    status, answer = api(net, "POST", "/v1/messages", token, dict(parts, dry_run=True))
    assert status == 200, answer
    assert answer["queue_id"] == "" and answer["dry_run"] is True
    decided = {r["address"]: r["decision"] for r in answer["recipients"]}
    assert decided == {"bob@b.example": "sealed", "carol@outside.example": "plain"}, answer
    assert net.gateways["a.example"].queue_ids() == before, "a dry run queues nothing"

    status, answer = api(net, "POST", "/v1/messages", token, dict(parts, cc=[]))
    assert status == 202, answer
    assert answer["queue_id"] and answer["recipients"][0]["detail"] == "member b-example", answer
    m = net.wait_message("b.example", "bob", "Statement December")
    assert "smime=pass" in m["Authentication-Results"] and "Your statement is attached." in body_text(m)
    assert any(p.get_filename() == "statement.csv" for p in m.walk())

    status, answer = api(net, "POST", "/v1/messages", token, dict(parts, **{"from": "ceo@a.example"}))
    assert status == 403 and answer["smtp"].startswith("550 5.7.1 sender <ceo@a.example>"), answer
    status, answer = api(net, "POST", "/v1/messages", None, parts)
    assert status == 401
    status, answer = api(net, "GET", "/v1/queue", token)
    assert status == 403, "a send token is not an admin token"

    # Before sending: which recipients will be sealed.
    status, found = api(net, "GET", "/v1/directory/lookup?address=bob@b.example")
    assert status == 200 and found["sealed"] is True
    status, found = api(net, "GET", "/v1/directory/lookup?address=carol@outside.example")
    assert status == 404 and found["sealed"] is False
