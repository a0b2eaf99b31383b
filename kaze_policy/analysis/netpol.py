"""NetworkPolicy reachability: which workload may open a connection to which, on what ports.

Rego cannot compute reachability over thousands of pods and policies, so this analyzer does
it in Python and hands the controls (KZ-TEN-03, KZ-EGR-01, KZ-EGR-02) the result as
``facts.netpol`` (docs/inventory.md). It needs only the stdlib and the pure-Python
inventory module, so it can be imported and tested without the native engine.

What is modelled
================
Workloads
    Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob
    (``spec.jobTemplate.spec.template``) and bare Pods. A workload stands for all its
    replicas: its pod template labels, its service account and its container ports
    (``containers`` plus sidecar ``initContainers`` with ``restartPolicy: Always``), named
    ports included. A workload may connect to itself (replica to replica).
Namespaces
    Labels of the Namespace object, plus the automatic ``kubernetes.io/metadata.name``
    label. A namespace used by workloads without a Namespace object gets only that label.
    Tenant = label ``kaze.io/tenant``, plane = label ``kaze.io/plane``.
Kubernetes NetworkPolicy (``networking.k8s.io/v1``), exactly as the API defines it
    Isolation per direction by ``policyTypes`` (default ``["Ingress"]``, plus ``"Egress"``
    when ``egress`` is a non-empty list: the API server's defaulting); peers as
    ``namespaceSelector`` AND ``podSelector`` within one entry, entries OR'ed, missing
    ``namespaceSelector`` = the policy's namespace, ``{}`` = everything; ``matchLabels`` and
    ``matchExpressions`` (In, NotIn, Exists, DoesNotExist); ports with protocol (default TCP),
    number or named port (resolved per destination pod, by name and protocol), ``endPort``;
    no ``ports`` = all ports of all protocols; no ``from``/``to`` = all peers including every
    external address. ``ipBlock`` (with ``except``) matches external addresses only: it
    never matches a cluster workload (which is judged by selectors) and feeds the egress
    facts. A connection needs egress allowed at the source AND ingress at the destination.
    Calico's ``projectcalico.org`` NetworkPolicy (same kind name) is not modelled.
CiliumNetworkPolicy / CiliumClusterwideNetworkPolicy (``cilium.io/v2``), best effort
    ``spec`` or ``specs``; ``endpointSelector`` (policies with only ``nodeSelector`` are host
    policies and are ignored). A policy with a non-empty ``egress``/``egressDeny``
    (``ingress``/``ingressDeny``) list makes its endpoints default-deny in that direction,
    unless ``enableDefaultDeny.<direction>`` is false. Rules: ``toEndpoints``/
    ``fromEndpoints`` (label keys may carry the ``k8s:``/``any:`` source prefix;
    ``io.kubernetes.pod.namespace``, ``io.cilium.k8s.namespace.labels.<key>`` and
    ``io.cilium.k8s.policy.serviceaccount`` are understood; in a namespaced policy a selector
    that does not name the namespace is confined to the policy's namespace), ``toEntities``/
    ``fromEntities`` (``cluster``, ``all``, ``world``, ``world-ipv4``, ``world-ipv6``; the
    others name no workload), ``toCIDR``, ``toCIDRSet`` (with ``except``), ``toFQDNs``
    (``matchName``/``matchPattern`` -> ``fqdns``), ``toPorts[].ports[]`` (``port`` number or
    name, ``endPort``, ``protocol`` TCP/UDP/SCTP/ANY, ``0`` or absent = all ports). A rule
    with ports but no peer selector allows every destination on those ports; the empty rule
    ``{}`` allows nothing (Cilium's default-deny idiom). Not modelled: the contents of
    ``ingressDeny``/``egressDeny`` (they still make the endpoint default-deny, but a connection
    they would block is reported: over-reporting, the safe side for a violation finder);
    ``toServices``, ``toGroups``, ``toNodes`` and ``toRequires`` (a rule with only these allows
    nothing here); ICMP; L7 rules (treated as their L4 allow).
    Kubernetes and Cilium policies combine as Cilium does: isolation by either, allow by any.

The facts (``analyze``)
=======================
``tenant_violations``
    One entry per ordered pair of distinct tenants with at least one allowed connection,
    with one witness: ``src``/``dst`` workload ids, ``protocol``, ``port`` (a number, or
    ``"a-b"`` for a range: the first allowed range) and ``policies``: the egress policies
    of the source and the ingress policies of the destination that allow that witness (no
    ids for a direction in which the pod is not isolated).
``shared_undeclared``
    One entry per (source tenant, destination workload in a ``kaze.io/plane: shared``
    namespace) that is reachable on a port the destination does not declare among its
    container ports; same fields, plus ``dst_plane: "shared"``.
``egress``
    For every workload in a tenant namespace: ``unrestricted`` (not isolated for egress; a
    rule with no peers; ``toEntities: world``/``all``; or a ``/0`` CIDR whose ``except``
    removes only non-public ranges such as RFC 1918: the CIDR is still listed), ``cidrs``
    (``{cidr, except, protocol, ports}``; ``protocol: "ANY"`` when the rule names no port;
    ``ports`` lists numbers or ``"a-b"`` ranges, ``[]`` = all ports; named ports never match
    an external address), ``fqdns`` (``{fqdn, protocol, ports}``) and ``dns``: the
    destinations the workload may reach on port 53 (UDP or TCP): CIDRs and FQDNs of its
    external egress, and the ids of in-cluster workloads reachable on 53 that declare port 53.
``config``
    Only ``config.dns`` (``{namespace, podLabels}``) is read: when no workload of the
    inventory matches it, a virtual endpoint ``ClusterDNS/<namespace>`` (those labels,
    declaring 53/UDP and 53/TCP, named ports ``dns`` and ``dns-tcp``) stands for the cluster
    DNS, which managed clusters run outside the scanned manifests. It may appear in ``dns``
    lists and nowhere else. Everything else is independent of the configuration.

How it scales
=============
Workloads are grouped into pod classes (same namespace, labels, service account and
ports); a set of classes is a Python int used as a bitset. Selectors are answered from a
label -> bitset index (one AND/OR per term), rules with identical peers and ports are merged,
and the analysis walks destinations once, combining per destination a handful of
(source bitset, port set) grants. The tenant matrix needs one witness per tenant pair, so
each tenant already witnessed is masked out of later grants. Port sets are sorted interval
lists per protocol.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kaze_policy.inventory import WORKLOAD_KINDS, pod_template

__all__ = ["ALL_PORTS", "NO_PORTS", "PROTOCOLS", "Connection", "Ports", "analyze", "connectivity",
           "explain_lines", "format_ports"]

# --------------------------------------------------------------------------------------------
# Constants

PROTOCOLS: tuple[str, str, str] = ("TCP", "UDP", "SCTP")
_PROTO_INDEX = {name: i for i, name in enumerate(PROTOCOLS)}
MIN_PORT, MAX_PORT = 1, 65535

TENANT_LABEL = "kaze.io/tenant"
PLANE_LABEL = "kaze.io/plane"
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"

_K8S_NETPOL_API = frozenset({"networking.k8s.io/v1", "networking.k8s.io/v1beta1", "extensions/v1beta1", ""})
_CILIUM_KINDS = frozenset({"CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy"})

# Cilium's special labels of an endpoint.
_CILIUM_NS_KEY = "io.kubernetes.pod.namespace"
_CILIUM_NS_LABELS_PREFIX = "io.cilium.k8s.namespace.labels."
_CILIUM_SA_KEY = "io.cilium.k8s.policy.serviceaccount"
_CILIUM_L3_EGRESS = ("toEndpoints", "toCIDR", "toCIDRSet", "toEntities", "toFQDNs", "toServices", "toGroups", "toNodes")
_CILIUM_L3_INGRESS = ("fromEndpoints", "fromCIDR", "fromCIDRSet", "fromEntities", "fromGroups", "fromNodes")

# Address ranges that are not the public internet: excluding them from 0.0.0.0/0 still
# leaves "anywhere on the internet" open, so such a rule stays unrestricted.
_NON_PUBLIC_NETS = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
        "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
        "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
        "::/128", "::1/128", "::ffff:0:0/96", "64:ff9b:1::/48", "100::/64", "2001:db8::/32",
        "fc00::/7", "fe80::/10", "ff00::/8",
    )
)
_WORLD_CIDRS = ("0.0.0.0/0", "::/0")

# --------------------------------------------------------------------------------------------
# Port sets: per protocol, a sorted tuple of disjoint, non-adjacent inclusive intervals.

Intervals = tuple[tuple[int, int], ...]
Ports = tuple[Intervals, Intervals, Intervals]  # indexed like PROTOCOLS

_FULL: Intervals = ((MIN_PORT, MAX_PORT),)
ALL_PORTS: Ports = (_FULL, _FULL, _FULL)
NO_PORTS: Ports = ((), (), ())


def _merge(intervals: Iterable[tuple[int, int]]) -> Intervals:
    """Normalise intervals (sort, merge overlapping and adjacent) so equal sets compare equal."""
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(intervals):
        if out and lo <= out[-1][1] + 1:
            if hi > out[-1][1]:
                out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return tuple(out)


def _iv_intersect(a: Intervals, b: Intervals) -> Intervals:
    """Intersection of two normalised interval lists (linear merge)."""
    if a is b or a == b:
        return a
    out: list[tuple[int, int]] = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo = max(a[i][0], b[j][0])
        hi = min(a[i][1], b[j][1])
        if lo <= hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return tuple(out)


def _iv_subtract(a: Intervals, b: Intervals) -> Intervals:
    """``a`` minus ``b``: what a destination is reachable on but does not declare."""
    out: list[tuple[int, int]] = []
    for lo, hi in a:
        cur = lo
        for blo, bhi in b:
            if bhi < cur:
                continue
            if blo > hi:
                break
            if blo > cur:
                out.append((cur, blo - 1))
            cur = max(cur, bhi + 1)
            if cur > hi:
                break
        if cur <= hi:
            out.append((cur, hi))
    return tuple(out)


def _iv_contains(a: Intervals, port: int) -> bool:
    return any(lo <= port <= hi for lo, hi in a)


def ports_union(a: Ports, b: Ports) -> Ports:
    """Union of two port sets."""
    if a == b:
        return a
    return (_merge(a[0] + b[0]), _merge(a[1] + b[1]), _merge(a[2] + b[2]))


def ports_intersect(a: Ports, b: Ports) -> Ports:
    """Intersection of two port sets."""
    return (_iv_intersect(a[0], b[0]), _iv_intersect(a[1], b[1]), _iv_intersect(a[2], b[2]))


def ports_subtract(a: Ports, b: Ports) -> Ports:
    """``a`` minus ``b``."""
    return (_iv_subtract(a[0], b[0]), _iv_subtract(a[1], b[1]), _iv_subtract(a[2], b[2]))


def _port_value(lo: int, hi: int) -> int | str:
    """A number for a single port, ``"a-b"`` for a range: the facts' port notation."""
    return lo if lo == hi else f"{lo}-{hi}"


def _port_list(intervals: Intervals) -> list[int | str]:
    """Facts notation of one protocol's ports; ``[]`` means all ports."""
    if intervals == _FULL:
        return []
    return [_port_value(lo, hi) for lo, hi in intervals]


def format_ports(ports: Ports) -> str:
    """``TCP 80, TCP 8000-8100, UDP 53``: the port notation of :func:`explain_lines`."""
    items = [
        f"{proto} {lo}" if lo == hi else f"{proto} {lo}-{hi}"
        for proto, intervals in zip(PROTOCOLS, ports)
        for lo, hi in intervals
    ]
    return ", ".join(items)


def _first_port(ports: Ports) -> tuple[int, tuple[int, int]] | None:
    """The witness of a port set: first protocol (TCP, UDP, SCTP order) and its first range."""
    for index, intervals in enumerate(ports):
        if intervals:
            return index, intervals[0]
    return None


# --------------------------------------------------------------------------------------------
# Small, tolerant readers: manifests come from many sources and may be malformed.


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else []


def _label_str(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _labels(value: Any) -> dict[str, str]:
    return {str(k): _label_str(v) for k, v in _map(value).items()}


def _port_number(value: Any) -> int | None:
    """A port given as a number (or a string of digits); None for names and junk."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


# --------------------------------------------------------------------------------------------
# Label selectors


@dataclass(frozen=True)
class _Selector:
    """A parsed label selector; hashable so that each distinct selector is evaluated once."""

    labels: tuple[tuple[str, str], ...] = ()
    exprs: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    valid: bool = True

    def keys(self) -> set[str]:
        return {k for k, _ in self.labels} | {k for k, _, _ in self.exprs}


_MATCH_ALL = _Selector()
_MATCH_NONE = _Selector(valid=False)
_OPERATORS = frozenset({"In", "NotIn", "Exists", "DoesNotExist"})


def _parse_selector(raw: Any, key_map: Any = None) -> _Selector:
    """Parse ``matchLabels``/``matchExpressions``; a malformed selector matches nothing.

    ``key_map`` rewrites keys (Cilium's source prefixes); it returns None for a key that no
    workload can carry (e.g. ``reserved:host``), which makes the selector match nothing.
    """
    if raw is None:
        return _MATCH_ALL
    if not isinstance(raw, Mapping):
        return _MATCH_NONE
    labels: list[tuple[str, str]] = []
    for k, v in _map(raw.get("matchLabels")).items():
        key = key_map(str(k)) if key_map else str(k)
        if key is None:
            return _MATCH_NONE
        labels.append((key, _label_str(v)))
    exprs: list[tuple[str, str, tuple[str, ...]]] = []
    for expr in _list(raw.get("matchExpressions")):
        expr = _map(expr)
        op = expr.get("operator")
        key = expr.get("key")
        if op not in _OPERATORS or key is None:
            return _MATCH_NONE
        mapped = key_map(str(key)) if key_map else str(key)
        if mapped is None:
            if op in ("NotIn", "DoesNotExist"):
                continue  # no workload carries the key: the term holds for all
            return _MATCH_NONE
        values = tuple(sorted(_label_str(v) for v in _list(expr.get("values"))))
        exprs.append((mapped, str(op), values))
    return _Selector(tuple(sorted(labels)), tuple(sorted(exprs)))


class _LabelIndex:
    """Answers selectors over a universe of pod classes with bitset algebra.

    Evaluating a selector costs one AND/OR per term instead of one label test per class,
    which is what keeps 2,000 policies over 5,000 workloads fast.
    """

    def __init__(self, label_maps: Sequence[Mapping[str, str]], universe: int) -> None:
        self.universe = universe
        self.by_pair: dict[tuple[str, str], int] = {}
        self.by_key: dict[str, int] = {}
        pairs: dict[tuple[str, str], list[int]] = {}
        keys: dict[str, list[int]] = {}
        for index, labels in enumerate(label_maps):
            for k, v in labels.items():
                pairs.setdefault((k, v), []).append(index)
                keys.setdefault(k, []).append(index)
        for pair, indexes in pairs.items():
            self.by_pair[pair] = _mask_of(indexes)
        for key, indexes in keys.items():
            self.by_key[key] = _mask_of(indexes)
        self._cache: dict[_Selector, int] = {}

    def select(self, sel: _Selector) -> int:
        if not sel.valid:
            return 0
        cached = self._cache.get(sel)
        if cached is None:
            cached = self._cache[sel] = self._evaluate(sel)
        return cached

    def _evaluate(self, sel: _Selector) -> int:
        mask = self.universe
        for pair in sel.labels:
            mask &= self.by_pair.get(pair, 0)
        for key, op, values in sel.exprs:
            if not mask:
                break
            if op == "Exists":
                mask &= self.by_key.get(key, 0)
            elif op == "DoesNotExist":
                mask &= ~self.by_key.get(key, 0)
            else:
                hit = 0
                for value in values:
                    hit |= self.by_pair.get((key, value), 0)
                mask = mask & hit if op == "In" else mask & ~hit
        return mask & self.universe


def _mask_of(indexes: Iterable[int]) -> int:
    mask = 0
    for index in indexes:
        mask |= 1 << index
    return mask


def _bits(mask: int) -> Iterator[int]:
    """Indexes of the set bits, lowest first."""
    if mask.bit_count() > 64:
        text = bin(mask)[:1:-1]  # little-endian string: fast for dense masks
        index = text.find("1")
        while index >= 0:
            yield index
            index = text.find("1", index + 1)
        return
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


# --------------------------------------------------------------------------------------------
# Workloads and pod classes


@dataclass(frozen=True)
class _Workload:
    id: str
    kind: str
    namespace: str
    name: str

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}[{self.kind}]"


@dataclass
class _PodClass:
    """Workloads indistinguishable to every policy: same namespace, labels, SA and ports."""

    index: int
    namespace: str
    labels: dict[str, str]
    service_account: str
    named: dict[tuple[int, str], int]  # (protocol index, port name) -> number
    declared: Ports
    workloads: list[_Workload] = field(default_factory=list)
    tenant: str | None = None
    plane: str | None = None
    virtual: bool = False


@dataclass(frozen=True)
class _PodFacts:
    labels: dict[str, str]
    service_account: str
    named: tuple[tuple[tuple[int, str], int], ...]
    declared: Ports


def _pod_facts(template: Mapping[str, Any]) -> _PodFacts:
    """Labels, service account and container ports of a pod (template)."""
    spec = _map(template.get("spec"))
    containers = _list(spec.get("containers")) + [
        c for c in _list(spec.get("initContainers")) if _map(c).get("restartPolicy") == "Always"
    ]
    named: dict[tuple[int, str], int] = {}
    declared: list[list[tuple[int, int]]] = [[], [], []]
    for container in containers:
        for port in _list(_map(container).get("ports")):
            port = _map(port)
            number = _port_number(port.get("containerPort"))
            proto = _PROTO_INDEX.get(str(port.get("protocol") or "TCP").upper())
            if number is None or proto is None or not MIN_PORT <= number <= MAX_PORT:
                continue
            declared[proto].append((number, number))
            if port.get("name"):
                named.setdefault((proto, str(port["name"])), number)
    sa = spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"
    return _PodFacts(
        labels=_labels(_map(template.get("metadata")).get("labels")),
        service_account=str(sa),
        named=tuple(sorted(named.items())),
        declared=(_merge(declared[0]), _merge(declared[1]), _merge(declared[2])),
    )


# --------------------------------------------------------------------------------------------
# Rules


@dataclass(frozen=True)
class _PortSpec:
    """The ports of a rule: numbers known now, names resolved against each destination pod."""

    static: Ports
    named: tuple[tuple[int, str], ...] = ()

    def resolve(self, dst: _PodClass) -> Ports:
        if not self.named:
            return self.static
        extra: list[list[tuple[int, int]]] = [[], [], []]
        for proto, name in self.named:
            number = dst.named.get((proto, name))
            if number is not None:
                extra[proto].append((number, number))
        return ports_union(self.static, (tuple(extra[0]), tuple(extra[1]), tuple(extra[2])))


_ALL_SPEC = _PortSpec(ALL_PORTS)


@dataclass
class _Rule:
    """One allow rule of one direction, with its subjects and peers as class bitsets.

    For egress, ``selected`` are the sources and ``peers`` the destinations; for ingress,
    ``selected`` are the destinations and ``peers`` the sources.
    """

    policy: str
    selected: int
    peers: int
    ports: _PortSpec
    cidrs: tuple[tuple[str, tuple[str, ...]], ...] = ()
    fqdns: tuple[str, ...] = ()
    world: bool = False  # every external address


def _port_spec(entries: list[tuple[int | None, str | None, int | None, int | None]]) -> _PortSpec:
    """Build a port spec from (protocol index or None=any, name, port, endPort) tuples."""
    static: list[list[tuple[int, int]]] = [[], [], []]
    named: set[tuple[int, str]] = set()
    for proto, name, port, end in entries:
        protos = range(3) if proto is None else (proto,)
        for p in protos:
            if name is not None:
                named.add((p, name))
            elif port is None:
                static[p].append((MIN_PORT, MAX_PORT))
            elif MIN_PORT <= port <= MAX_PORT:
                hi = end if end is not None and port <= end <= MAX_PORT else port
                static[p].append((port, hi))
    return _PortSpec((_merge(static[0]), _merge(static[1]), _merge(static[2])), tuple(sorted(named)))


def _k8s_ports(raw: Any) -> _PortSpec:
    """``ports`` of a NetworkPolicy rule; absent or empty allows all ports."""
    entries = _list(raw)
    if not entries:
        return _ALL_SPEC
    parsed: list[tuple[int | None, str | None, int | None, int | None]] = []
    for entry in entries:
        entry = _map(entry)
        proto = _PROTO_INDEX.get(str(entry.get("protocol") or "TCP").upper())
        if proto is None:
            continue
        port = entry.get("port")
        number = _port_number(port)
        if port is not None and number is None:
            parsed.append((proto, str(port), None, None))
        else:
            parsed.append((proto, None, number, _port_number(entry.get("endPort"))))
    return _port_spec(parsed)


def _cilium_ports(raw: Any) -> _PortSpec:
    """``toPorts`` of a Cilium rule; absent allows all ports, ``0``/no port all of a protocol."""
    blocks = _list(raw)
    if not blocks:
        return _ALL_SPEC
    parsed: list[tuple[int | None, str | None, int | None, int | None]] = []
    for block in blocks:
        ports = _list(_map(block).get("ports"))
        if not ports:
            parsed.append((None, None, None, None))
        for entry in ports:
            entry = _map(entry)
            proto_name = str(entry.get("protocol") or "ANY").upper()
            proto = None if proto_name == "ANY" else _PROTO_INDEX.get(proto_name)
            if proto is None and proto_name != "ANY":
                continue
            port = entry.get("port")
            number = _port_number(port)
            if port not in (None, "") and number is None:
                parsed.append((proto, str(port), None, None))
            elif not number:
                parsed.append((proto, None, None, None))
            else:
                parsed.append((proto, None, number, _port_number(entry.get("endPort"))))
    return _port_spec(parsed)


# --------------------------------------------------------------------------------------------
# The model: classes, namespaces, compiled rules


@dataclass
class _Policy:
    id: str
    namespace: str | None  # None: cluster-wide
    selected: int
    ingress: bool  # isolates ingress
    egress: bool  # isolates egress
    ingress_rules: list[_Rule]
    egress_rules: list[_Rule]


class _Model:
    """Everything the analysis needs, compiled once from the inventory resources."""

    def __init__(self, resources: Iterable[Mapping[str, Any]], config: Mapping[str, Any] | None = None) -> None:
        namespaces, workloads, k8s_policies, cilium_policies = _collect(resources)
        self.namespaces = namespaces
        self._build_classes(workloads)
        self._add_cluster_dns(config)
        self._build_indexes()
        self.policies: list[_Policy] = []
        for res in k8s_policies:
            self.policies.append(self._compile_k8s(res))
        for res in cilium_policies:
            self.policies.extend(self._compile_cilium(res))
        self._build_rule_indexes()

    # -- classes --------------------------------------------------------------------------

    def _build_classes(self, workloads: list[tuple[_Workload, _PodFacts]]) -> None:
        grouped: dict[tuple[Any, ...], list[tuple[_Workload, _PodFacts]]] = {}
        for workload, facts in workloads:
            key = (workload.namespace, tuple(sorted(facts.labels.items())), facts.service_account,
                   facts.named, facts.declared)
            grouped.setdefault(key, []).append((workload, facts))
        ordered = sorted(grouped.values(), key=lambda members: min(w.id for w, _ in members))
        self.classes: list[_PodClass] = []
        for members in ordered:
            members.sort(key=lambda m: m[0].id)
            workload, facts = members[0]
            cls = self._new_class(workload.namespace, facts)
            cls.workloads = [w for w, _ in members]

    def _new_class(self, namespace: str, facts: _PodFacts, virtual: bool = False) -> _PodClass:
        ns_labels = self.namespaces.setdefault(namespace, {NAMESPACE_NAME_LABEL: namespace})
        cls = _PodClass(
            index=len(self.classes), namespace=namespace, labels=facts.labels,
            service_account=facts.service_account, named=dict(facts.named), declared=facts.declared,
            tenant=ns_labels.get(TENANT_LABEL) or None, plane=ns_labels.get(PLANE_LABEL) or None,
            virtual=virtual,
        )
        self.classes.append(cls)
        return cls

    def _add_cluster_dns(self, config: Mapping[str, Any] | None) -> None:
        """Stand in for the cluster DNS when the configuration names it and no workload is it."""
        dns = _map(_map(config).get("dns"))
        namespace = dns.get("namespace")
        if not namespace:
            return
        labels = _labels(dns.get("podLabels"))
        if any(c.namespace == namespace and labels.items() <= c.labels.items() for c in self.classes):
            return
        facts = _PodFacts(labels, "default", (((0, "dns-tcp"), 53), ((1, "dns"), 53)),
                          (((53, 53),), ((53, 53),), ()))
        cls = self._new_class(str(namespace), facts, virtual=True)
        cls.workloads = [_Workload(f"ClusterDNS/{namespace}", "ClusterDNS", str(namespace), "cluster-dns")]

    def _build_indexes(self) -> None:
        for name, labels in self.namespaces.items():
            labels[NAMESPACE_NAME_LABEL] = name
        n = len(self.classes)
        self.all_mask = (1 << n) - 1
        self.by_ns: dict[str, int] = {}
        for cls in self.classes:
            self.by_ns[cls.namespace] = self.by_ns.get(cls.namespace, 0) | (1 << cls.index)
        self.real_mask = _mask_of(c.index for c in self.classes if not c.virtual)
        self.tenant_masks: dict[str, int] = {}
        for cls in self.classes:
            if cls.tenant and not cls.virtual:
                self.tenant_masks[cls.tenant] = self.tenant_masks.get(cls.tenant, 0) | (1 << cls.index)
        self.tenant_any = 0
        for mask in self.tenant_masks.values():
            self.tenant_any |= mask
        self.pod_index = _LabelIndex([c.labels for c in self.classes], self.all_mask)
        self.ns_index = _LabelIndex([self.namespaces[c.namespace] for c in self.classes], self.all_mask)
        self._cilium_index: _LabelIndex | None = None

    @property
    def cilium_index(self) -> _LabelIndex:
        """Labels as Cilium sees an endpoint: pod labels plus namespace and SA pseudo-labels."""
        if self._cilium_index is None:
            maps = []
            for cls in self.classes:
                labels = dict(cls.labels)
                labels[_CILIUM_NS_KEY] = cls.namespace
                labels[_CILIUM_SA_KEY] = cls.service_account
                for k, v in self.namespaces[cls.namespace].items():
                    labels[_CILIUM_NS_LABELS_PREFIX + k] = v
                maps.append(labels)
            self._cilium_index = _LabelIndex(maps, self.all_mask)
        return self._cilium_index

    # -- Kubernetes NetworkPolicy ---------------------------------------------------------

    def _compile_k8s(self, res: Mapping[str, Any]) -> _Policy:
        obj = _map(res.get("object"))
        spec = _map(obj.get("spec"))
        namespace = _namespace_of(res)
        pid = str(res.get("id") or f"NetworkPolicy/{namespace}/{res.get('name')}")
        own = self.by_ns.get(namespace, 0)
        selected = own & self.pod_index.select(_parse_selector(spec.get("podSelector") or {}))
        types = [str(t) for t in _list(spec.get("policyTypes"))]
        if not types:  # the API server's defaulting
            types = ["Ingress"] + (["Egress"] if _list(spec.get("egress")) else [])
        ingress_rules: list[_Rule] = []
        egress_rules: list[_Rule] = []
        if "Ingress" in types:
            for rule in _list(spec.get("ingress")):
                rule = _map(rule)
                peers, _, _ = self._k8s_peers(rule.get("from"), namespace)
                ingress_rules.append(_Rule(pid, selected, peers, _k8s_ports(rule.get("ports"))))
        if "Egress" in types:
            for rule in _list(spec.get("egress")):
                rule = _map(rule)
                peers, cidrs, world = self._k8s_peers(rule.get("to"), namespace)
                egress_rules.append(_Rule(pid, selected, peers, _k8s_ports(rule.get("ports")), cidrs, (), world))
        return _Policy(pid, namespace, selected, "Ingress" in types, "Egress" in types, ingress_rules, egress_rules)

    def _k8s_peers(self, raw: Any, namespace: str) -> tuple[int, tuple[tuple[str, tuple[str, ...]], ...], bool]:
        """Classes, external CIDRs and 'all external' of a ``from``/``to`` list."""
        entries = _list(raw)
        if not entries:
            return self.all_mask, tuple((c, ()) for c in _WORLD_CIDRS), True
        mask = 0
        cidrs: list[tuple[str, tuple[str, ...]]] = []
        world = False
        for entry in entries:
            entry = _map(entry)
            block = entry.get("ipBlock")
            if block is not None:
                block = _map(block)
                cidr = str(block.get("cidr") or "").strip()
                excepts = tuple(str(e).strip() for e in _list(block.get("except")))
                if cidr:
                    cidrs.append((cidr, excepts))
                    world = world or _is_world(cidr, excepts)
                continue
            has_ns = "namespaceSelector" in entry and entry["namespaceSelector"] is not None
            has_pod = "podSelector" in entry and entry["podSelector"] is not None
            if not has_ns and not has_pod:
                continue  # invalid peer: the API server rejects it
            ns_mask = self.ns_index.select(_parse_selector(entry["namespaceSelector"])) if has_ns \
                else self.by_ns.get(namespace, 0)
            pod_mask = self.pod_index.select(_parse_selector(entry["podSelector"])) if has_pod else self.all_mask
            mask |= ns_mask & pod_mask
        return mask, tuple(cidrs), world

    # -- Cilium ---------------------------------------------------------------------------

    def _compile_cilium(self, res: Mapping[str, Any]) -> list[_Policy]:
        obj = _map(res.get("object"))
        clusterwide = res.get("kind") == "CiliumClusterwideNetworkPolicy"
        namespace = None if clusterwide else _namespace_of(res)
        pid = str(res.get("id") or f"{res.get('kind')}/{namespace}/{res.get('name')}")
        specs = [_map(obj.get("spec"))] if obj.get("spec") else []
        specs += [_map(s) for s in _list(obj.get("specs"))]
        return [self._compile_cilium_spec(pid, namespace, spec) for spec in specs
                if spec.get("endpointSelector") is not None]

    def _cilium_select(self, raw: Any, namespace: str | None, scoped: bool) -> int:
        sel = _parse_selector(raw, _cilium_key)
        mask = self.cilium_index.select(sel)
        if namespace is not None and (not scoped or _CILIUM_NS_KEY not in sel.keys()):
            mask &= self.by_ns.get(namespace, 0)
        return mask

    def _compile_cilium_spec(self, pid: str, namespace: str | None, spec: Mapping[str, Any]) -> _Policy:
        selected = self._cilium_select(spec.get("endpointSelector"), namespace, scoped=False)
        default_deny = _map(spec.get("enableDefaultDeny"))
        isolates = {
            d: bool(_list(spec.get(d)) or _list(spec.get(d + "Deny"))) and default_deny.get(d) is not False
            for d in ("ingress", "egress")
        }
        ingress_rules = [self._cilium_rule(pid, namespace, selected, _map(r), _CILIUM_L3_INGRESS, "from")
                         for r in _list(spec.get("ingress"))]
        egress_rules = [self._cilium_rule(pid, namespace, selected, _map(r), _CILIUM_L3_EGRESS, "to")
                        for r in _list(spec.get("egress"))]
        return _Policy(pid, namespace, selected, isolates["ingress"], isolates["egress"], ingress_rules, egress_rules)

    def _cilium_rule(self, pid: str, namespace: str | None, selected: int, rule: Mapping[str, Any],
                     l3_keys: tuple[str, ...], prefix: str) -> _Rule:
        has_l3 = any(rule.get(k) is not None for k in l3_keys)
        has_l4 = bool(_list(rule.get("toPorts")))
        ports = _cilium_ports(rule.get("toPorts"))
        if not has_l3:
            if not has_l4:
                return _Rule(pid, selected, 0, ports)  # `- {}`: the default-deny idiom
            return _Rule(pid, selected, self.all_mask, ports, tuple((c, ()) for c in _WORLD_CIDRS), (), True)
        peers = 0
        for raw in _list(rule.get(prefix + "Endpoints")):
            peers |= self._cilium_select(raw, namespace, scoped=True)
        cidrs: list[tuple[str, tuple[str, ...]]] = []
        world = False
        for entity in _list(rule.get(prefix + "Entities")):
            entity = str(entity)
            if entity in ("cluster", "all"):
                peers |= self.all_mask
            if entity in ("world", "all"):
                cidrs += [(c, ()) for c in _WORLD_CIDRS]
                world = True
            elif entity in ("world-ipv4", "world-ipv6"):
                cidrs.append((_WORLD_CIDRS[0 if entity == "world-ipv4" else 1], ()))
                world = True
        for cidr in _list(rule.get(prefix + "CIDR")):
            cidrs.append((str(cidr).strip(), ()))
        for block in _list(rule.get(prefix + "CIDRSet")):
            block = _map(block)
            if block.get("cidr"):
                cidrs.append((str(block["cidr"]).strip(), tuple(str(e).strip() for e in _list(block.get("except")))))
        world = world or any(_is_world(c, e) for c, e in cidrs)
        fqdns = tuple(
            str(_map(f).get("matchName") or _map(f).get("matchPattern"))
            for f in _list(rule.get("toFQDNs")) if _map(f).get("matchName") or _map(f).get("matchPattern")
        )
        return _Rule(pid, selected, peers, ports, tuple(dict.fromkeys(cidrs)), fqdns, world)

    # -- indexes over rules ---------------------------------------------------------------

    def _build_rule_indexes(self) -> None:
        """Merge rules that act alike and index them by destination class.

        A rule's effect on a destination depends only on (peers, ports), so rules sharing
        both merge into one (selected-OR) entry; a rule open to all peers is kept aside and
        applies to every destination without being spread over them.
        """
        n = len(self.classes)
        self.ingress_isolated = 0
        self.egress_isolated = 0
        egress_groups: dict[tuple[int, _PortSpec], int] = {}
        ingress_groups: dict[tuple[int, _PortSpec], int] = {}
        self.egress_rules_of: list[list[_Rule]] = [[] for _ in range(n)]
        self.ingress_rules_of: list[list[_Rule]] = [[] for _ in range(n)]
        by_selected_e: dict[int, list[_Rule]] = {}
        by_selected_i: dict[int, list[_Rule]] = {}
        for policy in self.policies:
            if not policy.selected:
                continue
            # Isolation and allowing are separate: a Cilium policy with
            # enableDefaultDeny off still allows, for endpoints another policy isolates.
            if policy.ingress:
                self.ingress_isolated |= policy.selected
            if policy.egress:
                self.egress_isolated |= policy.selected
            for rule in policy.ingress_rules:
                if rule.peers:
                    key = (rule.selected, rule.ports)
                    ingress_groups[key] = ingress_groups.get(key, 0) | rule.peers
                by_selected_i.setdefault(rule.selected, []).append(rule)
            for rule in policy.egress_rules:
                if rule.peers:
                    key = (rule.peers, rule.ports)
                    egress_groups[key] = egress_groups.get(key, 0) | rule.selected
                by_selected_e.setdefault(rule.selected, []).append(rule)
        for selected, rules in by_selected_e.items():
            for c in _bits(selected):
                self.egress_rules_of[c].extend(rules)
        for selected, rules in by_selected_i.items():
            for c in _bits(selected):
                self.ingress_rules_of[c].extend(rules)
        # Egress: for each destination, the (sources, ports) that egress rules grant it.
        open_sources = self.all_mask & ~self.egress_isolated
        self.egress_everywhere: list[tuple[int, _PortSpec]] = [(open_sources, _ALL_SPEC)] if open_sources else []
        self.egress_to: list[list[tuple[int, _PortSpec]]] = [[] for _ in range(n)]
        for (peers, spec), sources in egress_groups.items():
            if peers == self.all_mask:
                self.egress_everywhere.append((sources, spec))
            else:
                for d in _bits(peers):
                    self.egress_to[d].append((sources, spec))
        # Ingress: for each isolated destination, the (sources, ports) its rules admit.
        self.ingress_of: list[list[tuple[int, _PortSpec]]] = [[] for _ in range(n)]
        for (selected, spec), sources in ingress_groups.items():
            for d in _bits(selected):
                self.ingress_of[d].append((sources, spec))

    # -- the core: grants per destination -------------------------------------------------

    def grants(self, d: int) -> list[tuple[int, Ports]]:
        """(sources bitset, ports) pairs that may connect to destination class ``d``.

        A source in a pair may connect on those ports; a source's full allowance is the union
        over all pairs that contain it.
        """
        dst = self.classes[d]
        egress: dict[Ports, int] = {}
        for sources, spec in self.egress_everywhere + self.egress_to[d]:
            ports = spec.resolve(dst)
            if ports != NO_PORTS:
                egress[ports] = egress.get(ports, 0) | sources
        if not egress:
            return []
        if not (self.ingress_isolated >> d) & 1:
            return list((sources, ports) for ports, sources in egress.items())
        ingress: dict[Ports, int] = {}
        for sources, spec in self.ingress_of[d]:
            ports = spec.resolve(dst)
            if ports != NO_PORTS:
                ingress[ports] = ingress.get(ports, 0) | sources
        out: list[tuple[int, Ports]] = []
        for e_ports, e_sources in egress.items():
            for i_ports, i_sources in ingress.items():
                sources = e_sources & i_sources
                if sources:
                    ports = ports_intersect(e_ports, i_ports)
                    if ports != NO_PORTS:
                        out.append((sources, ports))
        return out

    def witness_policies(self, s: int, d: int, proto: int, interval: tuple[int, int]) -> list[str]:
        """The policies that let ``s`` reach ``d`` on ``proto``/``interval`` (egress, then ingress)."""
        dst = self.classes[d]
        wanted = (interval,)
        found: list[str] = []
        if (self.egress_isolated >> s) & 1:
            found += [r.policy for r in self.egress_rules_of[s]
                      if (r.peers >> d) & 1 and _iv_intersect(r.ports.resolve(dst)[proto], wanted)]
        if (self.ingress_isolated >> d) & 1:
            found += [r.policy for r in self.ingress_rules_of[d]
                      if (r.peers >> s) & 1 and _iv_intersect(r.ports.resolve(dst)[proto], wanted)]
        return list(dict.fromkeys(found))


def _cilium_key(key: str) -> str | None:
    """Strip Cilium's label source (``k8s:``, ``any:``); other sources name no workload."""
    if ":" in key:
        source, _, rest = key.partition(":")
        return rest if source in ("k8s", "any") else None
    return key


def _is_world(cidr: str, excepts: tuple[str, ...]) -> bool:
    """A /0 from which only non-public ranges are carved out: still the whole internet."""
    try:
        net = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return False
    if net.prefixlen != 0:
        return False
    for text in excepts:
        try:
            carved = ipaddress.ip_network(text, strict=False)
        except ValueError:
            continue
        if not any(carved.version == n.version and carved.subnet_of(n) for n in _NON_PUBLIC_NETS):  # type: ignore[arg-type]
            return False
    return True


def _namespace_of(res: Mapping[str, Any]) -> str:
    return str(res.get("namespace") or _map(_map(res.get("object")).get("metadata")).get("namespace") or "default")


def _collect(resources: Iterable[Mapping[str, Any]]) -> tuple[
        dict[str, dict[str, str]], list[tuple[_Workload, _PodFacts]], list[Mapping[str, Any]], list[Mapping[str, Any]]]:
    """Sort the inventory resources into namespaces, workloads and the two policy kinds."""
    namespaces: dict[str, dict[str, str]] = {}
    workloads: list[tuple[_Workload, _PodFacts]] = []
    k8s: list[Mapping[str, Any]] = []
    cilium: list[Mapping[str, Any]] = []
    for res in resources:
        kind = res.get("kind")
        obj = _map(res.get("object"))
        api = str(res.get("apiVersion") or obj.get("apiVersion") or "")
        if kind == "Namespace":
            name = str(res.get("name") or _map(obj.get("metadata")).get("name") or "")
            if name:
                namespaces[name] = _labels(_map(obj.get("metadata")).get("labels"))
        elif kind in WORKLOAD_KINDS:
            namespace = _namespace_of(res)
            name = str(res.get("name") or _map(obj.get("metadata")).get("name") or "")
            wid = str(res.get("id") or f"{kind}/{namespace}/{name}")
            workloads.append((_Workload(wid, str(kind), namespace, name), _pod_facts(pod_template(obj, str(kind)))))
        elif kind == "NetworkPolicy" and api in _K8S_NETPOL_API:
            k8s.append(res)
        elif kind in _CILIUM_KINDS and api.startswith("cilium.io/"):
            cilium.append(res)
    return namespaces, workloads, k8s, cilium  # _Model._build_indexes gives each its name label


# --------------------------------------------------------------------------------------------
# Public API


@dataclass(frozen=True, order=True)
class Connection:
    """An allowed workload pair and every (protocol, port) on which it is allowed."""

    src: str
    dst: str
    src_ref: str = field(compare=False)
    dst_ref: str = field(compare=False)
    ports: Ports = field(compare=False)

    def allows(self, protocol: str, port: int) -> bool:
        """Whether a connection on ``protocol``/``port`` is allowed."""
        index = _PROTO_INDEX.get(protocol.upper())
        return index is not None and _iv_contains(self.ports[index], port)

    @property
    def by_protocol(self) -> dict[str, list[tuple[int, int]]]:
        """Allowed port ranges per protocol (protocols with none omitted)."""
        return {proto: list(iv) for proto, iv in zip(PROTOCOLS, self.ports) if iv}

    def line(self) -> str:
        """``ns/name[Kind] => ns/name[Kind] : TCP 8080``."""
        return f"{self.src_ref} => {self.dst_ref} : {format_ports(self.ports)}"


def _class_pairs(model: _Model) -> dict[tuple[int, int], Ports]:
    pairs: dict[tuple[int, int], Ports] = {}
    for dst in model.classes:
        if dst.virtual:
            continue
        for sources, ports in model.grants(dst.index):
            for s in _bits(sources & model.real_mask):
                key = (s, dst.index)
                known = pairs.get(key)
                pairs[key] = ports if known is None else ports_union(known, ports)
    return pairs


def connectivity(resources: Iterable[Mapping[str, Any]]) -> list[Connection]:
    """Every allowed (source workload, destination workload) pair, sorted by ids."""
    model = _Model(resources)
    out: list[Connection] = []
    for (s, d), ports in _class_pairs(model).items():
        for src in model.classes[s].workloads:
            for dst in model.classes[d].workloads:
                out.append(Connection(src.id, dst.id, src.ref, dst.ref, ports))
    out.sort()
    return out


def explain_lines(resources: Iterable[Mapping[str, Any]]) -> list[str]:
    """One human-readable line per allowed pair, sorted."""
    return sorted(c.line() for c in connectivity(resources))


def analyze(resources: Iterable[Mapping[str, Any]], config: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Compute ``facts.netpol`` (docs/inventory.md) in one pass over destination classes."""
    model = _Model(resources, config)
    tenants = _TenantMatrix(model)
    shared = _SharedUndeclared(model)
    dns = _DnsReach(model)
    for dst in model.classes:
        consumers = [c for c in (tenants, shared, dns) if c.wants(dst)]
        if not consumers:
            continue
        for sources, ports in model.grants(dst.index):
            for consumer in consumers:
                consumer.add(dst, sources, ports)
    return {
        "tenant_violations": tenants.result(),
        "shared_undeclared": shared.result(),
        "egress": _egress_facts(model, dns.targets),
    }


# --------------------------------------------------------------------------------------------
# Consumers of the per-destination grants


def _violation(model: _Model, s: int, d: int, ports: Ports) -> dict[str, Any]:
    first = _first_port(ports)
    assert first is not None
    proto, (lo, hi) = first
    src, dst = model.classes[s], model.classes[d]
    return {
        "src_tenant": src.tenant, "dst_tenant": dst.tenant,
        "src": src.workloads[0].id, "dst": dst.workloads[0].id,
        "protocol": PROTOCOLS[proto], "port": _port_value(lo, hi),
        "policies": model.witness_policies(s, d, proto, (lo, hi)),
    }


class _TenantMatrix:
    """One witness per ordered pair of distinct tenants that can connect."""

    def __init__(self, model: _Model) -> None:
        self.model = model
        self.done: dict[str, int] = {}  # dst tenant -> classes of source tenants already witnessed
        self.found: dict[tuple[str, str], dict[str, Any]] = {}

    def wants(self, dst: _PodClass) -> bool:
        return bool(dst.tenant) and not dst.virtual

    def add(self, dst: _PodClass, sources: int, ports: Ports) -> None:
        assert dst.tenant is not None
        model = self.model
        done = self.done.get(dst.tenant, model.tenant_masks[dst.tenant])
        fresh = sources & model.tenant_any & ~done
        while fresh:
            s = (fresh & -fresh).bit_length() - 1
            src_tenant = model.classes[s].tenant
            assert src_tenant is not None
            self.found[(src_tenant, dst.tenant)] = _violation(model, s, dst.index, ports)
            done |= model.tenant_masks[src_tenant]
            fresh &= ~done
        self.done[dst.tenant] = done

    def result(self) -> list[dict[str, Any]]:
        return [self.found[key] for key in sorted(self.found)]


class _SharedUndeclared:
    """Tenant -> shared-plane reachability on ports the destination does not declare."""

    def __init__(self, model: _Model) -> None:
        self.model = model
        self.done: dict[int, int] = {}
        self.found: list[dict[str, Any]] = []

    def wants(self, dst: _PodClass) -> bool:
        return dst.plane == "shared" and not dst.virtual

    def add(self, dst: _PodClass, sources: int, ports: Ports) -> None:
        undeclared = ports_subtract(ports, dst.declared)
        if undeclared == NO_PORTS:
            return
        model = self.model
        done = self.done.get(dst.index, 0)
        fresh = sources & model.tenant_any & ~done
        while fresh:
            s = (fresh & -fresh).bit_length() - 1
            src_tenant = model.classes[s].tenant
            assert src_tenant is not None
            entry = _violation(model, s, dst.index, undeclared)
            entry["dst_plane"] = "shared"
            self.found.append(entry)
            done |= model.tenant_masks[src_tenant]
            fresh &= ~done
        self.done[dst.index] = done

    def result(self) -> list[dict[str, Any]]:
        return sorted(self.found, key=lambda v: (v["src_tenant"], v["dst"]))


class _DnsReach:
    """Which tenant classes reach which in-cluster DNS servers (declared port 53) on 53."""

    def __init__(self, model: _Model) -> None:
        self.model = model
        self.targets: dict[int, set[int]] = {}

    def wants(self, dst: _PodClass) -> bool:
        return any(_iv_contains(dst.declared[p], 53) for p in (0, 1))

    def add(self, dst: _PodClass, sources: int, ports: Ports) -> None:
        if not any(_iv_contains(ports[p], 53) and _iv_contains(dst.declared[p], 53) for p in (0, 1)):
            return
        for s in _bits(sources & self.model.tenant_any):
            self.targets.setdefault(s, set()).add(dst.index)


# --------------------------------------------------------------------------------------------
# External egress facts


def _egress_facts(model: _Model, dns_targets: Mapping[int, set[int]]) -> dict[str, Any]:
    """Per workload of a tenant namespace: what outside the cluster it may reach."""
    out: dict[str, Any] = {}
    for cls in model.classes:
        if not cls.tenant or cls.virtual:
            continue
        if (model.egress_isolated >> cls.index) & 1:
            rules = model.egress_rules_of[cls.index]
        else:
            rules = [_Rule("", 0, model.all_mask, _ALL_SPEC, tuple((c, ()) for c in _WORLD_CIDRS), (), True)]
        cidrs = _destinations(((c, r.ports) for r in rules for c in r.cidrs), "cidr")
        fqdns = _destinations((((f, ()), r.ports) for r in rules for f in r.fqdns), "fqdn")
        dns = {e["cidr"] for e in cidrs if _reaches_dns(e)} | {e["fqdn"] for e in fqdns if _reaches_dns(e)}
        dns_ids = sorted(w.id for d in dns_targets.get(cls.index, ()) for w in model.classes[d].workloads)
        for workload in cls.workloads:
            out[workload.id] = {
                "tenant": cls.tenant,
                "namespace": cls.namespace,
                "unrestricted": any(r.world and r.ports.static != NO_PORTS for r in rules),
                "cidrs": [{"cidr": e["cidr"], "except": list(e["except"]), "protocol": e["protocol"],
                           "ports": list(e["ports"])} for e in cidrs],
                "fqdns": [{"fqdn": e["fqdn"], "protocol": e["protocol"], "ports": list(e["ports"])} for e in fqdns],
                "dns": dns_ids + sorted(dns),
            }
    return out


def _destinations(items: Iterable[tuple[tuple[str, tuple[str, ...]], _PortSpec]], key: str) -> list[dict[str, Any]]:
    """Merge external destinations by (address, except, protocol), ports unioned.

    Named ports are dropped: they name a container port of a destination pod, and an
    external address has none. ``protocol: ANY`` with ``ports: []`` stands for a rule that
    names no port at all.
    """
    merged: dict[tuple[str, tuple[str, ...]], list[list[tuple[int, int]]]] = {}
    for target, spec in items:
        acc = merged.setdefault(target, [[], [], []])
        for p in range(3):
            acc[p].extend(spec.static[p])
    out: list[dict[str, Any]] = []
    for (address, excepts), acc in sorted(merged.items()):
        ports = (_merge(acc[0]), _merge(acc[1]), _merge(acc[2]))
        base: dict[str, Any] = {"cidr": address, "except": excepts} if key == "cidr" else {"fqdn": address}
        if ports == ALL_PORTS:
            out.append({**base, "protocol": "ANY", "ports": []})
            continue
        for proto, intervals in zip(PROTOCOLS, ports):
            if intervals:
                out.append({**base, "protocol": proto, "ports": _port_list(intervals)})
    return out


def _reaches_dns(entry: Mapping[str, Any]) -> bool:
    """Whether an external destination entry allows port 53 over UDP or TCP."""
    if entry["protocol"] not in ("ANY", "UDP", "TCP"):
        return False
    ports = entry["ports"]
    if not ports:
        return True
    for port in ports:
        lo, _, hi = str(port).partition("-")
        if int(lo) <= 53 <= int(hi or lo):
            return True
    return False
