"""Benchmark of `kaze-policy scan` on a generated stack: wall time, resources/s, peak memory.

Run: `make bench` (or `python tests/benchmarks/bench_scan.py [N…]`). Each size runs the real
command in a fresh process, so the figure includes start-up, parsing, analysis and evaluation.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stack import write_stack  # noqa: E402

SIZES = (1_000, 10_000)


def measure(n: int, engine: str = "embedded", repeat: int = 3) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="kaze-bench-") as tmp:
        folder = write_stack(Path(tmp) / "stack", n)
        size_mb = (folder / "stack.yaml").stat().st_size / 1e6
        cmd = [sys.executable, "-m", "kaze_policy.cli", "scan", str(folder), "--format", "json",
               "--output", str(Path(tmp) / "report.json"), "--engine", engine, "--no-progress"]
        walls, peaks = [], []
        for _ in range(repeat):
            before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            start = time.perf_counter()
            done = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ})
            walls.append(time.perf_counter() - start)
            peaks.append(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
            if done.returncode not in (0, 1):
                raise SystemExit(f"scan failed (exit {done.returncode}): {done.stderr.strip()}")
            del before
        wall = min(walls)
        return {"n": n, "mb": size_mb, "wall_s": wall, "median_s": sorted(walls)[len(walls) // 2],
                "per_s": n / wall, "peak_mb": max(peaks)}


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or list(SIZES)
    engine = os.environ.get("KAZE_BENCH_ENGINE", "embedded")
    print(f"{'resources':>10} {'yaml MB':>8} {'best s':>8} {'median s':>9} {'res/s':>9} {'peak MB':>8}  engine={engine}")
    for n in sizes:
        r = measure(n, engine)
        print(f"{r['n']:>10} {r['mb']:>8.1f} {r['wall_s']:>8.2f} {r['median_s']:>9.2f} {r['per_s']:>9.0f} {r['peak_mb']:>8.0f}")


if __name__ == "__main__":
    main(sys.argv[1:])
