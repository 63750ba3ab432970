"""The self-service page ([listen] web) as a mailbox holder uses it, in
headless Chromium (Debian's chromium and chromedriver through selenium):
sign in with the password alone, enrol an authenticator app (the secret is
read from the page and the codes come from the real `oathtool`), see a
wrong code refused, sign out, sign in with password and code, create a
device password and revoke it. Screenshots of every step go to
tests/e2e/artefacts/selfservice/. By keyboard alone (Tab, Shift+Tab,
Enter; screenshots in tests/e2e/artefacts/selfservice/keyboard/): focus
moves through every field and button in page order with a visible focus
ring, and a holder signs in, enrols TOTP, creates a device password and
acknowledges being the mailbox's sole user.
Then, without a browser: the security
headers and cookie, CSRF refusals, session renewal at sign-in, and no
secret in the gateway log."""
import datetime
import http.client
import json
import re
import shutil
import ssl
import subprocess
import time
import urllib.parse
from pathlib import Path

import pytest

from conftest import BIN

ARTEFACTS = Path(__file__).parent / "artefacts" / "selfservice"
PASSWORD = "correct horse battery"
CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; "
       "frame-ancestors 'none'")


@pytest.fixture
def web_gateway(gateway_factory):
    gw = gateway_factory()
    gw.write_config('[listen]\nrelay = "127.0.0.1:0"\nweb = "127.0.0.1:0"\n')
    pw = gw.dir / "alice.pw"
    pw.write_text(PASSWORD + "\n")
    r = subprocess.run([BIN, "user", "add", "alice", "--address", "alice@b.example", "--address",
                        "a.smith@b.example", "--password-file", str(pw), "--config", str(gw.config_path)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    gw.start()
    return gw


def totp(secret, offset=0):
    """The code `oathtool` computes for now + offset seconds."""
    at = "@%d" % int(time.time() + offset)
    return subprocess.run(["oathtool", "--totp", "-b", "-N", at, secret], capture_output=True, text=True,
                          check=True).stdout.strip()


# --- in the browser ---------------------------------------------------------

@pytest.fixture
def browser(tmp_path):
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        pytest.skip("chromium and chromium-driver are not installed (scripts/install-deps.sh)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--ignore-certificate-errors", "--window-size=420,1100", f"--user-data-dir={tmp_path / 'chromium'}"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


class Steps:
    """Screenshots numbered in the order taken."""

    def __init__(self, driver, folder=ARTEFACTS):
        self.driver = driver
        self.folder = folder
        self.n = 0
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.png"):
            old.unlink()

    def shot(self, name):
        self.n += 1
        path = self.folder / f"{self.n:02d}-{name}.png"
        height = self.driver.execute_script("return document.documentElement.scrollHeight")
        width = self.driver.get_window_size()["width"]
        self.driver.set_window_size(width, max(600, min(height + 150, 4000)))
        self.driver.save_screenshot(str(path))
        return path


def fill(driver, **fields):
    from selenium.webdriver.common.by import By
    for name, value in fields.items():
        box = driver.find_element(By.ID, name)
        box.clear()
        box.send_keys(value)


def click_through(driver, by, what):
    """Click and wait for the page that answers: the old page gone stale,
    the new one loaded (a throttled refusal is answered late, and a loaded
    machine renders slowly)."""
    after_next_page(driver, lambda: driver.find_element(by, what).click())


def after_next_page(driver, act):
    """Do act (a click, an Enter) and wait until the page it leads to has
    replaced this one and finished loading. The old document is marked and
    the wait is for a document without the mark: a stale-element check
    races the navigation, and Chromium then reports "Node with given id
    does not belong to the document" instead of a stale element. Errors
    while the page is changing are retried; a page that never comes is a
    timeout."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait
    driver.execute_script("document.documentElement.dataset.smLeaving = '1'")
    act()
    WebDriverWait(driver, 30, ignored_exceptions=(WebDriverException,)).until(
        lambda d: d.execute_script(
            "return document.documentElement.dataset.smLeaving !== '1' && document.readyState === 'complete'"))


def press(driver, label):
    from selenium.webdriver.common.by import By
    click_through(driver, By.XPATH, f'//button[normalize-space()="{label}"]')


def text_of(driver, element_id):
    """The element's text, waiting for it: a refused sign-in past [auth]
    delay_after is answered late (the throttle), and a loaded machine is
    slow to render."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait
    return WebDriverWait(driver, 30).until(expected_conditions.presence_of_element_located((By.ID, element_id))).text


def body(driver):
    from selenium.webdriver.common.by import By
    return driver.find_element(By.TAG_NAME, "body").text


def test_holder_enrols_totp_and_manages_a_device_password(web_gateway, browser):
    from selenium.webdriver.common.by import By
    host, port = web_gateway.addr("web")
    base = f"https://{host}:{port}/"
    steps = Steps(browser)
    print(f"\nscreenshots: {ARTEFACTS}")

    browser.get(base)
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    for box in browser.find_elements(By.CSS_SELECTOR, "input:not([type=hidden])"):
        assert browser.find_elements(By.CSS_SELECTOR, f'label[for="{box.get_attribute("id")}"]'), box
    steps.shot("sign-in")

    # Password alone: a weak session that may enrol TOTP but not create device passwords.
    fill(browser, account="alice", password=PASSWORD)
    press(browser, "Sign in")
    assert "Signed in as alice (password only)" in body(browser)
    assert "alice@b.example (primary)" in body(browser) and "a.smith@b.example" in body(browser)
    assert not browser.find_elements(By.ID, "device")
    steps.shot("account-weak")

    press(browser, "Set up an authenticator app")
    secret = text_of(browser, "totp-secret")
    assert re.fullmatch(r"[A-Z2-7]{32}", secret), secret
    qr = browser.find_element(By.CSS_SELECTOR, "img.qr")
    assert qr.get_attribute("src").startswith("data:image/png;base64,")
    assert browser.execute_script("return arguments[0].naturalWidth > 0", qr)
    steps.shot("totp-enrol")

    # A wrong code is refused, the error tied to the field.
    near = {totp(secret, d) for d in (-30, 0, 30)}
    wrong = next(c for c in ("000000", "111111", "222222", "333333") if c not in near)
    fill(browser, password=PASSWORD, code=wrong)
    press(browser, "Confirm")
    error = text_of(browser, "code-error")
    assert "not right" in error
    assert "code-error" in browser.find_element(By.ID, "code").get_attribute("aria-describedby")
    steps.shot("totp-wrong-code")

    fill(browser, password=PASSWORD, code=totp(secret))
    press(browser, "Confirm")
    codes = [li.text for li in browser.find_elements(By.CSS_SELECTOR, "#recovery-codes li")]
    assert len(codes) == 10 and all(re.fullmatch(r"[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}", c) for c in codes), codes
    steps.shot("recovery-codes")

    click_through(browser, By.LINK_TEXT, "Back to your mailbox")
    assert "Signed in as alice (strong sign-in)" in body(browser)
    assert "Recovery codes left: 10" in body(browser)
    press(browser, "Sign out")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Sign in"
    steps.shot("signed-out")

    # Now the password alone, or with a wrong code, is refused.
    fill(browser, account="alice", password=PASSWORD)
    press(browser, "Sign in")
    assert "not right" in text_of(browser, "password-error")
    fill(browser, account="alice", password=PASSWORD, code=wrong)
    press(browser, "Sign in")
    assert "not right" in text_of(browser, "password-error")
    steps.shot("sign-in-wrong-code")

    # The next step's code (the current one was spent on confirming).
    fill(browser, account="alice", password=PASSWORD, code=totp(secret, 30))
    press(browser, "Sign in")
    assert "Signed in as alice (strong sign-in)" in body(browser)
    steps.shot("account-strong")

    fill(browser, device="phone")
    press(browser, "Create device password")
    device_password = text_of(browser, "device-password")
    assert re.fullmatch(r"[a-z]{4}(-[a-z]{4}){6}", device_password), device_password
    steps.shot("device-created")

    click_through(browser, By.LINK_TEXT, "Back to your mailbox")
    assert device_password not in browser.page_source
    row = browser.find_element(By.XPATH, '//td[starts-with(normalize-space(), "phone")]/..')
    assert "never" in row.text
    steps.shot("device-listed")

    press(browser, "Revoke phone")
    assert "The device password for phone is revoked." in body(browser)
    assert not browser.find_elements(By.XPATH, '//td[starts-with(normalize-space(), "phone")]')
    steps.shot("device-revoked")

    # 320 px wide: nothing sticks out sideways.
    browser.set_window_size(320, 1100)
    assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    steps.shot("account-320px")

    log = web_gateway.log_text()
    for secret_text in (PASSWORD, secret, device_password, *codes):
        assert secret_text not in log


# --- by keyboard alone -------------------------------------------------------

# What may take the focus, in page order (what Tab must follow).
FOCUSABLE = "a[href], button, input:not([type=hidden]), select, textarea, [tabindex]"


def focused(driver):
    """The focused element as "tag#id" or "tag:text", whether it shows
    :focus-visible, and its computed outline."""
    return driver.execute_script("""
        const e = document.activeElement;
        const name = e.id ? e.tagName.toLowerCase() + '#' + e.id : e.tagName.toLowerCase() + ':' + e.textContent.trim();
        const css = getComputedStyle(e);
        return [name, e.matches(':focus-visible'), css.outlineStyle + ' ' + css.outlineWidth];""")


def page_order(driver):
    return driver.execute_script("""
        return [...document.querySelectorAll(arguments[0])].map(e =>
            e.id ? e.tagName.toLowerCase() + '#' + e.id : e.tagName.toLowerCase() + ':' + e.textContent.trim());""",
                                 FOCUSABLE)


def keys(driver, *sequence):
    """Keys to whatever has the focus (never a click)."""
    from selenium.webdriver.common.action_chains import ActionChains
    chain = ActionChains(driver)
    for k in sequence:
        chain.send_keys(k)
    chain.perform()


def shift_tab(driver):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys
    ActionChains(driver).key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT).perform()


def tab_through(driver):
    """On a page just loaded (nothing focused yet): Tab through every
    focusable element. Each must take the focus in page order and show the
    focus ring (the :focus-visible outline). Returns the order; the focus
    is left on the last."""
    from selenium.webdriver.common.keys import Keys
    assert driver.execute_script("return document.activeElement === document.body")
    expected = page_order(driver)
    assert expected, driver.page_source
    seen = []
    for _ in expected:
        keys(driver, Keys.TAB)
        name, visible, outline = focused(driver)
        assert visible and outline == "solid 3px", (name, visible, outline)
        seen.append(name)
    assert seen == expected
    return seen


def move_to(driver, order, name):
    """Tab or Shift+Tab from the focused element to `name` (both in `order`),
    checking each step lands where the order says."""
    from selenium.webdriver.common.keys import Keys
    here = order.index(focused(driver)[0])
    there = order.index(name)
    while here != there:
        if there > here:
            keys(driver, Keys.TAB)
            here += 1
        else:
            shift_tab(driver)
            here -= 1
        assert focused(driver)[0] == order[here], (focused(driver), order[here])


def enter_and_wait(driver):
    """Enter on the focused element, then wait for the page that answers."""
    from selenium.webdriver.common.keys import Keys
    after_next_page(driver, lambda: keys(driver, Keys.ENTER))


def test_holder_signs_in_and_enrols_totp_by_keyboard_alone(web_gateway, browser):
    from selenium.webdriver.common.keys import Keys
    host, port = web_gateway.addr("web")
    steps = Steps(browser, ARTEFACTS / "keyboard")
    print(f"\nscreenshots: {steps.folder}")
    browser.get(f"https://{host}:{port}/")

    order = tab_through(browser)
    assert order == ["input#account", "input#password", "input#code", "button:Sign in"]
    # Typing into the fields in turn; Enter in the last one submits the form.
    move_to(browser, order, "input#account")
    keys(browser, "alice", Keys.TAB, PASSWORD, Keys.TAB)
    assert focused(browser)[0] == "input#code"
    steps.shot("sign-in-code-focused")
    enter_and_wait(browser)
    assert "Signed in as alice (password only)" in body(browser)

    order = tab_through(browser)
    assert order == ["button:Sign out", "button:Set up an authenticator app", "input#current", "input#new",
                     "input#repeat", "button:Change password"], order
    move_to(browser, order, "button:Set up an authenticator app")
    steps.shot("account-enrol-focused")
    enter_and_wait(browser)

    secret = text_of(browser, "totp-secret")
    order = tab_through(browser)
    assert order == ["input#password", "input#code", "button:Confirm", "button:Cancel"]
    move_to(browser, order, "input#password")
    keys(browser, PASSWORD, Keys.TAB, totp(secret))
    steps.shot("totp-code-typed")
    enter_and_wait(browser)
    assert len(browser.find_elements("css selector", "#recovery-codes li")) == 10
    assert tab_through(browser) == ["a:Back to your mailbox"]
    steps.shot("recovery-codes-link-focused")
    enter_and_wait(browser)  # Enter follows a focused link

    assert "Signed in as alice (strong sign-in)" in body(browser)
    order = tab_through(browser)
    assert order == ["button:Sign out", "input#device", "button:Create device password", "input#current",
                     "input#code", "input#new", "input#repeat", "button:Change password",
                     "button:I am the only user of this mailbox"], order
    move_to(browser, order, "input#device")
    keys(browser, "laptop")
    steps.shot("device-name-typed")
    enter_and_wait(browser)
    assert re.fullmatch(r"[a-z]{4}(-[a-z]{4}){6}", text_of(browser, "device-password"))
    steps.shot("device-created")
    assert tab_through(browser) == ["a:Back to your mailbox"]
    enter_and_wait(browser)

    # Sole use, acknowledged by the holder (strong session): recorded as set
    # by the account itself, with the time, and shown.
    before = int(time.time())
    order = tab_through(browser)
    move_to(browser, order, "button:I am the only user of this mailbox")
    steps.shot("sole-user-focused")
    enter_and_wait(browser)
    assert "Recorded: you are the only user of this mailbox." in body(browser)
    assert re.search(r"Sole user\s+yes, set by self-service:alice on \d{4}-", body(browser)), body(browser)
    steps.shot("sole-user-recorded")
    shown = subprocess.run([BIN, "user", "show", "alice", "--json", "--config", str(web_gateway.config_path)],
                           capture_output=True, text=True, timeout=60, check=True).stdout
    flag = json.loads(shown)["assurance"]["sole_user"]
    at = datetime.datetime.fromisoformat(flag["at"].replace("Z", "+00:00")).timestamp()
    assert flag["set"] and flag["by"] == "self-service:alice" and before - 1 <= at <= time.time() + 1, flag


# --- without a browser ------------------------------------------------------

class Client:
    """HTTPS to the web listener, keeping the session cookie like a browser."""

    def __init__(self, gw):
        self.host, self.port = gw.addr("web")
        self.cookie = None

    def request(self, method, path, form=None, cookie=True):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        conn = http.client.HTTPSConnection(self.host, self.port, context=ctx, timeout=30)
        headers = {}
        data = None
        if form is not None:
            data = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if cookie and self.cookie:
            headers["Cookie"] = self.cookie
        conn.request(method, path, body=data, headers=headers)
        resp = conn.getresponse()
        text = resp.read().decode()
        conn.close()
        set_cookie = resp.getheader("Set-Cookie")
        if set_cookie:
            self.cookie = set_cookie.split(";", 1)[0]
        return resp, text

    def csrf(self):
        resp, page = self.request("GET", "/")
        return re.search(r'name="csrf" value="([0-9a-f]{64})"', page).group(1)


def test_headers_cookie_and_csrf(web_gateway):
    c = Client(web_gateway)
    resp, page = c.request("GET", "/")
    assert resp.status == 200
    assert resp.getheader("Cache-Control") == "no-store"
    assert resp.getheader("Strict-Transport-Security").startswith("max-age=")
    assert resp.getheader("Content-Security-Policy") == CSP
    assert resp.getheader("Referrer-Policy") == "no-referrer"
    assert resp.getheader("X-Content-Type-Options") == "nosniff"
    cookie = resp.getheader("Set-Cookie")
    name, value = cookie.split(";", 1)[0].split("=", 1)
    assert name == "__Host-securemail-session" and re.fullmatch(r"[0-9a-f]{64}", value)
    for attr in ("Path=/", "Secure", "HttpOnly", "SameSite=Strict"):
        assert attr in cookie
    assert "<script" not in page and 'lang="en"' in page
    token = re.search(r'name="csrf" value="([0-9a-f]{64})"', page).group(1)

    good = {"account": "alice", "password": PASSWORD, "code": ""}
    # No token, a wrong token, or no session: refused before any password is checked.
    for form, with_cookie in ((good, True), ({**good, "csrf": "0" * 64}, True), ({**good, "csrf": token}, False)):
        resp, page = c.request("POST", "/signin", form, cookie=with_cookie)
        assert resp.status == 403, page
        assert "Form expired" in page and resp.getheader("Content-Security-Policy") == CSP
    # Form fields in the URL are never read.
    resp, _ = c.request("POST", "/signin?" + urllib.parse.urlencode({**good, "csrf": token}), {})
    assert resp.status == 403

    resp, page = c.request("POST", "/signin", {**good, "password": "wrong password"} | {"csrf": token})
    assert resp.status == 401 and "The account, password or code is not right." in page
    resp, page = c.request("POST", "/signin", {"account": "nobody", "password": PASSWORD, "code": "", "csrf": token})
    assert resp.status == 401 and "The account, password or code is not right." in page

    before = c.cookie
    resp, _ = c.request("POST", "/signin", {**good, "csrf": token})
    assert resp.status == 303 and resp.getheader("Location") == "/"
    assert c.cookie != before, "signing in must give a new session id"
    resp, page = c.request("GET", "/")
    assert "Signed in as <strong>alice</strong>" in page
    assert 'id="device"' not in page  # weak session: no device passwords
    new_token = re.search(r'name="csrf" value="([0-9a-f]{64})"', page).group(1)
    assert new_token != token

    # The old session is gone; a weak session cannot create a device password.
    old = Client(web_gateway)
    old.cookie = before
    resp, _ = old.request("POST", "/signout", {"csrf": token})
    assert resp.status == 403
    resp, page = c.request("POST", "/devices", {"csrf": new_token, "device": "laptop"})
    assert resp.status == 403 and "Strong sign-in needed" in page

    # Changing the password: the new one twice, the current one checked.
    resp, page = c.request("POST", "/password", {"csrf": new_token, "current": PASSWORD, "new": "short",
                                                "repeat": "short"})
    assert resp.status == 422 and 'id="new-error"' in page and 'aria-describedby="new-hint new-error"' in page
    resp, page = c.request("POST", "/password", {"csrf": new_token, "current": "not it at all", "new": "a new password 1",
                                                "repeat": "a new password 1"})
    assert resp.status == 422 and 'id="current-error"' in page
    resp, _ = c.request("POST", "/password", {"csrf": new_token, "current": PASSWORD, "new": "a new password 1",
                                             "repeat": "a new password 1"})
    assert resp.status == 303
    resp, page = c.request("GET", "/")
    assert "Your password is changed." in page

    fresh = Client(web_gateway)
    t = fresh.csrf()
    resp, _ = fresh.request("POST", "/signin", {"account": "alice", "password": "a new password 1", "code": "", "csrf": t})
    assert resp.status == 303

    log = web_gateway.log_text()
    assert "selfservice: alice signed in from 127.0.0.1 (password)" in log
    assert "selfservice: failed sign-in for alice from 127.0.0.1" in log
    for secret_text in (PASSWORD, "a new password 1", "wrong password", "not it at all"):
        assert secret_text not in log
    assert token not in log and new_token not in log and before.split("=", 1)[1] not in log
