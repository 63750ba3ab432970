"""Crash soak, short: 5 SIGKILLs of a gateway under load from 4 senders
(bench/soak runs 50). Every message acknowledged with 250 is delivered;
duplicates are allowed (at least once) and only reported."""
import sys
from pathlib import Path

from conftest import BIN

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench" / "lib"))
from soak import soak  # noqa: E402


def test_five_kill_cycles_lose_nothing(tmp_path):
    r = soak(BIN, tmp_path, cycles=5)
    print(r)
    assert r["acknowledged"] > 20, f"the load barely ran: {r}"
    assert r["still_queued"] == 0, f"queue did not drain: {r}"
    assert r["lost"] == 0, f"acknowledged but never delivered: {r}"
    assert r["delivered"] >= r["acknowledged"], r
