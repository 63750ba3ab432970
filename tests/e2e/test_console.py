"""The operators' web console (/console on the admin listener) on a real gateway, in
headless Chromium (Debian's chromium and chromedriver through selenium):
an account made with `securemail user add` + `user totp enrol` and granted
with `securemail admin console grant` signs in with the keyboard only
(password + a code from the real `oathtool`), sees the overview with the
certificate-expiring alert (the [tls] certificate expires in 5 days), holds
and releases a message queued to an unreachable route in the queue
browser, and sees both actions in the audit trail. Screenshots of every
page go to tests/e2e/artifacts/console/. axe-core (installed by
scripts/install-deps.sh) finds no serious or critical violation on any
page, which also fit 320 px. Then, without a browser: the security headers
and cookie, CSRF refusals, the grant CLI and its refusals, and a revoked
grant ending an open session."""
import http.client
import re
import subprocess
import time
import urllib.parse
from pathlib import Path

import pytest

from conftest import BIN, securemail, wait_for
from test_durability import closed_port, send
from test_selfservice import after_next_page, browser, click_through, fill, press, text_of, totp  # noqa: F401 (browser: a fixture)

ARTIFACTS = Path(__file__).parent / "artifacts" / "console"
AXE = Path("/usr/local/lib/securemail-test/node_modules/axe-core/axe.min.js")
PASSWORD = "correct horse battery"
PAGES = ["/", "/queue", "/directory", "/receipts", "/keys", "/audit"]


def console_url(gw, path="/"):
    host, port = gw.addr("admin")
    return f"http://{host}:{port}/console{path}"


def admin_console(gw, *args):
    return securemail("admin", "console", *args, "--config", str(gw.config_path))


@pytest.fixture
def console_gateway(gateway_factory):
    gw = gateway_factory()
    gw.dir.mkdir(parents=True, exist_ok=True)
    cert, key = gw.dir / "tls.pem", gw.dir / "tls.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-days", "5", "-subj", "/CN=gw.b.example", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    key.chmod(0o600)
    gw.write_config(
        '[listen]\nrelay = "127.0.0.1:0"\nadmin = "127.0.0.1:0"\n'
        f'[tls]\ncert = "{cert}"\nkey = "{key}"\n'
        f'[routes]\ndefault = "smtp://127.0.0.1:{closed_port()}"\n'
        '[queue]\nlifetime = "1h"\nmin_backoff = "10m"\nmax_backoff = "20m"\n')
    pw = gw.dir / "alice.pw"
    pw.write_text(PASSWORD + "\n")
    r = subprocess.run([BIN, "user", "add", "alice", "--address", "alice@b.example", "--password-file", str(pw),
                        "--config", str(gw.config_path)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    r = subprocess.run([BIN, "user", "totp", "enrol", "alice", "--config", str(gw.config_path)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    gw.totp_secret = re.search(r"secret=([A-Z2-7]{32})", r.stdout).group(1)
    r = admin_console(gw, "grant", "alice")
    assert r.returncode == 0, r.stderr
    gw.start()
    return gw


def shot(driver, name, n=[0]):
    """Screenshots numbered in the order taken, full page height."""
    n[0] += 1
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(driver.get_window_size()["width"], max(600, min(height + 150, 4000)))
    driver.save_screenshot(str(ARTIFACTS / f"{n[0]:02d}-{name}.png"))


def keys(driver, *typed):
    """Key presses to whatever has the focus, as a keyboard would send them."""
    from selenium.webdriver.common.action_chains import ActionChains
    ActionChains(driver).send_keys(*typed).perform()


def focused(driver, attribute="id"):
    return driver.switch_to.active_element.get_attribute(attribute)


def sign_in_with_keyboard(driver, url, secret, offset=0):
    """Tab from the top of the page through the skip link to the fields,
    type, and submit with Enter; the skip link shows a focus ring."""
    from selenium.webdriver.common.keys import Keys
    driver.get(url)
    keys(driver, Keys.TAB)
    assert driver.switch_to.active_element.text == "Skip to main content"
    assert driver.execute_script("return getComputedStyle(document.activeElement).outlineStyle") != "none"
    keys(driver, Keys.TAB)
    assert focused(driver) == "account"
    keys(driver, "alice", Keys.TAB)
    assert focused(driver) == "password"
    keys(driver, PASSWORD, Keys.TAB)
    assert focused(driver) == "code"
    after_next_page(driver, lambda: keys(driver, totp(secret, offset), Keys.ENTER))


def test_operator_signs_in_sees_an_alert_and_holds_and_releases(console_gateway, browser):
    from selenium.webdriver.common.by import By
    gw = console_gateway
    for old in ARTIFACTS.glob("*.png") if ARTIFACTS.exists() else []:
        old.unlink()
    print(f"\nscreenshots: {ARTIFACTS}")
    send(gw, "alice@b.example", ["x@c.example"], "console-1")
    assert wait_for(lambda: len(gw.queue_ids()) == 1, timeout=10)
    qid = gw.queue_ids()[0]

    browser.get(console_url(gw))
    for box in browser.find_elements(By.CSS_SELECTOR, "input:not([type=hidden])"):
        assert browser.find_elements(By.CSS_SELECTOR, f'label[for="{box.get_attribute("id")}"]'), box
    shot(browser, "sign-in")
    sign_in_with_keyboard(browser, console_url(gw), gw.totp_secret)

    # Overview: one h1, landmarks, the alert from the 5-day certificate.
    assert [h.text for h in browser.find_elements(By.TAG_NAME, "h1")] == ["Overview"]
    for landmark in ("header", "nav", "main"):
        assert len(browser.find_elements(By.TAG_NAME, landmark)) == 1, landmark
    alert = browser.find_element(By.CSS_SELECTOR, '[data-alert="certificate-expiring"]')
    assert "expires in 4 days" in alert.text or "expires in 5 days" in alert.text, alert.text
    assert "Signed in as alice" in browser.find_element(By.TAG_NAME, "header").text
    shot(browser, "overview")

    # The queue browser: the list, the message, hold, release.
    click_through(browser, By.LINK_TEXT, "Queue")
    assert qid in browser.find_element(By.TAG_NAME, "table").text
    shot(browser, "queue")
    click_through(browser, By.LINK_TEXT, qid)
    assert "x@c.example" in browser.find_element(By.TAG_NAME, "main").text
    shot(browser, "message")
    press(browser, "Hold")
    status = browser.find_element(By.CSS_SELECTOR, '[role="status"]').text
    assert status == f"Message {qid}: hold done.", status
    assert "held (operator)" in browser.find_element(By.TAG_NAME, "main").text
    assert wait_for(lambda: "(held)" in gw.queue("show", qid).stdout)
    shot(browser, "message-held")
    press(browser, "Release")
    status = browser.find_element(By.CSS_SELECTOR, '[role="status"]').text
    assert status == f"Message {qid}: release done.", status
    assert "held (operator)" not in browser.find_element(By.TAG_NAME, "main").text
    shot(browser, "message-released")

    # The other pages; the audit trail names the actor and both actions.
    for path, name in (("/directory", "directory"), ("/receipts", "receipts"), ("/keys", "keys")):
        browser.get(console_url(gw, path))
        assert len(browser.find_elements(By.TAG_NAME, "h1")) == 1
        shot(browser, name)
    assert "presented on the TLS listeners" in browser.find_element(By.TAG_NAME, "main").text
    browser.get(console_url(gw, "/audit"))
    audit = browser.find_element(By.TAG_NAME, "main").text
    assert "the chain is intact" in audit
    assert "queue.hold" in audit and "queue.release" in audit and "console:alice" in audit
    shot(browser, "audit")
    log = gw.log_text()
    assert f"console: alice did queue hold {qid}" in log
    assert f"console: alice did queue release {qid}" in log
    assert PASSWORD not in log and gw.totp_secret not in log

    # Delete asks first, on a page of its own; only its button deletes.
    browser.get(console_url(gw, "/queue/" + qid))
    click_through(browser, By.PARTIAL_LINK_TEXT, "Delete this message")
    assert browser.find_element(By.TAG_NAME, "h1").text == f"Delete message {qid}?"
    assert "no bounce goes to the sender" in browser.find_element(By.TAG_NAME, "main").text
    assert gw.queue_ids() == [qid]
    shot(browser, "delete-confirm")
    press(browser, f"Delete message {qid}")
    status = browser.find_element(By.CSS_SELECTOR, '[role="status"]').text
    assert status == f"Message {qid}: delete done.", status
    assert wait_for(lambda: gw.queue_ids() == [], timeout=10)
    browser.get(console_url(gw, "/audit"))
    assert "queue.delete" in browser.find_element(By.TAG_NAME, "main").text
    assert f"console: alice did queue delete {qid}" in gw.log_text()


def axe_problems(driver):
    """axe-core's serious and critical violations on the current page
    ([id, impact, how many nodes]); [] without axe-core (see the skip)."""
    if not AXE.exists():
        return []
    driver.execute_script(AXE.read_text())
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document).then(r => done(r.violations.map(v => [v.id, v.impact, v.nodes.length])));")
    return [v for v in result if v[1] in ("serious", "critical")]


def narrow(driver, width=320):
    """A 320 px wide viewport, as a small phone has (whatever the window)."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False})


def test_pages_are_accessible_and_fit_320_px(console_gateway, browser):
    from selenium.webdriver.common.keys import Keys
    gw = console_gateway
    send(gw, "alice@b.example", ["y@c.example"], "console-2")
    assert wait_for(lambda: len(gw.queue_ids()) == 1, timeout=10)
    narrow(browser)
    # No sideways scrolling: the content is no wider than the viewport (less a scroll bar).
    width = ("return [window.innerWidth, "
             "document.documentElement.scrollWidth <= document.documentElement.clientWidth]")
    browser.get(console_url(gw))
    assert browser.execute_script(width) == [320, True]
    problems = {"/signin": axe_problems(browser)}  # the sign-in page, before signing in
    sign_in_with_keyboard(browser, console_url(gw), gw.totp_secret, 30)
    pages = PAGES + ["/queue/" + gw.queue_ids()[0], "/queue/" + gw.queue_ids()[0] + "/delete"]
    for path in pages:
        browser.get(console_url(gw, path))
        assert browser.execute_script(width) == [320, True], path
        # Keyboard focus is visible: Tab past the skip link to the header's button.
        keys(browser, Keys.TAB, Keys.TAB)
        assert browser.switch_to.active_element.text == "Sign out", path
        assert browser.execute_script("return getComputedStyle(document.activeElement).outlineStyle") != "none"
    shot(browser, "message-320px")
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    if not AXE.exists():
        pytest.skip(f"axe-core is not installed at {AXE} (scripts/install-deps.sh installs it with npm); "
                    "the pages were checked for width and focus only")
    browser.set_window_size(1024, 900)
    for path in pages:
        browser.get(console_url(gw, path))
        problems[path] = axe_problems(browser)
    assert not any(problems.values()), problems


# --- without a browser ------------------------------------------------------

class Client:
    """HTTP to the console on the admin listener, keeping the session cookie
    like a browser."""

    def __init__(self, gw):
        self.host, self.port = gw.addr("admin")
        self.cookie = None

    def request(self, method, path, form=None):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        headers = {}
        if self.cookie:
            headers["Cookie"] = self.cookie
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, "/console" + path, body=body, headers=headers)
        r = conn.getresponse()
        text = r.read().decode()
        set_cookie = r.getheader("Set-Cookie")
        if set_cookie:
            value = set_cookie.split(";")[0]
            self.cookie = None if value.endswith("=") else value
        conn.close()
        return r, text

    def csrf(self, path="/"):
        _, text = self.request("GET", path)
        return re.search(r'name="csrf" value="([0-9a-f]{64})"', text).group(1)

    def sign_in(self, secret, offset=0):
        r, text = self.request("POST", "/signin", {"csrf": self.csrf(), "account": "alice", "password": PASSWORD,
                                                    "code": totp(secret, offset)})
        assert r.status == 303, text
        return r


def test_headers_cookie_csrf_and_revocation(console_gateway):
    gw = console_gateway
    c = Client(gw)
    r, text = c.request("GET", "/")
    assert r.status == 200 and "Sign in to the console" in text
    assert r.getheader("Cache-Control") == "no-store"
    assert r.getheader("X-Frame-Options") == "DENY"
    csp = r.getheader("Content-Security-Policy")
    assert "default-src 'none'" in csp and "script-src" not in csp and "frame-ancestors 'none'" in csp, csp
    cookie = r.getheader("Set-Cookie")
    assert re.fullmatch(r"securemail-console=[0-9a-f]{64}; Path=/console; HttpOnly; SameSite=Strict", cookie), cookie

    # A wrong code, then no CSRF token at all: refused, nothing said of which part.
    r, text = c.request("POST", "/signin", {"csrf": c.csrf(), "account": "alice", "password": PASSWORD,
                                            "code": "000000"})
    assert r.status == 401 and "The account, password or code is not right." in text
    r, _ = c.request("POST", "/signin", {"account": "alice", "password": PASSWORD, "code": totp(gw.totp_secret)})
    assert r.status == 403
    before = c.cookie
    r = c.sign_in(gw.totp_secret)
    assert c.cookie != before  # a fresh session id at sign-in
    r, text = c.request("GET", "/queue")
    assert r.status == 200 and "<h1>Queue</h1>" in text
    r, text = c.request("POST", "/queue/flush", {"csrf": "0" * 64})
    assert r.status == 403 and "Form expired" in text
    r, text = c.request("GET", "/queue?state=exploded")
    assert r.status == 400 and "State: choose active, deferred or held." in text

    # The CLI: list, refusals, revoke (the open session ends at its next request).
    listed = admin_console(gw, "list", "--json")
    assert listed.returncode == 0 and '"account": "alice"' in listed.stdout.decode(), listed
    r2 = admin_console(gw, "grant", "nobody")
    assert r2.returncode == 1 and b"no account 'nobody'" in r2.stderr, r2.stderr
    r2 = admin_console(gw, "revoke", "nobody")
    assert r2.returncode == 1 and b"has no console access" in r2.stderr, r2.stderr
    assert admin_console(gw, "revoke", "alice").returncode == 0
    r, _ = c.request("GET", "/queue")
    assert r.status == 303 and r.getheader("Location") == "/console/"
    r, text = c.request("GET", "/")
    assert "console access or password changed" in text
    # Signing in again is refused like a wrong password now.
    r, text = c.request("POST", "/signin", {"csrf": c.csrf(), "account": "alice", "password": PASSWORD,
                                            "code": totp(gw.totp_secret, 30)})
    assert r.status == 401 and "The account, password or code is not right." in text
    audit = securemail("audit", "list", "--config", str(gw.config_path)).stdout.decode()
    assert "admin.console.grant" in audit and "admin.console.revoke" in audit and "console.signin" in audit
