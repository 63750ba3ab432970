"""The member directory on a running gateway: an authority publishes a
signed feed with the real `securemail directory` commands and serves it
over HTTP; gateways fetch it, answer lookups over their admin listener,
notify webhook subscribers and their administrator by email, refuse
rollbacks and foreign feeds, keep their copy across restarts with the
authority down, and raise the alarm when the feed goes stale."""
import json
import re
import shutil
import urllib.error
import urllib.request

import pytest

from conftest import wait_for


def http(gw, method, path, body=None, headers=None):
    """(status, headers, body bytes) from the gateway's admin listener."""
    host, port = gw.addr("admin")
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://{host}:{port}{path}", data=data, method=method, headers=headers or {})
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def metric(gw, sample):
    """One sample of /metrics ('name' or 'name{label="x"}'), or None."""
    _, _, text = http(gw, "GET", "/metrics")
    m = re.search(r"^" + re.escape(sample) + r" (-?\d+)$", text.decode(), re.M)
    return int(m.group(1)) if m else None


def directory_gateway(gateway_factory, authority, name, refresh="1s", max_age="72h"):
    gw = gateway_factory(name)
    gw.write_config(
        '[listen]\nrelay = "127.0.0.1:0"\ninbound = "127.0.0.1:0"\nadmin = "127.0.0.1:0"\n'
        f'[directory]\nfeed = "{authority.feed_url}"\nauthority = "{authority.cert}"\n'
        f'refresh = "{refresh}"\nmax_age = "{max_age}"\n')
    return gw.start()


def wait_serial(gw, serial, timeout=30):
    assert wait_for(lambda: metric(gw, "securemail_directory_serial") == serial, timeout), \
        f"{gw.dir.name} never reached serial {serial}:\n{gw.log_text()[-3000:]}"


def admin_mail(gw):
    new = gw.data / "maildir" / "securemailadmin" / "new"  # [deliver] internal: one Maildir per local part
    return [p.read_bytes() for p in sorted(new.glob("*"))] if new.exists() else []


@pytest.fixture
def published(directory_authority):
    """An authority with member a.example, feed serial 1 published and served."""
    auth = directory_authority()
    auth.add("a", "Org A", "a.example")
    auth.publish()
    auth.serve()
    return auth


def test_two_gateways_fetch_and_notify_changes(published, gateway_factory, webhook_receiver):
    gw1 = directory_gateway(gateway_factory, published, "gw1")
    gw2 = directory_gateway(gateway_factory, published, "gw2")
    wait_serial(gw1, 1)
    wait_serial(gw2, 1)
    assert metric(gw1, "securemail_directory_members") == 1

    status, _, body = http(gw1, "POST", "/v1/directory/subscriptions", {"url": webhook_receiver.url})
    assert status == 201, body
    sub = json.loads(body)
    status, _, body = http(gw1, "GET", "/v1/directory/subscriptions")
    assert [s["id"] for s in json.loads(body)["subscriptions"]] == [sub["id"]]

    published.add("c", "Org C", "c.example")
    published.publish()
    wait_serial(gw1, 2)
    wait_serial(gw2, 2)
    published.remove("c")
    published.publish()
    wait_serial(gw1, 3)

    assert webhook_receiver.wait(2), gw1.log_text()[-3000:]
    notices = [webhook_receiver.verify(sub["secret"], h, b) for h, b in webhook_receiver.notices]
    assert [(n["serial"], [(c["kind"], c["member_id"]) for c in n["changes"]]) for n in notices] == \
        [(2, [("added", "c")]), (3, [("removed", "c")])]
    assert notices[0]["changes"][0]["organisation"] == "Org C"
    assert notices[0]["changes"][0]["member"]["domains"] == ["c.example"]
    assert notices[1]["changes"][0]["member"]["id"] == "c"  # removed: as it was

    # The administrator got one email per applied feed with changes: a
    # (serial 1), c added (2), c removed (3), through [deliver] internal.
    assert wait_for(lambda: len(admin_mail(gw1)) == 3), gw1.log_text()[-3000:]
    mails = admin_mail(gw1)
    assert all(b"To: <securemailadmin@b.example>" in m for m in mails)
    assert any(b"Subject: SecureMail directory: 1 change (serial 2)" in m and re.search(rb"added +c \(Org C\)", m)
               for m in mails), mails
    assert any(re.search(rb"removed +c \(Org C\)", m) for m in mails), mails

    status, _, _ = http(gw1, "DELETE", f"/v1/directory/subscriptions/{sub['id']}")
    assert status == 204


def test_lookup_over_http_with_etag(published, gateway_factory):
    gw = directory_gateway(gateway_factory, published, "gw")
    wait_serial(gw, 1)
    status, headers, body = http(gw, "GET", "/v1/directory/lookup?address=bob%40A.example")
    assert status == 200, body
    answer = json.loads(body)
    assert answer["found"] is True and answer["member"]["id"] == "a" and answer["serial"] == 1
    etag = headers["ETag"]
    status, _, body = http(gw, "GET", "/v1/directory/lookup?address=bob%40A.example", headers={"If-None-Match": etag})
    assert status == 304 and body == b""

    status, headers, body = http(gw, "GET", "/v1/directory/members")
    assert status == 200 and [m["id"] for m in json.loads(body)["members"]] == ["a"]
    assert http(gw, "GET", "/v1/directory/members", headers={"If-None-Match": headers["ETag"]})[0] == 304

    status, _, body = http(gw, "GET", "/v1/directory/lookup?domain=nobody.example")
    assert status == 404 and json.loads(body)["found"] is False
    for bad in ("/v1/directory/lookup", "/v1/directory/lookup?address=no-at-sign",
                "/v1/directory/lookup?domain=%ff%00"):
        status, _, body = http(gw, "GET", bad)
        assert status == 400 and "error" in json.loads(body), (bad, body)
    status, _, body = http(gw, "POST", "/v1/directory/subscriptions", {"url": "file:/etc/passwd"})
    assert status == 400 and "error" in json.loads(body)

    # A newer feed changes the answer and the ETag.
    published.add("c", "Org C", "c.example")
    published.publish()
    wait_serial(gw, 2)
    status, _, _ = http(gw, "GET", "/v1/directory/lookup?address=bob%40A.example", headers={"If-None-Match": etag})
    assert status == 200


def test_rollback_and_foreign_feed_are_refused(published, directory_authority, gateway_factory):
    first = published.feed_file.read_bytes()
    published.add("c", "Org C", "c.example")
    published.publish()
    gw = directory_gateway(gateway_factory, published, "gw")
    wait_serial(gw, 2)

    published.feed_file.write_bytes(first)  # the server now offers serial 1
    assert wait_for(lambda: (metric(gw, 'securemail_directory_fetch_total{result="rollback"}') or 0) >= 1)
    assert metric(gw, "securemail_directory_serial") == 2

    other = directory_authority("other")
    other.add("x", "Org X", "x.example")
    other.publish()
    shutil.copy(other.feed_file, published.feed_file)
    assert wait_for(lambda: (metric(gw, 'securemail_directory_fetch_total{result="wrong-authority"}') or 0) >= 1)
    assert metric(gw, "securemail_directory_serial") == 2
    status, _, body = http(gw, "GET", "/v1/directory/lookup?domain=c.example")
    assert status == 200 and json.loads(body)["member"]["id"] == "c"
    assert http(gw, "GET", "/v1/directory/lookup?domain=x.example")[0] == 404
    log = gw.log_text()
    assert "refused: rollback" in log and "refused: wrong-authority" in log


def test_restart_with_authority_down_answers_from_sqlite(published, gateway_factory):
    gw = directory_gateway(gateway_factory, published, "gw")
    wait_serial(gw, 1)
    assert gw.stop() == 0
    published.stop_serving()

    gw.start()
    assert metric(gw, "securemail_directory_serial") == 1  # loaded before the first fetch
    status, _, body = http(gw, "GET", "/v1/directory/lookup?address=alice%40a.example")
    assert status == 200 and json.loads(body)["member"]["id"] == "a"
    assert wait_for(lambda: (metric(gw, 'securemail_directory_fetch_total{result="unreachable"}') or 0) >= 1)
    assert metric(gw, "securemail_directory_stale") == 0
    assert "cannot fetch the feed" in gw.log_text()


def test_stale_feed_raises_the_alarm(published, gateway_factory):
    published.publish()  # serial 2, issued now
    gw = directory_gateway(gateway_factory, published, "gw", refresh="1s", max_age="4s")
    wait_serial(gw, 2)
    assert metric(gw, "securemail_directory_stale") == 0
    status, _, body = http(gw, "GET", "/healthz")
    assert status == 200 and b"STALE" not in body

    # Nobody publishes: the copy held (and the one offered) gets older than 4s.
    assert wait_for(lambda: metric(gw, "securemail_directory_stale") == 1, timeout=15)
    assert wait_for(lambda: "directory STALE" in gw.log_text())  # a warning on every fetch
    status, _, body = http(gw, "GET", "/healthz")
    assert b"directory STALE" in body, body
    status, _, body = http(gw, "GET", "/v1/directory/lookup?domain=a.example")
    assert status == 200  # still answers from the last good copy

    published.publish()
    wait_serial(gw, 3)
    assert wait_for(lambda: metric(gw, "securemail_directory_stale") == 0)
