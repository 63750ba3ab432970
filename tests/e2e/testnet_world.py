"""testnet_world.py - a `securemail testnet` network for the gateway
scenarios: built with the real command on free ports, each gateway a real
`securemail run` process (conftest.Gateway), their Maildirs readable.

    net = Testnet(tmp, ["a.example", "b.example", "c.example"])
    net.build(); net.append_config("a.example", "[routes]\\n...")
    net.start(); ...; net.stop()
"""
import email
import email.policy
import tomllib
from pathlib import Path

from conftest import Gateway, securemail, wait_for


class Testnet:
    __test__ = False  # not a test class, despite the name

    def __init__(self, root: Path, domains):
        self.dir = root / "net"
        self.domains = list(domains)
        self.gateways = {}

    def build(self):
        securemail("testnet", "--dir", self.dir, "--domains", ",".join(self.domains), "--base-port", 0,
                   check=True, timeout=120)
        for d in self.domains:
            gw = Gateway(self.dir, d)
            gw.data = gw.dir  # testnet's data_dir is the gateway's own folder
            self.gateways[d] = gw
        return self

    def config(self, domain) -> Path:
        return self.dir / domain / "config.toml"

    def settings(self, domain):
        return tomllib.loads(self.config(domain).read_text())

    def port(self, domain, listener):
        return int(self.settings(domain)["listen"][listener].rsplit(":", 1)[1])

    def append_config(self, domain, text):
        with open(self.config(domain), "a") as f:
            f.write("\n" + text + "\n")

    def replace_config(self, domain, old, new):
        p = self.config(domain)
        body = p.read_text()
        assert old in body, f"{old!r} not in {p}"
        p.write_text(body.replace(old, new))

    def start(self, *domains):
        for d in domains or self.domains:
            self.gateways[d].start()
        return self

    def stop(self, *domains):
        for d in domains or self.domains:
            self.gateways[d].stop()

    def maildir(self, domain, user) -> Path:
        return self.dir / domain / "maildir" / user / "new"

    def messages(self, domain, user):
        new = self.maildir(domain, user)
        if not new.exists():
            return []
        return [email.message_from_bytes(p.read_bytes(), policy=email.policy.compat32)
                for p in sorted(new.iterdir())]

    def wait_message(self, domain, user, subject, timeout=20):
        found = []

        def look():
            found[:] = [m for m in self.messages(domain, user) if m["Subject"] and subject in m["Subject"]]
            return bool(found)
        assert wait_for(look, timeout), f"no {subject!r} for {user}@{domain}\n{self.logs()}"
        return found[0]

    def logs(self):
        return "\n".join(f"--- {d}\n{gw.log_text()[-3000:]}" for d, gw in self.gateways.items())
