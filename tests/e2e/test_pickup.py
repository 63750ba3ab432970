"""Secure pickup (issue 18) on a real gateway: a [[policy.rule]] decides
"pickup" for a domain outside SecureMail (an aiosmtpd sink stands for its
mail server). The recipient gets a notification without the content; three
scanner-style GETs and a HEAD of the link send and change nothing; in
headless Chromium (Debian's chromium and chromedriver) the recipient asks
for a code, gets it by mail, signs in, reads the message and downloads the
attachment; the sender is told of each step in its mailbox (the gateway's
Maildir); `securemail pickup revoke` withdraws it at once and the sender
is told; five wrong codes lock the message and tell the sender. Signed in,
the recipient replies with an attachment from the page: the reply reaches
the sender's mailbox From: the recipient with X-SecureMail-Pickup-Reply and
the file, the sender is told "replied", and a reply too large or without
the form's token queues nothing. With the PDF option (a rule's pickup_pdf)
the notification carries a PDF that opens only with the password the
sender was mailed apart (qpdf, pdftotext), and the page still works. The
pages are checked at 320 px and with axe-core (when installed);
screenshots go to tests/e2e/artefacts/pickup/ (the reply's to
artefacts/pickup/reply/). The link token never reaches the log."""
import http.client
import json
import re
import smtplib
import socket
import ssl
import subprocess
import email
import email.policy
import urllib.parse
import urllib.request
from email.message import EmailMessage
from pathlib import Path

import pytest

from conftest import securemail, wait_for
from test_console import axe_problems, narrow, AXE
from test_selfservice import Steps, browser, click_through, fill  # noqa: F401 (browser is a fixture)

ARTEFACTS = Path(__file__).parent / "artefacts" / "pickup"
LINK = re.compile(r"https://localhost:\d+/p/([A-Za-z0-9_-]{43})")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_pickup_gateway(gateway_factory, sink, pickup_keys='reply_max_size = "100K"\n',
                         listen='relay = "127.0.0.1:0"\n'):
    port = free_port()
    gw = gateway_factory()
    gw.write_config(
        '[listen]\n' + listen +
        f'[routes]\n"example.org" = "smtp://127.0.0.1:{sink.port}"\n'
        '[queue]\nmin_backoff = "1s"\nscan_interval = "1s"\n'
        f'[pickup]\nlisten = "127.0.0.1:{port}"\npublic_url = "https://localhost:{port}/"\n' + pickup_keys +
        '[[policy.rule]]\nname = "outside-pdf"\nto = ["dave@example.org"]\ndecision = "pickup"\npickup_pdf = true\n'
        '[[policy.rule]]\nname = "outside"\nto = ["*@example.org"]\ndecision = "pickup"\n')
    gw.start()
    gw.pickup_port = port
    return gw


@pytest.fixture
def pickup_gateway(gateway_factory, sink):
    return start_pickup_gateway(gateway_factory, sink)


def send_secure(gw, to="bob@example.org", subject="Merger terms", cc=None):
    m = EmailMessage()
    m["From"] = "alice@b.example"
    m["To"] = to
    if cc:
        m["Cc"] = cc
    m["Subject"] = subject
    m["Message-ID"] = "<merger-terms.1@b.example>"
    m.set_content("The price is 42 million.\n" + "A-long-line-without-spaces-" * 12 + "\n")
    m.add_attachment(b"%PDF-1.4\nterm sheet\n", maintype="application", subtype="pdf", filename="terms.pdf")
    with smtplib.SMTP(*gw.addr("relay"), timeout=30) as s:
        s.send_message(m, from_addr="alice@b.example", to_addrs=[to] + ([cc] if cc else []))


def mail_to(sink, address):
    return [m for m in sink.messages if address in m["to"]]


def notices(gw, kind):
    """The sender's notices of this kind, from alice's Maildir."""
    folder = gw.data / "maildir" / "alice" / "new"
    if not folder.exists():
        return []
    return [p.read_text(errors="replace") for p in folder.iterdir() if f": {kind} [" in p.read_text(errors="replace")]


def audit_actions(gw):
    r = securemail("audit", "list", "--config", gw.config_path, "--json", check=True)
    return {e["action"] for e in json.loads(r.stdout)}


def https(gw, method, path, cookie=None, body=None):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    c = http.client.HTTPSConnection("127.0.0.1", gw.pickup_port, context=ctx, timeout=30)
    headers = {"Cookie": cookie} if cookie else {}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    c.request(method, path, body=urllib.parse.urlencode(body) if body is not None else None, headers=headers)
    r = c.getresponse()
    out = r.status, dict(r.getheaders()), r.read()
    c.close()
    return out


def mailbox(gw, who="alice"):
    """The messages delivered to who's Maildir (the organisation's mail server)."""
    folder = gw.data / "maildir" / who / "new"
    return [p.read_bytes() for p in folder.iterdir()] if folder.exists() else []


def multipart(fields, files):
    """A multipart/form-data body as a browser sends it: (content type, body)."""
    boundary = "----pickupTestBoundary7MA4YWxkTrZu0gW"
    out = b""
    for name, value in fields.items():
        out += (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n').encode() + value.encode() + b"\r\n"
    for name, (filename, data) in files.items():
        out += (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                'Content-Type: application/octet-stream\r\n\r\n').encode() + data + b"\r\n"
    return f"multipart/form-data; boundary={boundary}", out + f"--{boundary}--\r\n".encode()


def post_multipart(gw, path, cookie, fields, files):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    c = http.client.HTTPSConnection("127.0.0.1", gw.pickup_port, context=ctx, timeout=30)
    kind, body = multipart(fields, files)
    c.request("POST", path, body=body, headers={"Cookie": cookie, "Content-Type": kind})
    r = c.getresponse()
    out = r.status, r.read()
    c.close()
    return out


def notified_token(gw, sink, to="bob@example.org"):
    assert wait_for(lambda: mail_to(sink, to), timeout=30), gw.log_text()[-3000:]
    text = mail_to(sink, to)[0]["data"].decode()
    link = LINK.search(text)
    assert link, text
    return text, link.group(1)


def test_a_recipient_outside_reads_the_message_after_a_code(pickup_gateway, sink, browser):
    gw = pickup_gateway
    send_secure(gw)
    note, token = notified_token(gw, sink)
    # The notification names the sender and a reference, nothing of the content.
    assert "alice@b.example of b.example sent you a secure message" in note
    assert "Merger" not in note and "price" not in note and "terms.pdf" not in note
    assert "We never ask for" in note and "the password of your mailbox" in note
    ref = re.search(r"Reference: (P-[0-9A-Z-]{14})", note).group(1)
    assert wait_for(lambda: notices(gw, "notified"), timeout=20), "the sender hears the recipient was notified"
    # Link scanners: GET three times and HEAD; nothing is sent, nothing changes.
    for method in ("GET", "GET", "GET", "HEAD"):
        status, headers, body = https(gw, method, "/p/" + token)
        assert status == 200, (method, status)
        assert headers["Cache-Control"] == "no-store" and "max-age" in headers["Strict-Transport-Security"]
    assert len(mail_to(sink, "bob@example.org")) == 1
    listed = securemail("pickup", "list", "--config", gw.config_path, check=True).stdout.decode()
    assert re.search(rf"{ref}\s+waiting\s", listed), listed

    steps = Steps(browser, ARTEFACTS)
    browser.get(f"https://localhost:{gw.pickup_port}/p/{token}")
    assert "A secure message is waiting for you" in browser.page_source
    steps.shot("landing")
    from selenium.webdriver.common.by import By
    click_through(browser, By.CSS_SELECTOR, "form button")
    assert wait_for(lambda: len(mail_to(sink, "bob@example.org")) == 2, timeout=30), gw.log_text()[-3000:]
    code_mail = mail_to(sink, "bob@example.org")[1]["data"].decode()
    code = re.search(r"is\r?\n\r?\n  (\d{4} \d{4})", code_mail).group(1)
    steps.shot("code-sent")
    fill(browser, code=code)
    click_through(browser, By.XPATH, "//button[text()='Sign in']")
    page = browser.page_source
    assert "Merger terms" in page and "The price is 42 million." in page and "terms.pdf" in page, page
    steps.shot("message")
    assert wait_for(lambda: notices(gw, "opened"), timeout=20)
    # The attachment, with the browser's session.
    cookie = "; ".join(f"{c['name']}={c['value']}" for c in browser.get_cookies())
    status, headers, body = https(gw, "GET", "/read/attachment/0", cookie=cookie)
    assert status == 200 and body == b"%PDF-1.4\nterm sheet\n"
    assert headers["Content-Disposition"].startswith('attachment; filename="terms.pdf"')
    assert wait_for(lambda: notices(gw, "downloaded"), timeout=20)

    # Accessible, and usable at 320 px.
    narrow(browser)
    assert browser.execute_script("return document.documentElement.scrollWidth <= "
                                  "document.documentElement.clientWidth")
    steps.shot("message-320px")
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    problems = {"message": axe_problems(browser)}

    # Revoked by the operator: the page says so at once, the sender is told.
    r = securemail("pickup", "revoke", ref, "--config", gw.config_path, check=True)
    assert "content and key are deleted" in r.stdout.decode()
    browser.refresh()
    assert "The sender withdrew this message" in browser.page_source
    assert "The price" not in browser.page_source
    steps.shot("revoked")
    assert not (gw.data / "pickup" / "content" / ref).exists()
    assert wait_for(lambda: notices(gw, "revoked"), timeout=45), "told on the next sweep"
    assert token not in gw.log_text()
    # Every event is in the audit trail too.
    wanted = {"pickup.notified", "pickup.code-sent", "pickup.opened", "pickup.downloaded", "pickup.revoked"}
    assert wait_for(lambda: wanted <= audit_actions(gw), timeout=20), audit_actions(gw)
    browser.get(f"https://localhost:{gw.pickup_port}/about")
    problems["about"] = axe_problems(browser)
    if not AXE.exists():
        pytest.skip(f"axe-core is not installed at {AXE}; the pages were checked for width only")
    assert not any(problems.values()), problems


def test_wrong_codes_lock_the_message_and_tell_the_sender(pickup_gateway, sink):
    gw = pickup_gateway
    send_secure(gw)
    _, token = notified_token(gw, sink)
    status, headers, body = https(gw, "GET", "/p/" + token)
    cookie = headers["Set-Cookie"].split(";")[0]
    csrf = re.search(rb'name="csrf" value="([0-9a-f]+)"', body).group(1).decode()
    # A POST without the page's token changes nothing.
    assert https(gw, "POST", "/p/" + token, cookie=cookie, body={"csrf": "x"})[0] == 403
    assert len(mail_to(sink, "bob@example.org")) == 1
    assert https(gw, "POST", "/p/" + token, cookie=cookie, body={"csrf": csrf})[0] == 200
    assert wait_for(lambda: len(mail_to(sink, "bob@example.org")) == 2, timeout=30)
    for left in (4, 3, 2, 1):
        status, _, body = https(gw, "POST", f"/p/{token}/sign-in", cookie=cookie, body={"csrf": csrf, "code": "00000000"})
        assert status == 200 and f"{left} tr".encode() in body, body
    status, _, body = https(gw, "POST", f"/p/{token}/sign-in", cookie=cookie, body={"csrf": csrf, "code": "00000000"})
    assert status == 429 and b"Locked for now" in body
    assert wait_for(lambda: notices(gw, "locked"), timeout=20)
    assert "5 wrong sign-in codes" in notices(gw, "locked")[0]
    # An unknown link: a page, nothing else.
    assert https(gw, "GET", "/p/" + "A" * 43)[0] == 404
    assert token not in gw.log_text()


def sign_in_browser(gw, sink, browser, token):
    from selenium.webdriver.common.by import By
    browser.get(f"https://localhost:{gw.pickup_port}/p/{token}")
    click_through(browser, By.CSS_SELECTOR, "form button")
    assert wait_for(lambda: len(mail_to(sink, "bob@example.org")) == 2, timeout=30), gw.log_text()[-3000:]
    code_mail = mail_to(sink, "bob@example.org")[1]["data"].decode()
    fill(browser, code=re.search(r"is\r?\n\r?\n  (\d{4} \d{4})", code_mail).group(1))
    click_through(browser, By.XPATH, "//button[text()='Sign in']")
    assert "The price is 42 million." in browser.page_source


def test_the_recipient_replies_with_an_attachment(pickup_gateway, sink, browser, tmp_path):
    import email
    from email import policy
    from selenium.webdriver.common.by import By
    gw = pickup_gateway
    send_secure(gw)
    note, token = notified_token(gw, sink)
    ref = re.search(r"Reference: (P-[0-9A-Z-]{14})", note).group(1)
    sign_in_browser(gw, sink, browser, token)
    steps = Steps(browser, ARTEFACTS / "reply")
    before = len(mailbox(gw))
    cookie = "; ".join(f"{c['name']}={c['value']}" for c in browser.get_cookies())
    csrf = browser.find_element(By.CSS_SELECTOR, "form[action='/read/reply'] input[name=csrf]").get_attribute("value")
    # Too large for the page (100K) but not for the listener: the page says so; far too large: refused unread.
    status, body = post_multipart(gw, "/read/reply", cookie, {"csrf": csrf, "reply": "big"},
                                  {"attachment": ("big.bin", b"x" * 120_000)})
    assert status == 413 and b"Nothing was sent" in body, (status, body[:300])
    status, body = post_multipart(gw, "/read/reply", cookie, {"csrf": csrf, "reply": "huge"},
                                  {"attachment": ("huge.bin", b"x" * 400_000)})
    assert status == 413 and b"Reply too large" in body, (status, body[:300])
    # Only the reply may be that large: any other POST keeps a form's 16 KiB.
    status, _ = post_multipart(gw, f"/p/{token}/sign-in", cookie, {"csrf": csrf, "code": "1" * 40_000}, {})
    assert status == 413
    # Without the form's token: 403.
    status, _ = post_multipart(gw, "/read/reply", cookie, {"reply": "forged"}, {})
    assert status == 403

    # The form, at 320 px: no sideways scrolling.
    signed = tmp_path / "signed terms.pdf"
    signed.write_bytes(b"%PDF-1.4\nsigned by bob\n")
    fill(browser, reply="Thank you \u2014 the signed terms are attached.\nBob")
    browser.find_element(By.ID, "attachment").send_keys(str(signed))
    assert not browser.find_elements(By.ID, "all"), "reply-all is not offered under replies = \"sender\""
    narrow(browser)
    assert browser.execute_script("return document.documentElement.scrollWidth <= "
                                  "document.documentElement.clientWidth")
    browser.execute_script("document.getElementById('reply').scrollIntoView()")
    steps.shot("reply-form-320px")
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    problems = axe_problems(browser)
    click_through(browser, By.XPATH, "//button[text()='Send reply']")
    assert "Reply sent" in browser.page_source and "alice@b.example" in browser.page_source, browser.page_source
    steps.shot("reply-sent")

    # The reply in the sender's mailbox: from the recipient, in the thread, with the file.
    def reply():
        for raw in mailbox(gw):
            if f"X-SecureMail-Pickup-Reply: {ref}".encode() in raw:
                return email.message_from_bytes(raw, policy=policy.default)
    assert wait_for(reply, timeout=30), gw.log_text()[-3000:]
    m = reply()
    assert m["From"] == "bob@example.org" and m["To"] == "alice@b.example", (m["From"], m["To"])
    assert m["Subject"] == "Re: Merger terms"
    assert m["In-Reply-To"] == "<merger-terms.1@b.example>" and m["References"] == m["In-Reply-To"]
    assert "Thank you \u2014 the signed terms are attached." in m.get_body(("plain",)).get_content()
    files = [(p.get_filename(), p.get_content()) for p in m.iter_attachments()]
    assert files == [("signed terms.pdf", b"%PDF-1.4\nsigned by bob\n")], files
    assert len(mailbox(gw)) >= before + 1
    # The sender is told, once, and the audit trail has it.
    assert wait_for(lambda: notices(gw, "replied"), timeout=20)
    assert "The recipient replied from the pickup page (to alice@b.example with an attachment)" in notices(gw, "replied")[0]
    assert wait_for(lambda: "pickup.replied" in audit_actions(gw), timeout=20), audit_actions(gw)
    assert len(notices(gw, "replied")) == 1
    assert not [x for x in mailbox(gw) if b"big.bin" in x or b"huge.bin" in x or b"forged" in x]
    assert token not in gw.log_text()
    if AXE.exists():
        assert not problems, problems


def test_reply_all_holds_the_copy_for_an_outside_participant(gateway_factory, sink):
    """[pickup] replies = "all": bob signs in (over plain HTTPS, no browser)
    and replies to all; alice (ours) gets it in her mailbox, carol (outside)
    gets a new pickup notification for it, never the reply itself."""
    gw = start_pickup_gateway(gateway_factory, sink, 'replies = "all"\n')
    send_secure(gw, cc="carol@example.org")
    _, token = notified_token(gw, sink)
    assert wait_for(lambda: mail_to(sink, "carol@example.org"), timeout=30)
    status, headers, body = https(gw, "GET", "/p/" + token)
    cookie = headers["Set-Cookie"].split(";")[0]
    csrf = re.search(rb'name="csrf" value="([0-9a-f]+)"', body).group(1).decode()
    assert https(gw, "POST", "/p/" + token, cookie=cookie, body={"csrf": csrf})[0] == 200
    assert wait_for(lambda: len(mail_to(sink, "bob@example.org")) == 2, timeout=30)
    code = re.search(r"is\r?\n\r?\n  (\d{4}) (\d{4})", mail_to(sink, "bob@example.org")[1]["data"].decode())
    status, headers, _ = https(gw, "POST", f"/p/{token}/sign-in", cookie=cookie,
                               body={"csrf": csrf, "code": code.group(1) + code.group(2)})
    assert status == 303
    cookie = headers["Set-Cookie"].split(";")[0]
    status, _, body = https(gw, "GET", "/read", cookie=cookie)
    assert b'name="all" value="yes"' in body and b"also carol@example.org" in body, body
    csrf = re.search(rb'name="csrf" value="([0-9a-f]+)"', body).group(1).decode()
    status, body = post_multipart(gw, "/read/reply", cookie, {"csrf": csrf, "reply": "To you both.", "all": "yes"}, {})
    assert status == 200 and b"Reply sent" in body, body
    # Ours: delivered to the organisation. Carol: a second notification, from the gateway, not the reply.
    assert wait_for(lambda: [x for x in mailbox(gw) if b"To you both." in x], timeout=30), gw.log_text()[-3000:]
    assert wait_for(lambda: len(mail_to(sink, "carol@example.org")) == 2, timeout=30), gw.log_text()[-3000:]
    second = mail_to(sink, "carol@example.org")[1]["data"].decode()
    assert "bob@example.org sent you a secure message through the secure gateway of b.example." in second, second
    assert "To you both." not in second and LINK.search(second)
    assert not [m for m in sink.messages if b"To you both." in m["data"]], "never plain to an outside participant"


def run(*args):
    return subprocess.run(list(args), capture_output=True)


def test_the_pdf_option_opens_with_the_password_the_sender_got(pickup_gateway, sink, tmp_path):
    gw = pickup_gateway
    send_secure(gw, to="dave@example.org", subject="Grüße, Ελληνικά: merger terms")
    assert wait_for(lambda: mail_to(sink, "dave@example.org"), timeout=60), gw.log_text()[-3000:]
    assert len(mail_to(sink, "dave@example.org")) == 1, "the recipient gets the notification alone"
    raw = mail_to(sink, "dave@example.org")[0]["data"]
    note = email.message_from_bytes(raw, policy=email.policy.default)
    body = note.get_body(("plain",)).get_content()
    assert "attached as a PDF" in body and "The sender has the password" in body, body
    assert "price" not in body and "Merger" not in body and "Ελληνικά" not in body
    pdfs = [p for p in note.iter_attachments() if p.get_content_type() == "application/pdf"]
    assert len(pdfs) == 1 and re.fullmatch(r"secure-message-P-[0-9A-Z-]{14}\.pdf", pdfs[0].get_filename())
    pdf = tmp_path / pdfs[0].get_filename()
    pdf.write_bytes(pdfs[0].get_content())
    assert b"The price is 42" not in pdf.read_bytes()
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    (ARTEFACTS / "message-encrypted.pdf").write_bytes(pdf.read_bytes())  # for a look by hand

    def password_notice():
        folder = gw.data / "maildir" / "alice" / "new"
        texts = [p.read_text() for p in folder.iterdir()] if folder.exists() else []
        return [t for t in texts if "Subject: Password for the PDF" in t]
    assert wait_for(password_notice, timeout=30), "the sender is mailed the password"
    notice = password_notice()[0]
    assert "by phone or another channel" in notice and "Content-Type: application/pdf" not in notice
    password = re.search(r"\n  ([2-9A-Z]{4}(?:-[2-9A-Z]{4}){3})\r?\n", notice).group(1)
    assert password.encode() not in raw, "never in the mail with the PDF"

    # Without the password nothing opens it; with it qpdf decrypts it and the text is the message's.
    assert run("qpdf", "--decrypt", str(pdf), str(tmp_path / "none.pdf")).returncode != 0
    assert run("qpdf", "--password=WRONG-WRONG-WRONG", "--decrypt", str(pdf), str(tmp_path / "bad.pdf")).returncode != 0
    assert run("pdftotext", str(pdf), "-").returncode != 0
    shown = run("qpdf", "--show-encryption", f"--password={password}", str(pdf)).stdout.decode()
    assert "R = 6" in shown and "AESv3" in shown, shown
    assert run("qpdf", f"--password={password}", "--decrypt", str(pdf), str(tmp_path / "open.pdf")).returncode == 0
    (ARTEFACTS / "message-decrypted.pdf").write_bytes((tmp_path / "open.pdf").read_bytes())
    text = run("pdftotext", "-upw", password, str(pdf), "-").stdout.decode()
    assert "The price is 42 million." in text and "Grüße, Ελληνικά: merger terms" in text, text
    assert "terms.pdf" in text, "the attachment is named in the header block"
    assert run("qpdf", f"--password={password}", "--show-attachment=terms.pdf", str(pdf)).stdout == \
        b"%PDF-1.4\nterm sheet\n"

    # The page still works for the same message; the password is nowhere in the log.
    token = LINK.search(body).group(1)
    assert https(gw, "GET", "/p/" + token)[0] == 200
    assert password not in gw.log_text()
    assert wait_for(lambda: "pickup.pdf" in audit_actions(gw), timeout=20), audit_actions(gw)
