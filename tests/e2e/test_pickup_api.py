"""Secure pickup over the admin API (issue 18) on a real gateway: GET
/v1/pickup lists the message kept for a recipient outside SecureMail (no
content), a read token cannot revoke it, a write token does (audited as
pickup.revoke), the link's page says it was withdrawn at once, its content
file is gone, and the sender is told on the next sweep."""
import json
import urllib.error
import urllib.request

from conftest import securemail, wait_for
from test_pickup import https, notices, notified_token, send_secure, start_pickup_gateway


def api(gw, method, path, token, body=None):
    host, port = gw.addr("admin")
    req = urllib.request.Request(f"http://{host}:{port}{path}", method=method,
                                 data=json.dumps(body).encode() if body is not None else
                                 (b"" if method == "POST" else None))
    req.add_header("Authorization", f"Bearer {token}")
    if body is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def token(gw, name, scope):
    return securemail("admin", "token", "create", "--name", name, "--scope", scope, "--config", gw.config_path,
                      check=True).stdout.decode().strip()


def test_list_and_revoke_over_the_api(gateway_factory, sink):
    gw = start_pickup_gateway(gateway_factory, sink,
                              listen='relay = "127.0.0.1:0"\ninbound = "127.0.0.1:0"\nadmin = "127.0.0.1:0"\n')
    send_secure(gw)
    _, link = notified_token(gw, sink)
    reader, writer = token(gw, "viewer", "read"), token(gw, "ops", "write")

    status, listed = api(gw, "GET", "/v1/pickup?state=waiting", reader)
    assert status == 200 and listed["count"] == 1, listed
    [entry] = listed["messages"]
    assert entry["recipient"] == "bob@example.org" and entry["sender"] == "alice@b.example"
    assert "Merger" not in json.dumps(listed) and link not in json.dumps(listed)
    ref = entry["reference"]

    assert api(gw, "POST", f"/v1/pickup/{ref}/revoke", reader)[0] == 403
    assert https(gw, "GET", "/p/" + link)[0] == 200, "still there"
    status, done = api(gw, "POST", f"/v1/pickup/{ref}/revoke", writer, {"reason": "sent to the wrong person"})
    assert status == 200 and done["state"] == "revoked", done
    status, _, body = https(gw, "GET", "/p/" + link)
    assert b"withdrew" in body and b"Merger" not in body
    assert not (gw.data / "pickup" / "content" / ref).exists()
    assert api(gw, "POST", f"/v1/pickup/{ref}/revoke", writer)[0] == 409
    assert api(gw, "POST", "/v1/pickup/P-ZZZZ-ZZZZ-ZZZZ/revoke", writer)[0] == 404
    assert wait_for(lambda: notices(gw, "revoked"), timeout=45), "told on the next sweep"
    assert "sent to the wrong person" in notices(gw, "revoked")[0]
    entries = json.loads(securemail("audit", "list", "--config", gw.config_path, "--json", check=True).stdout)
    assert any(e["action"] == "pickup.revoke" and e["actor"] == "api-token:ops" and e["object"] == ref
               for e in entries), entries
