"""Returning recipients' accounts for secure pickup (issue 18), on a real
gateway in headless Chromium. Bob signs in to a first message with a mailed
code and keeps an account: the page shows the authenticator secret (QR and
text), he confirms it with a TOTP code and a password, and is mailed that an
account was made. A second message's link then asks for password and code
instead of mailing one; the sender hears it was opened "with their
account". He asks for a reset link: scanner GETs change nothing, the
browser sets a new password and app, the link then is gone, the old
password fails and the new one opens the message. `securemail pickup
accounts` lists him, `pickup forget` removes him (audited), and the link
mails a code again. The reset token never reaches the log. Pages are
checked at 320 px and with axe-core (when installed); screenshots go to
tests/e2e/artefacts/pickup/accounts/."""
import base64
import hashlib
import hmac
import re
import struct
import time

import pytest

from conftest import securemail, wait_for
from test_console import axe_problems, narrow, AXE
from test_pickup import (ARTEFACTS, audit_actions, https, mail_to, notified_token, notices, pickup_gateway,  # noqa: F401
                         send_secure, sign_in_browser)
from test_selfservice import Steps, browser, click_through, fill  # noqa: F401 (fixtures)

RESET = re.compile(r"https://localhost:\d+(/reset/[A-Za-z0-9_-]{43})")


def totp(secret, step):
    """RFC 6238 with SHA-1 and six digits, as an authenticator app computes it."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000)


def step_now():
    return int(time.time()) // 30


def mails_about(sink, words):
    return [m["data"].decode(errors="replace") for m in mail_to(sink, "bob@example.org")
            if words in m["data"].decode(errors="replace")]


def test_a_returning_recipient_keeps_an_account_resets_it_and_the_operator_removes_it(pickup_gateway, sink, browser):
    from selenium.webdriver.common.by import By
    gw = pickup_gateway
    steps = Steps(browser, ARTEFACTS / "accounts")
    problems = {}
    send_secure(gw)
    _, first = notified_token(gw, sink)
    sign_in_browser(gw, sink, browser, first)
    click_through(browser, By.LINK_TEXT, "keep an account for next time")
    assert "Keep an account for next time" in browser.page_source
    secret = browser.find_element(By.ID, "totp-secret").text
    assert browser.find_element(By.CSS_SELECTOR, "img.qr").get_attribute("src").startswith("data:image/png;base64,")
    steps.shot("enrol")
    problems["enrol"] = axe_problems(browser)
    narrow(browser)
    assert browser.execute_script("return document.documentElement.scrollWidth <= "
                                  "document.documentElement.clientWidth")
    steps.shot("enrol-320px")
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    # A wrong code makes nothing; the right one makes the account.
    fill(browser, password="correct horse battery", repeat="correct horse battery", code="000000")
    click_through(browser, By.XPATH, "//button[text()='Create my account']")
    assert "not the app" in browser.page_source
    fill(browser, password="correct horse battery", repeat="correct horse battery", code=totp(secret, step_now()))
    click_through(browser, By.XPATH, "//button[text()='Create my account']")
    assert "Remove my account" in browser.page_source and "The price is 42 million." in browser.page_source
    assert wait_for(lambda: mails_about(sink, "was created"), timeout=30)
    click_through(browser, By.XPATH, "//button[text()='Sign out']")

    # The next message: password and app, no code mailed.
    send_secure(gw, subject="Second terms")
    assert wait_for(lambda: len(mail_to(sink, "bob@example.org")) >= 4, timeout=30)
    link = [t for t in re.findall(r"https://localhost:\d+/p/([A-Za-z0-9_-]{43})",
                                  mail_to(sink, "bob@example.org")[-1]["data"].decode())][0]
    assert link != first
    mails_before = len(mail_to(sink, "bob@example.org"))
    browser.get(f"https://localhost:{gw.pickup_port}/p/{link}")
    assert "Email me a sign-in code" not in browser.page_source and "Email me a reset link" in browser.page_source
    steps.shot("password-sign-in")
    problems["password"] = axe_problems(browser)
    fill(browser, password="correct horse battery", code=totp(secret, step_now() + 1))
    click_through(browser, By.XPATH, "//button[text()='Sign in']")
    assert "The price is 42 million." in browser.page_source, browser.page_source[:2000]
    assert len(mail_to(sink, "bob@example.org")) == mails_before
    assert wait_for(lambda: [n for n in notices(gw, "opened") if "with their account" in n], timeout=30)
    click_through(browser, By.XPATH, "//button[text()='Sign out']")

    # Lost phone: a reset link, once.
    browser.get(f"https://localhost:{gw.pickup_port}/p/{link}")
    click_through(browser, By.XPATH, "//button[text()='Email me a reset link']")
    assert "We sent a reset link" in browser.page_source
    assert wait_for(lambda: mails_about(sink, "/reset/"), timeout=30)
    reset = RESET.search(mails_about(sink, "/reset/")[0]).group(1)
    for method in ("GET", "GET", "HEAD"):
        assert https(gw, method, reset)[0] == 200
    browser.get(f"https://localhost:{gw.pickup_port}{reset}")
    assert "Reset your account" in browser.page_source
    new_secret = browser.find_element(By.ID, "totp-secret").text
    assert new_secret != secret
    steps.shot("reset")
    problems["reset"] = axe_problems(browser)
    fill(browser, password="staple horse correct", repeat="staple horse correct", code=totp(new_secret, step_now()))
    click_through(browser, By.XPATH, "//button[text()='Reset my account']")
    assert "Account reset" in browser.page_source
    steps.shot("reset-done")
    assert wait_for(lambda: mails_about(sink, "were replaced through a reset link"), timeout=30)
    assert https(gw, "GET", reset)[0] == 410
    browser.get(f"https://localhost:{gw.pickup_port}/p/{link}")
    fill(browser, password="correct horse battery", code=totp(secret, step_now() + 1))
    click_through(browser, By.XPATH, "//button[text()='Sign in']")
    assert "not right" in browser.page_source
    fill(browser, password="staple horse correct", code=totp(new_secret, step_now() + 1))
    click_through(browser, By.XPATH, "//button[text()='Sign in']")
    assert "The price is 42 million." in browser.page_source
    assert reset.rsplit("/", 1)[1] not in gw.log_text() and "/reset/\u2026" in gw.log_text()

    # The operator lists and removes it; the link mails a code again.
    listed = securemail("pickup", "accounts", "--config", gw.config_path, check=True).stdout.decode()
    assert re.search(r"active\s+bob@example.org", listed), listed
    r = securemail("pickup", "forget", "bob@example.org", "--config", gw.config_path, check=True)
    assert "Removed the account of bob@example.org" in r.stdout.decode()
    assert securemail("pickup", "forget", "bob@example.org", "--config", gw.config_path).returncode == 1
    assert wait_for(lambda: "pickup.account" in audit_actions(gw), timeout=20)
    browser.get(f"https://localhost:{gw.pickup_port}/p/{link}")
    assert "Email me a sign-in code" in browser.page_source
    if not AXE.exists():
        pytest.skip(f"axe-core is not installed at {AXE}; the pages were checked for width only")
    assert not any(problems.values()), problems
