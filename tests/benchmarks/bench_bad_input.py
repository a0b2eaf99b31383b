"""How long each kind of bad input takes to be refused (target: under 2 s each), end to end.

Run: `python tests/benchmarks/bench_bad_input.py`. Each input goes through the real command
in a fresh process; the figure includes interpreter start-up (~0.2 s).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.test_bad_input import bad_inputs  # noqa: E402


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="kaze-bad-") as tmp:
        big = Path(tmp) / "over-limit.yaml"
        with big.open("wb") as handle:
            handle.truncate(50 * 1024 * 1024 + 1)
        cases = {name: Path(tmp) / name for name in bad_inputs()}
        for name, path in cases.items():
            path.write_bytes(bad_inputs()[name])
        cases["over-limit.yaml"] = big
        print(f"{'input':<18} {'exit':>4} {'seconds':>8}  message")
        for name, path in cases.items():
            start = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "kaze_policy.cli", "scan", str(path), "--format", "json"],
                                  capture_output=True, text=True)
            elapsed = time.perf_counter() - start
            print(f"{name:<18} {done.returncode:>4} {elapsed:>8.2f}  {done.stderr.strip()[:90]}")


if __name__ == "__main__":
    main()
