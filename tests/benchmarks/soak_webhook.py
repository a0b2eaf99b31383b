"""Soak test of `kaze-policy serve`: a steady admission load for a long time, watching memory.

Run: `make soak` (or `python tests/benchmarks/soak_webhook.py`). The server is the real
command on a loopback port, as `make bench-webhook` runs it (tests/benchmarks/bench_webhook.py:
its context a snapshot of a tenant namespace, the fixtures' configuration); vegeta
(`.tools/bin/vegeta`) posts Pod and Deployment AdmissionReviews in turn, half compliant and
half refused, over TLS with keep-alive, at 200 requests/s for 10 minutes (SOAK_SECONDS,
SOAK_RATE to change them), after a warm-up of 30 s at the same rate (SOAK_WARMUP_SECONDS).

The server's resident memory (VmRSS) is sampled every 10 s. Printed: requests, errors (any
answer but 200, or none), p50 and p99 latency, the RSS after the warm-up and at the end and
the growth between them. Exit 1 when a request failed or the RSS grew by 10 % or more.
Written to reports/soak-webhook.json too.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from tests.benchmarks.bench_webhook import NAMESPACE, _vegeta, reviews  # noqa: E402
from tests.webhook.support import empty_snapshot, running_webhook  # noqa: E402

SAMPLE_SECONDS = 10
MAX_GROWTH_PERCENT = 10.0


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


def rss_kib(pid: int) -> int:
    """The process's resident set (VmRSS), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def attack(vegeta: str, targets: Path, ca: Path, rate: int, seconds: int, results: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([vegeta, "attack", "-format=json", f"-targets={targets}", f"-rate={rate}/s",
                             f"-duration={seconds}s", f"-root-certs={ca}", "-keepalive=true", "-timeout=5s",
                             f"-output={results}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def summary(vegeta: str, results: Path) -> dict[str, Any]:
    done = subprocess.run([vegeta, "report", "-type=json", str(results)], capture_output=True, check=True)
    report = json.loads(done.stdout)
    requests = int(report["requests"])
    ok = int((report.get("status_codes") or {}).get("200", 0))
    latencies = report["latencies"]
    return {"requests": requests, "errors": requests - ok, "status_codes": report.get("status_codes") or {},
            "error_kinds": (report.get("errors") or [])[:10],
            "p50_ms": latencies["50th"] / 1e6, "p99_ms": latencies["99th"] / 1e6, "max_ms": latencies["max"] / 1e6}


def main() -> int:
    seconds = _env_int("SOAK_SECONDS", 600)
    rate = _env_int("SOAK_RATE", 200)
    warmup = _env_int("SOAK_WARMUP_SECONDS", 30)
    output = ROOT / "reports" / "soak-webhook.json"
    vegeta = _vegeta()
    with tempfile.TemporaryDirectory(prefix="kaze-soak-webhook-") as tmp:
        folder = Path(tmp)
        snapshot = empty_snapshot(folder / "snapshot.json", [NAMESPACE])
        with running_webhook(folder, "--snapshot", str(snapshot),
                             "--config", str(ROOT / "fixtures" / "kaze-policy.yaml")) as server:
            pid = server.process.pid
            targets = folder / "targets.jsonl"
            targets.write_text("".join(json.dumps({
                "method": "POST", "url": f"{server.url}/validate", "header": {"Content-Type": ["application/json"]},
                "body": base64.b64encode(json.dumps(body).encode()).decode()}) + "\n" for body in reviews()))
            print(f"soak: kaze-policy serve (pid {pid}), {rate} requests/s, warm-up {warmup} s, then {seconds} s; "
                  f"RSS every {SAMPLE_SECONDS} s", flush=True)
            if warmup > 0:
                warming = attack(vegeta, targets, server.pki.ca, rate, warmup, folder / "warmup.bin")
                if warming.wait() != 0:
                    raise SystemExit(f"vegeta failed: {warming.stderr.read().decode()[-2000:]}")
            start_rss = rss_kib(pid)
            print(f"  {0:>5} s  RSS {start_rss / 1024:7.1f} MiB (after the warm-up)", flush=True)
            samples = [{"seconds": 0, "rss_kib": start_rss}]
            results = folder / "results.bin"
            began = time.monotonic()
            running = attack(vegeta, targets, server.pki.ca, rate, seconds, results)
            next_sample = began + SAMPLE_SECONDS
            while running.poll() is None:
                time.sleep(max(0.0, min(next_sample - time.monotonic(), 0.5)))
                if time.monotonic() >= next_sample and running.poll() is None:
                    at = round(time.monotonic() - began)
                    samples.append({"seconds": at, "rss_kib": rss_kib(pid)})
                    print(f"  {at:>5} s  RSS {samples[-1]['rss_kib'] / 1024:7.1f} MiB", flush=True)
                    next_sample += SAMPLE_SECONDS
            if running.returncode != 0:
                raise SystemExit(f"vegeta failed: {running.stderr.read().decode()[-2000:]}")
            end_rss = rss_kib(pid)
            samples.append({"seconds": round(time.monotonic() - began), "rss_kib": end_rss})
            alive = server.process.poll() is None
            figures = summary(vegeta, results)
    growth = (end_rss - start_rss) / start_rss * 100
    passed = figures["errors"] == 0 and growth < MAX_GROWTH_PERCENT and alive
    print(f"requests {figures['requests']}  errors {figures['errors']}  p50 {figures['p50_ms']:.2f} ms  "
          f"p99 {figures['p99_ms']:.2f} ms  max {figures['max_ms']:.1f} ms")
    print(f"RSS at start {start_rss / 1024:.1f} MiB, at end {end_rss / 1024:.1f} MiB: growth {growth:+.1f} % "
          f"(limit {MAX_GROWTH_PERCENT:g} %)")
    if figures["errors"]:
        print(f"errors: {figures['status_codes']} {figures['error_kinds']}")
    if not alive:
        print("the server exited during the soak")
    print("soak: " + ("passed" if passed else "FAILED"))
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps({"rate": rate, "seconds": seconds, "warmup_seconds": warmup, **figures,
                                  "rss_start_kib": start_rss, "rss_end_kib": end_rss,
                                  "rss_growth_percent": round(growth, 2), "samples": samples,
                                  "passed": passed}, indent=1) + "\n")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
