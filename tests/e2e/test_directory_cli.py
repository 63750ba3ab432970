"""The member directory from the authority's seat: add members (a gateway
service provider with several domains in one entry, and one entry per
customer organisation), change, suspend and remove them, publish signed
feeds, serve them over HTTP; then from a gateway's seat, fetch the feed
and look members up. OpenSSL's own `cms -verify` judges every feed, and
urllib is the HTTP client. Every refusal and bad flag is checked for its
exit status and for a message that names what is wrong."""
import json
import signal
import subprocess
import urllib.error
import urllib.request

import pytest

from conftest import BIN, ROOT, securemail, wait_for, text
from smime_peers import run

PASS = "directory authority passphrase"


# ------------------------------------------------------------------ world

@pytest.fixture(scope="module")
def foreign_auth(pki_world):
    return pki_world.authority("foreign")


@pytest.fixture(scope="module")
def gsp(pki_world, auth):
    """A gateway service provider: one gateway, one certificate, three domains."""
    return pki_world.gateway("a.example", auth, "ec-p256", (), "gsp", "--domain", "b.example", "--domain", "c.example")


@pytest.fixture(scope="module")
def shared(pki_world, auth):
    """A provider listing each customer organisation as its own entry."""
    return pki_world.gateway("cust1.example", auth, "rsa-2048", (), "shared", "--domain", "cust2.example")


@pytest.fixture(scope="module")
def own(pki_world, auth):
    return pki_world.gateway("d.example", auth)


@pytest.fixture(scope="module")
def foreign(pki_world, foreign_auth):
    return pki_world.gateway("x.example", foreign_auth)


def directory(*args, check=False):
    return securemail("directory", *args, check=check)


def show(auth, member_id):
    return json.loads(directory("show", "--authority", auth, member_id, "--json", check=True).stdout)


def add(auth, member_id, org, domains, cert, *extra, endpoint="127.0.0.1:2525"):
    args = ["add", "--authority", auth, "--id", member_id, "--org", org, "--endpoint", endpoint, "--cert", cert]
    for d in domains:
        args += ["--domain", d]
    return directory(*args, *extra)


def publish(auth, *extra):
    r = directory("publish", "--authority", auth, *extra, check=True)
    lines = dict(line.split(" ", 1) for line in r.stdout.decode().splitlines())
    return int(lines["serial"]), lines["feed"]


def openssl_verify(feed, ca, *extra):
    return subprocess.run(["openssl", "cms", "-verify", "-inform", "DER", "-in", str(feed), "-CAfile", str(ca),
                           *extra], capture_output=True)


def feed_content(auth):
    """The JSON inside AUTH/directory/feed.cms, as `openssl cms -verify` sees it. `-purpose any`:
    ca.pem's key usage is keyCertSign + cRLSign, which OpenSSL's default S/MIME-signer check refuses
    (see test_openssl_verifies_the_feed_with_its_default_purpose)."""
    r = openssl_verify(auth / "directory" / "feed.cms", auth / "ca.pem", "-purpose", "any")
    assert r.returncode == 0, r.stderr.decode()
    return json.loads(r.stdout)


@pytest.fixture(scope="module")
def members(auth, gsp, shared, own):
    """The authority's list: gsp (three domains), cust1 and cust2 (one
    gateway, two entries), own (an organisation with its own gateway)."""
    r = add(auth, "gsp", "Example GSP Ltd", ["a.example", "b.example", "c.example"], gsp.cert(),
            "--jurisdiction", "nz", "--tier", "trusted-partner", "--max-marking", "restricted",
            "--certified", "1.0:2026-11-01:pass", "--subdomains")
    assert r.returncode == 0, text(r)
    for n in (1, 2):
        r = add(auth, f"cust{n}", f"Customer {n}", [f"cust{n}.example"], shared.cert(), endpoint="mx.shared.example:25")
        assert r.returncode == 0, text(r)
    r = add(auth, "own", "Own Gateway Agency", ["d.example"], own.cert(), "--capability", "auth-enveloped,ec",
            "--admin", "postmaster@d.example", endpoint="[::1]:2526")
    assert r.returncode == 0, text(r)
    return ["cust1", "cust2", "gsp", "own"]


# --------------------------------------------------------- add, list, show

def test_gsp_entry_holds_every_field(auth, members, gsp):
    m = show(auth, "gsp")
    assert m["organisation"] == "Example GSP Ltd"
    assert m["domains"] == ["a.example", "b.example", "c.example"] and m["include_subdomains"] is True
    assert m["endpoints"] == ["127.0.0.1:2525"]
    assert m["jurisdiction"] == "NZ" and m["tier"] == "trusted-partner" and m["max_marking"] == "RESTRICTED"
    assert m["certification"] == {"profile": "1.0", "date": "2026-11-01", "result": "pass"}
    assert m["admin_contact"] == "securemailadmin@a.example"
    assert m["status"] == "active" and m["created"] and m["updated"]
    assert [c["fingerprint"] for c in m["certificates"]] == [gsp.key_set()["fingerprint"]]
    # default capabilities: what a SecureMail gateway with an EC key does
    assert set(m["capabilities"]) == {"auth-enveloped", "signed-receipts", "ec"}


def test_one_entry_per_customer_on_a_shared_gateway(auth, members, shared):
    c1, c2 = show(auth, "cust1"), show(auth, "cust2")
    assert c1["domains"] == ["cust1.example"] and c2["domains"] == ["cust2.example"]
    assert c1["certificates"][0]["fingerprint"] == c2["certificates"][0]["fingerprint"]
    assert c1["endpoints"] == c2["endpoints"] == ["mx.shared.example:25"]
    assert "rsa-oaep" in c1["capabilities"] and "ec" not in c1["capabilities"]


def test_explicit_capabilities_admin_and_ipv6_endpoint(auth, members):
    m = show(auth, "own")
    assert m["capabilities"] == ["auth-enveloped", "ec"]
    assert m["admin_contact"] == "postmaster@d.example"
    assert m["endpoints"] == ["[::1]:2526"]


def test_list_text_and_json(auth, members):
    r = directory("list", "--authority", auth, check=True)
    out = r.stdout.decode()
    for mid in members:
        assert mid in out
    assert "a.example,b.example,c.example" in out
    listed = json.loads(directory("list", "--authority", auth, "--json", check=True).stdout)
    assert sorted(m["id"] for m in listed) == members
    text_show = directory("show", "--authority", auth, "gsp", check=True).stdout.decode()
    assert "Example GSP Ltd" in text_show and "RESTRICTED" in text_show


# ------------------------------------------------------------- refusals

def test_refuses_a_domain_another_member_holds(auth, members, gsp):
    # gsp's own certificate names b.example, but gsp already holds it
    r = add(auth, "thief", "Thief", ["b.example"], gsp.cert())
    assert r.returncode == 1, text(r)
    assert "b.example" in r.stderr.decode()
    assert "thief" not in directory("list", "--authority", auth).stdout.decode()


def test_refuses_duplicate_domain_with_a_matching_certificate(auth, members, shared):
    # shared's certificate names cust1.example, which cust1 already holds
    r = add(auth, "dup", "Duplicate", ["cust1.example"], shared.cert())
    assert r.returncode == 1, text(r)
    assert "cust1.example" in r.stderr.decode()


def test_refuses_certificate_not_naming_the_domains(auth, members, own):
    r = add(auth, "e", "E Agency", ["e.example"], own.cert())
    assert r.returncode == 1, text(r)
    assert "e.example" in r.stderr.decode() or "certificate" in r.stderr.decode()


def test_refuses_certificate_from_another_authority(auth, members, foreign):
    r = add(auth, "x", "X Agency", ["x.example"], foreign.cert())
    assert r.returncode == 1, text(r)
    assert "certificate" in r.stderr.decode().lower()


def test_refuses_an_existing_id(auth, members, own):
    r = add(auth, "own", "Own again", ["d.example"], own.cert())
    assert r.returncode == 1, text(r)
    assert "own" in r.stderr.decode()


@pytest.mark.parametrize("extra,names", [
    (["--jurisdiction", "NZL"], "--jurisdiction"),
    (["--endpoint", "no-port.example"], "--endpoint"),
    (["--endpoint", "h.example:70000"], "--endpoint"),
    (["--capability", "telepathy"], "--capability"),
    (["--tier", "gold"], "--tier"),
    (["--certified", "1.0:2026-02-30:pass"], "--certified"),
    (["--certified", "1.0:2026-11-01:maybe"], "--certified"),
    (["--admin", "not an address"], "--admin"),
    (["--max-marking", "SECRET;DROP"], "--max-marking"),
    (["--domain", "bad_domain..example"], "--domain"),
    (["--id", "Upper"], "--id"),
    (["--cert", "/nonexistent.pem"], "--cert"),
    (["--cert", "NOTCERT"], "--cert"),
    (["--passphrase", "x"], "--passphrase"),
])
def test_bad_flags_exit_2_naming_the_flag(auth, members, own, tmp_path, extra, names):
    notcert = tmp_path / "notcert.pem"
    notcert.write_text("hello\n")
    extra = [str(notcert) if e == "NOTCERT" else e for e in extra]
    base = {"--id": "newbie", "--org": "Newbie", "--domain": "d.example", "--endpoint": "127.0.0.1:25",
            "--cert": str(own.cert())}
    for i in range(0, len(extra) - 1, 2):
        base.pop(extra[i], None)
    args = ["add", "--authority", str(auth)]
    for k, v in base.items():
        args += [k, v]
    r = directory(*args, *extra)
    assert r.returncode == 2, text(r)
    assert names in r.stderr.decode(), r.stderr
    assert "newbie" not in directory("list", "--authority", auth).stdout.decode()


@pytest.mark.parametrize("args,names", [
    (["add", "--authority", "AUTH", "--id", "n", "--org", "N", "--domain", "n.example", "--endpoint", "h:25"], "--cert"),
    (["add", "--id", "n"], "--authority"),
    (["update", "--authority", "AUTH"], "--id"),
    (["update", "--authority", "AUTH", "--id", "own"], "nothing to change"),
    (["suspend", "--authority", "AUTH"], "ID"),
    (["serve", "--authority", "AUTH"], "--listen"),
    (["serve", "--authority", "AUTH", "--listen", "nowhere"], "--listen"),
    (["list", "--authority", "/nonexistent"], "--authority"),
    (["lookup", "a.example"], "--config"),
    (["frobnicate"], "frobnicate"),
])
def test_bad_usage_exits_2(auth, members, args, names):
    r = directory(*[str(auth) if a == "AUTH" else a for a in args])
    assert r.returncode == 2, text(r)
    assert names in r.stderr.decode(), r.stderr


def test_unknown_member_fails(auth, members):
    for verb in ("show", "suspend", "reactivate", "remove"):
        r = directory(verb, "--authority", auth, "nobody")
        assert r.returncode == 1, (verb, text(r))
        assert "nobody" in r.stderr.decode()


def test_help_everywhere():
    for cmd in (["directory"], ["directory", "add"], ["directory", "update"], ["directory", "suspend"],
                ["directory", "reactivate"], ["directory", "remove"], ["directory", "list"], ["directory", "show"],
                ["directory", "publish"], ["directory", "serve"], ["directory", "lookup"], ["directory", "fetch"]):
        r = securemail(*cmd, "--help")
        assert r.returncode == 0 and b"Usage" in r.stdout, cmd


# ------------------------------------------------ update, suspend, remove

def test_update_changes_only_the_given_flags(auth, members):
    before = show(auth, "cust2")
    directory("update", "--authority", auth, "--id", "cust2", "--endpoint", "mx2.shared.example:2525",
              "--endpoint", "mx3.shared.example:25", "--max-marking", "IN-CONFIDENCE", check=True)
    after = show(auth, "cust2")
    assert after["endpoints"] == ["mx2.shared.example:2525", "mx3.shared.example:25"]
    assert after["max_marking"] == "IN-CONFIDENCE"
    for same in ("organisation", "domains", "certificates", "capabilities", "admin_contact", "created", "tier"):
        assert after[same] == before[same], same


def test_update_refuses_bad_values_and_taken_domains(auth, members):
    r = directory("update", "--authority", auth, "--id", "cust2", "--tier", "platinum")
    assert r.returncode == 2 and "--tier" in r.stderr.decode(), text(r)
    r = directory("update", "--authority", auth, "--id", "cust2", "--domain", "cust1.example")
    assert r.returncode == 1, text(r)
    assert show(auth, "cust2")["domains"] == ["cust2.example"]


def test_certificate_rotation_overlap(auth, members, gsp, tmp_path):
    run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", tmp_path / "k.pem"])
    run(["openssl", "pkey", "-in", tmp_path / "k.pem", "-pubout", "-out", tmp_path / "pub.pem"])
    securemail("pki", "issue", "--authority", auth, "--public-key", tmp_path / "pub.pem", "--domain", "a.example",
               "--domain", "b.example", "--domain", "c.example", "--out", tmp_path / "new.pem", check=True)
    old_fp = gsp.key_set()["fingerprint"]
    directory("update", "--authority", auth, "--id", "gsp", "--add-cert", tmp_path / "new.pem", check=True)
    fps = [c["fingerprint"] for c in show(auth, "gsp")["certificates"]]
    assert len(fps) == 2 and fps[0] == old_fp
    new_fp = fps[1]
    # the last certificate can never go
    r = directory("update", "--authority", auth, "--id", "gsp", "--remove-cert", old_fp, "--remove-cert", new_fp)
    assert r.returncode == 2 and "--remove-cert" in r.stderr.decode(), text(r)
    r = directory("update", "--authority", auth, "--id", "gsp", "--remove-cert", "0123456789abcdef")
    assert r.returncode == 2 and "--remove-cert" in r.stderr.decode(), text(r)
    # old one out (fingerprint with colons, upper-case, as openssl prints it)
    colons = ":".join(old_fp[i:i + 2] for i in range(0, len(old_fp), 2)).upper()
    directory("update", "--authority", auth, "--id", "gsp", "--remove-cert", colons, check=True)
    assert [c["fingerprint"] for c in show(auth, "gsp")["certificates"]] == [new_fp]
    # and back, so the gateway's own key is listed again
    directory("update", "--authority", auth, "--id", "gsp", "--cert", gsp.cert(), check=True)
    assert [c["fingerprint"] for c in show(auth, "gsp")["certificates"]] == [old_fp]


def test_suspend_reactivate_remove(auth, members, pki_world):
    directory("suspend", "--authority", auth, "cust2", check=True)
    assert show(auth, "cust2")["status"] == "suspended"
    directory("reactivate", "--authority", auth, "cust2", check=True)
    assert show(auth, "cust2")["status"] == "active"
    temp = pki_world.gateway("temp.example", auth)
    assert add(auth, "temp", "Temporary", ["temp.example"], temp.cert()).returncode == 0
    directory("remove", "--authority", auth, "temp", check=True)
    r = directory("show", "--authority", auth, "temp")
    assert r.returncode == 1, text(r)
    # the domain is free again
    assert add(auth, "temp2", "Temporary 2", ["temp.example"], temp.cert()).returncode == 0
    directory("remove", "--authority", auth, "temp2", check=True)


# -------------------------------------------------------------- publish

def test_publish_increments_serial_and_openssl_verifies_the_feed(auth, foreign_auth, members):
    s1, path = publish(auth)
    s2, path2 = publish(auth)
    assert s2 == s1 + 1 and path == path2 == str(auth / "directory" / "feed.cms")
    feed = feed_content(auth)
    assert feed["format"] == "securemail-directory/1" and feed["serial"] == s2
    assert sorted(m["id"] for m in feed["members"]) == members
    gsp = next(m for m in feed["members"] if m["id"] == "gsp")
    assert gsp["domains"] == ["a.example", "b.example", "c.example"]
    # another authority's certificate does not verify it
    assert openssl_verify(path, foreign_auth / "ca.pem", "-purpose", "any").returncode != 0


def test_publish_with_an_encrypted_authority_key(pki_world, tmp_path):
    secret = tmp_path / "pass.txt"
    secret.write_text(PASS + "\n")
    enc = pki_world.authority("enc-auth", "--encrypt-key", "--passphrase-file", secret, "--key-type", "ec-p256")
    r = subprocess.run([BIN, "directory", "publish", "--authority", str(enc)], capture_output=True, text=True,
                       stdin=subprocess.DEVNULL, timeout=30, start_new_session=True)
    assert r.returncode == 1 and "--passphrase-file" in r.stderr, r.stderr
    serial, _ = publish(enc, "--passphrase-file", secret)
    assert serial >= 1 and feed_content(enc)["members"] == []


# ---------------------------------------------------------------- serve

class Server:
    def __init__(self, auth):
        self.proc = subprocess.Popen([BIN, "directory", "serve", "--authority", str(auth), "--listen", "127.0.0.1:0"],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        assert line.startswith("listening on "), line + self.proc.stderr.read()
        self.base = "http://" + line.split()[-1]

    def get(self, path, headers=None):
        req = urllib.request.Request(self.base + path, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        rc = self.proc.wait(10)
        self.proc.stdout.close()
        self.proc.stderr.close()
        return rc


@pytest.fixture
def server(auth, members):
    publish(auth)
    s = Server(auth)
    yield s
    s.stop(signal.SIGKILL) if s.proc.poll() is None else None


def test_serve_feed_with_etag_and_304(auth, server):
    status, headers, body = server.get("/feed.cms")
    assert status == 200 and body == (auth / "directory" / "feed.cms").read_bytes()
    etag = headers["ETag"]
    assert etag.startswith('"') and headers["Last-Modified"].endswith("GMT")
    status, headers304, body = server.get("/feed.cms", {"If-None-Match": etag})
    assert status == 304 and body == b"" and headers304["ETag"] == etag
    assert server.get("/feed.cms", {"If-None-Match": '"other", W/' + etag})[0] == 304
    assert server.get("/feed.cms", {"If-None-Match": '"other"'})[0] == 200
    # a new publish is served at once, with a new tag
    serial, _ = publish(auth)
    status, headers, body = server.get("/feed.cms", {"If-None-Match": etag})
    assert status == 200 and headers["ETag"] != etag
    assert body == (auth / "directory" / "feed.cms").read_bytes()
    assert feed_content(auth)["serial"] == serial


def test_serve_authority_and_crl(auth, server):
    status, _, body = server.get("/authority.pem")
    assert status == 200 and body == (auth / "ca.pem").read_bytes()
    status, _, body = server.get("/crl.pem")
    assert status == 200 and body == (auth / "crl.pem").read_bytes()
    for path in ("/ca.key", "/authority.json", "/directory.sqlite", "/../ca.key", "/feed.json"):
        assert server.get(path)[0] == 404, path


def test_serve_stops_on_sigterm_and_sigint(auth, members):
    for sig in (signal.SIGTERM, signal.SIGINT):
        s = Server(auth)
        assert s.get("/authority.pem")[0] == 200
        assert s.stop(sig) == 0


def test_serve_refuses_a_port_in_use(auth, server):
    addr = server.base.removeprefix("http://")
    r = directory("serve", "--authority", auth, "--listen", addr)
    assert r.returncode == 1 and addr in r.stderr.decode(), text(r)


# ------------------------------------------------------- a gateway's view

def gateway_config(tmp_path, gw, feed):
    """A config for gw's data folder reading the directory from `feed`."""
    cfg = tmp_path / f"{gw.domain}.toml"
    cfg.write_text(f'domain = "{gw.domain}"\ndata_dir = "{gw.data}"\n[directory]\nfeed = "{feed}"\n')
    return cfg


def lookup(cfg, query, *extra, check=False):
    return directory("lookup", "--config", cfg, query, *extra, check=check)


def test_gateway_fetches_from_serve_and_looks_up(auth, members, gsp, server, tmp_path):
    cfg = gateway_config(tmp_path, gsp, server.base + "/feed.cms")
    assert lookup(cfg, "bob@b.example").returncode == 1  # nothing fetched yet
    r = directory("fetch", "--config", cfg, check=True)
    out = r.stdout.decode().splitlines()
    serial = int(out[0].split()[1])
    assert serial == feed_content(auth)["serial"]
    assert sorted(out[1:]) == [f"added {m} ({o})" for m, o in
                               [("cust1", "Customer 1"), ("cust2", "Customer 2"), ("gsp", "Example GSP Ltd"),
                                ("own", "Own Gateway Agency")]]
    assert directory("fetch", "--config", cfg, check=True).stdout.decode() == f"serial {serial} (unchanged)\n"

    r = lookup(cfg, "Bob@B.example", "--json")
    assert r.returncode == 0, text(r)
    answer = json.loads(r.stdout)
    assert answer["found"] is True and answer["domain"] == "b.example" and answer["serial"] == serial
    assert answer["member"]["id"] == "gsp" and answer["member"]["endpoints"] == ["127.0.0.1:2525"]
    assert answer["fingerprints"] == [gsp.key_set()["fingerprint"]]
    assert answer["certificate_check"] == "ok"  # the first-use check, made now
    assert lookup(cfg, "x.c.example").returncode == 0  # gsp includes its subdomains
    text_answer = lookup(cfg, "cust1.example", check=True).stdout.decode()
    assert "member cust1 (Customer 1)" in text_answer and "mx.shared.example:25" in text_answer
    assert "certificates  ok (the check made when a gateway first uses them)" in text_answer
    r = lookup(cfg, "nobody.example", "--json")
    assert r.returncode == 1 and json.loads(r.stdout)["found"] is False
    # the same answer with --data (the [directory] defaults)
    assert directory("lookup", "--data", gsp.data, "bob@b.example").returncode == 0

    # a suspension reaches the gateway as a change; the member stays known
    directory("suspend", "--authority", auth, "cust2", check=True)
    publish(auth)
    changes = json.loads(directory("fetch", "--config", cfg, "--json", check=True).stdout)
    assert changes["changed"] is True and changes["serial"] == serial + 1
    assert changes["changes"] == [{"kind": "suspended", "member_id": "cust2", "organisation": "Customer 2"}]
    r = lookup(cfg, "cust2.example", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["member"]["status"] == "suspended"
    directory("reactivate", "--authority", auth, "cust2", check=True)


def test_fetch_refuses_rollback_and_foreign_feeds(auth, foreign_auth, members, own, tmp_path):
    publish(auth)
    old = tmp_path / "old.cms"
    old.write_bytes((auth / "directory" / "feed.cms").read_bytes())
    publish(auth)
    current = tmp_path / "current.cms"
    current.write_bytes((auth / "directory" / "feed.cms").read_bytes())
    directory("fetch", "--config", gateway_config(tmp_path, own, f"file:{current}"), check=True)
    held = json.loads(lookup(gateway_config(tmp_path, own, f"file:{current}"), "d.example", "--json").stdout)["serial"]

    r = directory("fetch", "--config", gateway_config(tmp_path, own, f"file:{old}"))
    assert r.returncode == 1 and "rollback" in r.stderr.decode(), text(r)
    publish(foreign_auth)
    r = directory("fetch", "--config", gateway_config(tmp_path, own, f"file:{foreign_auth}/directory/feed.cms"))
    assert r.returncode == 1 and "wrong-authority" in r.stderr.decode(), text(r)
    tampered = tmp_path / "tampered.cms"
    body = bytearray(current.read_bytes())
    i = body.find(b'"organisation":"Own Gateway Agency"')
    body[i + 17:i + 20] = b"OWN"
    tampered.write_bytes(bytes(body))
    r = directory("fetch", "--config", gateway_config(tmp_path, own, f"file:{tampered}"))
    assert r.returncode == 1 and "bad-signature" in r.stderr.decode(), text(r)
    r = directory("fetch", "--config", gateway_config(tmp_path, own, f"file:{tmp_path}/missing.cms"))
    assert r.returncode == 1 and "unreachable" in r.stderr.decode(), text(r)
    # every refusal kept the copy held
    answer = json.loads(lookup(gateway_config(tmp_path, own, f"file:{current}"), "d.example", "--json").stdout)
    assert answer["serial"] == held and answer["member"]["organisation"] == "Own Gateway Agency"


def test_a_bad_member_certificate_refuses_that_member_on_first_use_not_the_feed(auth, members, own, foreign, tmp_path):
    """A feed the authority signed although one entry holds a certificate of
    another authority (the authority's own checks would refuse it: signed
    here by hand with openssl, as a broken publisher would) is applied:
    the signature vouches for it. The member is refused when first used,
    and `lookup` says so; every other member stays usable."""
    publish(auth)
    feed = json.loads((auth / "directory" / "feed.json").read_text())
    feed["serial"] += 1
    bad = next(m for m in feed["members"] if m["id"] == "cust1")
    bad["certificates"] = [foreign.cert().read_text()]
    forged_json = tmp_path / "feed.json"
    forged_json.write_text(json.dumps(feed, sort_keys=True, separators=(",", ":")))
    forged = tmp_path / "feed.cms"
    r = subprocess.run(["openssl", "cms", "-sign", "-binary", "-nodetach", "-outform", "DER", "-md", "sha256",
                        "-signer", str(auth / "ca.pem"), "-inkey", str(auth / "ca.key"),
                        "-in", str(forged_json), "-out", str(forged)], capture_output=True)
    assert r.returncode == 0, text(r)
    cfg = gateway_config(tmp_path, own, f"file:{forged}")
    r = directory("fetch", "--config", cfg)
    assert r.returncode == 0, text(r)  # before: refused whole as certificate-mismatch
    assert f"serial {feed['serial']}" in r.stdout.decode()
    answer = json.loads(lookup(cfg, "cust1.example", "--json", check=True).stdout)
    check = answer["certificate_check"]
    assert check.startswith("refused: the directory entry of member cust1 is refused: certificate-mismatch: "
                            "member cust1 certificates[0] does not chain to the authority"), check
    assert check.endswith("the authority must publish a fixed entry"), check
    text_answer = lookup(cfg, "cust1.example", check=True).stdout.decode()
    assert "certificates  refused: " in text_answer
    assert json.loads(lookup(cfg, "cust2.example", "--json", check=True).stdout)["certificate_check"] == "ok"


def test_fetch_needs_a_directory_feed(own, tmp_path):
    cfg = tmp_path / "nofeed.toml"
    cfg.write_text(f'domain = "d.example"\ndata_dir = "{own.data}"\n')
    r = directory("fetch", "--config", cfg)
    assert r.returncode == 2 and "[directory] feed" in r.stderr.decode(), text(r)
    r = directory("fetch", "--config", tmp_path / "missing.toml")
    assert r.returncode == 2 and "missing.toml" in r.stderr.decode(), text(r)
    r = directory("fetch")
    assert r.returncode == 2 and "--config" in r.stderr.decode(), text(r)


# ------------------------------------------------ the documented webhook recipe

def documented_recipe():
    """The Python block of docs/directory.md that defines verify_securemail_webhook, run as is."""
    doc = (ROOT / "docs" / "directory.md").read_text()
    block = next(b.split("\n", 1)[1] for b in doc.split("```python")[1:] if "def verify_securemail_webhook" in b)
    namespace = {}
    exec(block.split("```", 1)[0], namespace)
    return namespace["verify_securemail_webhook"]


def admin_request(base, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def test_webhook_notice_verifies_with_the_documented_recipe(auth, members, server, gateway_factory, webhook_receiver):
    verify = documented_recipe()
    hooks = webhook_receiver
    gw = gateway_factory("webhook-gw")
    gw.write_config('[listen]\nrelay = "127.0.0.1:0"\ninbound = "127.0.0.1:0"\nadmin = "127.0.0.1:0"\n'
                    f'[directory]\nfeed = "{server.base}/feed.cms"\nauthority = "{auth / "ca.pem"}"\n'
                    'refresh = "1h"\nnotify_admin = false\n')
    gw.start()
    admin = "http://%s:%d" % gw.addr("admin")
    assert wait_for(lambda: admin_request(admin, "GET", "/v1/directory/lookup?domain=d.example")[0] == 200)
    status, body = admin_request(admin, "POST", "/v1/directory/subscriptions", {"url": hooks.url})
    assert status == 201, body
    secret = json.loads(body)["secret"]

    directory("update", "--authority", auth, "--id", "own", "--max-marking", "SENSITIVE", check=True)
    publish(auth)
    gw.proc.send_signal(signal.SIGHUP)  # fetch now
    assert hooks.wait(1)
    headers, body = hooks.notices[0]
    signature = headers.get("SecureMail-Signature", "")
    assert verify(secret, signature, body)
    assert not verify(secret, signature, body + b" ")
    assert not verify("0" * 64, signature, body)
    assert not verify(secret, signature.replace("t=", "t=1"), body)  # another time: replay or forgery
    notice = json.loads(body)
    assert {"kind": "changed", "member_id": "own"}.items() <= notice["changes"][0].items()
