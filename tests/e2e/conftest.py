"""Shared fixtures for the end-to-end scenarios.

Every test starts real processes on loopback ports chosen by the OS and
stops them afterwards: the securemail binary (SECUREMAIL_BIN, default
build/securemail), aiosmtpd sinks standing in for the next hop, swaks as a
client. Nothing relies on a service already running on the machine.
"""
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from helpers import Sink  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("SECUREMAIL_BIN", str(ROOT / "build" / "securemail"))


class Gateway:
    """One `securemail run` process with its own data folder."""

    def __init__(self, workdir: Path, name="gw"):
        self.dir = workdir / name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.data = self.dir / "data"
        self.config_path = self.dir / "config.toml"
        self.proc = None
        self.listeners = {}
        self.log_path = self.dir / "securemail.log"
        self.command = ["run"]  # ["certify", "serve"] for a certification facility

    def write_config(self, text: str):
        base = (
            f'domain = "b.example"\n'
            f'hostname = "gw.b.example"\n'
            f'data_dir = "{self.data}"\n'
            f'log_level = "debug"\n'
        )
        self.config_path.write_text(base + text)

    def start(self, timeout=20):
        run_file = self.data / "run" / "listeners.json"
        if run_file.exists():
            run_file.unlink()
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [BIN, *self.command, "--config", str(self.config_path)],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"securemail exited {self.proc.returncode}:\n{self.log_text()}")
            if run_file.exists():
                try:
                    self.listeners = json.loads(run_file.read_text())
                    return self
                except json.JSONDecodeError:
                    pass
            time.sleep(0.05)
        raise RuntimeError("securemail did not become ready:\n" + self.log_text())

    def addr(self, listener):
        host, port = self.listeners[listener].rsplit(":", 1)
        return host.strip("[]"), int(port)

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.log.close()
        return self.proc.returncode if self.proc else None

    def kill(self):
        return self.stop(signal.SIGKILL)

    def log_text(self):
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def queue(self, *args, check=True, timeout=30):
        """Run `securemail queue --config CONFIG ARGS...`."""
        cmd = [BIN, "queue", "--config", str(self.config_path), *args]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} -> {r.returncode}\n{r.stdout}\n{r.stderr}")
        return r

    def queue_ids(self):
        """Ids of the queued messages (active and held), as `securemail queue list --json` reads
        them from the segment log; none when there is no queue yet."""
        if not (self.data / "queue").exists():
            return []
        r = self.queue("list", "--json", check=False)
        if r.returncode != 0:
            raise AssertionError(f"queue list --json -> {r.returncode}\n{r.stdout}\n{r.stderr}")
        return sorted(m["id"] for m in json.loads(r.stdout))

    def wait_queue_empty(self, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if not self.queue_ids():
                return True
            time.sleep(0.05)
        return False


@pytest.fixture
def gateway_factory(tmp_path):
    made = []

    def make(name="gw"):
        g = Gateway(tmp_path, name)
        made.append(g)
        return g

    yield make
    for g in made:
        g.stop()


@pytest.fixture
def sink():
    s = Sink()
    s.start()
    yield s
    s.stop()


def wait_for(predicate, timeout=20, interval=0.05):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


# ---------------------------------------------------------------------------
# PKI and S/MIME scenarios: an authority and gateway data folders made with
# the real `securemail pki` / `securemail init` commands, shared per module
# (key generation is the slow part), and a runner for one-shot commands.

def securemail(*args, input=None, timeout=60, check=False, **kw):
    """Run `securemail ARGS...` once; bytes in and out, stdin closed unless input is given."""
    r = subprocess.run([BIN, *map(str, args)], input=input, capture_output=True, timeout=timeout,
                       stdin=None if input is not None else subprocess.DEVNULL, **kw)
    if check and r.returncode != 0:
        raise AssertionError(f"securemail {' '.join(map(str, args))} -> {r.returncode}\n"
                             f"{r.stdout[-2000:]!r}\n{r.stderr.decode(errors='replace')}")
    return r


class GatewayData:
    """A data folder made by `securemail init`: its config, keys and trust."""

    def __init__(self, data: Path, domain: str, authority: Path):
        self.data, self.domain, self.authority = data, domain, authority
        self.config = data / "config.toml"

    def keys(self):
        return json.loads(securemail("keys", "--data", self.data, "show", "--json", check=True).stdout)

    def key_set(self, key_type=None, active=True):
        """The key set (dict from `keys show --json`, plus cert/key paths) of that type."""
        for s in self.keys()["key_sets"]:
            if (key_type is None or s["type"] == key_type) and (s["status"] == "active") == active:
                folder = self.data / "pki" / "keys" / s["id"]
                return dict(s, cert=folder / "cert.pem", key=folder / "key.pem")
        raise LookupError(f"no {'active' if active else 'retired'} {key_type} key set in {self.data}")

    def cert(self, key_type=None):
        return self.key_set(key_type)["cert"]

    def key(self, key_type=None):
        return self.key_set(key_type)["key"]

    def smime(self, verb, *args, input=None, check=False):
        return securemail("smime", verb, "--data", self.data, *args, input=input, check=check)


class PkiWorld:
    """Authorities and gateways under one folder, made through the CLI."""

    def __init__(self, root: Path):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def authority(self, name="auth", *extra):
        d = self.root / name
        securemail("pki", "authority", "init", "--dir", d, "--name", f"SecureMail Test Authority {name}",
                   *extra, check=True)
        return d

    def gateway(self, domain, authority, key_type="ec-p256", also=(), name=None, *extra):
        """`securemail init` of ROOT/(name or domain); `extra`: more init options."""
        data = self.root / (name or domain)
        args = ["init", "--domain", domain, "--authority", authority, "--data", data,
                "--key-type", key_type, "--hostname", f"gw.{domain}", *extra]
        for t in also:
            args += ["--also", t]
        securemail(*args, check=True, timeout=120)
        return GatewayData(data, domain, authority)


@pytest.fixture(scope="module")
def pki_world(tmp_path_factory):
    return PkiWorld(tmp_path_factory.mktemp("pki"))


# ---------------------------------------------------------------------------
# Member directory scenarios: an authority that edits, publishes and serves
# its signed feed through the real `securemail directory` commands, and a
# webhook receiver that checks every notice's HMAC like an application.

class DirectoryAuthority:
    """An authority folder (made with `securemail pki authority init`) and its feed server."""

    def __init__(self, world: "PkiWorld", name="auth"):
        self.world = world
        self.dir = world.authority(name)
        self.serve_proc = None
        self.port = None

    @property
    def cert(self):
        return self.dir / "ca.pem"

    @property
    def feed_file(self):
        return self.dir / "directory" / "feed.cms"

    def member_gateway(self, domain):
        """Gateway keys and certificate for a member domain (`securemail init`)."""
        return self.world.gateway(domain, self.dir, name=f"{self.dir.name}-{domain}")

    def add(self, member_id, org, domain, endpoint="127.0.0.1:2525"):
        gw = self.member_gateway(domain)
        securemail("directory", "add", "--authority", self.dir, "--id", member_id, "--org", org,
                   "--domain", domain, "--endpoint", endpoint, "--cert", gw.cert(), "--jurisdiction", "NZ",
                   check=True)

    def remove(self, member_id):
        securemail("directory", "remove", "--authority", self.dir, member_id, check=True)

    def publish(self):
        securemail("directory", "publish", "--authority", self.dir, check=True)
        return self.feed_file.read_bytes()

    def serve(self, port=0):
        """Start `securemail directory serve`; returns the feed URL."""
        self.serve_proc = subprocess.Popen(
            [BIN, "directory", "serve", "--authority", str(self.dir), "--listen", f"127.0.0.1:{port}"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True)
        line = self.serve_proc.stdout.readline().strip()
        if not line.startswith("listening on "):
            raise RuntimeError(f"directory serve: {line}")
        self.port = int(line.rsplit(":", 1)[1])
        threading.Thread(target=self.serve_proc.stdout.read, daemon=True).start()  # keep the pipe drained
        return self.feed_url

    @property
    def feed_url(self):
        return f"http://127.0.0.1:{self.port}/feed.cms"

    def stop_serving(self):
        if self.serve_proc and self.serve_proc.poll() is None:
            self.serve_proc.terminate()
            self.serve_proc.wait(10)
        self.serve_proc = None


@pytest.fixture
def directory_authority(tmp_path):
    made = []

    def make(name="auth"):
        a = DirectoryAuthority(PkiWorld(tmp_path / "pki"), name)
        made.append(a)
        return a

    yield make
    for a in made:
        a.stop_serving()


class WebhookReceiver:
    """An HTTP server on 127.0.0.1 that records POSTed notices; replies 200."""

    def __init__(self):
        import http.server

        receiver = self
        self.notices = []  # (headers dict, body bytes)
        self.lock = threading.Lock()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.notices.append((dict(self.headers), body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, n, timeout=30):
        return wait_for(lambda: len(self.notices) >= n, timeout)

    @staticmethod
    def verify(secret: str, headers: dict, body: bytes, tolerance=300):
        """Check SecureMail-Signature (t=UNIX,v1=HEX) as an application would; returns the JSON."""
        import hashlib
        import hmac

        fields = dict(p.split("=", 1) for p in headers["SecureMail-Signature"].split(","))
        t = fields["t"]
        expected = hmac.new(secret.encode(), t.encode() + b"." + body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(expected, fields["v1"]), "bad webhook signature"
        assert abs(time.time() - int(t)) < tolerance, "webhook timestamp out of tolerance"
        return json.loads(body)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook_receiver():
    r = WebhookReceiver()
    yield r
    r.stop()


# The usual world of a PKI test module: one authority and two gateways
# (a module may override gw_a/gw_b, e.g. to add an RSA key set).
@pytest.fixture(scope="module")
def auth(pki_world):
    return pki_world.authority("auth")


@pytest.fixture(scope="module")
def gw_a(pki_world, auth):
    return pki_world.gateway("a.example", auth)


@pytest.fixture(scope="module")
def gw_b(pki_world, auth):
    return pki_world.gateway("b.example", auth)


def text(r):
    """A finished command's stdout and stderr as one text, for assertion messages."""
    return r.stdout.decode(errors="replace") + r.stderr.decode(errors="replace")
