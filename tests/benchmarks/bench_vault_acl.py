"""Benchmark of the Vault ACL analyzer: a cell's worth of client policies, probed per client.

Run: `python tests/benchmarks/bench_vault_acl.py [--clients N]`. Prints the wall time of
`analyze()` over N client policies (plus platform policies) and of single capability
look-ups, and the peak memory.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from kaze_policy.analysis.vault_acl import ACL, analyze, parse_policy  # noqa: E402


def client_policy(client: str) -> str:
    return (f'path "kv/data/clients/{client}/*" {{\n  capabilities = ["read"]\n}}\n'
            f'path "kv/metadata/clients/{client}/*" {{\n  capabilities = ["list"]\n}}\n'
            f'path "transit/encrypt/client-{client}" {{\n  capabilities = ["update"]\n}}\n')


def synthetic_cell(clients: int) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    names = [f"client{i:04d}" for i in range(clients)]
    resources = [{"id": f"VaultPolicy/client-{n}-agent", "kind": "VaultPolicy", "name": f"client-{n}-agent",
                  "object": {"policy": client_policy(n)}} for n in names]
    resources.append({"id": "VaultPolicy/break-glass", "kind": "VaultPolicy", "name": "break-glass",
                      "object": {"policy": 'path "kv/data/clients/+/*" {\n  capabilities = ["read"]\n}\n'}})
    resources.append({"id": "VaultPolicy/platform-llm", "kind": "VaultPolicy", "name": "platform-llm",
                      "object": {"policy": 'path "kv/data/speedrun/*" {\n  capabilities = ["read"]\n}\n'}})
    config = {"tenants": [{"name": n, "vertical": "finance"} for n in names]}
    return resources, config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    args = parser.parse_args()
    resources, config = synthetic_cell(args.clients)
    start = time.perf_counter()
    facts = analyze(resources, config)
    elapsed = time.perf_counter() - start
    acl = ACL([parse_policy(r["object"]["policy"], r["name"]) for r in resources])
    start = time.perf_counter()
    for i in range(10_000):
        acl.capabilities(f"kv/data/clients/client{i % args.clients:04d}/key")
    lookup = (time.perf_counter() - start) / 10_000
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"vault_acl benchmark: {len(resources)} policies, {args.clients} clients")
    print(f"  analyze: {elapsed:.2f} s   client_access entries: {len(facts.get('client_access', []))}")
    print(f"  capabilities(): {lookup * 1e6:.0f} µs per path over all policies")
    print(f"  peak memory: {peak:.0f} MB RSS")


if __name__ == "__main__":
    main()
