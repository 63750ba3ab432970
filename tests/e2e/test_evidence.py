"""Kept evidence (issue 13) end to end: after a receipt round trip on a
testnet (a, b), `securemail evidence export` at a writes the signed
original, the receipt, the authority certificate and CRL and a README
whose openssl commands, run as written in the export folder, succeed; the
same commands fail on a tampered receipt. b's export of the message it
received verifies likewise. What is kept at rest is not the plaintext.
"""
import re
import os
import shutil
import sqlite3
import subprocess
import time

import pytest

from conftest import securemail, text
from testnet_world import compose, new_message_id, receipts, running, send, wait_reports

DOMAINS = ["a.example", "b.example"]
SECRET = "the evidence body, never at rest in clear"


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    with running(tmp_path_factory.mktemp("evidence"), DOMAINS) as n:
        yield n


@pytest.fixture(scope="module")
def delivered(net):
    """The Message-ID of a message from alice to bob whose receipt came back."""
    mid = new_message_id("evidence")
    msg = compose("alice@a.example", ["bob@b.example"], "keep the evidence", mid, body=SECRET)
    code, reply = send(net.port("a.example", "relay"), "alice@a.example", ["bob@b.example"], msg,
                       rcpt_options=["NOTIFY=SUCCESS"])
    assert code == 250, reply
    net.wait_message("b.example", "bob", "keep the evidence")
    wait_reports(net, "a.example", "alice", mid)
    assert [r["state"] for r in receipts(net, "a.example") if r["message_id"] == mid.strip("<>")] == ["received"]
    return mid


def export(net, domain, mid, out):
    return securemail("evidence", "export", "--config", net.config(domain), "--message-id", mid, "--out", out)


def readme_commands(folder):
    """The openssl command lines of the export's README.txt, as written (a
    leading shell prompt taken off)."""
    lines = (folder / "README.txt").read_text().splitlines()
    cmds = [re.sub(r"^\s*(\$\s+)?", "", line) for line in lines]
    return [c for c in cmds if c.startswith("openssl ")]


def run_in(folder, command):
    return subprocess.run(["bash", "-c", command], cwd=folder, capture_output=True, text=True, timeout=60)


def test_export_at_the_sender_verifies_with_its_own_readme(net, delivered, tmp_path):
    out = tmp_path / "a-export"
    r = export(net, "a.example", delivered, out)
    assert r.returncode == 0, text(r)
    names = sorted(p.name for p in out.iterdir())
    assert "original-sent.eml" in names and "README.txt" in names, names
    assert [n for n in names if re.fullmatch(r"receipt-\d+\.der", n)], names
    assert SECRET in (out / "original-sent.eml").read_text(errors="replace")
    cmds = readme_commands(out)
    verify = [c for c in cmds if " -verify " in c + " " and "-verify_receipt" not in c]
    receipt = [c for c in cmds if "-verify_receipt" in c]
    assert verify and receipt, (out / "README.txt").read_text()
    for c in cmds:
        done = run_in(out, c)
        assert done.returncode == 0, (c, done.stdout[-1000:], done.stderr[-2000:])

    # The same commands on a receipt with one octet changed: refused.
    bad = tmp_path / "a-export-tampered"
    shutil.copytree(out, bad)
    rcpt = sorted(bad.glob("receipt-*.der"))[0]
    der = bytearray(rcpt.read_bytes())
    der[-5] ^= 0x01
    rcpt.write_bytes(bytes(der))
    failed = [run_in(bad, c) for c in receipt if rcpt.name in c]
    assert failed and all(f.returncode != 0 for f in failed), [(f.returncode, f.stderr[-500:]) for f in failed]


def test_export_at_the_receiver_verifies(net, delivered, tmp_path):
    out = tmp_path / "b-export"
    r = export(net, "b.example", delivered, out)
    assert r.returncode == 0, text(r)
    assert (out / "original-received.eml").exists(), sorted(p.name for p in out.iterdir())
    cmds = readme_commands(out)
    assert [c for c in cmds if "-verify" in c], (out / "README.txt").read_text()
    for c in cmds:
        done = run_in(out, c)
        assert done.returncode == 0, (c, done.stdout[-1000:], done.stderr[-2000:])


def test_evidence_at_rest_is_encrypted(net, delivered):
    for domain in DOMAINS:
        files = [p for p in (net.dir / domain / "evidence").rglob("*") if p.is_file()]
        assert files, f"nothing kept under {domain}/evidence"
        assert not [p for p in files if SECRET.encode() in p.read_bytes()]


def test_export_refuses_bad_requests(net, delivered, tmp_path):
    r = export(net, "a.example", "<never-sent@a.example>", tmp_path / "none")
    assert r.returncode == 1, text(r)
    assert "never-sent@a.example" in text(r)
    full = tmp_path / "full"
    full.mkdir()
    (full / "something").write_text("x")
    r = export(net, "a.example", delivered, full)
    assert r.returncode != 0, text(r)
    assert sorted(p.name for p in full.iterdir()) == ["something"]


def test_purge_keeps_what_is_within_retention(net, delivered, tmp_path):
    r = securemail("evidence", "purge", "--config", net.config("a.example"))
    assert r.returncode == 0, text(r)
    out = tmp_path / "after-purge"
    r = export(net, "a.example", delivered, out)
    assert r.returncode == 0, text(r)
    assert (out / "original-sent.eml").exists() and list(out.glob("receipt-*.der"))


def test_running_gateway_purges_evidence_past_retention(net, delivered, tmp_path):
    """The gateway purges by itself (at start, then hourly): evidence whose
    retention has passed (its keep_until moved back while the gateway was
    stopped, since retention is at least a day) is gone after the start,
    files included, while what is within its retention stays."""
    mid = new_message_id("short-lived")
    msg = compose("alice@a.example", ["bob@b.example"], "short-lived evidence", mid)
    code, reply = send(net.port("a.example", "relay"), "alice@a.example", ["bob@b.example"], msg,
                       rcpt_options=["NOTIFY=SUCCESS"])
    assert code == 250, reply
    wait_reports(net, "a.example", "alice", mid)
    assert export(net, "a.example", mid, tmp_path / "before").returncode == 0
    index = net.config("a.example").parent / "evidence.sqlite"  # the data folder
    net.stop("a.example")
    with sqlite3.connect(index) as db:
        files = [row[0] for row in db.execute("SELECT sha256 FROM entries WHERE message_id = ?", (mid.strip("<>"),))]
        shared = {row[0] for row in db.execute("SELECT sha256 FROM entries WHERE message_id != ?", (mid.strip("<>"),))}
        db.execute("UPDATE entries SET keep_until = 1 WHERE message_id = ?", (mid.strip("<>"),))
    own = [f for f in files if f not in shared]  # the CRL and authority are shared with kept entries
    assert own
    evidence_dir = index.parent / "evidence"
    two_days_ago = time.time() - 2 * 86400  # as old as files past a retention of at least a day are
    for f in own:
        os.utime(evidence_dir / f[:2] / f"{f}.cms", (two_days_ago, two_days_ago))
    net.start("a.example")
    gone = None
    for _ in range(100):
        gone = export(net, "a.example", mid, tmp_path / "after")
        if gone.returncode != 0:
            break
        shutil.rmtree(tmp_path / "after", ignore_errors=True)
        time.sleep(0.1)
    assert gone.returncode != 0, text(gone)
    for _ in range(50):
        if not any((evidence_dir / f[:2] / f"{f}.cms").exists() for f in own):
            break
        time.sleep(0.1)
    assert not any((evidence_dir / f[:2] / f"{f}.cms").exists() for f in own)
    kept = export(net, "a.example", delivered, tmp_path / "kept")
    assert kept.returncode == 0, text(kept)


def test_message_without_message_id_is_delivered_and_kept_under_its_queue_id(net):
    """Evidence is indexed by Message-ID; a sealed message without one is
    still delivered at once (not deferred for want of an index key) and
    its evidence is kept under the receiving queue id."""
    msg = b"\r\n".join([b"From: alice@a.example", b"To: bob@b.example", b"Subject: no message-id here",
                        b"", b"body", b""])
    code, reply = send(net.port("a.example", "relay"), "alice@a.example", ["bob@b.example"], msg)
    assert code == 250, reply
    net.wait_message("b.example", "bob", "no message-id here")
    index = net.config("b.example").parent / "evidence.sqlite"
    with sqlite3.connect(index) as db:
        ids = [row[0] for row in db.execute("SELECT message_id FROM entries WHERE kind = 'received'")]
    assert any(re.fullmatch(r"[0-9A-F]{16}", i) for i in ids), ids
