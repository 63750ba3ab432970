"""The admin HTTP API on a real gateway: tokens made with `securemail admin
token`, refusals (401 with WWW-Authenticate, 403 for a read token, 400
naming the parameter, 404, 409), listing, showing, hold, release, retry,
delete and flush of real queued mail (its next hop is a closed port), the
audit entries those writes leave, and `securemail audit verify`."""
import json
import time
import urllib.error
import urllib.request

from conftest import BIN, securemail, wait_for
from test_durability import closed_port, send


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
