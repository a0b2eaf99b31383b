"""The benchmarks run (at small sizes) in the suite, so that `make bench` never rots.

They print figures but assert no timing: speed is read from `make bench`, side by side.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, require_tool

BENCH = ROOT / "tests" / "benchmarks"


@pytest.mark.parametrize("args", [
    ["bench_scan.py", "200"],
    ["bench_netpol.py", "20", "200", "80"],
    ["bench_rbac.py", "--roles", "50", "--bindings", "100"],
    ["bench_vault_acl.py", "--clients", "20"],
    ["bench_webhook.py", "--seconds", "2", "--step-seconds", "1", "--rates", "200", "--output", "{tmp}/bench.json"],
], ids=lambda a: a[0])
def test_benchmark_runs(args: list[str], tmp_path: Path) -> None:
    if args[0] == "bench_webhook.py":
        require_tool("vegeta")
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    done = subprocess.run([sys.executable, str(BENCH / args[0]), *args[1:]], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip()
