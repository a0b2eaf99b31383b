"""Growth guards of the analyzers, of the evaluation and of the reporters (issue 9).

Each runs the same kind of input at N and 8N in one run and fails when the time grows more
than 24 times (tests/linearity.py; linear is 8, quadratic 64).

Some analysis is pairwise by nature: NetworkPolicy reachability relates every pod to every
pod that may reach it, RBAC every subject to every namespace it is bound in, Vault every
policy to every client's folder. A cell grows by adding tenants, each with its own namespace,
workloads, policies, roles and Vault policy, that reach their own things and a fixed shared
plane; the facts then grow linearly, and so must the time. Inputs here grow that way.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
from typing import Any

import pytest

from kaze_policy.analysis import netpol, rbac, vault_acl
from kaze_policy.analysis.overlays import add_overlay_facts
from kaze_policy.catalog import load_catalog
from kaze_policy.engine import create_engine
from kaze_policy.evaluate import Waivers, evaluate_target
from kaze_policy.inventory import Inventory, Origin, Resource, Target
from kaze_policy.report import FORMATS, reporter_for
from kaze_policy.results import FAIL, ControlResult, Finding, ScanReport, TargetResult
from kaze_policy.sources.kubernetes import object_to_resource
from tests.benchmarks.bench_netpol import _netpol, _ns, _workload
from tests.linearity import assert_linear

TENANT, PLANE = "kaze.io/tenant", "kaze.io/plane"
DNS_PEER = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}
DNS_PORTS = [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]
DNS_CONFIG = {"dns": {"namespace": "kube-system", "podLabels": {"k8s-app": "kube-dns"}}}


# --------------------------------------------------------------------------- netpol

def _shared_plane() -> list[dict[str, Any]]:
    """The cluster DNS and one shared gateway that admits every tenant on its declared port."""
    return [
        _ns("kube-system", {PLANE: "system"}),
        _workload("kube-system", "coredns", {"k8s-app": "kube-dns"},
                  [{"name": "dns", "containerPort": 53, "protocol": "UDP"}, {"name": "dns-tcp", "containerPort": 53}]),
        _ns("shared", {PLANE: "shared"}),
        _workload("shared", "gateway", {"role": "gateway"}, [{"name": "http", "containerPort": 8080}]),
        _netpol("shared", "from-tenants", {
            "podSelector": {"matchLabels": {"role": "gateway"}},
            "ingress": [{"from": [{"namespaceSelector": {"matchExpressions": [{"key": TENANT, "operator": "Exists"}]}}],
                         "ports": [{"port": "http"}]}]}),
    ]


def _tenant_namespace(i: int) -> list[dict[str, Any]]:
    """A tenant's namespace: three workloads, default-deny, same-namespace, DNS and the gateway."""
    ns = f"tenant-{i}"
    out = [_ns(ns, {TENANT: f"t{i}"})]
    out += [_workload(ns, f"svc-{j}", {"app": f"svc-{j}", "component": "agent" if j == 0 else "tool"},
                      [{"name": "http", "containerPort": 8080}]) for j in range(3)]
    out += [
        _netpol(ns, "default-deny", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
        _netpol(ns, "same-namespace", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"],
                                       "ingress": [{"from": [{"podSelector": {}}]}],
                                       "egress": [{"to": [{"podSelector": {}}]}, {"to": [DNS_PEER], "ports": DNS_PORTS}]}),
        _netpol(ns, "to-gateway", {"podSelector": {"matchLabels": {"component": "agent"}}, "policyTypes": ["Egress"],
                                   "egress": [{"to": [{"namespaceSelector": {"matchLabels": {PLANE: "shared"}}}],
                                               "ports": [{"port": 8080}]},
                                              {"to": [{"ipBlock": {"cidr": f"198.51.100.{i % 250}/32"}}],
                                               "ports": [{"port": 443}]}]}),
    ]
    return out


def test_netpol_grows_linearly_with_tenant_namespaces() -> None:
    def build(n: int) -> list[dict[str, Any]]:
        return _shared_plane() + [r for i in range(n) for r in _tenant_namespace(i)]
    assert_linear(build, lambda resources: netpol.analyze(resources, DNS_CONFIG), 25)


# --------------------------------------------------------------------------- rbac

def _rbac_resource(kind: str, name: str, namespace: str | None, obj: dict[str, Any]) -> dict[str, Any]:
    metadata = {"name": name, **({"namespace": namespace} if namespace else {}), **obj.pop("metadata", {})}
    rid = f"{kind}/{namespace}/{name}" if namespace else f"{kind}/{name}"
    api = "v1" if kind in ("Namespace", "ServiceAccount") else "rbac.authorization.k8s.io/v1"
    return {"id": rid, "apiVersion": api, "kind": kind, "namespace": namespace, "name": name,
            "object": {"apiVersion": api, "kind": kind, "metadata": metadata, **obj}}


def _tenant_rbac(i: int) -> list[dict[str, Any]]:
    """A tenant's namespace, service account, its own Role and bindings (one of `edit`)."""
    ns = f"tenant-{i}"
    role_ref = {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "agent"}
    return [
        _rbac_resource("Namespace", ns, None, {"metadata": {"labels": {TENANT: f"t{i}"}}}),
        _rbac_resource("ServiceAccount", "agent", ns, {}),
        _rbac_resource("Role", "agent", ns, {"rules": [
            {"apiGroups": [""], "resources": ["configmaps", "secrets"], "verbs": ["get", "list"]},
            {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "patch"]}]}),
        _rbac_resource("RoleBinding", "agent", ns, {"roleRef": role_ref, "subjects": [
            {"kind": "ServiceAccount", "name": "agent", "namespace": ns}]}),
        _rbac_resource("RoleBinding", "developers", ns, {
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"},
            "subjects": [{"kind": "Group", "name": f"t{i}:developers", "apiGroup": "rbac.authorization.k8s.io"}]}),
    ]


def _platform_rbac() -> list[dict[str, Any]]:
    return [_rbac_resource("ClusterRoleBinding", "operators", None, {
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
        "subjects": [{"kind": "Group", "name": "kaze:operators", "apiGroup": "rbac.authorization.k8s.io"}]})]


def test_rbac_grows_linearly_with_tenant_roles_and_bindings() -> None:
    def build(n: int) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        resources = _platform_rbac() + [r for i in range(n) for r in _tenant_rbac(i)]
        config = {"identities": [{"name": f"lead-{i}", "kubernetes": [f"Group:t{i}:developers"]} for i in range(n)],
                  "groups": {"breakGlass": ["Group:kaze:break-glass"]}}
        return resources, config
    assert_linear(build, lambda built: rbac.analyze(*built), 20)


# --------------------------------------------------------------------------- vault_acl

def _client_policy(tenant: str) -> str:
    return (f'path "kv/data/clients/{tenant}/*" {{\n  capabilities = ["read"]\n}}\n'
            f'path "kv/metadata/clients/{tenant}/*" {{\n  capabilities = ["list"]\n}}\n'
            f'path "transit/encrypt/client-{tenant}" {{\n  capabilities = ["update"]\n}}\n'
            f'path "transit/decrypt/client-{tenant}" {{\n  capabilities = ["update"]\n}}\n')


BREAK_GLASS = ('path "kv/data/clients/*" {\n  capabilities = ["read"]\n}\n'
               'path "kv/data/speedrun/*" {\n  capabilities = ["read"]\n}\n')


def _vault_policy(name: str, text: str) -> dict[str, Any]:
    return {"id": f"VaultPolicy/{name}", "kind": "VaultPolicy", "name": name, "namespace": None,
            "object": {"policy": text}}


def test_vault_acl_grows_linearly_with_client_policies() -> None:
    # Each client's policy reaches its own folder; the break-glass policy reaches every client.
    def build(n: int) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        tenants = [f"client-{i}" for i in range(n)]
        resources = [_vault_policy("break-glass", BREAK_GLASS)]
        resources += [_vault_policy(f"{t}-agent", _client_policy(t)) for t in tenants]
        return resources, {"tenants": [{"name": t, "namespaces": [f"tenant-{t}"]} for t in tenants]}

    def run(built: tuple[list[dict[str, Any]], dict[str, Any]]) -> None:
        facts = vault_acl.analyze(*built)
        readers = {(r["policy"], r["client"]) for r in facts["secret_readers"]}
        assert ("client-0-agent", "client-0") in readers and ("client-0-agent", "client-1") not in readers
    assert_linear(build, run, 20)


def test_vault_acl_probes_every_client_a_policy_can_reach(monkeypatch: pytest.MonkeyPatch) -> None:
    # The linear analysis probes, for each policy, only the clients its rules may reach: on
    # policies of every shape (prefixes that end inside a client's name, `+` segments, exact
    # folders, other mounts), it finds exactly what probing every client with every policy finds.
    rng = random.Random(9)
    mounts = ["kv/data/", "kv/metadata/", "secret/data/", "+/data/", "kv/+/", "", "kv/"]
    clients = ["acme", "acme-2", "ac", "globex", "+", "", "glob"]
    tails = ["*", "/*", "/key", "", "/+/key", "/+", "/k*", "/"]
    policies = []
    for p in range(60):
        rules = [f"{rng.choice(mounts)}clients/{rng.choice(clients)}{rng.choice(tails)}" for _ in range(rng.randint(1, 4))]
        rules += rng.sample(["kv/*", "kv/data/cl*", "+/+/clients/*", "*", "kv/data/clients*"], rng.randint(0, 1))
        text = "".join(f'path "{r}" {{\n  capabilities = ["{rng.choice(["read", "list", "deny"])}"]\n}}\n'
                       for r in rules)
        policies.append(_vault_policy(f"p{p}", text))
    config = {"tenants": [{"name": name, "namespaces": [name]} for name in ("acme", "acme-2", "ac", "globex", "z")]}
    pruned = vault_acl.analyze(policies, config)
    monkeypatch.setattr(vault_acl._ClientProbes, "_reachable", lambda self, policy, base: list(self.clients))
    assert pruned == vault_acl.analyze(policies, config)
    assert pruned["client_access"], "the policies grant something to probe"


# --------------------------------------------------------------------------- overlays

def _overlay(i: int) -> Inventory:
    inventory = Inventory(target=Target(name=f"overlays/cell-{i}", path=f"overlays/cell-{i}", kind="kustomize"))
    inventory.add([object_to_resource(
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": f"app-{j}", "namespace": "apps"},
         "spec": {"template": {"spec": {"containers": [
             {"name": "main", "image": f"registry.kaze.io/app-{j}@sha256:{(i % 16):x}{'0' * 63}"}]}}}},
        Origin("deployment.yaml", 1), "kustomize") for j in range(5)])
    return inventory


def test_overlay_facts_grow_linearly_with_overlays() -> None:
    assert_linear(lambda n: [_overlay(i) for i in range(n)], add_overlay_facts, 150)


# --------------------------------------------------------------------------- evaluation

STACK_KINDS = {"Namespace", "NetworkPolicy", "ResourceQuota", "ServiceAccount", "Deployment", "Pod"}


@pytest.fixture(scope="module")
def engine() -> Any:
    """The embedded engine with every policy, and the controls that judge what the stack holds.

    Each control costs some milliseconds whatever the target's size (its queries); with the
    whole catalog, that cost would hide the growth at any size a test can afford. The
    controls kept here read every object of the stack's kinds: per object (batched) and
    across objects (a namespace's policies, quotas and workloads).
    """
    catalog = load_catalog()
    controls = [c for c in catalog.controls if "iac" in c.scopes and STACK_KINDS & set(c.kinds)]
    assert len(controls) >= 5
    with create_engine("embedded") as own:
        own.load_policies(catalog.policy_files)
        yield own, controls


def test_evaluation_grows_linearly_with_resources(engine: Any) -> None:
    import yaml

    from tests.benchmarks.stack import tenant_documents

    own, controls = engine

    def build(n: int) -> Inventory:
        inventory = Inventory(target=Target(name="stack", path="stack", kind="files"))
        inventory.add(object_to_resource(yaml.safe_load(doc), Origin("stack.yaml", 1), "kubernetes")
                      for t in range(n) for doc in tenant_documents(t))
        return inventory

    def run(inventory: Inventory) -> None:
        results = evaluate_target(own, controls, inventory, dt.date(2026, 1, 1))
        assert len(results) == len(controls)
    # N tenants of the benchmark's stack, ten resources each.
    assert_linear(build, run, 2, repeats=2)


def test_waivers_one_per_resource_are_matched_in_linear_time() -> None:
    # A configuration that waives a control for many resources one by one.
    day = dt.date(2026, 1, 1)

    def build(n: int) -> list[dict[str, Any]]:
        return [{"control": "KZ-SEC-04", "resource": f"Deployment/ns/app-{i}", "by": "lead", "reason": "legacy",
                 "until": "2026-06-30"} for i in range(n)] + [
                {"control": "KZ-SEC-04", "resource": "Deployment/legacy-*", "by": "lead", "reason": "legacy",
                 "until": "2026-06-30"}]

    def run(waivers: list[dict[str, Any]]) -> None:
        index = Waivers(waivers)
        assert all(index.match("KZ-SEC-04", f"Deployment/ns/app-{i}", day) for i in range(len(waivers) - 1))
    assert_linear(build, run, 2000)


def test_the_first_waiver_in_order_that_holds_applies() -> None:
    day = dt.date(2026, 1, 1)
    waivers = Waivers([
        {"control": "KZ-SEC-04", "resource": "Deployment/ns/a", "by": "old", "until": "2025-12-31"},  # expired
        {"control": "KZ-SEC-04", "resource": "Deployment/ns/*", "by": "glob", "until": "2026-01-01"},
        {"control": "KZ-SEC-04", "resource": "Deployment/ns/a", "by": "exact", "until": "2026-02-01"},
        {"control": "KZ-SEC-04", "resource": "Deployment/ns/b", "by": "b", "until": "not a date"},
        {"control": ["KZ-SEC-04"], "resource": "Deployment/ns/c", "by": "not a control", "until": "2027-01-01"},
        {"control": "KZ-SUP-01", "by": "every resource", "until": "2027-01-01"},
    ])
    assert waivers.match("KZ-SEC-04", "Deployment/ns/a", day)["by"] == "glob"
    assert waivers.match("KZ-SEC-04", "Deployment/ns/a", dt.date(2026, 1, 2))["by"] == "exact"
    assert waivers.match("KZ-SEC-04", "Deployment/ns/b", day)["by"] == "glob"
    assert waivers.match("KZ-SEC-04", "Deployment/other/c", day) is None
    assert waivers.match("KZ-SUP-01", "Deployment/ns/c", day)["by"] == "every resource"


# --------------------------------------------------------------------------- reporters

@functools.lru_cache(maxsize=1)
def _controls() -> tuple[Any, ...]:
    return tuple(load_catalog().controls[:4])


def _report(n: int) -> ScanReport:
    """A scan of N failing resources in one target: every control with N findings."""
    controls = _controls()
    results = []
    for control in controls:
        findings = [Finding(resource={"id": f"Deployment/ns/app-{i}", "kind": "Deployment", "namespace": "ns",
                                      "name": f"app-{i}", "file": "stack.yaml", "line": 20 * i + 1},
                            message=f"container main of app-{i} runs as root", evidence={"container": "main"},
                            target="stack") for i in range(n)]
        results.append(ControlResult(control, [TargetResult("stack", FAIL, "", findings)]))
    return ScanReport(results=results, targets=[{"name": "stack", "path": "stack", "kind": "files",
                                                 "resources": n, "skipped": 0, "config": None, "scopes": ["iac"]}],
                      engine="embedded", tool_version="test")


# N per format: the run at N takes some 20-50 ms (rich lays out a table; SARIF is indented JSON).
REPORT_N = {"json": 40, "sarif": 25, "junit": 600, "text": 24, "markdown": 200, "html": 200, "oscal": 80,
            "policyreport": 40, "github": 300, "gitlab": 250}


@pytest.mark.parametrize("fmt", FORMATS)
def test_reports_grow_linearly_with_findings(fmt: str) -> None:
    # The report is made afresh in each run: grouping the findings is part of the timed work.
    reporter = reporter_for(fmt)
    assert_linear(lambda n: n, lambda n: reporter.render(_report(n)), REPORT_N[fmt])


def _ingress(name: str, labels: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": name, "namespace": "edge", "labels": labels},
            "spec": {"rules": [{"host": f"{name}.example", "http": {"paths": [
                {"path": "/", "pathType": "Prefix",
                 "backend": {"service": {"name": name, "port": {"name": "http"}}}}]}}]}}


def test_cross_cell_gateways_grow_linearly_with_ingresses(engine: Any) -> None:
    """Each Ingress is compared with the cross-cell ones through the inventory's label index,
    not by walking every Ingress (2,000 Ingresses took minutes that way)."""
    own, _ = engine
    (control,) = [c for c in load_catalog().controls if c.id == "KZ-MTL-04"]

    def build(n: int) -> Inventory:
        inventory = Inventory(target=Target(name="edge", path="edge", kind="files"))
        objects = [_ingress("federation", {"kaze.io/traffic": "cross-cell"})] + \
            [_ingress(f"app-{i}", {}) for i in range(n)]
        inventory.add(object_to_resource(obj, Origin("edge.yaml", 1), "kubernetes") for obj in objects)
        return inventory

    def run(inventory: Inventory) -> None:
        result = evaluate_target(own, [control], inventory, dt.date(2026, 1, 1))[control.id]
        assert result.status == FAIL  # the cross-cell Ingress requires no client certificate
    assert_linear(build, run, 50, repeats=2)
