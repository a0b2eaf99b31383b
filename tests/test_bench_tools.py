"""bench_tools.py (`make bench`'s side-by-side comparison) runs at a tiny size, so that it never rots.

It asserts no timing, only that the reports are written with sane numbers. Checkov and vegeta
are built by `make tools` (in CI they must be there); Conftest only by `make bench`, so this
test builds nothing: it runs Conftest, and the differential check, only when
.tools/bin/conftest exists, and says so when it does not.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, require_tool

BENCH_TOOLS = ROOT / "tests" / "benchmarks" / "bench_tools.py"
CONFTEST = ROOT / ".tools" / "bin" / "conftest"


def test_bench_tools_writes_its_reports(tmp_path: Path) -> None:
    require_tool("checkov")
    require_tool("vegeta")
    without = [] if CONFTEST.exists() else ["--without", "conftest"]
    if without:
        print(f"{CONFTEST} is not built (`make bench` builds it): Conftest and the differential check left out")
    out = tmp_path / "reports"
    done = subprocess.run([sys.executable, str(BENCH_TOOLS), "--sizes", "50", "--repeat", "1", "--diff-cases", "1",
                           "--webhook-seconds", "1", "--webhook-step-seconds", "1", "--webhook-rates", "100",
                           "--out", str(out), *without],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads((out / "bench.json").read_text())
    tools = {row["tool"] for row in result["rows"]}
    expected = {"kaze-policy", "kaze-policy per-object", "checkov"} | (set() if without else {"conftest"})
    assert tools == expected
    for row in result["rows"]:
        assert row["resources"] == 50
        assert row["status"] == "ok", row
        assert 0 < row["median_s"] < 120, row
        assert 10 < row["peak_mb"] < 8192, row  # a Python or Go process, under Checkov's cap
    assert result["controls"]["per_object"] and all(c.startswith("KZ-") for c in result["controls"]["per_object"])
    checkov = next(r for r in result["rows"] if r["tool"] == "checkov")
    assert checkov["compared_with"] == "kaze-policy" and checkov["time_ratio"] > 0
    if not without:
        conftest = next(r for r in result["rows"] if r["tool"] == "conftest")
        assert conftest["compared_with"] == "kaze-policy per-object" and conftest["time_ratio"] > 0
        assert result["differential"]["fixtures"]["agree"] and result["differential"]["fixtures"]["cases"]
        assert result["differential"]["stack"]["agree"]
    webhook = result["webhook"]
    assert webhook["runs"] and all(r["requests"] > 0 for r in webhook["runs"])
    report = (out / "bench.md").read_text()
    assert "| 50 | kaze-policy, whole catalog | 1 |" in report and "## The admission webhook under load" in report
    assert (out / "bench.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
