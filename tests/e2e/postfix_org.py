"""postfix_org.py - a member organisation's own mail server for the e2e
scenarios: a private Postfix instance in front of (and behind) its gateway.

OrgPostfix is the relay benchmark's private Postfix (bench/lib/peers.py:
own config, queue and data directories, loopback only, no chroot, stopped
by recorded pid) with main.cf turned from a plain relay into an
organisation's server:
  - mail for its own domain goes to virtual Maildir mailboxes
    (MAILBOXES/<domain>/<user>/), owned by the user running the test, or
    by nobody when that is root (virtual(8) never delivers as root);
  - everything else leaves through relayhost = the gateway's relay listener;
  - it accepts mail from 127.0.0.0/8 (its users' clients and its gateway).
It never touches the machine's own Postfix configuration or queue. Starting
a private Postfix needs root, as for the benchmark.
"""
import email
import email.policy
import os
import pwd
import re
import sys
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parents[2] / "bench" / "lib"))
import peers  # noqa: E402
import proctools  # noqa: E402


def main_cf_with(text, settings):
    """main.cf `text` with each `name = value` of `settings` replacing the
    line that sets `name`, or appended when no line does."""
    lines = text.splitlines()
    todo = dict(settings)
    for i, line in enumerate(lines):
        m = re.match(r"([a-z0-9_]+)\s*=", line)
        if m and m.group(1) in todo:
            lines[i] = f"{m.group(1)} = {todo.pop(m.group(1))}"
    lines += [f"{k} = {v}" for k, v in todo.items()]
    return "\n".join(lines) + "\n"


class OrgPostfix(peers.Postfix):
    """The mail server of `domain` (myhostname mail.<domain>) with a Maildir
    mailbox for each of `users` (local parts), relaying everything else to
    the gateway's relay listener on 127.0.0.1:`gateway_relay_port`."""

    def __init__(self, workdir, domain, users, gateway_relay_port):
        port = proctools.free_ports(1)[0]
        super().__init__(str(workdir), port, gateway_relay_port)
        self.domain = domain
        self.users = list(users)
        self.hostname = f"mail.{domain}"
        self.mailboxes = Path(self.base) / "mailboxes"

    def setup(self):
        super().setup()
        self.mailboxes.mkdir(exist_ok=True)
        uid, gid = self.mailbox_owner()
        os.chown(self.mailboxes, uid, gid)
        vmailbox = Path(self.conf) / "vmailbox"
        vmailbox.write_text("".join(f"{u}@{self.domain} {self.domain}/{u}/\n" for u in self.users))
        main_cf = Path(self.conf) / "main.cf"
        main_cf.write_text(main_cf_with(main_cf.read_text(), {
            "myhostname": self.hostname,
            "mydomain": self.domain,
            "myorigin": "$mydomain",
            "virtual_mailbox_domains": self.domain,
            "virtual_mailbox_base": self.mailboxes,
            "virtual_mailbox_maps": f"texthash:{vmailbox}",
            "virtual_uid_maps": f"static:{uid}",
            "virtual_gid_maps": f"static:{gid}",
            "virtual_minimum_uid": uid,
            "virtual_mailbox_limit": 0,  # Maildir: no mailbox size to cap
            # Mail the gateway refuses (5xx) bounces at once; a deferral
            # is retried soon enough for a test to see it go through.
            "minimal_backoff_time": "1s",
            "maximal_backoff_time": "2s",
            "queue_run_delay": "1s",
        }))

    @staticmethod
    def mailbox_owner():
        """(uid, gid) the virtual agent delivers as: the user running the
        test, or nobody for root (virtual(8) never delivers as root)."""
        if os.getuid() != 0:
            return os.getuid(), os.getgid()
        nobody = pwd.getpwnam("nobody")
        return nobody.pw_uid, nobody.pw_gid

    def mailbox(self, user):
        """The messages delivered to user@domain so far, oldest first, each
        parsed (email.message.Message) with its raw bytes in .raw."""
        new = self.mailboxes / self.domain / user / "new"
        if not new.is_dir():
            return []
        out = []
        for path in sorted(new.iterdir(), key=lambda p: p.stat().st_mtime_ns):
            raw = path.read_bytes()
            msg = email.message_from_bytes(raw, policy=email.policy.compat32)
            msg.raw = raw
            out.append(msg)
        return out
