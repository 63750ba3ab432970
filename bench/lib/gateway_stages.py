"""gateway_stages.py - where a sealed message spends its time between the two
gateways, from their log lines (millisecond timestamps).

The perf profile says where the CPU goes; when the gateways keep well under
one CPU busy, the rate is set by waiting, and this says in which stage the
messages wait. It follows each message by its queue ids through the lines
the gateways write (a: "ID1: ... sealing", "ID1: sealed for member M as
ID2", "ID2: client=", "ID2: ... status=sent (... queued as ID4)"; b: "ID3:
... smime=pass -> queued as ID4", "ID4: ... status=sent"). Lines it does not
recognise are skipped; when no message can be followed, stages() returns
None and the benchmark says so instead of guessing.
"""

import datetime
import re
import statistics

_LINE = re.compile(r"^(\S+) \S+ [^:]*\]: ([0-9A-Fa-f]{8,}): (.*)$")
_AS = re.compile(r" as ([0-9A-Fa-f]{8,})")
_QUEUED_AS = re.compile(r"queued as ([0-9A-Fa-f]{8,})")

# (label, start event, end event); events are keyed as in _follow.
STAGES = (
    ("a: end of DATA -> sealed (seal)", "data_end", "sealed"),
    ("a: sealed -> 250 to the client (queue commit)", "sealed", "committed"),
    ("a: 250 -> verified at b (a's queue, connection, TLS, transfer, b's open)", "committed", "verified"),
    ("b: verified -> 250 back to a (b's queue commit)", "verified", "a_sent"),
    ("b: verified -> at smtp-sink (b's queue and delivery)", "verified", "at_sink"),
    ("end to end: end of DATA at a -> at smtp-sink", "data_end", "at_sink"),
)
RATES = (("end of DATA at a", "data_end"), ("250 to the client", "committed"), ("verified at b", "verified"),
         ("at smtp-sink", "at_sink"))


def _events(lines):
    for raw in lines:
        m = _LINE.match(raw.decode("utf-8", "replace").rstrip("\n"))
        if not m:
            continue
        try:
            t = datetime.datetime.fromisoformat(m.group(1).replace("Z", "+00:00")).timestamp()
        except ValueError:
            continue
        yield t, m.group(2), m.group(3)


def _follow(a_lines, b_lines):
    """One dict of event times per message followed from a to the sink."""
    data_end, sealed, committed, a_sent, verified, at_sink = {}, {}, {}, {}, {}, {}
    copy_of, b_id = {}, {}
    for t, qid, rest in _events(a_lines):
        if rest.endswith(": sealing"):
            data_end[qid] = t
        elif rest.startswith("sealed for member") and "sent to" not in rest:
            m = _AS.search(rest)
            if m:
                sealed[qid], copy_of[qid] = t, m.group(1)
        elif rest.startswith("client="):
            committed[qid] = t
        elif "status=sent" in rest:
            m = _QUEUED_AS.search(rest)
            if m:
                a_sent[qid], b_id[qid] = t, m.group(1)
    for t, qid, rest in _events(b_lines):
        if "smime=pass" in rest:
            m = _QUEUED_AS.search(rest)
            if m:
                verified[m.group(1)] = t
        elif "status=sent" in rest:
            at_sink[qid] = t
    out = []
    for first, copy in copy_of.items():
        final = b_id.get(copy)
        try:
            out.append({"data_end": data_end[first], "sealed": sealed[first], "committed": committed[copy],
                        "a_sent": a_sent[copy], "verified": verified[final], "at_sink": at_sink[final]})
        except KeyError:
            continue
    return out


def stages(a_lines, b_lines):
    """Median and 90th percentile of each stage, and the rate of each event
    over the run; None when no message could be followed."""
    msgs = _follow(a_lines, b_lines)
    if len(msgs) < 2:
        return None
    result = {"messages": len(msgs), "stages": [], "rates": []}
    for label, start, end in STAGES:
        d = sorted(m[end] - m[start] for m in msgs)
        result["stages"].append({"stage": label, "median_ms": statistics.median(d) * 1000,
                                 "p90_ms": d[int(len(d) * 0.9)] * 1000})
    for label, key in RATES:
        t = sorted(m[key] for m in msgs)
        span = t[-1] - t[0]
        result["rates"].append({"event": label, "per_s": len(t) / span if span > 0 else float("nan")})
    return result


def fmt_stages(s):
    if not s:
        return ["(no message could be followed through both gateways' logs: log format changed?)"]
    lines = [f"{'stage':<76} {'median':>9} {'p90':>9}"]
    for st in s["stages"]:
        lines.append(f"{st['stage']:<76} {st['median_ms']:>6.0f} ms {st['p90_ms']:>6.0f} ms")
    lines.append("rate of each step over the run: " +
                 ", ".join(f"{r['event']} {r['per_s']:.0f}/s" for r in s["rates"]))
    return lines
