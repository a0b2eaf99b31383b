"""Admission load benchmark of `kaze-policy serve`, driven by vegeta over TLS with keep-alive.

Run: `make bench-webhook` (or `python tests/benchmarks/bench_webhook.py [--seconds N] [--rates R,R…]`).
The server is the real command on a loopback port (its context a snapshot of a tenant
namespace, the fixtures' configuration); vegeta (`.tools/bin/vegeta`, built from Go modules)
posts Pod and Deployment AdmissionReviews in turn, half of them compliant and half refused.

First a fixed rate (500 requests/s for 60 s: the target is p99 under 5 ms, no error), then
rising rates of 10 s each, to find the highest that keeps p99 under 50 ms with no error.
Reported per rate: p50, p99, p99.9, max, errors, and the server's CPU (cores busy, from
/proc). vegeta runs on the same two cores, which the figures include. Written to
reports/bench-webhook.json too.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from tests.webhook.support import empty_snapshot, review, running_webhook  # noqa: E402

TARGET_RATE, TARGET_P99_MS = 500, 5.0
CEILING_P99_MS = 50.0
DIGEST = "sha256:" + "0" * 64
NAMESPACE = {"apiVersion": "v1", "kind": "Namespace",
             "metadata": {"name": "tenant-acme", "labels": {"kaze.io/tenant": "acme",
                                                           "pod-security.kubernetes.io/enforce": "restricted"},
                          "annotations": {"linkerd.io/inject": "enabled"}}}


def _pod_spec(compliant: bool) -> dict[str, Any]:
    security = {"allowPrivilegeEscalation": False, "runAsNonRoot": True, "capabilities": {"drop": ["ALL"]},
                "seccompProfile": {"type": "RuntimeDefault"}}
    if not compliant:
        security = {"privileged": True}
    image = f"registry.kaze.io/kaze/agent@{DIGEST}" if compliant else "docker.io/library/agent:latest"
    return {"containers": [{"name": "agent", "image": image, "securityContext": security,
                            "env": [{"name": "LOG_LEVEL", "value": "info"}],
                            "resources": {"limits": {"cpu": "1", "memory": "512Mi"}}}]}


def reviews() -> list[dict[str, Any]]:
    """A compliant and a refused Pod, a compliant and a refused Deployment."""
    out = []
    for compliant in (True, False):
        name = "agent" if compliant else "rogue"
        metadata = {"name": name, "namespace": "tenant-acme", "labels": {"app": name}}
        out.append(review({"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": _pod_spec(compliant)},
                          uid=f"pod-{name}"))
        out.append(review({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": metadata,
                           "spec": {"replicas": 2, "selector": {"matchLabels": {"app": name}},
                                    "template": {"metadata": {"labels": {"app": name}}, "spec": _pod_spec(compliant)}}},
                          uid=f"deployment-{name}"))
    return out


def _vegeta() -> str:
    path = ROOT / ".tools" / "bin" / "vegeta"
    if not path.exists():
        sys.exit("vegeta is not built: run `make bench-webhook` (it builds .tools/bin/vegeta)")
    return str(path)


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def attack(url: str, ca: Path, targets: Path, rate: int, seconds: int, pid: int) -> dict[str, Any]:
    vegeta = _vegeta()
    before = _cpu_seconds(pid)
    attack_run = subprocess.run([vegeta, "attack", "-format=json", f"-targets={targets}", f"-rate={rate}/s",
                                 f"-duration={seconds}s", f"-root-certs={ca}", "-keepalive=true", "-timeout=5s"],
                                capture_output=True, check=True)
    cpu = (_cpu_seconds(pid) - before) / seconds
    encoded = subprocess.run([vegeta, "encode", "--to", "json"], input=attack_run.stdout, capture_output=True,
                             check=True).stdout.decode().splitlines()
    results = [json.loads(line) for line in encoded if line]
    latencies = sorted(r["latency"] / 1e6 for r in results)
    errors = sum(1 for r in results if r["code"] != 200 or r["error"])

    def percentile(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] if latencies else float("nan")

    return {"rate": rate, "seconds": seconds, "requests": len(results), "errors": errors,
            "p50_ms": percentile(50), "p99_ms": percentile(99), "p99_9_ms": percentile(99.9),
            "max_ms": latencies[-1] if latencies else float("nan"), "server_cpu_cores": cpu}


def _line(row: dict[str, Any]) -> str:
    return (f"{row['rate']:>6}/s {row['seconds']:>3} s  {row['requests']:>7} req  errors {row['errors']:>4}  "
            f"p50 {row['p50_ms']:6.2f} ms  p99 {row['p99_ms']:7.2f} ms  p99.9 {row['p99_9_ms']:7.2f} ms  "
            f"max {row['max_ms']:7.1f} ms  server CPU {row['server_cpu_cores']:.2f} cores")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60, help="the fixed-rate run (default 60)")
    parser.add_argument("--step-seconds", type=int, default=10)
    parser.add_argument("--rates", default="600,700,800,900,1000,1200,1500")
    parser.add_argument("--output", type=Path, default=ROOT / "reports" / "bench-webhook.json")
    parser.add_argument("--workers", type=int, default=None, help="the server's decision threads (default: its own)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kaze-bench-webhook-") as tmp:
        folder = Path(tmp)
        snapshot = empty_snapshot(folder / "snapshot.json", [NAMESPACE])
        workers = ["--workers", str(args.workers)] if args.workers else []
        with running_webhook(folder, "--snapshot", str(snapshot), "--config", str(ROOT / "fixtures" / "kaze-policy.yaml"),
                             *workers) as server:
            decision_log = server.decision_log
            targets = folder / "targets.jsonl"
            targets.write_text("".join(json.dumps({
                "method": "POST", "url": f"{server.url}/validate", "header": {"Content-Type": ["application/json"]},
                "body": base64.b64encode(json.dumps(body).encode()).decode()}) + "\n" for body in reviews()))
            rows = []
            fixed = attack(server.url, server.pki.ca, targets, TARGET_RATE, args.seconds, server.process.pid)
            rows.append(fixed)
            print(_line(fixed), flush=True)
            highest = None
            for rate in (int(r) for r in args.rates.split(",")):
                row = attack(server.url, server.pki.ca, targets, rate, args.step_seconds, server.process.pid)
                rows.append(row)
                print(_line(row), flush=True)
                if row["errors"] or row["p99_ms"] >= CEILING_P99_MS:
                    break
                highest = rate
            logged = sum(1 for _ in decision_log.open())
    verdict = {"target": f"p99 < {TARGET_P99_MS} ms at {TARGET_RATE}/s for {args.seconds} s, no error",
               "met": fixed["p99_ms"] < TARGET_P99_MS and fixed["errors"] == 0,
               "highest_rate_p99_under_50ms": highest, "decisions_logged": logged, "runs": rows}
    print(f"target {verdict['target']}: {'met' if verdict['met'] else 'NOT met'}; "
          f"highest rate with p99 < {CEILING_P99_MS:g} ms and no error: {highest}/s")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(verdict, indent=1) + "\n")


if __name__ == "__main__":
    main()
