"""GET /readyz: 200 with every check when the gateway is ready, 503 naming
the failing check when the spool is not writable or the directory feed has
no copy yet; /healthz stays liveness only."""
import json
import urllib.error
import urllib.request

from conftest import wait_for


def readyz(gw):
    host, port = gw.addr("admin")
    try:
        r = urllib.request.urlopen(f"http://{host}:{port}/readyz", timeout=5)
        return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def healthz(gw):
    host, port = gw.addr("admin")
    return urllib.request.urlopen(f"http://{host}:{port}/healthz", timeout=5).status


def start(gateway_factory, extra=""):
    gw = gateway_factory()
    gw.write_config('[listen]\nrelay = "127.0.0.1:0"\nadmin = "127.0.0.1:0"\n'
                    '[routes]\ndefault = "smtp://127.0.0.1:9"\n' + extra)
    return gw.start()


def test_ready_gateway_answers_200_with_each_check(gateway_factory):
    gw = start(gateway_factory)
    status, body = readyz(gw)
    assert status == 200, body
    assert body["ready"] is True
    assert set(body["checks"]) == {"listeners", "spool", "directory", "keys"}
    assert all(c["ok"] for c in body["checks"].values()), body
    assert body["checks"]["directory"]["detail"] == "no feed configured"
    assert not list((gw.data / "queue").glob(".readyz-probe"))  # the probe cleans up


def test_unwritable_spool_makes_it_unready_but_alive(gateway_factory):
    gw = start(gateway_factory)
    queue = gw.data / "queue"
    probe = queue / ".readyz-probe"
    probe.mkdir()  # open(O_WRONLY) of a directory fails for root as well
    try:
        assert wait_for(lambda: readyz(gw)[0] == 503, timeout=15)  # cached for up to 5 s
        status, body = readyz(gw)
        assert body["ready"] is False
        assert body["checks"]["spool"]["ok"] is False
        assert ".readyz-probe" in body["checks"]["spool"]["detail"]
        assert body["checks"]["listeners"]["ok"] is True
        assert healthz(gw) == 200  # liveness is unaffected
    finally:
        probe.rmdir()
    assert wait_for(lambda: readyz(gw)[0] == 200, timeout=15)


def test_directory_without_a_copy_is_not_ready(gateway_factory, directory_authority):
    auth = directory_authority()
    gw = start(gateway_factory,
               f'[directory]\nfeed = "http://127.0.0.1:9/feed.json"\nauthority = "{auth.cert}"\nrefresh = "1h"\n')
    status, body = readyz(gw)
    assert status == 503, body
    assert body["checks"]["directory"]["ok"] is False
    assert "no copy" in body["checks"]["directory"]["detail"]
    # A feed with a directory needs the gateway's own keys: none in this data folder.
    assert body["checks"]["keys"]["ok"] is False
    assert healthz(gw) == 200


def test_readyz_refuses_other_methods_with_json(gateway_factory):
    gw = start(gateway_factory)
    host, port = gw.addr("admin")
    req = urllib.request.Request(f"http://{host}:{port}/readyz", data=b"{}", method="POST")
    try:
        urllib.request.urlopen(req, timeout=5)
        raise AssertionError("POST /readyz succeeded")
    except urllib.error.HTTPError as e:
        assert e.code in (404, 405)
        assert "error" in json.loads(e.read())
