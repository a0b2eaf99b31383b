"""Benchmark of the effective-RBAC analyzer on a large synthetic cluster.

2,000 roles (Roles in 50 namespaces, ClusterRoles, some aggregated) and 5,000 bindings
(RoleBindings and ClusterRoleBindings to users, groups, service accounts and SA groups):
a large multi-tenant cell. Prints the seconds (wall and CPU: on a shared machine the CPU
figure is the stable one) of `analyze` (which loads everything, resolves
aggregation and answers every question the facts need), a few `who_can` queries, and the
peak memory. Deterministic (seeded) so runs are comparable.

    PYTHONPATH=. python tests/benchmarks/bench_rbac.py [--roles N] [--bindings N]
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from kaze_policy.analysis.rbac import analyze, effective_permissions

NAMESPACES = [f"tenant-{i:02d}" for i in range(50)]
GROUPS = ["", "apps", "batch", "networking.k8s.io", "argoproj.io", "*"]
RESOURCES = ["pods", "secrets", "configmaps", "deployments", "statefulsets", "jobs", "services",
             "pods/exec", "pods/log", "applications", "*", "roles"]
VERBS = ["get", "list", "watch", "create", "update", "patch", "delete", "*", "escalate", "bind", "impersonate"]


def _res(kind: str, name: str, ns: str | None, obj: dict[str, Any]) -> dict[str, Any]:
    meta = {"name": name, **({"namespace": ns} if ns else {}), **obj.pop("metadata", {})}
    rid = f"{kind}/{ns}/{name}" if ns else f"{kind}/{name}"
    return {"id": rid, "kind": kind, "namespace": ns, "name": name, "object": {"metadata": meta, **obj}}


def _rules(rng: random.Random) -> list[dict[str, Any]]:
    return [{"apiGroups": [rng.choice(GROUPS)], "resources": rng.sample(RESOURCES, rng.randint(1, 3)),
             "verbs": rng.sample(VERBS, rng.randint(1, 3)),
             **({"resourceNames": [f"obj-{rng.randint(0, 9)}"]} if rng.random() < 0.1 else {})}
            for _ in range(rng.randint(2, 6))]


def synthetic_cluster(roles: int, bindings: int, seed: int = 7) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Namespaces with tenants, service accounts, roles and bindings; and a config."""
    rng = random.Random(seed)
    out = [_res("Namespace", ns, None, {"metadata": {"labels": {"kaze.io/tenant": f"t{i % 25}"}}})
           for i, ns in enumerate(NAMESPACES)]
    out += [_res("ServiceAccount", f"sa-{j}", ns, {}) for ns in NAMESPACES for j in range(10)]
    n_cluster = roles // 4
    for i in range(n_cluster):
        labels = {"kaze.io/aggregate-to": f"agg-{i % 10}"} if i % 7 == 0 else {}
        obj: dict[str, Any] = {"metadata": {"labels": labels}, "rules": _rules(rng)}
        if i < 10:
            obj = {"aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"kaze.io/aggregate-to": f"agg-{i}"}}]}}
        out.append(_res("ClusterRole", f"cr-{i}", None, obj))
    out += [_res("Role", f"role-{i}", rng.choice(NAMESPACES), {"rules": _rules(rng)}) for i in range(roles - n_cluster)]
    role_names = {r["name"]: r for r in out if r["kind"] in ("Role", "ClusterRole")}
    role_by_ns: dict[str, list[str]] = {}
    for r in out:
        if r["kind"] == "Role":
            role_by_ns.setdefault(r["namespace"], []).append(r["name"])
    for i in range(bindings):
        ns = rng.choice(NAMESPACES)
        subjects = []
        for _ in range(rng.randint(1, 3)):
            pick = rng.random()
            if pick < 0.4:
                subjects.append({"kind": "ServiceAccount", "name": f"sa-{rng.randint(0, 9)}",
                                 "namespace": rng.choice(NAMESPACES)})
            elif pick < 0.7:
                subjects.append({"kind": "User", "name": f"user-{rng.randint(0, 199)}@kaze.io"})
            elif pick < 0.95:
                subjects.append({"kind": "Group", "name": f"team-{rng.randint(0, 19)}"})
            else:
                subjects.append({"kind": "Group", "name": f"system:serviceaccounts:{rng.choice(NAMESPACES)}"})
        if i % 5 == 0:
            name = rng.choice([f"cr-{rng.randrange(n_cluster)}", "edit", "view", "admin"])
            ref = {"kind": "ClusterRole", "name": name}
            out.append(_res("ClusterRoleBinding", f"crb-{i}", None, {"roleRef": ref, "subjects": subjects}))
        else:
            if rng.random() < 0.5 and role_by_ns.get(ns):
                ref = {"kind": "Role", "name": rng.choice(role_by_ns[ns])}
            else:
                ref = {"kind": "ClusterRole", "name": rng.choice([f"cr-{rng.randrange(n_cluster)}", "edit", "view"])}
            out.append(_res("RoleBinding", f"rb-{i}", ns, {"roleRef": ref, "subjects": subjects}))
    assert len(role_names) == roles
    config = {"identities": [{"name": f"person-{k}", "kubernetes": [f"User:user-{k}@kaze.io"], "vault": [f"person-{k}"]}
                             for k in range(200)],
              "groups": {"breakGlass": ["Group:team-0"]}}
    return out, config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--roles", type=int, default=2000)
    parser.add_argument("--bindings", type=int, default=5000)
    args = parser.parse_args()
    resources, config = synthetic_cluster(args.roles, args.bindings)

    start, cpu = time.perf_counter(), time.process_time()
    facts = analyze(resources, config)
    analyze_s, analyze_cpu = time.perf_counter() - start, time.process_time() - cpu

    perms = effective_permissions(resources)
    start = time.perf_counter()
    hits = sum(len(perms.who_can(v, r, namespace=ns)) for v in ("get", "create") for r in ("secrets", "pods/exec")
               for ns in NAMESPACES[:10])
    query_s = (time.perf_counter() - start) / 40
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    tracemalloc.start()
    analyze(resources, config)
    _, heap_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    counts = {k: len(v) for k, v in facts.items() if isinstance(v, list)}
    print(f"rbac benchmark: {args.roles} roles, {args.bindings} bindings, {len(resources)} resources")
    print(f"  analyze: {analyze_s:.2f} s wall, {analyze_cpu:.2f} s CPU   facts: {counts}")
    print(f"  who_can (one namespace): {query_s * 1000:.1f} ms per query ({hits} grants over 40 queries)")
    print(f"  peak memory: {peak_rss_mb:.0f} MB RSS (process), {heap_peak / 2**20:.0f} MB Python heap during analyze")


if __name__ == "__main__":
    main()
