"""Property tests: the analyzer against a direct, per-packet reading of the NetworkPolicy spec.

Hypothesis draws small clusters (namespaces with labels and tenants, workloads with labels
and named container ports, Kubernetes NetworkPolicies with every peer/port form). The oracle
below is written independently of the analyzer, straight from the Kubernetes documentation:
for each source pod, destination pod, protocol and port of a small universe it decides
"allowed?" by walking the policies, with no grouping, bitsets or intervals. The universe holds
every port that appears in a policy or a container, its neighbours, 1 and 65535: every
non-empty allowed port set (an intersection/union/difference of ranges with those ends)
contains one of them, so agreeing on the universe means agreeing everywhere.
"""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaze_policy.analysis import netpol

FUZZ = os.environ.get("KAZE_FUZZ") == "1"  # `make fuzz`: a budget ten times larger
EXAMPLES = 2000 if FUZZ else 200
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

NAMESPACES = ["n0", "n1", "n2", "n3"]
TENANTS = ["t1", "t2", "t3"]
PORTS = [53, 80, 443, 8080]
PORT_NAMES = ["http", "dns", "web"]
PROTOCOLS = ["TCP", "UDP", "SCTP"]
UNIVERSE = sorted({1, 65535} | {p + d for p in PORTS for d in (-1, 0, 1)})
POD_LABELS = {"app": ["a", "b", "c"], "tier": ["f", "b"]}
NS_LABELS = {"team": ["x", "y"], "env": ["p", "d"]}

# ------------------------------------------------------------------------------------------
# Strategies


# Strategies are written as plain draws of small choices: nested one_of/builds make each
# example several times slower to generate, and generation dominates these tests' runtime.


@st.composite
def labels_from(draw: st.DrawFn, pool: dict[str, list[str]]) -> dict[str, str]:
    return {k: draw(st.sampled_from(vs)) for k, vs in pool.items() if draw(st.booleans())}


@st.composite
def selector(draw: st.DrawFn, pool: dict[str, list[str]]) -> dict[str, Any]:
    """``{}``, matchLabels, matchExpressions (In/NotIn/Exists/DoesNotExist) or both."""
    keys = sorted(pool) + (["kubernetes.io/metadata.name"] if pool is NS_LABELS else [])
    values = sorted({v for vs in pool.values() for v in vs} | (set(NAMESPACES) if pool is NS_LABELS else set()))
    shape = draw(st.integers(0, 3))
    out: dict[str, Any] = {}
    if shape in (1, 3):
        out["matchLabels"] = {draw(st.sampled_from(keys)): draw(st.sampled_from(values))
                              for _ in range(draw(st.integers(1, 2)))}
    if shape in (2, 3):
        exprs = []
        for _ in range(draw(st.integers(1, 2))):
            op = draw(st.sampled_from(["In", "NotIn", "Exists", "DoesNotExist"]))
            expr: dict[str, Any] = {"key": draw(st.sampled_from(keys)), "operator": op}
            if op in ("In", "NotIn"):
                expr["values"] = sorted({draw(st.sampled_from(values)) for _ in range(draw(st.integers(1, 2)))})
            exprs.append(expr)
        out["matchExpressions"] = exprs
    return out


@st.composite
def peer(draw: st.DrawFn) -> dict[str, Any]:
    """podSelector, namespaceSelector, both (AND), or an ipBlock."""
    shape = draw(st.integers(0, 3))
    if shape == 3:
        return {"ipBlock": {"cidr": draw(st.sampled_from(["0.0.0.0/0", "10.0.0.0/8", "203.0.113.0/24"]))}}
    out: dict[str, Any] = {}
    if shape in (1, 2):
        out["namespaceSelector"] = draw(selector(NS_LABELS))
    if shape in (0, 2):
        out["podSelector"] = draw(selector(POD_LABELS))
    return out


@st.composite
def port_entry(draw: st.DrawFn) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    proto = draw(st.sampled_from([None, "TCP", "UDP", "SCTP"]))
    if proto:
        entry["protocol"] = proto
    kind = draw(st.sampled_from(["none", "number", "range", "name"]))
    if kind == "number":
        entry["port"] = draw(st.sampled_from(PORTS))
    elif kind == "range":
        lo, hi = sorted((draw(st.sampled_from(PORTS)), draw(st.sampled_from(PORTS))))
        entry["port"], entry["endPort"] = lo, hi
    elif kind == "name":
        entry["port"] = draw(st.sampled_from(PORT_NAMES))
    return entry


@st.composite
def rule(draw: st.DrawFn, peer_key: str) -> dict[str, Any]:
    """Peers missing, empty or listed; ports missing or listed (possibly empty)."""
    out: dict[str, Any] = {}
    peers = draw(st.sampled_from(["missing", "empty", "some", "some"]))
    if peers == "empty":
        out[peer_key] = []
    elif peers == "some":
        out[peer_key] = [draw(peer()) for _ in range(draw(st.integers(1, 3)))]
    if draw(st.booleans()):
        out["ports"] = [draw(port_entry()) for _ in range(draw(st.integers(0, 3)))]
    return out


@st.composite
def network_policy(draw: st.DrawFn, index: int) -> dict[str, Any]:
    ns = NAMESPACES[(index + draw(st.integers(0, 3))) % len(NAMESPACES)]
    spec: dict[str, Any] = {"podSelector": {} if draw(st.booleans()) else draw(selector(POD_LABELS))}
    types = draw(st.sampled_from([None, ["Ingress"], ["Egress"], ["Ingress", "Egress"]]))
    if types is not None:
        spec["policyTypes"] = types
    for direction, key in (("ingress", "from"), ("egress", "to")):
        if draw(st.integers(0, 3)):  # mostly present, sometimes an empty list
            spec[direction] = [draw(rule(key)) for _ in range(draw(st.integers(0, 2)))]
    name = f"p{index}"
    return {"id": f"NetworkPolicy/{ns}/{name}", "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "namespace": ns, "name": name, "object": {"metadata": {"name": name, "namespace": ns}, "spec": spec}}


@st.composite
def container_ports(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Named ports (names unique in a pod, as the API requires) and maybe an unnamed one."""
    out = [{"name": name, "containerPort": draw(st.sampled_from(PORTS)),
            "protocol": draw(st.sampled_from(["TCP", "TCP", "UDP"]))}
           for name in PORT_NAMES if draw(st.booleans())]
    if draw(st.booleans()):
        out.append({"containerPort": draw(st.sampled_from(PORTS))})
    return out


@st.composite
def cluster(draw: st.DrawFn) -> list[dict[str, Any]]:
    resources: list[dict[str, Any]] = []
    # The first choice of each list is the one Hypothesis draws most: make it the interesting
    # one (several tenants, several pods and policies), so that most examples exercise them.
    for i, ns in enumerate(NAMESPACES):
        if draw(st.sampled_from([False, False, False, True])):
            continue  # no Namespace object: only the automatic label
        labels = draw(labels_from(NS_LABELS))
        role = draw(st.sampled_from(["tenant", "tenant", "tenant", "tenant", "shared", "none"]))
        if role == "tenant":
            labels["kaze.io/tenant"] = TENANTS[(i + draw(st.sampled_from([0, 0, 1]))) % len(TENANTS)]
        elif role == "shared":
            labels["kaze.io/plane"] = "shared"
        resources.append({"id": f"Namespace/{ns}", "apiVersion": "v1", "kind": "Namespace", "name": ns,
                          "object": {"metadata": {"name": ns, "labels": labels}}})
    for i in range(draw(st.sampled_from([4, 3, 5, 6, 2, 7]))):
        ns = NAMESPACES[(i + draw(st.integers(0, 3))) % len(NAMESPACES)]
        name = f"w{i}"
        template = {"metadata": {"labels": draw(labels_from(POD_LABELS))},
                    "spec": {"containers": [{"name": "c", "ports": draw(container_ports())}]}}
        resources.append({"id": f"Deployment/{ns}/{name}", "apiVersion": "apps/v1", "kind": "Deployment",
                          "namespace": ns, "name": name, "object": {"spec": {"template": template}}})
    for i in range(draw(st.sampled_from([3, 2, 4, 5, 6, 1, 0]))):
        resources.append(draw(network_policy(i)))
    return resources


# ------------------------------------------------------------------------------------------
# The oracle: the NetworkPolicy specification, read literally, one packet at a time


class Oracle:
    def __init__(self, resources: list[dict[str, Any]]) -> None:
        self.ns_labels: dict[str, dict[str, str]] = {}
        self.pods: list[dict[str, Any]] = []
        self.policies: list[dict[str, Any]] = []
        for r in resources:
            if r["kind"] == "Namespace":
                self.ns_labels[r["name"]] = dict(r["object"]["metadata"]["labels"])
            elif r["kind"] == "NetworkPolicy":
                self.policies.append(r)
        for r in resources:
            if r["kind"] == "Deployment":
                tpl = r["object"]["spec"]["template"]
                self.pods.append({"id": r["id"], "ns": r["namespace"], "labels": tpl["metadata"]["labels"],
                                  "ports": [p for c in tpl["spec"]["containers"] for p in c["ports"]]})
                self.ns_labels.setdefault(r["namespace"], {})
        for ns, labels in self.ns_labels.items():
            labels["kubernetes.io/metadata.name"] = ns

    @staticmethod
    def matches(sel: dict[str, Any], labels: dict[str, str]) -> bool:
        for k, v in (sel.get("matchLabels") or {}).items():
            if labels.get(k) != v:
                return False
        for e in sel.get("matchExpressions") or []:
            k, op = e["key"], e["operator"]
            if op == "In" and labels.get(k) not in e["values"]:
                return False
            if op == "NotIn" and k in labels and labels[k] in e["values"]:
                return False
            if op == "Exists" and k not in labels:
                return False
            if op == "DoesNotExist" and k in labels:
                return False
        return True

    @staticmethod
    def types(spec: dict[str, Any]) -> list[str]:
        if spec.get("policyTypes"):
            return spec["policyTypes"]
        return ["Ingress", "Egress"] if spec.get("egress") else ["Ingress"]

    def peer_matches(self, p: dict[str, Any], policy_ns: str, pod: dict[str, Any]) -> bool:
        if "ipBlock" in p:
            return False  # ip blocks judge external addresses only
        if "namespaceSelector" in p:
            ns_ok = self.matches(p["namespaceSelector"], self.ns_labels[pod["ns"]])
        else:
            ns_ok = pod["ns"] == policy_ns
        pod_ok = self.matches(p["podSelector"], pod["labels"]) if "podSelector" in p else True
        return ns_ok and pod_ok

    @staticmethod
    def port_matches(ports: list[dict[str, Any]] | None, proto: str, port: int, dst: dict[str, Any]) -> bool:
        if not ports:
            return True
        for e in ports:
            if e.get("protocol", "TCP") != proto:
                continue
            if "port" not in e:
                return True
            want = e["port"]
            if isinstance(want, str):
                if any(cp.get("name") == want and cp.get("protocol", "TCP") == proto and cp["containerPort"] == port
                       for cp in dst["ports"]):
                    return True
            elif "endPort" in e:
                if want <= port <= e["endPort"]:
                    return True
            elif want == port:
                return True
        return False

    def selecting(self, direction: str, subject: dict[str, Any]) -> list[dict[str, Any]]:
        """Policies of the pod's namespace that select it and list this direction (memoised)."""
        memo = self.__dict__.setdefault("_selecting", {})
        if (direction, subject["id"]) not in memo:
            ptype = "Ingress" if direction == "ingress" else "Egress"
            memo[(direction, subject["id"])] = [
                p for p in self.policies
                if p["namespace"] == subject["ns"]
                and self.matches(p["object"]["spec"]["podSelector"], subject["labels"])
                and ptype in self.types(p["object"]["spec"])]
        return memo[(direction, subject["id"])]

    def direction_allows(self, direction: str, subject: dict[str, Any], peer_pod: dict[str, Any],
                         dst: dict[str, Any], proto: str, port: int) -> tuple[bool, list[str]]:
        """(allowed, policies that allow) for one direction at ``subject``."""
        key = "from" if direction == "ingress" else "to"
        selecting = self.selecting(direction, subject)
        if not selecting:
            return True, []
        allowing = []
        for p in selecting:
            for r in p["object"]["spec"].get(direction) or []:
                peers = r.get(key)
                peer_ok = not peers or any(self.peer_matches(x, p["namespace"], peer_pod) for x in peers)
                if peer_ok and self.port_matches(r.get("ports"), proto, port, dst):
                    allowing.append(p["id"])
                    break
        return bool(allowing), allowing

    def allowed(self, src: dict[str, Any], dst: dict[str, Any], proto: str, port: int) -> bool:
        return (self.direction_allows("egress", src, dst, dst, proto, port)[0]
                and self.direction_allows("ingress", dst, src, dst, proto, port)[0])

    def pod(self, wid: str) -> dict[str, Any]:
        return next(p for p in self.pods if p["id"] == wid)

    def tenant(self, pod: dict[str, Any]) -> str | None:
        return self.ns_labels[pod["ns"]].get("kaze.io/tenant")

    def declared(self, pod: dict[str, Any], proto: str, port: int) -> bool:
        return any(cp["containerPort"] == port and cp.get("protocol", "TCP") == proto for cp in pod["ports"])


def connection_map(resources: list[dict[str, Any]]) -> dict[tuple[str, str], netpol.Connection]:
    out = {}
    for c in netpol.connectivity(resources):
        assert (c.src, c.dst) not in out, "one Connection per pair"
        assert c.ports != netpol.NO_PORTS, "no empty connection"
        out[(c.src, c.dst)] = c
    return out


# ------------------------------------------------------------------------------------------
# Properties


@SETTINGS
@given(cluster())
def test_connectivity_agrees_with_the_per_packet_specification(resources: list[dict[str, Any]]) -> None:
    oracle = Oracle(resources)
    got = connection_map(resources)
    for src in oracle.pods:
        for dst in oracle.pods:
            conn = got.get((src["id"], dst["id"]))
            for proto in PROTOCOLS:
                for port in UNIVERSE:
                    expected = oracle.allowed(src, dst, proto, port)
                    actual = conn is not None and conn.allows(proto, port)
                    assert actual == expected, (src["id"], dst["id"], proto, port, expected)


@SETTINGS
@given(cluster())
def test_tenant_violations_agree_with_the_specification(resources: list[dict[str, Any]]) -> None:
    oracle = Oracle(resources)
    expected = {
        (oracle.tenant(s), oracle.tenant(d))
        for s in oracle.pods for d in oracle.pods
        if oracle.tenant(s) and oracle.tenant(d) and oracle.tenant(s) != oracle.tenant(d)
        and any(oracle.allowed(s, d, proto, port) for proto in PROTOCOLS for port in UNIVERSE)
    }
    facts = netpol.analyze(resources, None)
    got = [(v["src_tenant"], v["dst_tenant"]) for v in facts["tenant_violations"]]
    assert len(got) == len(set(got)), "one entry per ordered pair"
    assert set(got) == expected
    for v in facts["tenant_violations"]:
        src, dst = oracle.pod(v["src"]), oracle.pod(v["dst"])
        assert (oracle.tenant(src), oracle.tenant(dst)) == (v["src_tenant"], v["dst_tenant"])
        lo = int(str(v["port"]).split("-")[0])
        hi = int(str(v["port"]).split("-")[-1])
        for port in {lo, hi} | {p for p in UNIVERSE if lo <= p <= hi}:
            assert oracle.allowed(src, dst, v["protocol"], port), (v, port)
        ok_e, by_e = oracle.direction_allows("egress", src, dst, dst, v["protocol"], lo)
        ok_i, by_i = oracle.direction_allows("ingress", dst, src, dst, v["protocol"], lo)
        assert set(by_e) | set(by_i) <= set(v["policies"])


@SETTINGS
@given(cluster())
def test_shared_undeclared_agrees_with_the_specification(resources: list[dict[str, Any]]) -> None:
    oracle = Oracle(resources)
    shared = [d for d in oracle.pods if oracle.ns_labels[d["ns"]].get("kaze.io/plane") == "shared"]
    expected = {
        (oracle.tenant(s), d["id"])
        for s in oracle.pods if oracle.tenant(s)
        for d in shared
        if any(oracle.allowed(s, d, proto, port) and not oracle.declared(d, proto, port)
               for proto in PROTOCOLS for port in UNIVERSE)
    }
    facts = netpol.analyze(resources, None)
    got = {(v["src_tenant"], v["dst"]) for v in facts["shared_undeclared"]}
    assert got == expected
    for v in facts["shared_undeclared"]:
        src, dst = oracle.pod(v["src"]), oracle.pod(v["dst"])
        lo = int(str(v["port"]).split("-")[0])
        assert oracle.allowed(src, dst, v["protocol"], lo) and not oracle.declared(dst, v["protocol"], lo)


@SETTINGS
@given(cluster())
def test_egress_unrestricted_agrees_with_the_specification(resources: list[dict[str, Any]]) -> None:
    """Unrestricted: some allowed egress rule reaches every external address on some port."""
    oracle = Oracle(resources)
    facts = netpol.analyze(resources, None)
    for pod in oracle.pods:
        if not oracle.tenant(pod):
            assert pod["id"] not in facts["egress"]
            continue
        selecting = oracle.selecting("egress", pod)
        open_rule = any(
            (not r.get("to") or any(x.get("ipBlock", {}).get("cidr") == "0.0.0.0/0" for x in r["to"]))
            and (not r.get("ports") or any(not isinstance(e.get("port"), str) for e in r["ports"]))
            for p in selecting for r in p["object"]["spec"].get("egress") or [])
        assert facts["egress"][pod["id"]]["unrestricted"] == (not selecting or open_rule), pod["id"]


def test_ci_draws_the_same_examples_every_run_and_keeps_no_database() -> None:
    """Under CI=true the property tests above are derandomized and store no examples."""
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    probe = "import tests.conftest, tests.analysis.test_netpol_properties as m; print(m.SETTINGS.derandomize, m.SETTINGS.database)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=60,
                          env={**os.environ, "CI": "true", "PYTHONPATH": str(ROOT)})
    assert done.stdout.split() == ["True", "None"], done.stderr
