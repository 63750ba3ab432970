"""Certification (issue 17): `securemail certify` run from a facility
(`testnet --with-facility`, started with `certify serve`) against real
gateways. A correct gateway passes every required case of the profile
(1.0: its test agent reports on the test content it took, SHA-384
and SHA-512 signatures and receipt requests it cannot use included, and
sends test content of every kind when triggered, to the facility's test
addresses and decoys too); a
gateway behind a STARTTLS-stripping relay fails exactly SEC-TLS-OFFERED
and what needs TLS; one behind a relay that accepts bare LF fails exactly
the bare-LF and smuggling cases; one behind a relay that trusts any signer
exactly the wrong-signer case; b presenting an expired TLS certificate
exactly the pin, the certificate validity and what needs the pin. The JSON report is checked against
docs/certification.schema.json and the HTML report is opened in headless
Chromium (screenshot kept). Bad input exits 2 with one line and no report.
The expected failure sets come from `certify cases --json` (each case's
needs), not from a list kept here."""
import json
import os
import re
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from certify_peers import LenientRelay, StripTlsRelay
from conftest import securemail, wait_for
from smime_peers import openssl_issue
from testnet_world import Testnet, before_listen, config_changed, gateway_key

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "docs" / "certification.schema.json"
ARTIFACTS = Path(__file__).parent / "artefacts" / "certify"
TARGET = "b.example"


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    n = Testnet(tmp_path_factory.mktemp("certify"), ["a.example", TARGET], with_facility=True).build()
    # Each run sends seven messages b must refuse (tampered, wrong signers): with the default
    # throttle (1 s doubled per failure in 10 minutes, blocked after 10) the runs of this module
    # would block each other. Ordinary config values; no check is relaxed.
    n.append_config(TARGET, '[policy]\nsealed_failure_window = "3s"\nsealed_failure_limit = 1000\n')
    # OPS-RETRY: b retries a deferred message after 3 s, not its default 5 minutes.
    n.append_config(TARGET, '[queue]\nmin_backoff = "3s"\nscan_interval = "1s"\n')
    # The decoys' endpoints fail for b from the first run on: after a minute that would be
    # the peer-unreachable alert, were a decoy counted as a peer.
    n.append_config(TARGET, '[alerts]\npeer_unreachable = "1m"\n')
    # OPS-RCPT-WITHHELD: b reports a receipt that never came after 15 s (testnet: 2 minutes).
    n.replace_config(TARGET, 'timeout = "2m"', 'timeout = "15s"')
    # b restarts between runs (config_changed): what the facility could not hand it meanwhile
    # (a receipt for INT-RCPT-OUT, an echo@ answer) is retried after 3 s, not 5 minutes, well
    # inside b's 15 s receipt timeout.
    n.append_config(Testnet.FACILITY, '[queue]\nmin_backoff = "3s"\nscan_interval = "1s"\n')
    try:
        # a.example is left stopped: a member whose endpoint does not answer.
        n.start(TARGET, Testnet.FACILITY)
        yield n
    finally:
        n.stop(TARGET, Testnet.FACILITY)


@pytest.fixture(scope="module")
def catalogue():
    r = securemail("certify", "cases", "--json", check=True)
    return {c["id"]: c for c in json.loads(r.stdout)}


FIRST_RUN = []  # when this module's first certification run began


def certify(net, tmp_path, *extra, target=TARGET, name="report.json", max_wait="90s"):
    FIRST_RUN.append(FIRST_RUN[0] if FIRST_RUN else time.monotonic())
    report = tmp_path / name
    r = securemail("certify", "--target", target, "--config", net.config(Testnet.FACILITY), "--report", report,
                   "--max-wait", max_wait, *extra, timeout=600)
    return r, report


def load_report(report):
    import jsonschema
    doc = json.loads(report.read_text())
    jsonschema.validate(doc, json.loads(SCHEMA.read_text()))
    return doc


def screenshot(html, name):
    """The HTML report as headless Chromium shows it, kept in artefacts/certify/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / name
    if shot.exists():
        shot.unlink()
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--screenshot={shot}", "--window-size=1280,2400", html.as_uri()],
                   capture_output=True, timeout=120, check=True)
    assert shot.exists() and shot.stat().st_size > 10_000


def failed(doc):
    return {c["id"] for c in doc["cases"] if c["status"] == "FAIL"}


def profile_cases(catalogue, doc, needing=()):
    """Required cases of the report's profile that are applicable and need one of `needing`."""
    applicable = {c["id"] for c in doc["cases"] if c["required"] and c["status"] != "INFO"}
    return {i for i in applicable if set(catalogue[i]["needs"].split(",")) & set(needing)}


def republish_endpoint(net, member, endpoint):
    """The authority lists `endpoint` for `member`, publishes, and the
    facility's copy of the directory takes the new feed."""
    auth = net.dir / "authority"
    securemail("directory", "update", "--id", member, "--authority", auth, "--endpoint", endpoint, check=True)
    securemail("directory", "publish", "--authority", auth, check=True)
    securemail("directory", "fetch", "--config", net.config(Testnet.FACILITY), check=True)


@pytest.fixture
def endpoint_restored(net):
    yield
    republish_endpoint(net, "b-example", f"127.0.0.1:{net.port(TARGET, 'inbound')}")


def test_a_correct_gateway_passes_and_the_reports_are_complete(net, tmp_path, catalogue):
    auth = net.dir / "authority"
    r, report = certify(net, tmp_path, "--record", auth)
    out = r.stdout.decode()
    assert r.returncode == 0, out + r.stderr.decode()
    doc = load_report(report)
    assert doc["result"] == "pass" and doc["summary"]["required_failed"] == 0
    assert doc["profile"]["version"] == "1.0" and doc["profile"]["draft"] is False
    assert doc["target"]["member"] == "b-example" and doc["facility"]["domain"] == Testnet.FACILITY
    statuses = {c["id"]: c["status"] for c in doc["cases"]}
    assert all(statuses[c["id"]] == "PASS" for c in doc["cases"] if c["required"]), statuses
    observed = {c["id"]: c["observed"] for c in doc["cases"]}
    # The inbound cases were proved by the agent's report: verified, and the
    # digest of what it took is the one of what was sent (25 MiB included).
    for case in ("INT-IN-BASIC", "INT-IN-CBC", "INT-IN-OPAQUE", "INT-IN-BINARY", "INT-IN-LARGE", "INT-IN-EMPTY",
                 "INT-IN-UTF8", "INT-IN-SHA384", "INT-IN-SHA512"):
        assert statuses[case] == "PASS", (case, statuses[case])
        assert "the target's agent reported it pass, delivered as verified, digest equal" in observed[case], (case, observed[case])
    # Receipt requests b cannot use: both messages verified and taken, no receipt for either.
    malformed = observed["INT-RCPT-MALFORMED"]
    assert statuses["INT-RCPT-MALFORMED"] == "PASS", malformed
    parts = malformed.split(" | ")
    assert [p.split(":")[0] for p in parts] == ["rcpt-no-receipts-to", "rcpt-undecodable"], malformed
    for part in parts:
        assert "reported it pass, delivered as verified, digest equal" in part and "no signed receipt" in part, part
    assert "PASS: all 50 required cases passed (profile 1.0, target b.example" in out, out
    assert "signed receipt verified" in observed["INT-RCPT-RETURN"], observed["INT-RCPT-RETURN"]
    # What the target sent on a trigger arrived over TLS, verified as its
    # agent's, with the content the seed gives.
    for case in ("INT-OUT-BASIC", "INT-OUT-BINARY", "INT-OUT-LARGE", "INT-OUT-EMPTY", "INT-OUT-UTF8"):
        assert re.search(r"over TLSv1\.[23].*smime=pass by securemail-test@b\.example.*digest equal", observed[case]), \
            (case, observed[case])
    # The facility's test addresses: a 451 retried, a reply held 10 s and the
    # message tried once, a 550 bounced back to b's agent and reported.
    assert re.search(r"digest equal; deferred [1-9]\d* time\(s\) with 451", observed["OPS-RETRY"]), observed["OPS-RETRY"]
    assert re.search(r"digest equal; the facility held its reply 10 s and saw 1 try$", observed["OPS-DELAY"]), \
        observed["OPS-DELAY"]
    assert re.search(r"reported a delivery status notification: failed 5\.7\.1 \(smtp; 550 5\.7\.1 .*refused: "
                     r"refuse@facility\.example refuses every message", observed["OPS-REFUSE"]), observed["OPS-REFUSE"]
    # The decoys: b connected, saw no STARTTLS (or a certificate no directory lists), sent nothing.
    for case, where in (("SEC-OUT-STRIP", "strip"), ("SEC-OUT-BADTLS", "badtls")):
        assert re.search(rf"the target connected to the {where} endpoint \d+ s after the trigger and sent no MAIL",
                         observed[case]), (case, observed[case])
    assert re.search(r"the target holds CRL number \d+ \(next update 20\d\d-.*\); the authority's current is number \d+",
                     observed["OPS-CRL-FRESH"]), observed["OPS-CRL-FRESH"]
    # b verifies its recipients: postmaster@ taken, a mailbox it lacks refused at RCPT.
    assert re.search(r"RCPT postmaster@b\.example: 250 .*RCPT certify-nobody-r[0-9a-z-]+@b\.example: 550 5\.1\.1 "
                     r".*no such mailbox here", observed["OPS-GOOD-BAD-RCPT"]), observed["OPS-GOOD-BAD-RCPT"]
    # b asked for receipts on a trigger: the facility's came back and b verified it; the one
    # noreceipt@ withholds b reported as not confirmed, no sooner than its 15 s.
    assert re.search(r"receipt report: delivered 2\.0\.0 \(.*signed receipt from member facility-example\) \d+ s after",
                     observed["INT-RCPT-OUT"]), observed["INT-RCPT-OUT"]
    withheld = re.search(r"receipt report: relayed 2\.0\.0 .* (\d+) s after it sent the message; its receipt timeout is 15 s$",
                         observed["OPS-RCPT-WITHHELD"])
    assert withheld and int(withheld.group(1)) >= 15, observed["OPS-RCPT-WITHHELD"]
    # Refusals were refusals.
    for case in ("SEC-TAMPER-GCM", "SEC-TAMPER-CBC", "SEC-SIGNER-WRONGDOMAIN", "SEC-SIGNER-EXPIRED",
                 "SEC-SIGNER-NOTYET", "SEC-SIGNER-REVOKED", "SEC-SIGNER-WRONGCA", "SEC-SIGNER-WEAK",
                 "SEC-SIGNER-NOCRL"):
        assert "end of data: 550 5.7.5" in observed[case], (case, observed[case])
    # b's log names each fixture's fault (the reply never does).
    log = net.gateways[TARGET].log_text()
    for reason in ("signer-expired", "signer-not-yet-valid", "signer-revoked", "untrusted-signer", "signer-weak-key",
                   "its issuer is not an authority this gateway trusts, and no CRL of it reaches here"):
        assert reason in log, reason
    # EC testnet: RSA key transport is not applicable, and says so.
    assert statuses["INT-IN-RSA-OAEP"] == "INFO" and statuses["INT-IN-ECDH"] == "PASS"
    assert "PASS: all" in out and "report: " in out
    # --record: the result is in the member's directory entry, for the next feed.
    shown = securemail("directory", "show", "b-example", "--authority", auth, check=True).stdout.decode()
    assert f"profile 1.0 on {doc['finished'][:10]}: pass" in shown, shown

    html = report.with_suffix(".html")
    page = html.read_text()
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org", "")
    assert "passed certification" in page
    screenshot(html, "report-pass.png")


def test_starttls_stripped_fails_exactly_tls_and_what_needs_it(net, tmp_path, catalogue, endpoint_restored):
    with StripTlsRelay(("127.0.0.1", net.port(TARGET, "inbound"))) as relay:
        republish_endpoint(net, "b-example", f"127.0.0.1:{relay.port}")
        r, report = certify(net, tmp_path, max_wait="20s")
    assert r.returncode == 1, r.stdout.decode() + r.stderr.decode()
    doc = load_report(report)
    assert doc["result"] == "fail"
    expected = {"SEC-TLS-OFFERED"} | profile_cases(catalogue, doc, needing=("tls", "pin"))
    assert failed(doc) == expected
    assert doc["summary"]["required_failed"] == len(expected)
    for c in doc["cases"]:
        if c["id"] in expected - {"SEC-TLS-OFFERED"}:
            assert c["observed"].startswith("not run: needs"), c
    assert "FAIL: " in r.stdout.decode()
    page = report.with_suffix(".html").read_text()
    assert "failed certification" in page and "not run: needs" in page
    screenshot(report.with_suffix(".html"), "report-fail.png")


def test_a_peer_accepting_bare_lf_fails_exactly_the_line_ending_cases(net, tmp_path, endpoint_restored):
    key, cert = gateway_key(net, TARGET)
    with LenientRelay(("127.0.0.1", net.port(TARGET, "inbound")), str(cert), str(key)) as relay:
        republish_endpoint(net, "b-example", f"127.0.0.1:{relay.port}")
        r, report = certify(net, tmp_path)
    assert r.returncode == 1, r.stdout.decode() + r.stderr.decode()
    doc = load_report(report)
    assert failed(doc) == {"SEC-SMTP-BARE-LF", "SEC-SMTP-SMUGGLE"}, [
        (c["id"], c["observed"]) for c in doc["cases"] if c["status"] == "FAIL"]


@pytest.mark.parametrize("args, says", [
    (["--target", "nobody.example"], "nobody.example is not a member"),
    (["--target", TARGET, "--profile", "9.9"], "--profile 9.9: no such requirements profile"),
    (["--target", "a.example"], "a.example: unreachable"),
    (["--target", "127.0.0.1:1"], "127.0.0.1:1 is not the endpoint of any member"),
    (["--target", Testnet.FACILITY], "is the facility itself"),
    (["--target", TARGET, "--record", "/nonexistent/authority"], "--record /nonexistent/authority"),
])
def test_bad_input_is_one_line_and_exit_2_without_a_report(net, tmp_path, args, says):
    report = tmp_path / "r.json"
    r = securemail("certify", "--config", net.config(Testnet.FACILITY), "--report", report, *args, timeout=120)
    err = r.stderr.decode().strip()
    assert r.returncode == 2, (r.returncode, err, r.stdout)
    assert says in err and len(err.splitlines()) == 1, err
    assert not report.exists() and not report.with_suffix(".html").exists()
    assert r.stdout == b""


def test_a_facility_that_is_not_running_is_refused(net, tmp_path):
    # a.example's gateway is stopped: used as a facility it cannot take receipts.
    r = securemail("certify", "--target", TARGET, "--config", net.config("a.example"), "--report", tmp_path / "r.json")
    assert r.returncode == 2
    assert "not running" in r.stderr.decode() and not (tmp_path / "r.json").exists()


def test_a_facility_whose_certificate_expired_is_refused(net, tmp_path):
    data = tmp_path / "expired-facility"
    cfg = net.config(Testnet.FACILITY).read_text().replace(str(net.dir / Testnet.FACILITY), str(data))
    (data / "pki" / "keys").mkdir(parents=True)
    src = net.dir / Testnet.FACILITY / "pki"
    for f in ("authority.pem", "crl.pem"):
        (data / "pki" / f).write_bytes((src / f).read_bytes())
    # A key set whose certificate expired in 2020, issued by the testnet authority.
    key_dir = data / "pki" / "keys" / "ec-p256-20200101000000"
    key_dir.mkdir()
    auth = net.dir / "authority"
    subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key_dir / "key.pem"],
                   check=True, capture_output=True)
    os.chmod(key_dir / "key.pem", 0o600)
    cert = openssl_issue(auth / "ca.pem", auth / "ca.key", key_dir / "key.pem", Testnet.FACILITY, tmp_path / "ca",
                         "20200101000000Z", "20201231000000Z")
    (key_dir / "cert.pem").write_bytes(cert.read_bytes())
    (data / "config.toml").write_text(cfg)  # data_dir = "." : the config's own folder
    r = securemail("certify", "--target", TARGET, "--config", data / "config.toml", "--report", tmp_path / "r.json")
    err = r.stderr.decode()
    assert r.returncode == 2, err
    assert "own certificate" in err and "expired" in err and not (tmp_path / "r.json").exists()


def test_certify_setup_makes_the_fixtures_on_an_authority(tmp_path):
    """`certify setup` makes what testnet made for the facility, on any
    authority: refused with one line when they are made already, for a
    config that is not a facility member, or for a decoy listening on a
    wildcard address without --strip-endpoint; made anew (new keys, the
    members updated) once the folder is moved away."""
    n = Testnet(tmp_path / "net", ["a.example", "b.example"], with_facility=True).build()
    fac, auth = n.config(Testnet.FACILITY), n.dir / "authority"
    folder = n.dir / Testnet.FACILITY / "certify" / "fixtures"
    before = {p.name: (p / "cert.pem").read_text() for p in folder.iterdir()}
    assert {"expired", "notyet", "revoked", "wrongca", "weak", "nocrl", "strip", "badtls"} == set(before)
    # fx-nocrl sends its issuer along: a subordinate of the authority whose CRL is published nowhere.
    assert (folder / "nocrl" / "chain.pem").exists() and not (folder / "weak" / "chain.pem").exists()

    def setup(*args):
        r = securemail("certify", "setup", "--authority", auth, *args)
        return r.returncode, r.stdout.decode(), r.stderr.decode()

    rc, out, err = setup("--config", fac)
    assert rc == 2 and "exists already" in err and len(err.strip().splitlines()) == 1, err
    rc, out, err = setup("--config", n.config("b.example"))
    assert rc == 2 and "b.example is not a member with the capability certification-facility" in err, err
    rc, out, err = setup("--config", fac, "--endpoint", "no port")
    assert rc == 2 and 'the fixtures\' endpoint "no port": missing :PORT' in err, err
    r = securemail("certify", "setup", "--config", fac, "--authority", tmp_path / "nowhere")
    assert r.returncode == 2 and b"nowhere/ca.pem: cannot open" in r.stderr, r.stderr

    folder.rename(folder.with_name("fixtures.old"))
    strip = n.settings(Testnet.FACILITY)["facility"]["strip"]
    port = strip.rsplit(":", 1)[1]
    n.replace_config(Testnet.FACILITY, f'strip = "{strip}"', f'strip = "0.0.0.0:{port}"')
    rc, out, err = setup("--config", fac)
    assert rc == 2 and f"listens on 0.0.0.0:{port}" in err and "--strip-endpoint" in err, err
    assert not folder.exists()
    rc, out, err = setup("--config", fac, "--strip-endpoint", strip)
    assert rc == 0, out + err
    assert f"made fx-weak at weak.{Testnet.FACILITY}: a certificate for an RSA-1024 key (SEC-SIGNER-WEAK)" in out, out
    assert f"made fx-strip at strip.{Testnet.FACILITY}" in out and "directory publish" in out, out
    after = {p.name: (p / "cert.pem").read_text() for p in folder.iterdir()}
    assert set(after) == set(before) and all(after[k] != before[k] for k in after), "new keys and certificates"
    securemail("directory", "publish", "--authority", auth, check=True)
    shown = securemail("directory", "show", "fx-weak", "--authority", auth, check=True).stdout.decode()
    assert f"weak.{Testnet.FACILITY}" in shown, shown
    shown = securemail("directory", "show", "fx-strip", "--authority", auth, check=True).stdout.decode()
    assert strip in shown, shown


def test_cases_and_profiles_are_listed():
    r = securemail("certify", "profiles", check=True)
    assert all(f"{v} (draft)" in r.stdout.decode() for v in ("0.9", "0.10", "0.11", "0.12", "0.13", "0.14")), \
        r.stdout.decode()
    assert "\n1.0  SecureMail member gateway, profile 1.0" in r.stdout.decode(), r.stdout.decode()
    cases = json.loads(securemail("certify", "cases", "--json", check=True).stdout)
    by_id = {c["id"]: c for c in cases}
    # Each draft requires what the one before did and adds its own; older ones stay as published.
    later = {"0.12": "required", "0.13": "required", "0.14": "required", "1.0": "required"}
    assert by_id["INT-OUT-LARGE"]["profiles"] == {"0.10": "required", "0.11": "required", **later}
    assert by_id["INT-IN-BASIC"]["profiles"] == {"0.9": "required", "0.10": "required", "0.11": "required", **later}
    assert by_id["INT-IN-SHA384"]["profiles"] == {"0.11": "required", **later}
    assert by_id["INT-IN-SHA512"]["profiles"] == {"0.11": "optional", "0.12": "optional", "0.13": "optional",
                                                  "0.14": "optional", "1.0": "required"}
    assert by_id["INT-RCPT-MALFORMED"]["profiles"] == {"0.11": "required", **later}
    assert by_id["OPS-RETRY"]["profiles"] == later
    assert by_id["SEC-SIGNER-WEAK"]["profiles"] == {"0.13": "required", "0.14": "required", "1.0": "required"}
    for case in ("OPS-GOOD-BAD-RCPT", "INT-RCPT-OUT", "OPS-RCPT-WITHHELD"):
        assert by_id[case]["profiles"] == {"0.14": "required", "1.0": "required"}, by_id[case]
    assert by_id["SEC-SIGNER-NOCRL"]["profiles"] == {"1.0": "required"}
    assert {"SEC-TLS-VERSION", "INT-IN-BASIC", "OPS-CERT-VALIDITY"} <= {c["id"] for c in cases}
    assert all(c["cites"] for c in cases)


def alert_value(net, domain, name):
    with urllib.request.urlopen(f"http://127.0.0.1:{net.port(domain, 'admin')}/metrics", timeout=5) as r:
        text = r.read().decode()
    m = re.search(rf'^securemail_alert\{{alert="{re.escape(name)}"\}} (\S+)$', text, re.M)
    return float(m.group(1)) if m else None


def b_takes_the_feed(net):
    """b applies the authority's newest feed now: fetched into its copy, then a reload."""
    securemail("directory", "fetch", "--config", net.config(TARGET), check=True)
    securemail("reload", "--config", net.config(TARGET), check=True, timeout=120)


def test_the_required_profile_travels_in_the_feed_and_alerts_until_certified(net, tmp_path):
    auth = net.dir / "authority"
    r = securemail("directory", "requirements", "--authority", auth, "--profile", "7.3")
    assert r.returncode == 2 and "--profile 7.3: no such requirements profile" in r.stderr.decode()
    # b's entry says its last certification failed (whatever a test before recorded).
    securemail("directory", "update", "--id", "b-example", "--authority", auth, "--certified", "0.9:2026-11-01:fail",
               check=True)
    securemail("directory", "requirements", "--authority", auth, "--profile", "0.9", "--since", "2026-12-01",
               "--grace-days", "30", check=True)
    try:
        published = securemail("directory", "publish", "--authority", auth, check=True).stdout.decode()
        assert "requires profile 0.9 since 2026-12-01 (grace 30 days)" in published
        b_takes_the_feed(net)
        assert wait_for(lambda: alert_value(net, TARGET, "certification-outdated") == 1.0, 30)

        # Certified, recorded, published: the alert clears. The report names the profile the feed requires.
        securemail("directory", "fetch", "--config", net.config(Testnet.FACILITY), check=True)
        r, report = certify(net, tmp_path, "--record", auth)
        assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
        doc = json.loads(report.read_text())
        assert doc["profile"]["required_by_feed"] == "0.9" and doc["profile"]["version"] == "0.9"
        # 0.9 has no agent cases: its inbound messages go to postmaster@ and are proved by receipts.
        basic = next(c for c in doc["cases"] if c["id"] == "INT-IN-BASIC")
        assert "to postmaster@" in basic["sent"] and "signed receipt verified" in basic["observed"], basic
        assert "INT-OUT-BASIC" not in {c["id"] for c in doc["cases"]}
        securemail("directory", "publish", "--authority", auth, check=True)
        b_takes_the_feed(net)
        assert wait_for(lambda: alert_value(net, TARGET, "certification-outdated") == 0.0, 30)
    finally:
        securemail("directory", "requirements", "--authority", auth, "--clear", check=True)
        securemail("directory", "publish", "--authority", auth, check=True)


def test_a_peer_trusting_any_signer_fails_exactly_the_wrong_signer_case(net, tmp_path, endpoint_restored):
    # b behind a relay that decrypts sealed mail itself and, when the signature
    # verifies by itself but the signer's certificate does not name the From:
    # domain, answers 250 and delivers nothing; all else reaches b.
    from certify_peers import TrustingRelay
    key, cert = gateway_key(net, TARGET)
    with TrustingRelay(("127.0.0.1", net.port(TARGET, "inbound")), str(cert), str(key),
                       authority=net.dir / "authority") as relay:
        republish_endpoint(net, "b-example", f"127.0.0.1:{relay.port}")
        r, report = certify(net, tmp_path, max_wait="15s")
    assert r.returncode == 1, r.stdout.decode() + r.stderr.decode()
    doc = load_report(report)
    observed = [(c["id"], c["observed"]) for c in doc["cases"] if c["status"] == "FAIL"]
    assert failed(doc) == {"SEC-SIGNER-WRONGDOMAIN", "SEC-SIGNER-EXPIRED", "SEC-SIGNER-NOTYET", "SEC-SIGNER-REVOKED",
                           "SEC-SIGNER-WRONGCA", "SEC-SIGNER-NOCRL"}, (observed, relay.seen)
    swallowed = [s for s in relay.seen if s.startswith("swallowed")]
    assert f"swallowed: signed by ['{Testnet.FACILITY}'], From: certify@a.example" in swallowed, relay.seen
    for fixture in ("expired", "notyet", "revoked", "wrongca", "nocrl"):
        assert any(s.startswith("swallowed: signer not valid") and f"@{fixture}.{Testnet.FACILITY}" in s
                   for s in swallowed), (fixture, relay.seen)
    assert len(swallowed) == 6, relay.seen


def test_an_expired_tls_certificate_fails_the_pin_and_what_needs_it(net, tmp_path, catalogue):
    # b presents an expired certificate for its own key (made with `openssl ca`, backdated): not the
    # one the directory lists, and out of date.
    key, _ = gateway_key(net, TARGET)
    auth = net.dir / "authority"
    expired = openssl_issue(auth / "ca.pem", auth / "ca.key", key, TARGET, tmp_path / "ca",
                            "20200101000000Z", "20201231000000Z")
    tls = f'[tls]\ncert = "{expired}"\nkey = "{key}"'
    with config_changed(net, TARGET, before_listen(tls)):
        r, report = certify(net, tmp_path, max_wait="20s")
    assert r.returncode == 1, r.stdout.decode() + r.stderr.decode()
    doc = load_report(report)
    expected = {"SEC-TLS-CERT", "OPS-CERT-VALIDITY"} | profile_cases(catalogue, doc, needing=("pin",))
    assert failed(doc) == expected, [(c["id"], c["observed"]) for c in doc["cases"] if c["status"] == "FAIL"]
    cert_case = next(c for c in doc["cases"] if c["id"] == "SEC-TLS-CERT")
    assert "not a certificate the directory lists" in cert_case["observed"] and "expired" in cert_case["observed"]


def test_receipts_off_and_a_catch_all_fail_exactly_their_cases(net, tmp_path):
    # b's operator turned signed receipts off ([receipts] issue = false) and
    # takes every local part ([deliver] recipients = "any"): the inbound
    # cases are still proved by its test agent's reports; the case that
    # wants the receipt itself fails, and so does the one that needs an
    # unknown recipient refused (at RCPT, or by a DSN that never comes).
    with config_changed(net, TARGET, ("[receipts]\n", "[receipts]\nissue = false\n"),
                        ('recipients = "verify"', 'recipients = "any"')):
        r, report = certify(net, tmp_path, max_wait="40s")
    assert r.returncode == 1, r.stdout.decode() + r.stderr.decode()
    doc = load_report(report)
    assert failed(doc) == {"INT-RCPT-RETURN", "OPS-GOOD-BAD-RCPT"}, \
        [(c["id"], c["observed"]) for c in doc["cases"] if c["status"] == "FAIL"]
    case = next(c for c in doc["cases"] if c["id"] == "INT-RCPT-RETURN")
    assert "no signed receipt within the wait" in case["observed"], case
    case = next(c for c in doc["cases"] if c["id"] == "OPS-GOOD-BAD-RCPT")
    assert re.search(r"RCPT certify-nobody-r[0-9a-z-]+@b\.example: 250 .*no DSN for <certify-nobody-", case["observed"]), case


def observations(net):
    path = net.dir / Testnet.FACILITY / "certify" / "observations.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_the_decoys_record_every_step_and_take_no_mail(net):
    """The facility's strip endpoint offers no STARTTLS, its badtls endpoint a
    certificate no directory lists; both record the connection, MAIL and
    RCPT, and refuse DATA, so no content is ever taken in."""
    import smtplib
    import ssl
    settings = net.settings(Testnet.FACILITY)["facility"]
    strip_port = int(settings["strip"].rsplit(":", 1)[1])
    badtls_port = int(settings["badtls"].rsplit(":", 1)[1])
    before = len(observations(net))
    with smtplib.SMTP("127.0.0.1", strip_port, timeout=30) as s:
        s.ehlo("probe.test")
        assert not s.has_extn("starttls")
        assert s.mail("leak@b.example")[0] == 250
        assert s.rcpt("decoy@strip.facility.example")[0] == 250
        code, text = s.docmd("DATA")
        assert code == 554 and b"5.7.0" in text and b"certification decoy" in text
    with smtplib.SMTP("127.0.0.1", badtls_port, timeout=30) as s:
        s.ehlo("probe.test")
        assert s.has_extn("starttls")
        s.starttls(context=ssl._create_unverified_context())
        s.ehlo("probe.test")
        assert s.mail("leak@b.example")[0] == 250
        peer = ssl.DER_cert_to_PEM_cert(s.sock.getpeercert(binary_form=True))
    listed = (net.dir / Testnet.FACILITY / "certify" / "badtls" / "cert.pem").read_text()
    assert peer.split("-----")[2].split() == listed.split("-----")[2].split()  # the self-signed decoy certificate
    seen = [(o["where"], o.get("event"), o.get("tls", "")) for o in observations(net)[before:]]
    assert ("strip", "connect", "") in seen and ("strip", "MAIL FROM:<leak@b.example>", "") in seen
    assert ("strip", "RCPT TO:<decoy@strip.facility.example>", "") in seen and ("strip", "DATA", "") in seen
    assert ("badtls", "connect", "") in seen
    assert any(w == "badtls" and e == "MAIL FROM:<leak@b.example>" and t.startswith("TLSv1.") for w, e, t in seen), seen


def test_echo_and_ping_answer_a_member_sealed_back(net):
    """What an operator of any product does by hand: mail echo@ and ping@ of
    the facility. The answers come back sealed and verified; echo@'s
    carries the signed entity as the facility took it out of the seal, and
    its SHA-256; ping@'s the report alone."""
    import email.policy
    import hashlib
    from testnet_world import compose, new_message_id, results, send
    relay = net.port(TARGET, "relay")
    body = "Gr\u00fc\u00dfe from b, echo me back.\r\nsecond line"
    for who in ("echo", "ping"):
        msg = compose("alice@b.example", [f"{who}@{Testnet.FACILITY}"], f"{who} check", new_message_id(who),
                      body=body, extra=["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit"])
        assert send(relay, "alice@b.example", [f"{who}@{Testnet.FACILITY}"], msg)[0] == 250
    echo = net.wait_message(TARGET, "alice", "Echo: echo check", timeout=60)
    pong = net.wait_message(TARGET, "alice", "Pong: ping check", timeout=60)
    for answer, sender in ((echo, "echo"), (pong, "ping")):
        assert answer["From"] == f"{sender}@{Testnet.FACILITY}"
        assert answer["Auto-Submitted"] == "auto-replied"
        assert any("smime=pass" in r for r in results(answer, "gw.b.example")), answer.get_all("Authentication-Results")
    parts = {p.get_filename(): p for p in echo.walk() if not p.is_multipart()}
    entity = parts["received.eml"].get_payload(decode=True)
    report = parts[None].get_payload(decode=True).decode()
    assert "echo me back." in entity.decode("utf-8") and "Gr\u00fc\u00dfe" in entity.decode("utf-8")
    assert f"SHA-256:           {hashlib.sha256(entity).hexdigest()}" in report, report
    assert "Sealed by member:  b-example" in report and "Signature:         pass" in report
    assert not pong.is_multipart() and "echo me back" not in pong.get_payload(decode=True).decode()


def test_a_certified_gateway_does_not_alert_about_the_decoys(net, tmp_path):
    """After a run b keeps the decoys' messages queued and retries them (a
    correct gateway sends nothing there); that is no unreachable peer."""
    if not FIRST_RUN:
        certify(net, tmp_path)
    time.sleep(max(0.0, FIRST_RUN[0] + 75 - time.monotonic()))
    log = net.gateways[TARGET].log_text()
    assert "member:fx-strip: connection failed" in log and "member:fx-badtls: connection failed" in log
    assert alert_value(net, TARGET, "peer-unreachable") == 0.0
