"""Journaling in a running testnet (a.example, b.example): with [journal]
and a [[journal.rule]] for mail to b.example, a message from alice to bob
is also delivered, sealed to the records archive's certificate, to the
archive address (a's Maildir); it opens with `openssl cms -decrypt` and
the archive key and holds the message as alice sent it. Mail the rule does
not cover (alice to carol, a local recipient) is not journaled. Journal
copies are ordinary traffic: logged as "journal copy" and not discreet."""
from conftest import wait_for
from test_intercept import officer_certificate
from test_intercept_gateway import TwoGateways, decrypt, maildir, send, text_log


def test_journal_copy_arrives_sealed_to_the_archive(tmp_path):
    world = TwoGateways(tmp_path)
    net = world.net
    key, cert = officer_certificate(tmp_path)  # the archive's key pair
    world.add_config("a.example", f'[journal]\naddress = "archive@a.example"\ncertificate = "{cert}"\n'
                                  '[[journal.rule]]\nname = "to-b"\nto = ["*@b.example"]\n')
    a_relay = world.relay["a.example"]
    try:
        world.start()
        send(a_relay, "alice@a.example", "carol@a.example", "internal note", "for carol only")
        send(a_relay, "alice@a.example", "bob@b.example", "official record", "the minutes")
        assert wait_for(lambda: len(maildir(net, "b.example", "bob")) == 1, 30), text_log(net)
        assert wait_for(lambda: len(maildir(net, "a.example", "carol")) == 1, 30), text_log(net)
        assert wait_for(lambda: len(maildir(net, "a.example", "archive")) == 1, 30), text_log(net)
    finally:
        codes = world.stop()
    assert codes == [0, 0]
    (copy,) = maildir(net, "a.example", "archive")
    raw = copy.read_bytes()
    assert b"application/pkcs7-mime" in raw and b"the minutes" not in raw
    opened = decrypt(copy, key, cert)
    assert b"Subject: official record" in opened and b"the minutes" in opened
    assert b"for carol only" not in opened
    log = (net / "a.example" / "run.log").read_text(errors="replace")
    assert "journal copy" in log and "archive@a.example" in log, log[-3000:]
