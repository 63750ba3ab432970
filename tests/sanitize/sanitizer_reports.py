"""sanitizer_reports - pytest plugin for `make test-sanitize`: fails the
test during which any securemail process (daemon or CLI) wrote an ASan,
UBSan or LSan report. Reports go to files (ASAN_OPTIONS/UBSAN_OPTIONS
log_path=$SECUREMAIL_SANITIZER_REPORTS/...) rather than stderr, so a report
from a daemon nobody waits on, or from a command a test expects to fail,
is still seen; the plugin attributes it to the test that was running and
shows it. Loaded with `-p sanitizer_reports` (PYTHONPATH=tests/sanitize)."""
import os
import pathlib

import pytest

REPORTS = os.environ.get("SECUREMAIL_SANITIZER_REPORTS")


def _reports():
    if not REPORTS:
        return set()
    return {p for p in pathlib.Path(REPORTS).glob("*") if p.is_file()}


@pytest.fixture(autouse=True)
def _no_sanitizer_reports():
    before = _reports()
    yield
    new = sorted(_reports() - before)
    if new:
        text = "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-6000:]}" for p in new)
        pytest.fail(f"sanitizer report(s) from a securemail process during this test:\n{text}", pytrace=False)
