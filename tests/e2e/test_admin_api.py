"""The admin HTTP API on a real gateway: tokens made with `securemail admin
token`, refusals (401 with WWW-Authenticate, 403 for a read token, 400
naming the parameter, 404, 409), listing, showing, hold, release, retry,
delete and flush of real queued mail (its next hop is a closed port), the
audit entries those writes leave, and `securemail audit verify`; then the
read-only records: receipts, accounts, keys, the config and the alerts."""
import json
import time
import urllib.error
import urllib.parse
import urllib.request

from conftest import BIN, securemail, wait_for
from test_durability import closed_port, send
from testnet_world import compose, new_message_id, running
from testnet_world import send as send_smtp


def admin(gw, *args, check=True):
    return securemail("admin", "token", *args, "--config", gw.config_path, check=check)


def api(gw, method, path, token=None, body=None):
    host, port = gw.addr("admin")
    req = urllib.request.Request(f"http://{host}:{port}{path}", method=method,
                                 data=body.encode() if body is not None else (b"" if method == "POST" else None))
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), json.loads(e.read())


def start(gateway_factory):
    gw = gateway_factory()
    gw.write_config(
        '[listen]\nrelay = "127.0.0.1:0"\ninbound = "127.0.0.1:0"\nadmin = "127.0.0.1:0"\n'
        f'[routes]\ndefault = "smtp://127.0.0.1:{closed_port()}"\n'
        '[queue]\nlifetime = "5m"\nmin_backoff = "30s"\nmax_backoff = "60s"\nscan_interval = "1s"\n')
    return gw.start()


def test_tokens_refusals_and_queue_changes(gateway_factory):
    gw = start(gateway_factory)
    write = admin(gw, "create", "--name", "ops", "--scope", "write", check=True).stdout.decode().strip()
    read = admin(gw, "create", "--name", "viewer").stdout.decode().strip()
    assert write.startswith("smt_") and len(write) >= 47, write
    assert admin(gw, "create", "--name", "ops", check=False).returncode == 1
    assert admin(gw, "create", "--name", "x", "--scope", "root", check=False).returncode == 2
    listed = json.loads(admin(gw, "list", "--json").stdout)
    assert [t["name"] for t in listed] == ["ops", "viewer"], listed
    assert write not in json.dumps(listed)
    assert (gw.data / "admin.sqlite").stat().st_mode & 0o777 == 0o600

    send(gw, "alice@a.example", ["x@c.example"], "api-1")
    send(gw, "alice@a.example", ["y@c.example"], "api-2")
    assert wait_for(lambda: len(gw.queue_ids()) == 2, timeout=10)
    a, b = gw.queue_ids()

    # refusals
    for token in (None, "smt_unknown", "nonsense"):
        status, headers, body = api(gw, "GET", "/v1/queue", token)
        assert status == 401 and headers.get("WWW-Authenticate", "").startswith("Bearer"), (status, headers)
        assert "error" in body
    status, _, body = api(gw, "POST", f"/v1/queue/{a}/hold", read)
    assert status == 403, body
    status, _, body = api(gw, "GET", "/v1/queue?state=frozen", read)
    assert status == 400 and "state" in body["error"], body
    status, _, body = api(gw, "POST", f"/v1/queue/{a}/hold", write, "{not json")
    assert status == 400, body
    assert api(gw, "GET", "/v1/queue/0123456789ABCDEF", read)[0] == 404
    assert api(gw, "POST", "/v1/queue/0123456789ABCDEF/hold", write)[0] == 404
    status, _, body = api(gw, "POST", f"/v1/queue/{a}/release", write)
    assert status == 409 and "not held" in body["error"], body

    # list, show, hold, release, retry, delete, flush
    status, _, body = api(gw, "GET", "/v1/queue", read)
    assert status == 200 and sorted(m["id"] for m in body["messages"]) == [a, b], body
    status, _, shown = api(gw, "GET", f"/v1/queue/{a}", read)
    assert status == 200 and shown["sender"] == "alice@a.example" and shown["recipients"][0]["state"] == "pending"
    assert api(gw, "POST", f"/v1/queue/{a}/hold", write, '{"reason": "ticket 7"}')[0] == 200
    status, _, body = api(gw, "GET", "/v1/queue?state=held", read)
    assert [m["id"] for m in body["messages"]] == [a], body
    assert body["messages"][0]["held_reason"] == "operator"
    assert api(gw, "POST", f"/v1/queue/{a}/hold", write)[0] == 409
    assert api(gw, "POST", f"/v1/queue/{a}/retry", write)[0] == 409
    assert api(gw, "POST", f"/v1/queue/{a}/release", write)[0] == 200
    assert api(gw, "POST", f"/v1/queue/{a}/retry", write)[0] == 200
    assert api(gw, "DELETE", f"/v1/queue/{b}", write)[0] == 200
    assert api(gw, "DELETE", f"/v1/queue/{b}", write)[0] == 404
    assert api(gw, "POST", "/v1/queue/flush", write)[0] == 200
    assert wait_for(lambda: gw.queue_ids() == [a], timeout=10)
    status, _, body = api(gw, "GET", "/v1/directory/status", read)
    assert status == 200 and body["configured"] is False, body

    # revoked: refused from the next request on
    admin(gw, "revoke", "--name", "viewer")
    assert api(gw, "GET", "/v1/queue", read)[0] == 401
    assert admin(gw, "revoke", "--name", "viewer", check=False).returncode == 1
    used = {t["name"]: t for t in json.loads(admin(gw, "list", "--json").stdout)}
    assert used["ops"]["last_used"] > 0, used

    log = gw.log_text()
    assert f"{a}: held by the operator" in log and f"{a}: released by the operator" in log, log
    assert f"{b}: deleted by the operator" in log, log

    entries = json.loads(securemail("audit", "list", "--json", "--config", gw.config_path, check=True).stdout)
    actions = [(e["actor"], e["action"], e["object"]) for e in entries]
    assert ("operator", "admin.token.create", "ops") in actions, actions
    assert ("operator", "admin.token.revoke", "viewer") in actions, actions
    for action, obj in (("queue.hold", a), ("queue.release", a), ("queue.retry", a), ("queue.delete", b),
                        ("queue.flush", "")):
        assert ("api-token:ops", action, obj) in actions, (action, actions)
    assert not any(write in json.dumps(e) for e in entries)
    assert write not in log
    securemail("audit", "verify", "--config", gw.config_path, check=True)


# ---------------------------------------------------------------------------
# The read-only records (receipts, accounts, keys, config, alerts) on real
# gateways: a two-member testnet whose b is stopped, so alice's NOTIFY=SUCCESS
# mail to bob@b.example leaves a receipt request pending in a's ledger; an
# account made with `securemail user add`; a gateway whose key expires in
# ten days for the keys and the alert.


def read_token(gw):
    return admin(gw, "create", "--name", "reader", check=True).stdout.decode().strip()


def test_receipts_and_accounts_on_a_testnet(tmp_path):
    with running(tmp_path, ["a.example", "b.example"]) as net:
        net.stop("b.example")
        gw = net.gateways["a.example"]
        token = read_token(gw)
        mid = new_message_id("api-receipt")
        msg = compose("alice@a.example", ["bob@b.example"], "receipt via api", mid)
        code, reply = send_smtp(net.port("a.example", "relay"), "alice@a.example", ["bob@b.example"], msg,
                                rcpt_options=["NOTIFY=SUCCESS"])
        assert code == 250, reply
        bare = mid.strip("<>")

        def pending():
            status, _, body = api(gw, "GET", "/v1/receipts?pending=1&since=1h", token)
            assert status == 200, body
            return [r for r in body["receipts"] if r["message_id"] == bare]
        assert wait_for(lambda: pending(), timeout=20), net.logs()
        [row] = pending()
        assert row["recipient"] == "bob@b.example" and row["state"] == "pending" and row["member"], row
        cli = json.loads(securemail("receipts", "list", "--config", gw.config_path, "--json", "--pending",
                                    check=True).stdout)
        assert row in cli, (row, cli)  # the same JSON as the command line

        for ident in (row["content_identifier"], row["queue_id"], urllib.parse.quote(mid)):
            status, _, body = api(gw, "GET", f"/v1/receipts/{ident}", token)
            assert status == 200 and body["receipts"] == [row], (ident, body)
        assert api(gw, "GET", "/v1/receipts/no-such-request", token)[0] == 404
        status, _, body = api(gw, "GET", "/v1/receipts?since=last-week", token)
        assert status == 400 and "since" in body["error"], body
        assert api(gw, "GET", "/v1/receipts")[0] == 401
        assert api(gw, "GET", f"/v1/receipts?message_id={urllib.parse.quote(mid)}", token)[2]["receipts"] == [row]

        # An account made with `securemail user add`, never its password.
        password = "correct horse battery staple"
        pw = tmp_path / "pw"
        pw.write_text(password + "\n")
        pw.chmod(0o600)
        securemail("user", "add", "carol", "--config", gw.config_path, "--address", "carol@a.example",
                   "--password-file", pw, check=True)
        status, _, body = api(gw, "GET", "/v1/accounts", token)
        assert status == 200 and [a["name"] for a in body["accounts"]] == ["carol"], body
        status, _, carol = api(gw, "GET", "/v1/accounts/carol", token)
        assert status == 200 and carol["addresses"] == ["carol@a.example"], carol
        assert carol["totp"] is False and carol["devices"] == [] and carol["enabled"] is True, carol
        assert password not in json.dumps(carol) and "argon2" not in json.dumps(carol)
        assert api(gw, "GET", "/v1/accounts/dave", token)[0] == 404
        assert api(gw, "GET", "/v1/accounts")[0] == 401


def test_keys_config_and_alerts_of_a_gateway_expiring_soon(gateway_factory, pki_world):
    authority = pki_world.authority("api10")
    gd = pki_world.gateway("soon.example", authority, "ec-p256", (), None, "--days", "10")
    gw = gateway_factory()
    gw.data = gd.data
    gw.write_config('[listen]\nrelay = "127.0.0.1:0"\nadmin = "127.0.0.1:0"\n'
                    f'[routes]\ndefault = "smtp://127.0.0.1:{closed_port()}"\n[queue]\nlifetime = "2d"\n')
    gw.start()
    token = read_token(gw)

    status, _, keys = api(gw, "GET", "/v1/keys", token)
    assert status == 200, keys
    [kset] = keys["key_sets"]
    cli = json.loads(securemail("keys", "show", "--config", gw.config_path, "--json", check=True).stdout)
    assert kset["id"] == cli["key_sets"][0]["id"] and kset["not_after"] == cli["key_sets"][0]["not_after"]
    assert kset["status"] == "active" and kset["use"] == ["sign", "open"], kset
    assert "soon.example" in kset["domains"] and kset["type"] == "ec-p256", kset
    assert 9 <= kset["days_to_expiry"] <= 10, kset
    assert keys["tls"]["days_to_expiry"] >= 0 and keys["tls"]["not_after"], keys["tls"]
    assert "PRIVATE KEY" not in json.dumps(keys)
    assert api(gw, "GET", "/v1/keys")[0] == 401

    status, _, conf = api(gw, "GET", "/v1/config", token)
    assert status == 200, conf
    assert conf["source"] == str(gw.config_path), conf["source"]
    settings = conf["settings"]
    assert settings["queue"]["lifetime"] == "2d" and settings["domain"] == "b.example", settings
    assert settings["listen"]["admin"] == "127.0.0.1:0", settings["listen"]
    assert conf["redacted"] == [], conf["redacted"]
    shown = securemail("config", "show", "--config", gw.config_path, check=True).stdout.decode()
    assert f'data_dir = "{gd.data}"' in shown and settings["data_dir"] == str(gd.data)
    text = json.dumps(conf)
    assert "PRIVATE KEY" not in text and token not in text
    assert api(gw, "GET", "/v1/config?raw=1", token)[0] == 400

    status, _, alerts = api(gw, "GET", "/v1/alerts", token)
    assert status == 200, alerts
    names = {a["name"]: a for a in alerts["alerts"]}
    assert "certificate-expiring" in names, alerts
    expiring = names["certificate-expiring"]
    assert expiring["severity"] in ("warning", "critical") and expiring["since"] and expiring["message"], expiring
    assert api(gw, "GET", "/v1/alerts")[0] == 401
    # A gateway without a directory is no member: no self-test runs, and asking for one says why.
    status, _, selftest = api(gw, "GET", "/v1/selftest", token)
    assert status == 200 and selftest["enabled"] is False and selftest["last"] is None, selftest
    assert "selftest-failing" not in names and "certification-outdated" not in names
