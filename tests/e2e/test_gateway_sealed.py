"""The gateway end to end on a three-gateway testnet (a, b, c): mail
between members is sealed by the sending gateway and opened, verified and
marked by the receiving one; everything else stays ordinary mail; forged,
altered, replayed or misdirected mail is never delivered as verified; TLS
to a member never falls back; member sessions have connections kept for
them; a gateway service provider's clients can only send as their own
domains.

Policies: b rejects forgeries (the default), c delivers them tagged, a
quarantines them."""
import json
import re
import smtplib
import socket
import ssl
import subprocess

import pytest

from conftest import securemail, text, wait_for
from helpers import Sink, sealed_as_base64
from testnet_world import Testnet, results, send

DOMAINS = ["a.example", "b.example", "c.example"]


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    root = tmp_path_factory.mktemp("sealed")
    plain = Sink()
    plain.start()
    n = Testnet(root, DOMAINS).build()
    n.sink = plain
    n.append_config("a.example", f'[routes]\n"other.example" = "smtp://127.0.0.1:{plain.port}"\n'
                                 '[policy]\nforgery = "quarantine"\nsealed_failure_window = "2s"\n')
    n.append_config("c.example", '[policy]\nforgery = "tag"\nsealed_failure_window = "2s"\n'
                                 '[[relay_client]]\nname = "c-staff"\nnetworks = ["127.0.0.1"]\ndomains = ["c.example"]\n'
                                 '[[relay_client]]\nname = "globex"\nnetworks = ["127.0.0.2"]\ndomains = ["globex.example"]\n'
                                 'forgery = "reject"\n')
    # c is a service provider that also receives for its customer globex.
    n.replace_config("c.example", "[listen]", 'domains = ["globex.example"]\n\n[listen]')
    n.replace_config("b.example", "[listen]", "[limits]\nmax_connections = 3\nmember_connections = 5\n\n"
                                              '[policy]\nsealed_failure_window = "2s"\n\n[listen]')
    try:
        n.start()
        yield n
    finally:
        n.stop()
        plain.stop()


def compose(from_addr, to_addrs, subject, body, extra=()):
    lines = [f"From: {from_addr}", f"To: {', '.join(to_addrs)}", f"Subject: {subject}",
             "Date: Mon, 23 Nov 2026 12:00:00 +0000", f"Message-ID: <{abs(hash(subject))}@test>", *extra, "", body, ""]
    return "\r\n".join(lines).encode()


def seal_by_hand(net, signer_domain, recipient_domain, message):
    """`securemail smime seal` with signer_domain's keys to recipient_domain's gateway certificate."""
    cert = next((net.dir / recipient_domain / "pki" / "keys").glob("*/cert.pem"))
    r = securemail("smime", "--config", net.config(signer_domain), "seal", "--to", cert, input=message, check=True)
    return r.stdout


def flush(net, domain):
    net.gateways[domain].queue("flush")


def test_sealed_from_a_to_b_is_verified_and_restored(net):
    body = "the quarterly figures, for bob only"
    assert send(net.port("a.example", "relay"), "alice@a.example", ["bob@b.example"],
                compose("Alice <alice@a.example>", ["bob@b.example"], "sealed one", body))[0] == 250
    msg = net.wait_message("b.example", "bob", "sealed one")
    ours = results(msg, "gw.b.example")
    assert len(ours) == 1, msg.get_all("Authentication-Results")
    assert "smime=pass" in ours[0] and "body.smime-identifier=alice@a.example" in ours[0]
    assert "member a-example" in ours[0]
    # The form DESIGN.md promises filters, on one line of the stored file.
    raw = b"".join(p.read_bytes() for p in net.maildir("b.example", "bob").iterdir())
    assert re.search(rb"^Authentication-Results: gw\.b\.example; smime=pass body\.smime-identifier=alice@a\.example\r?$",
                     raw, re.M), raw[:600]
    assert msg.get_payload().strip() == body
    assert msg["SecureMail-Envelope"] is None  # the signed binding is taken off again
    hops = " ".join(msg.get_all("Received"))
    assert "by gw.a.example" in hops and "by gw.b.example" in hops
    a_log, b_log = net.gateways["a.example"].log_text(), net.gateways["b.example"].log_text()
    assert re.search(r"sealed for member b-example as \w+: signed by ec-p256-\S+ \(a\.example\), encrypted aes-256-gcm", a_log)
    assert re.search(r"sent to 127\.0\.0\.1:\d+ over TLSv1\.[23] .*certificate matches the directory", a_log)
    assert "verified: signed by member a-example" in b_log


def test_non_member_gets_ordinary_mail(net):
    before = net.sink.count()
    assert send(net.port("a.example", "relay"), "alice@a.example", ["dave@other.example"],
                compose("alice@a.example", ["dave@other.example"], "plain one", "hello outside"))[0] == 250
    assert net.sink.wait(before + 1)
    data = net.sink.messages[-1]["data"]
    assert b"hello outside" in data and b"pkcs7" not in data


def test_mixed_recipients_are_split(net):
    before = net.sink.count()
    rcpts = ["bob@b.example", "carol@c.example", "dave@other.example"]
    assert send(net.port("a.example", "relay"), "alice@a.example", rcpts,
                compose("alice@a.example", rcpts, "mixed one", "to all three"))[0] == 250
    for d, u in (("b.example", "bob"), ("c.example", "carol")):
        m = net.wait_message(d, u, "mixed one")
        assert "smime=pass" in results(m, f"gw.{d}")[0]
    assert net.sink.wait(before + 1)
    plain = net.sink.messages[-1]
    assert plain["to"] == ["dave@other.example"] and b"to all three" in plain["data"]
    log = net.gateways["a.example"].log_text()
    assert "sealed for member b-example" in log and "sealed for member c-example" in log


def test_large_mixed_message_is_sealed_and_relayed(net):
    # Over the 1 MiB the gateway keeps in memory while it decides.
    line = "x" * 76
    body = "\r\n".join(f"{i:06d} {line}" for i in range(30000))  # about 2.5 MB
    before = net.sink.count()
    rcpts = ["bob@b.example", "dave@other.example"]
    assert send(net.port("a.example", "relay"), "alice@a.example", rcpts,
                compose("alice@a.example", rcpts, "large one", body))[0] == 250
    m = net.wait_message("b.example", "bob", "large one", timeout=30)
    assert "smime=pass" in results(m, "gw.b.example")[0]
    assert m.get_payload().replace("\r\n", "\n").strip() == body.replace("\r\n", "\n").strip()
    assert net.sink.wait(before + 1)
    assert body.encode() in net.sink.messages[-1]["data"].replace(b"\r\n", b"\r\n")


def test_delivery_report_from_b_reaches_alice_through_a(net):
    # NOTIFY=SUCCESS (issue 13): a asks b for a signed receipt instead of
    # passing SUCCESS on; b's receipt comes back sealed, a checks it and
    # writes alice the delivery report itself, with the receipt attached.
    msg = compose("alice@a.example", ["bob@b.example"], "report please", "x")
    with smtplib.SMTP("127.0.0.1", net.port("a.example", "relay"), timeout=30) as s:
        assert not s.sendmail("alice@a.example", ["bob@b.example"], msg, rcpt_options=["NOTIFY=SUCCESS,FAILURE"])
    net.wait_message("b.example", "bob", "report please")
    report = net.wait_message("a.example", "alice", "Successful", timeout=30)
    assert report.get_content_type() == "multipart/report"
    assert report["From"] == '"Mail Delivery System" <MAILER-DAEMON@a.example>'
    assert [p.get_param("smime-type") for p in report.walk() if p.get_content_type() == "application/pkcs7-mime"] == \
        ["signed-receipt"]


def test_peer_down_queues_sealed_then_delivers_and_replays_fail(net):
    b = net.gateways["b.example"]
    b.stop()
    a = net.gateways["a.example"]
    try:
        assert send(net.port("a.example", "relay"), "alice@a.example", ["bob@b.example"],
                    compose("alice@a.example", ["bob@b.example"], "while down", "queued sealed"))[0] == 250
        # What rests in a's queue is already sealed: no plaintext on disk.
        def shown(qid):
            return securemail("queue", "--config", a.config_path, "show", qid).stdout
        def sealed_queued():
            return a.queue_ids() and b"application/pkcs7-mime" in shown(a.queue_ids()[0])
        assert wait_for(sealed_queued, 10), a.log_text()[-2000:]
        on_disk = b"".join(p.read_bytes() for p in (a.data / "queue" / "segments").iterdir())
        assert b"application/pkcs7-mime" in on_disk and b"queued sealed" not in on_disk
        queued = shown(a.queue_ids()[0]).split(b" ***\n", 2)[2]  # the octets as queued
        captured = sealed_as_base64(queued)  # stored binary; replayed over DATA
        assert "[sealed for b-example]" in a.queue("list").stdout
        assert '"lane": "priority"' in a.queue("list", "--json").stdout
        assert wait_for(lambda: "status=deferred" in a.log_text(), 10)
    finally:
        b.start()
    flush(net, "a.example")
    net.wait_message("b.example", "bob", "while down")
    assert a.wait_queue_empty(20)

    # The captured sealed message, replayed to another recipient of b:
    # refused with the one reply every sealed failure gets; the reason is
    # in b's log only.
    code, reply = send(net.port("b.example", "inbound"), "alice@a.example", ["carol@b.example"], captured)
    assert (code, reply) == (550, "5.7.5 message refused: the sealed message could not be opened and verified")
    assert "FORGERY (envelope-mismatch)" in b.log_text() and "carol@b.example" in b.log_text()
    # ... and to bob again: accepted (a retry looks the same) but not delivered twice.
    assert send(net.port("b.example", "inbound"), "alice@a.example", ["bob@b.example"], captured)[0] == 250
    assert wait_for(lambda: "already delivered to every recipient" in b.log_text(), 10)
    assert len([m for m in net.messages("b.example", "bob") if m["Subject"] == "while down"]) == 1
    # ... with another envelope sender: refused.
    code, reply = send(net.port("b.example", "inbound"), "mallory@a.example", ["bob@b.example"], captured)
    assert code == 550, reply


def test_unsealed_mail_claiming_a_member_domain_is_rejected(net):
    code, reply = send(net.port("b.example", "inbound"), "alice@a.example", ["bob@b.example"],
                       compose("alice@a.example", ["bob@b.example"], "forged plain", "pay the invoice"))
    assert code == 550 and reply.startswith("5.7.1"), reply
    assert not [m for m in net.messages("b.example", "bob") if "forged plain" in (m["Subject"] or "")]
    assert "FORGERY (unsealed)" in net.gateways["b.example"].log_text()
    metrics = subprocess.run(["curl", "-s", f"http://127.0.0.1:{net.port('b.example', 'admin')}/metrics"],
                             capture_output=True, text=True).stdout
    assert re.search(r'securemail_forgeries_total\{reason="unsealed"\} [1-9]', metrics), metrics


def test_sealed_by_another_member_is_rejected(net):
    # c seals a message claiming to be from a (c's own, valid key).
    msg = seal_by_hand(net, "c.example", "b.example",
                       compose("alice@a.example", ["bob@b.example"], "c as a", "trust me"))
    code, reply = send(net.port("b.example", "inbound"), "alice@a.example", ["bob@b.example"], msg)
    assert code == 550 and reply.startswith("5.7.5"), reply
    assert re.search(r"FORGERY \(signer-(domain-mismatch|not-member)\)", net.gateways["b.example"].log_text())


def test_a_hand_sealed_message_from_a_passes_and_a_flipped_byte_fails(net):
    msg = seal_by_hand(net, "a.example", "b.example",
                       compose("alice@a.example", ["bob@b.example"], "by hand", "sealed with the CLI"))
    assert send(net.port("b.example", "inbound"), "alice@a.example", ["bob@b.example"], msg)[0] == 250
    m = net.wait_message("b.example", "bob", "by hand")
    assert "smime=pass" in results(m, "gw.b.example")[0] and "no envelope binding" in results(m, "gw.b.example")[0]

    head, body = msg.split(b"\r\n\r\n", 1)
    i = len(body) // 2
    while body[i:i + 1] in (b"\r", b"\n"):
        i += 1
    flipped = body[:i] + (b"A" if body[i:i + 1] != b"A" else b"B") + body[i + 1:]
    code, reply = send(net.port("b.example", "inbound"), "alice@a.example", ["bob@b.example"], head + b"\r\n\r\n" + flipped)
    assert code == 550 and reply[:5] in ("5.7.5", "5.7.7"), reply


def test_forged_authentication_results_are_removed(net):
    msg = compose("news@other.example", ["bob@b.example"], "outside news", "hi",
                  extra=["Authentication-Results: gw.b.example; smime=pass body.smime-identifier=ceo@a.example"])
    assert send(net.port("b.example", "inbound"), "news@other.example", ["bob@b.example"], msg)[0] == 250
    m = net.wait_message("b.example", "bob", "outside news")
    ours = results(m, "gw.b.example")
    assert ours == ["gw.b.example; smime=none"], ours


def test_tag_policy_delivers_forgeries_marked(net):
    assert send(net.port("c.example", "inbound"), "alice@a.example", ["carol@c.example"],
                compose("alice@a.example", ["carol@c.example"], "tag me", "forged"))[0] == 250
    m = net.wait_message("c.example", "carol", "tag me")
    assert m["Subject"].startswith("[SUSPECTED FORGERY]")
    assert "smime=fail (unsealed)" in results(m, "gw.c.example")[0]


def test_a_customer_of_a_service_provider_has_its_own_policy(net):
    # c tags forgeries for its own users, but its customer globex rejects them.
    code, reply = send(net.port("c.example", "inbound"), "alice@a.example", ["ceo@globex.example"],
                       compose("alice@a.example", ["ceo@globex.example"], "globex forged", "x"))
    assert code == 550 and reply.startswith("5.7.1"), reply
    # One message to both: the strictest policy (reject) applies to it.
    code, reply = send(net.port("c.example", "inbound"), "alice@a.example", ["ceo@globex.example", "carol@c.example"],
                       compose("alice@a.example", ["ceo@globex.example", "carol@c.example"], "both forged", "x"))
    assert code == 550, reply
    assert not [m for m in net.messages("c.example", "carol") if m["Subject"] and "both forged" in m["Subject"]]


def test_quarantine_policy_holds_forgeries(net):
    a = net.gateways["a.example"]
    assert send(net.port("a.example", "inbound"), "bob@b.example", ["alice@a.example"],
                compose("bob@b.example", ["alice@a.example"], "hold me", "forged"))[0] == 250
    assert wait_for(lambda: "quarantined" in a.log_text(), 10)
    held = [q for q in json.loads(a.queue("list", "--json").stdout) if q["held"]]
    assert held and "smime=fail" in a.queue("show", held[0]["id"]).stdout
    assert not [m for m in net.messages("a.example", "alice") if m["Subject"] == "hold me"]
    # The operator looks at it and lets it through: delivered, still marked smime=fail.
    assert "hold me" not in a.queue("list").stdout  # subjects are never shown
    a.queue("release", held[0]["id"])
    m = net.wait_message("a.example", "alice", "hold me")
    assert results(m, "gw.a.example") == ["gw.a.example; smime=fail (unsealed)"]


def test_tls_to_a_member_is_pinned_and_never_downgraded(net, tmp_path):
    b = net.gateways["b.example"]
    port = net.port("b.example", "inbound")
    key, cert = tmp_path / "k.pem", tmp_path / "c.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", key, "-out", cert, "-subj", "/CN=gw.b.example", "-days", "1"], check=True,
                   capture_output=True)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    b.stop()
    a = net.gateways["a.example"]
    impostor, clear = Sink(tls_context=ctx), Sink()
    try:
        impostor.start(port)
        assert send(net.port("a.example", "relay"), "alice@a.example", ["bob@b.example"],
                    compose("alice@a.example", ["bob@b.example"], "pinned", "only to the real b"))[0] == 250
        assert wait_for(lambda: "4.7.5 TLS certificate of host" in a.log_text(), 15), a.log_text()[-2000:]
        impostor.stop()
        # A server that offers no STARTTLS at all: deferred again, never sent in clear.
        clear.start(port)
        flush(net, "a.example")
        # Stop the clear server only once a has given this attempt up (the
        # message deferred): a connection it still had open there would hang
        # until a's greeting timeout and hold the message "in flight".
        assert wait_for(lambda: any("status=deferred" in line and "not offered" in line
                                    for line in a.log_text().splitlines()), 15), a.log_text()[-2000:]
        clear.stop()
        assert impostor.count() == 0 and clear.count() == 0
    finally:
        impostor.stop()
        clear.stop()
        b.start()
    # The real b is back: delivered sealed. A flush only retries what is not
    # in flight, and an attempt at the clear server may still be finishing:
    # flush again every two seconds until it arrives.
    def arrived():
        flush(net, "a.example")
        return any(m["Subject"] and "pinned" in m["Subject"] for m in net.messages("b.example", "bob"))
    assert wait_for(arrived, 30, interval=2), a.log_text()[-3000:]


def test_member_gateways_get_connections_kept_for_them(net):
    port = net.port("b.example", "inbound")
    idle = []
    try:
        for _ in range(3):  # max_connections = 3: an Internet flood holds them all
            s = socket.create_connection(("127.0.0.1", port))
            assert s.recv(512).startswith(b"220")
            idle.append(s)
        # Another unauthenticated client is admitted into the member reserve, but may not send.
        code, reply = send(port, "x@other.example", ["bob@b.example"],
                           compose("x@other.example", ["bob@b.example"], "flood", "spam"))
        assert code == 421, reply
        # Gateway a, with its member certificate, still gets through.
        assert send(net.port("a.example", "relay"), "alice@a.example", ["bob@b.example"],
                    compose("alice@a.example", ["bob@b.example"], "priority", "members first"))[0] == 250
        net.wait_message("b.example", "bob", "priority")
    finally:
        for s in idle:
            s.close()


def test_service_provider_clients_only_send_as_their_domains(net):
    relay = net.port("c.example", "relay")
    # globex's server (127.0.0.2) trying the envelope sender of c's own staff.
    code, reply = send(relay, "carol@c.example", ["bob@b.example"],
                       compose("carol@c.example", ["bob@b.example"], "spoof 1", "x"), source="127.0.0.2")
    assert code == 550 and reply.startswith("5.7.1"), reply
    # c's staff server with globex in the From: field.
    code, reply = send(relay, "carol@c.example", ["bob@b.example"],
                       compose("ceo@globex.example", ["bob@b.example"], "spoof 2", "x"))
    assert code == 550 and reply.startswith("5.7.1") and "globex.example" in reply, reply
    # Its own domain goes through, sealed.
    assert send(relay, "carol@c.example", ["bob@b.example"],
                compose("carol@c.example", ["bob@b.example"], "own domain", "fine"))[0] == 250
    m = net.wait_message("b.example", "bob", "own domain")
    assert "smime=pass" in results(m, "gw.b.example")[0]


def test_mail_the_user_encrypted_passes_through(net, tmp_path):
    # Alice's own mail client encrypted this to Bob's personal certificate.
    key, cert = tmp_path / "bob.key", tmp_path / "bob.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-subj", "/CN=bob", "-days", "1"], check=True, capture_output=True)
    inner = tmp_path / "inner.eml"
    inner.write_bytes(b"Content-Type: text/plain\r\n\r\nfor bob's eyes only\r\n")
    r = subprocess.run(["openssl", "cms", "-encrypt", "-aes256", "-in", inner, "-recip", cert], capture_output=True,
                       check=True)
    rcpts = ["bob@b.example", "dave@other.example"]
    head = (f"From: alice@a.example\r\nTo: {', '.join(rcpts)}\r\nSubject: user encrypted\r\n"
            "Date: Mon, 23 Nov 2026 12:00:00 +0000\r\nMessage-ID: <user-enc@test>\r\n").encode()
    message = head + r.stdout.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    before = net.sink.count()
    assert send(net.port("a.example", "relay"), "alice@a.example", rcpts, message)[0] == 250
    # Sealed again for the member: b verifies the gateway layer, Bob gets his S/MIME message.
    m = net.wait_message("b.example", "bob", "user encrypted")
    assert "smime=pass" in results(m, "gw.b.example")[0]
    assert m.get_content_type() == "application/pkcs7-mime"
    opened = subprocess.run(["openssl", "cms", "-decrypt", "-inkey", key, "-recip", cert],
                            input=m.as_bytes(), capture_output=True)
    assert b"for bob's eyes only" in opened.stdout, opened.stderr
    # Untouched for the non-member.
    assert net.sink.wait(before + 1)
    assert net.sink.messages[-1]["data"].endswith(message.split(b"\r\n\r\n", 1)[1])


@pytest.mark.parametrize("body", [
    b"not base64 at all !!!\r\n",
    b"MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\r\n",   # base64, not CMS
    b"",
])
def test_garbage_claiming_to_be_sealed_is_refused_and_the_gateway_lives_on(net, body):
    head = (b"From: alice@a.example\r\nTo: bob@b.example\r\nSubject: garbage\r\n"
            b"MIME-Version: 1.0\r\nContent-Type: application/pkcs7-mime; smime-type=authEnveloped-data\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n")
    code, reply = send(net.port("b.example", "inbound"), "alice@a.example", ["bob@b.example"], head + body)
    assert code == 550 and reply[:5] in ("5.7.5", "5.7.1"), reply
    assert net.gateways["b.example"].proc.poll() is None


def test_zz_crl_from_the_feed_and_a_revoked_signer(net):
    """Last in this module: it revokes gateway a's certificate."""
    import shutil
    import signal
    auth = net.dir / "authority"
    b = net.gateways["b.example"]

    def reload_b():
        # SIGHUP reloads b in place (docs/operations.md): wait until it serves again.
        ready = b.log_text().count("ready: queue")
        b.proc.send_signal(signal.SIGHUP)
        assert wait_for(lambda: b.log_text().count("ready: queue") > ready, 30), b.log_text()[-2000:]

    # A fresh CRL rides in the next feed; b installs it and keeps verifying.
    securemail("pki", "crl", "--authority", auth, check=True)
    securemail("directory", "publish", "--authority", auth, check=True)
    reload_b()
    assert wait_for(lambda: "installed CRL" in b.log_text(), 15), b.log_text()[-2000:]
    assert send(net.port("a.example", "relay"), "alice@a.example", ["bob@b.example"],
                compose("alice@a.example", ["bob@b.example"], "after a new crl", "x"))[0] == 250
    net.wait_message("b.example", "bob", "after a new crl")

    # a's key is compromised and revoked. The operator of b installs the
    # authority's CRL at once and sends SIGHUP: no restart needed.
    cert = next((net.dir / "a.example" / "pki" / "keys").glob("*/cert.pem"))
    fp = subprocess.run(["openssl", "x509", "-in", cert, "-noout", "-fingerprint", "-sha256"], capture_output=True,
                        text=True, check=True).stdout.split("=")[1].strip().replace(":", "")
    securemail("pki", "revoke", fp, "--authority", auth, "--reason", "key-compromise", check=True)
    shutil.copy(auth / "crl.pem", b.data / "pki" / "crl.pem")
    reload_b()
    assert send(net.port("a.example", "relay"), "alice@a.example", ["bob@b.example"],
                compose("alice@a.example", ["bob@b.example"], "after the revocation", "x"))[0] == 250
    assert wait_for(lambda: "FORGERY (signer-revoked)" in b.log_text(), 15), b.log_text()[-2000:]
    assert not [m for m in net.messages("b.example", "bob") if m["Subject"] == "after the revocation"]

    # The authority then suspends the member, whose certificate is revoked:
    # that feed is publishable, and b applies it.
    securemail("directory", "suspend", "a-example", "--authority", auth, check=True)
    securemail("directory", "publish", "--authority", auth, check=True)
    b.proc.send_signal(signal.SIGHUP)
    def suspended_at_b():
        return "suspended" in text(securemail("directory", "lookup", "alice@a.example", "--config", net.config("b.example")))
    assert wait_for(suspended_at_b, 15), b.log_text()[-2000:]
