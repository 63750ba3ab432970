"""GET /metrics as Prometheus reads it: the exposition parsed with
prometheus_client after real traffic (counters and the delivery latency
histogram move), process_* and build info present, the certificate alert
of a gateway whose key expires in 10 days, and every metric the Grafana
dashboard (contrib/grafana/securemail.json) queries present in a scrape."""
import json
import re
import smtplib
import urllib.request
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from conftest import ROOT, wait_for


def scrape(gw):
    host, port = gw.addr("admin")
    text = urllib.request.urlopen(f"http://{host}:{port}/metrics", timeout=5).read().decode()
    return {f.name: f for f in text_string_to_metric_families(text)}, text


def value(families, family, sample_name=None, **labels):
    """The value of one sample (None when absent)."""
    f = families.get(family)
    if f is None:
        return None
    def same(k, want, got):  # a bucket bound may come back as "86400.0"
        return got == want or (k == "le" and got is not None and float(got) == float(want))

    for s in f.samples:
        if s.name == (sample_name or family) and all(same(k, v, s.labels.get(k)) for k, v in labels.items()):
            return s.value
    return None


def relay_gateway(gateway_factory, sink, data=None):
    gw = gateway_factory()
    if data is not None:
        gw.data = data
    gw.write_config('[listen]\nrelay = "127.0.0.1:0"\nadmin = "127.0.0.1:0"\n'
                    f'[routes]\ndefault = "smtp://127.0.0.1:{sink.port}"\n')
    return gw.start()


def test_metrics_parse_and_move_with_traffic(gateway_factory, sink):
    gw = relay_gateway(gateway_factory, sink)
    before, _ = scrape(gw)
    # prometheus_client strips _total from counter family names.
    assert value(before, "securemail_messages_accepted", "securemail_messages_accepted_total", listener="relay") == 0
    assert value(before, "securemail_delivery_latency_seconds", "securemail_delivery_latency_seconds_count") == 0
    with smtplib.SMTP(*gw.addr("relay")) as s:
        for i in range(3):
            s.sendmail("alice@a.example", ["carol@c.example"], f"Subject: m{i}\r\n\r\nhi\r\n".encode())
    assert sink.wait(3)
    assert wait_for(lambda: value(scrape(gw)[0], "securemail_recipients_delivered",
                                  "securemail_recipients_delivered_total", listener="relay", lane="normal") == 3)
    after, text = scrape(gw)
    assert value(after, "securemail_messages_accepted", "securemail_messages_accepted_total", listener="relay") == 3
    assert value(after, "securemail_messages_accepted", "securemail_messages_accepted_total", listener="inbound") == 0
    assert value(after, "securemail_recipients_delivered", "securemail_recipients_delivered_total",
                 listener="relay", lane="priority") == 0
    hist = after["securemail_delivery_latency_seconds"]
    assert hist.type == "histogram"
    assert value(after, "securemail_delivery_latency_seconds", "securemail_delivery_latency_seconds_count") == 3
    assert value(after, "securemail_delivery_latency_seconds", "securemail_delivery_latency_seconds_bucket",
                 le="+Inf") == 3
    assert value(after, "securemail_delivery_latency_seconds", "securemail_delivery_latency_seconds_bucket",
                 le="86400") == 3
    # Process metrics from /proc/self, and the build.
    assert value(after, "process_cpu_seconds", "process_cpu_seconds_total") > 0
    assert value(after, "process_resident_memory_bytes") > 1_000_000
    assert 0 < value(after, "process_open_fds") < value(after, "process_max_fds")
    assert value(after, "process_start_time_seconds") > 1_700_000_000
    build = after["securemail_build_info"].samples[0]
    assert build.value == 1 and re.match(r"\d+\.\d+\.\d+$", build.labels["version"])
    assert re.match(r"\d+\.\d+", build.labels["openssl"])
    # No alert holds for a fresh gateway on a roomy disk; every alert has its series.
    alerts = {s.labels["alert"]: s.value for s in after["securemail_alert"].samples}
    assert set(alerts) == {"certificate-expiring", "directory-stale", "peer-unreachable", "spool-disk-full",
                           "certification-outdated", "selftest-failing"}
    assert alerts["certificate-expiring"] == 0 and alerts["directory-stale"] == 0
    assert alerts["certification-outdated"] == 0 and alerts["selftest-failing"] == 0
    assert 0 < value(after, "securemail_spool_disk_used_ratio") < 1


def test_unreachable_next_hop_counts_connection_failures(gateway_factory, sink):
    gw = gateway_factory()
    sink.stop()  # the route points at a closed port
    gw.write_config('[listen]\nrelay = "127.0.0.1:0"\nadmin = "127.0.0.1:0"\n'
                    f'[routes]\ndefault = "smtp://127.0.0.1:{sink.port}"\n')
    gw.start()
    with smtplib.SMTP(*gw.addr("relay")) as s:
        s.sendmail("alice@a.example", ["carol@c.example"], b"Subject: m\r\n\r\nhi\r\n")
    assert wait_for(lambda: (value(scrape(gw)[0], "securemail_peer_connection_failures",
                                   "securemail_peer_connection_failures_total", peer="other") or 0) >= 1)
    families, _ = scrape(gw)
    assert value(families, "securemail_recipients_deferred", "securemail_recipients_deferred_total",
                 listener="relay", lane="normal") >= 1
    assert value(families, "securemail_alert", alert="peer-unreachable") == 0  # not yet an hour


def test_certificate_expiring_in_ten_days_raises_the_alert(gateway_factory, sink, pki_world):
    authority = pki_world.authority("auth10")
    gd = pki_world.gateway("short.example", authority, "ec-p256", (), None, "--days", "10")
    gw = relay_gateway(gateway_factory, sink, data=gd.data)
    families, _ = scrape(gw)
    assert value(families, "securemail_alert", alert="certificate-expiring") == 1
    days = [s for s in families["securemail_certificate_expiry_days"].samples
            if s.labels["certificate"].startswith("key ")]
    assert days and all(9 < s.value <= 10 for s in days), days


def test_grafana_dashboard_queries_only_real_metrics(gateway_factory, sink):
    dashboard = json.loads((ROOT / "contrib" / "grafana" / "securemail.json").read_text())
    exprs = []

    def walk(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "expr" and isinstance(v, str):
                    exprs.append(v)
                else:
                    walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(dashboard)
    assert len(exprs) >= 8
    gw = relay_gateway(gateway_factory, sink)
    _, text = scrape(gw)
    # Sample names, and declared families (a gauge without samples yet, e.g. the directory age).
    exposed = set(re.findall(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{| )", text, re.M))
    exposed |= set(re.findall(r"^# TYPE (\S+) ", text, re.M))
    queried = set()
    for e in exprs:
        for name in re.findall(r"\b((?:securemail|process)_[a-zA-Z0-9_]+)", e):
            queried.add(name)
    assert queried, exprs
    missing = sorted(n for n in queried if n not in exposed)
    assert not missing, f"the dashboard queries metrics /metrics does not have: {missing}"
