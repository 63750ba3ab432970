"""The authority's CRL travels with the directory feed: the authority
revokes a gateway certificate (`securemail pki revoke`) and publishes
(`securemail directory publish`); a gateway that fetches the feed, with
`securemail directory fetch` or on its own while running, installs the
new CRL as DATA/pki/crl.pem, so its revocation checks never run out of a
current CRL."""
import subprocess

from conftest import securemail, text, wait_for


def crl_text(path):
    """`openssl crl -text` of a CRL file (its serials in upper-case hex)."""
    r = subprocess.run(["openssl", "crl", "-in", str(path), "-noout", "-text"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r.stdout


def lists(path, serial):
    return f"Serial Number: {serial.upper()}" in crl_text(path)


def revoke_gateway(auth, domain):
    """Make a gateway for `domain` (`securemail init`) and revoke its certificate; its serial."""
    gw = auth.member_gateway(domain)
    serial = gw.key_set()["serial"]
    r = securemail("pki", "revoke", "--authority", auth.dir, serial)
    assert r.returncode == 0, text(r)
    return serial


def test_directory_fetch_installs_the_crl_with_the_revocation(directory_authority):
    auth = directory_authority()
    auth.add("a", "Org A", "a.example")
    gw = auth.member_gateway("b.example")  # init gave it the authority's CRL of that moment
    with open(gw.config, "a") as f:
        f.write(f'\n[directory]\nfeed = "file:{auth.feed_file}"\n')
    crl = gw.data / "pki" / "crl.pem"
    serial = revoke_gateway(auth, "gone.example")
    assert not lists(crl, serial)

    auth.publish()
    # The CRL rides in the SignedData's crls set, where openssl finds it.
    carried = subprocess.run(["openssl", "cms", "-cmsout", "-print", "-inform", "DER", "-in", str(auth.feed_file)],
                             capture_output=True, text=True)
    assert carried.returncode == 0, carried.stderr
    assert "crls:" in carried.stdout, carried.stdout
    assert f"serialNumber: {int(serial, 16)}" in carried.stdout.split("crls:", 1)[1], carried.stdout

    r = securemail("directory", "fetch", "--config", gw.config)
    assert r.returncode == 0, text(r)
    assert r.stdout.decode().splitlines()[0] == "serial 1", text(r)  # stdout stays the command's answer
    assert lists(crl, serial), crl_text(crl)
    assert crl.read_bytes() == (auth.dir / "crl.pem").read_bytes()
    assert oct(crl.stat().st_mode & 0o777) == "0o644"

    # The same feed again changes nothing.
    before = crl.read_bytes()
    r = securemail("directory", "fetch", "--config", gw.config)
    assert r.returncode == 0 and r.stdout == b"serial 1 (unchanged)\n", text(r)
    assert crl.read_bytes() == before


def test_running_gateway_installs_the_crl_of_each_new_feed(directory_authority, gateway_factory):
    auth = directory_authority()
    auth.add("a", "Org A", "a.example")
    auth.publish()
    gw = gateway_factory("gw")
    r = securemail("init", "--domain", "b.example", "--authority", auth.dir, "--data", gw.data,
                   "--key-type", "ec-p256", "--hostname", "gw.b.example", timeout=120)
    assert r.returncode == 0, text(r)
    gw.write_config('[listen]\nrelay = "127.0.0.1:0"\ninbound = "127.0.0.1:0"\nadmin = "127.0.0.1:0"\n'
                    f'[directory]\nfeed = "file:{auth.feed_file}"\nrefresh = "1s"\n')
    gw.start()
    assert wait_for(lambda: "applied serial 1" in gw.log_text(), 30), gw.log_text()[-3000:]

    crl = gw.data / "pki" / "crl.pem"
    serial = revoke_gateway(auth, "gone.example")
    auth.publish()
    assert wait_for(lambda: lists(crl, serial), 30), gw.log_text()[-3000:]
    assert "installed CRL of " in gw.log_text()
