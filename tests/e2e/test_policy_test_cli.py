"""`securemail policy test`: the decision for each recipient and the rule
that made it, from the command line, against the directory replica the
gateway would use (fetched with `securemail directory fetch` from a real
authority's served feed). With no [policy] rules: a [RESTRICTED] subject to
a non-member is never plain; to a member accredited for RESTRICTED it is
sealed; the marking can also come from a header or the body file, and a
whole message file; --json gives the same answers; bad arguments exit 2
with a message naming what is wrong."""
import json

import pytest

from conftest import securemail, text


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Authority with member b-example (b.example, NZ, accredited RESTRICTED) and
    c-example (c.example, no accreditation given); gateway a.example with the feed fetched."""
    from conftest import DirectoryAuthority, PkiWorld
    root = tmp_path_factory.mktemp("policy")
    auth = DirectoryAuthority(PkiWorld(root / "pki"))
    for member, domain, extra in (("b-example", "b.example", ["--max-marking", "RESTRICTED"]),
                                  ("c-example", "c.example", [])):
        gw = auth.member_gateway(domain)
        securemail("directory", "add", "--authority", auth.dir, "--id", member, "--org", f"Org {domain}",
                   "--domain", domain, "--endpoint", "127.0.0.1:2525", "--cert", gw.cert(),
                   "--jurisdiction", "NZ", *extra, check=True)
    auth.publish()
    auth.serve()
    ours = auth.world.gateway("a.example", auth.dir)
    cfg = root / "a.toml"
    cfg.write_text(f'domain = "a.example"\ndata_dir = "{ours.data}"\n[directory]\nfeed = "{auth.feed_url}"\n')
    securemail("directory", "fetch", "--config", cfg, check=True)
    yield cfg, root
    auth.stop_serving()


def policy_test(cfg, *args):
    return securemail("policy", "test", "--config", cfg, "--from", "alice@a.example", *args)


def lines(r):
    assert r.returncode == 0, text(r)
    return r.stdout.decode().splitlines()


def decisions(r):
    """{recipient: (decision, rule)} from the text output."""
    out = {}
    for line in lines(r):
        if line.startswith("<"):
            fields = line.split()
            out[fields[0].strip("<>")] = (fields[1], fields[2].removeprefix("rule="))
    return out


def test_restricted_subject_to_a_non_member_is_not_plain(world):
    cfg, _ = world
    d = decisions(policy_test(cfg, "--to", "someone@elsewhere.example", "--subject", "[RESTRICTED] budget"))
    decision, rule = d["someone@elsewhere.example"]
    assert decision != "plain"
    assert decision in ("refuse", "return", "hold", "pickup")
    assert rule != "default", rule


def test_unmarked_mail_to_a_non_member_is_plain_and_to_a_member_sealed(world):
    cfg, _ = world
    r = policy_test(cfg, "--to", "someone@elsewhere.example", "--to", "bob@b.example", "--subject", "lunch")
    d = decisions(r)
    assert d["someone@elsewhere.example"] == ("plain", "default")
    assert d["bob@b.example"] == ("seal", "default")
    out = lines(r)
    member_line = next(l for l in out if l.startswith("<bob@b.example>"))
    assert "(member b-example)" in member_line
    # The explanation is indented under its recipient.
    i = out.index(member_line)
    assert i + 1 < len(out) and out[i + 1].startswith("    "), out


def test_marking_to_a_member_accredited_for_it_is_sealed(world):
    cfg, _ = world
    d = decisions(policy_test(cfg, "--to", "bob@b.example", "--to", "carol@c.example",
                              "--subject", "[RESTRICTED:MEDICAL] results"))
    assert d["bob@b.example"][0] == "seal"
    # c-example is accredited only to the member default (IN-CONFIDENCE): never plain, not sealed.
    assert d["carol@c.example"][0] not in ("plain", "seal"), d


def test_marking_from_header_and_body_and_whole_message(world):
    cfg, root = world
    d = decisions(policy_test(cfg, "--to", "x@elsewhere.example", "--header", "X-Protective-Marking: SENSITIVE"))
    assert d["x@elsewhere.example"][0] != "plain"
    body = root / "body.txt"
    body.write_text("RESTRICTED\n\nHello,\nthe figures.\n")
    d = decisions(policy_test(cfg, "--to", "x@elsewhere.example", "--body-file", body))
    assert d["x@elsewhere.example"][0] != "plain"
    msg = root / "message.eml"
    msg.write_bytes(b"From: alice@a.example\r\nTo: x@elsewhere.example\r\nSubject: [IN-CONFIDENCE] hi\r\n\r\nhello\r\n")
    r = policy_test(cfg, "--to", "x@elsewhere.example", "--to", "bob@b.example", "--message", msg)
    d = decisions(r)
    assert d["bob@b.example"] == ("seal", "default")
    # [IN-CONFIDENCE] is also the default trigger word for participants only: a non-member gets it back.
    assert d["x@elsewhere.example"] == ("return", "trigger-IN-CONFIDENCE")
    assert "marking: [IN-CONFIDENCE]" in lines(r)


def test_json(world):
    cfg, _ = world
    r = policy_test(cfg, "--to", "bob@b.example", "--to", "someone@elsewhere.example",
                    "--subject", "[RESTRICTED] x", "--json")
    assert r.returncode == 0, text(r)
    answers = json.loads(r.stdout)
    assert [a["recipient"] for a in answers] == ["bob@b.example", "someone@elsewhere.example"]
    for a in answers:
        assert set(a) >= {"recipient", "decision", "rule", "reason", "explanation"}
        assert isinstance(a["explanation"], list) and a["explanation"]
    assert answers[0]["decision"] == "seal" and answers[0]["member"] == "b-example"
    assert answers[1]["decision"] != "plain" and answers[1]["reason"].startswith("5")


@pytest.mark.parametrize("args,says", [
    (["--to", "not-an-address"], "--to"),
    (["--to", "bob@b.example", "--header", "no colon here"], "Name: value"),
    (["--to", "bob@b.example", "--listener", "smtp"], "--listener"),
    (["--to", "bob@b.example", "--body-file", "/x", "--message", "/y"], "--message"),
    (["--subject", "x"], "--to"),
])
def test_bad_arguments_exit_2(world, args, says):
    cfg, _ = world
    r = policy_test(cfg, *args)
    assert r.returncode == 2, text(r)
    assert says in r.stderr.decode(), text(r)


def test_bad_sender_and_missing_config_exit_2(world, tmp_path):
    cfg, _ = world
    r = securemail("policy", "test", "--config", cfg, "--from", "alice", "--to", "bob@b.example")
    assert r.returncode == 2 and "--from" in r.stderr.decode(), text(r)
    r = securemail("policy", "test", "--config", tmp_path / "missing.toml", "--from", "a@a.example", "--to", "b@b.example")
    assert r.returncode == 2, text(r)


def test_without_a_copy_of_the_directory_it_says_members_look_like_strangers(world, tmp_path):
    """A gateway that has never fetched its feed would treat b.example as the
    Internet; the command says so on stderr instead of explaining quietly."""
    cfg, root = world
    assert "no copy of the member directory" not in policy_test(cfg, "--to", "bob@b.example").stderr.decode()
    fresh = tmp_path / "fresh.toml"
    feed = next(l for l in cfg.read_text().splitlines() if l.startswith("feed"))
    data = tmp_path / "data"
    fresh.write_text(f'domain = "a.example"\ndata_dir = "{data}"\n[directory]\n{feed}\n')
    ours = next(l for l in cfg.read_text().splitlines() if l.startswith("data_dir")).split('"')[1]
    import shutil
    shutil.copytree(ours, data, ignore=shutil.ignore_patterns("directory*", "*.sqlite*"))
    r = policy_test(fresh, "--to", "bob@b.example")
    assert r.returncode == 0, text(r)
    assert "no copy of the member directory" in r.stderr.decode(), text(r)
    assert decisions(r)["bob@b.example"][0] == "plain"
