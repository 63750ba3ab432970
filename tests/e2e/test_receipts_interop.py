"""Receipt interop with the OpenSSL command line (issue 13): a message
signed with `openssl cms -sign -receipt_request_to ... -receipt_request_all`
(a.example's gateway key, From: alice@a.example) and sealed with `openssl
cms -encrypt` to b's certificate is sent to b's inbound listener. It
carries no SecureMail-Envelope (OpenSSL knows nothing of it), so b
delivers it `smime=pass` with "no envelope binding" - the level at which
such mail is accepted today. b then sends a signed receipt, sealed to a;
the test takes it from b's queue (a's inbound is moved off the port the
directory lists, so it waits there), opens it with a's key with `openssl
cms -decrypt`, and `openssl cms -verify_receipt` accepts the receipt
against the file OpenSSL signed - and refuses it against another one.
"""
import email
import email.policy

import pytest

from smime_peers import run
from testnet_world import (authority_pem, compose, inner_message, is_receipt_for, new_message_id, open_sealed,
                           openssl_sealed_with_request, receipt_parts, results, running, send, unreachable_inbound,
                           wait_queued)

DOMAINS = ["a.example", "b.example"]
RECEIPTS_TO = "securemail-receipts@a.example"


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    with running(tmp_path_factory.mktemp("receipts-interop"), DOMAINS) as n:
        yield n


def verify_receipt(receipt, signed, ca):
    return run(["openssl", "cms", "-verify_receipt", receipt, "-rctform", "DER", "-in", signed, "-CAfile", ca],
               check=False)


def test_openssl_signed_request_gets_a_receipt_openssl_accepts(net, tmp_path):
    mid = new_message_id("openssl")
    msg = compose("alice@a.example", ["bob@b.example"], "signed by openssl", mid, body="asks for a receipt")
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    sealed, signed = openssl_sealed_with_request(net, "a.example", "b.example", msg, RECEIPTS_TO, first)
    with unreachable_inbound(net, "a.example"):
        code, reply = send(net.port("b.example", "inbound"), "alice@a.example", ["bob@b.example"], sealed)
        assert code == 250, reply
        m = net.wait_message("b.example", "bob", "signed by openssl")
        ours = results(m, "gw.b.example")
        assert "smime=pass" in ours[0] and "no envelope binding" in ours[0], ours
        [(entry, receipt_mail)] = wait_queued(net, "b.example", is_receipt_for(net, "a.example"))
        net.gateways["b.example"].queue("delete", entry["id"])  # a has no ledger row for it
    assert entry["sealed_for"] == "a-example", entry
    inner = email.message_from_bytes(inner_message(open_sealed(net, "a.example", receipt_mail)),
                                     policy=email.policy.compat32)
    assert inner["SecureMail-Receipt-For"] == "bob@b.example" and inner["SecureMail-Receipt-Message-Id"] == mid
    [der] = receipt_parts(inner)
    receipt = tmp_path / "receipt.der"
    receipt.write_bytes(der)

    ok = verify_receipt(receipt, signed, authority_pem(net))
    assert ok.returncode == 0, ok.stderr.decode(errors="replace")
    assert b"Verification successful" in ok.stderr + ok.stdout

    # The receipt is bound to that signature: against another signed message it fails.
    _, other = openssl_sealed_with_request(net, "a.example", "b.example", msg, RECEIPTS_TO, second)
    bad = verify_receipt(receipt, other, authority_pem(net))
    assert bad.returncode != 0, bad.stdout
