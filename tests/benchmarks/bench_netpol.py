"""Benchmark of the NetworkPolicy analyzer at cell scale: wall time and peak memory of analyze().

Run: `python tests/benchmarks/bench_netpol.py [namespaces workloads policies]` (default 500,
5,000, 2,000; the budget is 10 s on the 2-core CI machine; exit status 1 when over it).
Importable: `build_resources()` makes the inventory resources, `measure()` times one analysis.

The generated cell looks like a real agency cell, with enough mistakes that every code path
runs: tenant namespaces (two per tenant) with default-deny, same-namespace, DNS, shared-plane
and allowlisted-egress policies; shared-plane namespaces admitting every tenant on their
declared port; system namespaces with the cluster DNS. One tenant namespace in 20 also admits
every namespace and one in 15 may egress to every namespace (tenant violations), one in 25 opens egress to 0.0.0.0/0, one in 10 reaches
the internet through a CiliumNetworkPolicy with toFQDNs, and one shared namespace in 8 admits
tenants on every port (undeclared ports). Labels vary per workload, so pod classes do not
collapse to a handful and the grouping is honestly exercised.
"""

from __future__ import annotations

import gc
import resource
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

try:
    from kaze_policy.analysis import netpol
except ModuleNotFoundError:  # run as a script from a checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from kaze_policy.analysis import netpol

BUDGET_S = 10.0
TENANT, PLANE = "kaze.io/tenant", "kaze.io/plane"


def _ns(name: str, labels: dict[str, str]) -> dict[str, Any]:
    return {"id": f"Namespace/{name}", "apiVersion": "v1", "kind": "Namespace", "namespace": None, "name": name,
            "object": {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}}


def _workload(ns: str, name: str, labels: dict[str, str], ports: list[dict[str, Any]], kind: str = "Deployment") -> dict[str, Any]:
    template = {"metadata": {"labels": labels},
                "spec": {"serviceAccountName": name, "containers": [{"name": "main", "image": "registry.kaze.io/x", "ports": ports}]}}
    return {"id": f"{kind}/{ns}/{name}", "apiVersion": "apps/v1", "kind": kind, "namespace": ns, "name": name,
            "object": {"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": name, "namespace": ns},
                       "spec": {"replicas": 2, "selector": {"matchLabels": labels}, "template": template}}}


def _netpol(ns: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"id": f"NetworkPolicy/{ns}/{name}", "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "namespace": ns, "name": name,
            "object": {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                       "metadata": {"name": name, "namespace": ns}, "spec": spec}}


def _cnp(ns: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"id": f"CiliumNetworkPolicy/{ns}/{name}", "apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
            "namespace": ns, "name": name,
            "object": {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
                       "metadata": {"name": name, "namespace": ns}, "spec": spec}}


_DNS_PEER = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
             "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}
_DNS_PORTS = [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]
_SHARED_PEER = {"namespaceSelector": {"matchLabels": {PLANE: "shared"}},
                "podSelector": {"matchExpressions": [{"key": "role", "operator": "In", "values": ["gateway", "runtime"]}]}}


def _tenant_policies(ns: str, i: int) -> list[dict[str, Any]]:
    """The four policies of a tenant namespace, some of them sloppy on purpose."""
    same_ns: dict[str, Any] = {"podSelector": {}, "policyTypes": ["Ingress", "Egress"],
               "ingress": [{"from": [{"podSelector": {}}]}],
               "egress": [{"to": [{"podSelector": {}}]}, {"to": [_DNS_PEER], "ports": _DNS_PORTS}]}
    if i % 20 == 7:  # admits every namespace: a tenant violation
        same_ns["ingress"].append({"from": [{"namespaceSelector": {}}], "ports": [{"port": "http"}]})
    shared: dict[str, Any] = {"podSelector": {"matchLabels": {"component": "agent"}}, "policyTypes": ["Egress"],
              "egress": [{"to": [_SHARED_PEER], "ports": [{"port": 8080}, {"port": 8443}]}]}
    if i % 15 == 2:  # egress to every namespace: with the above, tenant violations
        shared["egress"].append({"to": [{"namespaceSelector": {}}], "ports": [{"port": "http"}]})
    cidr = "0.0.0.0/0" if i % 25 == 3 else f"198.51.{i % 250}.0/24"
    allow = {"podSelector": {"matchExpressions": [{"key": "egress", "operator": "Exists"}]}, "policyTypes": ["Egress"],
             "egress": [{"to": [{"ipBlock": {"cidr": cidr, "except": ["10.0.0.0/8"]}}],
                         "ports": [{"port": 443}, {"port": 8000, "endPort": 8100}]}]}
    out = [_netpol(ns, "default-deny", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
           _netpol(ns, "same-namespace", same_ns), _netpol(ns, "to-shared-plane", shared)]
    if i % 10 == 5:
        out.append(_cnp(ns, "llm-apis", {
            "endpointSelector": {"matchLabels": {"component": "agent"}},
            "egress": [{"toFQDNs": [{"matchName": "api.openai.com"}, {"matchPattern": "*.anthropic.com"}],
                        "toPorts": [{"ports": [{"port": "443", "protocol": "TCP"}]}]}]}))
    else:
        out.append(_netpol(ns, "allowlist", allow))
    return out


def _shared_policies(ns: str, i: int) -> list[dict[str, Any]]:
    ports = [] if i % 8 == 1 else [{"port": "http"}]
    admit = {"podSelector": {"matchLabels": {"role": "gateway"}},
             "ingress": [{"from": [{"namespaceSelector": {"matchExpressions": [{"key": TENANT, "operator": "Exists"}]}}],
                          **({"ports": ports} if ports else {})}]}
    return [_netpol(ns, "default-deny", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
            _netpol(ns, "from-tenants", admit),
            _netpol(ns, "same-namespace", {"podSelector": {}, "ingress": [{"from": [{"podSelector": {}}]}],
                                           "egress": [{"to": [{"podSelector": {}}]}, {"to": [_DNS_PEER], "ports": _DNS_PORTS}]}),
            _netpol(ns, "to-providers", {"podSelector": {"matchLabels": {"role": "gateway"}}, "policyTypes": ["Egress"],
                                         "egress": [{"to": [{"ipBlock": {"cidr": "203.0.113.0/24"}}], "ports": [{"port": 443}]}]})]


def _system_policies(ns: str) -> list[dict[str, Any]]:
    return [_netpol(ns, "default-deny", {"podSelector": {}, "policyTypes": ["Ingress"]}),
            _netpol(ns, "dns", {"podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                                "ingress": [{"ports": _DNS_PORTS}]}),
            _netpol(ns, "same-namespace", {"podSelector": {}, "ingress": [{"from": [{"podSelector": {}}]}]}),
            _netpol(ns, "metrics", {"podSelector": {}, "ingress": [
                {"from": [{"namespaceSelector": {"matchLabels": {PLANE: "system"}}}], "ports": [{"port": "metrics"}]}]})]


def build_resources(namespaces: int = 500, workloads: int = 5_000, policies: int = 2_000) -> list[dict[str, Any]]:
    """A cell of the given size: 8 % shared, 2 % system, the rest tenant namespaces."""
    n_shared = max(1, namespaces * 8 // 100)
    n_system = max(1, namespaces * 2 // 100)
    names: list[tuple[str, str, int]] = [("kube-system", "system", 0)]
    names += [(f"system-{i}", "system", i) for i in range(1, n_system)]
    names += [(f"shared-{i}", "shared", i) for i in range(n_shared)]
    names += [(f"tenant-{i // 2}-{'prod' if i % 2 else 'tools'}", "tenant", i) for i in range(namespaces - len(names))]
    resources: list[dict[str, Any]] = []
    for name, role, i in names:
        labels = {PLANE: role} if role != "tenant" else {TENANT: f"t{i // 2:03d}", "kaze.io/vertical": f"v{i % 7}",
                                                        "pod-security.kubernetes.io/enforce": "restricted"}
        resources.append(_ns(name, labels))
    per_ns = workloads // len(names)
    extra = workloads - per_ns * len(names)
    for k, (name, role, i) in enumerate(names):
        for j in range(per_ns + (1 if k < extra else 0)):
            if name == "kube-system" and j == 0:
                resources.append(_workload(name, "coredns", {"k8s-app": "kube-dns"},
                                           [{"name": "dns", "containerPort": 53, "protocol": "UDP"},
                                            {"name": "dns-tcp", "containerPort": 53}]))
                continue
            roles = {"shared": ["gateway", "runtime", "worker"], "system": ["operator", "exporter"]}.get(role, ["agent"])
            labels = {"app": f"svc-{j}", "role": roles[j % len(roles)], "version": f"v{(i + j) % 3}"}
            if role == "tenant":
                labels["component"] = "agent" if j % 3 == 0 else "tool"
                if j % 4 == 1:
                    labels["egress"] = "allowlisted"
            ports = [{"name": "http", "containerPort": 8080}, {"name": "metrics", "containerPort": 9090}]
            kind = ("Deployment", "StatefulSet", "CronJob")[j % 3] if role == "tenant" else "Deployment"
            resources.append(_workload(name, f"svc-{j}", labels, ports, kind))
    made = 0
    for name, role, i in names:
        batch = (_tenant_policies(name, i) if role == "tenant" else
                 _shared_policies(name, i) if role == "shared" else _system_policies(name))
        for pol in batch[: max(0, policies - made)]:
            resources.append(pol)
            made += 1
    return resources


def measure(resources: list[dict[str, Any]], config: dict[str, Any] | None = None) -> dict[str, Any]:
    """Time analyze() (best of two), then its peak traced allocation in a separate run."""
    walls = []
    facts: dict[str, Any] = {}
    for _ in range(2):
        gc.collect()
        start = time.perf_counter()
        facts = netpol.analyze(resources, config)
        walls.append(time.perf_counter() - start)
    gc.collect()
    tracemalloc.start()
    netpol.analyze(resources, config)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "wall_s": min(walls), "worst_s": max(walls), "traced_peak_mb": peak / 1e6,
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "tenant_violations": len(facts["tenant_violations"]),
        "shared_undeclared": len(facts["shared_undeclared"]),
        "egress_workloads": len(facts["egress"]),
        "unrestricted": sum(e["unrestricted"] for e in facts["egress"].values()),
    }


def main(argv: list[str]) -> int:
    sizes = [int(a) for a in argv] if argv else [500, 5_000, 2_000]
    resources = build_resources(*sizes)
    kinds: dict[str, int] = {}
    for r in resources:
        kinds[r["kind"]] = kinds.get(r["kind"], 0) + 1
    n_pol = kinds.get("NetworkPolicy", 0) + kinds.get("CiliumNetworkPolicy", 0)
    n_wl = sum(v for k, v in kinds.items() if k not in ("Namespace", "NetworkPolicy", "CiliumNetworkPolicy"))
    config = {"dns": {"namespace": "kube-system", "podLabels": {"k8s-app": "kube-dns"}}}
    r = measure(resources, config)
    print(f"netpol.analyze: {kinds.get('Namespace', 0)} namespaces, {n_wl} workloads, {n_pol} policies "
          f"({kinds.get('CiliumNetworkPolicy', 0)} Cilium)")
    print(f"  wall {r['wall_s']:.2f} s (worst of 2: {r['worst_s']:.2f} s), budget {BUDGET_S:.0f} s")
    print(f"  peak traced allocation {r['traced_peak_mb']:.1f} MB; process max RSS {r['max_rss_mb']:.0f} MB")
    print(f"  facts: {r['tenant_violations']} tenant pairs, {r['shared_undeclared']} shared-undeclared, "
          f"{r['egress_workloads']} egress entries ({r['unrestricted']} unrestricted)")
    return 0 if r["wall_s"] < BUDGET_S else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
