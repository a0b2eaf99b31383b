"""Unit tests of the NetworkPolicy reachability analyzer: one small test per semantic rule."""

from __future__ import annotations

from typing import Any

import pytest

from kaze_policy.analysis import netpol

TENANT = "kaze.io/tenant"
PLANE = "kaze.io/plane"

# ------------------------------------------------------------------------------------------
# Builders of inventory resources


def namespace(name: str, **labels: str) -> dict[str, Any]:
    return {"id": f"Namespace/{name}", "apiVersion": "v1", "kind": "Namespace", "namespace": None,
            "name": name, "object": {"apiVersion": "v1", "kind": "Namespace",
                                     "metadata": {"name": name, "labels": labels}}}


def tenant_ns(name: str, tenant: str) -> dict[str, Any]:
    return namespace(name, **{TENANT: tenant})


def shared_ns(name: str) -> dict[str, Any]:
    return namespace(name, **{PLANE: "shared"})


def pod_spec(ports: list[Any] = (), **extra: Any) -> dict[str, Any]:
    container_ports = []
    for p in ports:
        if isinstance(p, int):
            container_ports.append({"containerPort": p})
        else:
            container_ports.append(dict(p))
    return {"containers": [{"name": "main", "image": "x", "ports": container_ports}], **extra}


def workload(ns: str, name: str, labels: dict[str, str] | None = None, ports: list[Any] = (),
             kind: str = "Deployment") -> dict[str, Any]:
    labels = {"app": name} if labels is None else labels
    template = {"metadata": {"labels": labels}, "spec": pod_spec(ports)}
    if kind == "Pod":
        obj = {"metadata": {"name": name, "namespace": ns, "labels": labels}, "spec": pod_spec(ports)}
    elif kind == "CronJob":
        obj = {"spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": template}}}}
    else:
        obj = {"metadata": {"name": name, "namespace": ns}, "spec": {"template": template}}
    return {"id": f"{kind}/{ns}/{name}", "apiVersion": "apps/v1", "kind": kind, "namespace": ns,
            "name": name, "object": obj}


def policy(ns: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"id": f"NetworkPolicy/{ns}/{name}", "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy", "namespace": ns, "name": name,
            "object": {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                       "metadata": {"name": name, "namespace": ns}, "spec": spec}}


def cilium(ns: str, name: str, spec: dict[str, Any], clusterwide: bool = False) -> dict[str, Any]:
    kind = "CiliumClusterwideNetworkPolicy" if clusterwide else "CiliumNetworkPolicy"
    rid = f"{kind}/{name}" if clusterwide else f"{kind}/{ns}/{name}"
    return {"id": rid, "apiVersion": "cilium.io/v2", "kind": kind,
            "namespace": None if clusterwide else ns, "name": name,
            "object": {"apiVersion": "cilium.io/v2", "kind": kind, "spec": spec}}


DENY_ALL = {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


def conns(resources: list[dict[str, Any]]) -> dict[tuple[str, str], netpol.Connection]:
    return {(c.src, c.dst): c for c in netpol.connectivity(resources)}


def allowed(resources: list[dict[str, Any]], src: str, dst: str, proto: str = "TCP", port: int = 80) -> bool:
    c = conns(resources).get((src, dst))
    return c is not None and c.allows(proto, port)


A = "Deployment/a/web"
B = "Deployment/b/db"


def two_namespaces(*extra: dict[str, Any]) -> list[dict[str, Any]]:
    """Tenant a's `web` and tenant b's `db` (db listens on 5432 named `pg`)."""
    return [tenant_ns("a", "acme"), tenant_ns("b", "beta"),
            workload("a", "web", {"app": "web"}, [{"containerPort": 8080, "name": "http"}]),
            workload("b", "db", {"app": "db"}, [{"containerPort": 5432, "name": "pg"}]),
            *extra]


# ------------------------------------------------------------------------------------------
# Isolation and policyTypes


def test_no_policy_allows_every_pair_on_every_port() -> None:
    c = conns(two_namespaces())[(A, B)]
    assert c.ports == netpol.ALL_PORTS
    assert c.allows("UDP", 9) and c.allows("SCTP", 65535)


def test_policy_types_default_to_ingress_when_no_egress_section() -> None:
    res = two_namespaces(policy("a", "p", {"podSelector": {}}))
    assert not allowed(res, B, A)  # ingress isolated, no ingress rule
    assert allowed(res, A, B)  # egress not isolated


def test_policy_types_default_add_egress_when_egress_section_present() -> None:
    res = two_namespaces(policy("a", "p", {"podSelector": {}, "egress": [{"to": [{"podSelector": {}}]}]}))
    assert not allowed(res, A, B)  # Egress added: only the own namespace
    assert not allowed(res, B, A)  # Ingress still there, with no rule
    assert not allowed(res, A, A)  # the egress rule allows it, the ingress side does not
    res = two_namespaces(policy("a", "p", {"podSelector": {}, "ingress": [{}], "egress": [{"to": [{"podSelector": {}}]}]}))
    assert allowed(res, A, A) and allowed(res, B, A) and not allowed(res, A, B)


def test_policy_types_default_ignores_an_empty_egress_list() -> None:
    """The API server adds Egress only when egress has rules: `egress: []` isolates nothing."""
    res = two_namespaces(policy("a", "p", {"podSelector": {}, "ingress": [{}], "egress": []}))
    assert allowed(res, A, B)


def test_explicit_egress_only_policy_types_ignore_ingress_rules() -> None:
    res = two_namespaces(policy("b", "p", {"podSelector": {}, "policyTypes": ["Egress"], "ingress": []}))
    assert allowed(res, A, B)  # Ingress not listed: not isolated, despite the empty ingress list
    assert not allowed(res, B, A)


def test_isolation_applies_only_to_selected_pods() -> None:
    res = two_namespaces(workload("b", "cache", {"app": "cache"}),
                         policy("b", "p", {"podSelector": {"matchLabels": {"app": "db"}}}))
    assert not allowed(res, A, B)
    assert allowed(res, A, "Deployment/b/cache")


def test_policy_selects_only_pods_of_its_own_namespace() -> None:
    res = two_namespaces(policy("a", "p", {"podSelector": {"matchLabels": {"app": "db"}}}))
    assert allowed(res, A, B)


def test_empty_rule_allows_everything_in_that_direction() -> None:
    res = two_namespaces(policy("b", "p", {"podSelector": {}, "ingress": [{}]}))
    assert conns(res)[(A, B)].ports == netpol.ALL_PORTS


def test_rules_of_several_policies_are_ored() -> None:
    res = two_namespaces(
        policy("b", "deny", {"podSelector": {}}),
        policy("b", "p1", {"podSelector": {}, "ingress": [{"from": [{"namespaceSelector": {}}], "ports": [{"port": 1}]}]}),
        policy("b", "p2", {"podSelector": {}, "ingress": [{"from": [{"namespaceSelector": {}}], "ports": [{"port": 2}]}]}))
    c = conns(res)[(A, B)]
    assert c.allows("TCP", 1) and c.allows("TCP", 2) and not c.allows("TCP", 3)


# ------------------------------------------------------------------------------------------
# Peers


def ingress_from(*peers: dict[str, Any]) -> dict[str, Any]:
    return {"podSelector": {}, "ingress": [{"from": list(peers)}]}


def test_missing_namespace_selector_means_the_policy_namespace() -> None:
    res = two_namespaces(workload("b", "api", {"app": "web"}), policy("b", "p", ingress_from({"podSelector": {"matchLabels": {"app": "web"}}})))
    assert not allowed(res, A, B)  # a/web has the label, but lives in another namespace
    assert allowed(res, "Deployment/b/api", B)


def test_empty_namespace_selector_means_all_namespaces() -> None:
    res = two_namespaces(policy("b", "p", ingress_from({"namespaceSelector": {}})))
    assert allowed(res, A, B)


def test_empty_pod_selector_means_all_pods_of_the_policy_namespace() -> None:
    res = two_namespaces(workload("b", "api"), policy("b", "p", ingress_from({"podSelector": {}})))
    assert allowed(res, "Deployment/b/api", B)
    assert not allowed(res, A, B)


def test_namespace_and_pod_selector_in_one_entry_are_anded() -> None:
    res = two_namespaces(
        workload("a", "job", {"app": "job"}), workload("c", "web", {"app": "web"}),
        policy("b", "p", ingress_from({"namespaceSelector": {"matchLabels": {TENANT: "acme"}},
                                       "podSelector": {"matchLabels": {"app": "web"}}})))
    assert allowed(res, A, B)
    assert not allowed(res, "Deployment/a/job", B)  # right namespace, wrong pod
    assert not allowed(res, "Deployment/c/web", B)  # right pod, wrong namespace


def test_namespace_and_pod_selector_in_two_entries_are_ored() -> None:
    res = two_namespaces(
        workload("a", "job", {"app": "job"}), workload("b", "web", {"app": "web"}),
        policy("b", "p", ingress_from({"namespaceSelector": {"matchLabels": {TENANT: "acme"}}},
                                      {"podSelector": {"matchLabels": {"app": "web"}}})))
    assert allowed(res, "Deployment/a/job", B)  # any pod of the acme namespace
    assert allowed(res, "Deployment/b/web", B)  # web of the policy's namespace
    assert allowed(res, A, B)


def test_missing_from_allows_all_peers() -> None:
    res = two_namespaces(policy("b", "p", {"podSelector": {}, "ingress": [{"ports": [{"port": 5432}]}]}))
    assert allowed(res, A, B, port=5432)
    assert not allowed(res, A, B, port=5433)


def test_empty_from_list_allows_all_peers() -> None:
    res = two_namespaces(policy("b", "p", {"podSelector": {}, "ingress": [{"from": []}]}))
    assert allowed(res, A, B)


@pytest.mark.parametrize(("expression", "expected"), [
    ({"key": "tier", "operator": "In", "values": ["front", "edge"]}, {"front"}),
    ({"key": "tier", "operator": "NotIn", "values": ["front"]}, {"back", "none"}),
    ({"key": "tier", "operator": "Exists"}, {"front", "back"}),
    ({"key": "tier", "operator": "DoesNotExist"}, {"none"}),
])
def test_match_expressions_operators(expression: dict[str, Any], expected: set[str]) -> None:
    res = [tenant_ns("b", "beta"), workload("b", "db"),
           workload("b", "front", {"tier": "front"}), workload("b", "back", {"tier": "back"}),
           workload("b", "none", {}),
           policy("b", "p", {"podSelector": {"matchLabels": {"app": "db"}},
                             "ingress": [{"from": [{"podSelector": {"matchExpressions": [expression]}}]}]})]
    got = {name for name in ("front", "back", "none") if allowed(res, f"Deployment/b/{name}", B)}
    assert got == expected


@pytest.mark.parametrize(("peer", "sources"), [
    pytest.param({"namespaceSelector": {}, "podSelector": {"matchExpressions": [{"operator": "DoesNotExist"}]}},
                 set(), id="an-expression-without-key-matches-nothing"),
    pytest.param({"namespaceSelector": {}, "podSelector": {"matchExpressions": [{"key": "nope", "operator": "Exists"}]}},
                 set(), id="exists-on-a-key-no-pod-has"),
    pytest.param({"namespaceSelector": {}, "podSelector": "junk"}, set(), id="a-selector-that-is-no-object"),
    pytest.param({"namespaceSelector": {}, "podSelector": {"matchExpressions": [
        {"key": "app", "operator": "In", "values": ["web", "other"]}]}}, {A, "Deployment/a/other"}, id="in-two-values"),
])
def test_selectors_of_peers_select_exactly(peer: dict[str, Any], sources: set[str]) -> None:
    res = two_namespaces(workload("a", "other"), workload("a", "third"),
                         policy("b", "in", {"podSelector": {}, "ingress": [{"from": [peer]}]}))
    assert {src for src, dst in conns(res) if dst == B} == sources


def test_an_invalid_peer_is_passed_over_not_the_peers_after_it() -> None:
    res = two_namespaces(policy("b", "in", {"podSelector": {}, "ingress": [{"from": [{}, {"namespaceSelector": {}}]}]}))
    assert allowed(res, A, B)


def test_an_ip_block_without_cidr_lists_no_address() -> None:
    assert egress_of(two_namespaces(egress_policy({"to": [{"ipBlock": {}}]})))["cidrs"] == []


@pytest.mark.parametrize("unknown_source_term", [
    {"key": "container:x", "operator": "DoesNotExist"},
    {"key": "container:x", "operator": "NotIn", "values": ["y"]},
])
def test_cilium_terms_on_a_label_source_no_workload_has_hold_for_all_and_the_rest_still_apply(
        unknown_source_term: dict[str, Any]) -> None:
    """Cilium's `container:` labels name no workload: DoesNotExist and NotIn on them hold; `k8s:app` is `app`."""
    res = [namespace("a"), *(workload("a", n) for n in ("web", "web2", "web3")),
           cilium("a", "in", {"endpointSelector": {"matchLabels": {"app": "web"}}, "ingress": [{"fromEndpoints": [
               {"matchExpressions": [unknown_source_term, {"key": "k8s:app", "operator": "In", "values": ["web2"]}]}]}]})]
    assert {src for src, dst in conns(res) if dst == "Deployment/a/web"} == {"Deployment/a/web2"}


def test_match_labels_and_expressions_are_anded() -> None:
    sel = {"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "env", "operator": "In", "values": ["prod"]}]}
    res = [tenant_ns("b", "beta"), workload("b", "db"), workload("b", "w1", {"app": "web", "env": "prod"}),
           workload("b", "w2", {"app": "web", "env": "dev"}),
           policy("b", "p", {"podSelector": {"matchLabels": {"app": "db"}}, "ingress": [{"from": [{"podSelector": sel}]}]})]
    assert allowed(res, "Deployment/b/w1", B)
    assert not allowed(res, "Deployment/b/w2", B)


def test_namespace_without_object_has_only_its_name_label() -> None:
    res = [tenant_ns("b", "beta"), workload("b", "db"), workload("loose", "x"),
           policy("b", "p", ingress_from({"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "loose"}}})),
           policy("b", "q", ingress_from({"namespaceSelector": {"matchExpressions": [{"key": TENANT, "operator": "Exists"}]}}))]
    assert allowed(res, "Deployment/loose/x", B)  # selected by its automatic name label
    facts = netpol.analyze(res, None)
    assert "Deployment/loose/x" not in facts["egress"]  # no tenant


def test_namespace_object_gets_the_automatic_name_label() -> None:
    res = two_namespaces(policy("b", "p", ingress_from({"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "a"}}})))
    assert allowed(res, A, B)


def test_ip_block_never_matches_a_cluster_workload() -> None:
    res = two_namespaces(policy("b", "p", ingress_from({"ipBlock": {"cidr": "0.0.0.0/0"}})),
                         policy("a", "q", {"podSelector": {}, "policyTypes": ["Egress"],
                                           "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]}))
    assert not allowed(res, A, B)
    assert (A, B) not in conns(res)


# ------------------------------------------------------------------------------------------
# Ports


def ingress_ports(*ports: dict[str, Any]) -> dict[str, Any]:
    return {"podSelector": {}, "ingress": [{"ports": list(ports)}]}


def test_rule_without_ports_allows_all_protocols() -> None:
    res = two_namespaces(policy("b", "p", {"podSelector": {}, "ingress": [{"from": [{"namespaceSelector": {}}]}]}))
    assert conns(res)[(A, B)].ports == netpol.ALL_PORTS


def test_port_protocol_defaults_to_tcp() -> None:
    res = two_namespaces(policy("b", "p", ingress_ports({"port": 53})))
    assert allowed(res, A, B, "TCP", 53)
    assert not allowed(res, A, B, "UDP", 53)


def test_end_port_allows_the_whole_range() -> None:
    res = two_namespaces(policy("b", "p", ingress_ports({"protocol": "TCP", "port": 8000, "endPort": 8100})))
    c = conns(res)[(A, B)]
    assert c.allows("TCP", 8000) and c.allows("TCP", 8100) and c.allows("TCP", 8050)
    assert not c.allows("TCP", 7999) and not c.allows("TCP", 8101)


@pytest.mark.parametrize(("entry", "tcp"), [
    pytest.param({"port": 1}, ((1, 1),), id="port-1"),
    pytest.param({"port": 65535}, ((65535, 65535),), id="port-65535"),
    pytest.param({"port": 65000, "endPort": 65535}, ((65000, 65535),), id="endPort-65535"),
    pytest.param({"port": 65000, "endPort": 65536}, ((65000, 65000),), id="endPort-out-of-range-is-ignored"),
    pytest.param({"port": 8000, "endPort": 7000}, ((8000, 8000),), id="endPort-below-port-is-ignored"),
    pytest.param({"port": 65536}, None, id="port-out-of-range-allows-nothing"),
    pytest.param({"port": 0}, None, id="port-0-allows-nothing"),
])
def test_port_numbers_at_the_edges_of_the_port_range(entry: dict[str, Any], tcp: tuple[tuple[int, int], ...] | None) -> None:
    c = conns(two_namespaces(policy("b", "p", ingress_ports(entry)))).get((A, B))
    assert (c and c.ports) == (None if tcp is None else (tcp, (), ()))


def test_several_egress_ports_inside_one_ingress_range_all_stay_allowed() -> None:
    res = two_namespaces(
        policy("a", "e", {"podSelector": {}, "policyTypes": ["Egress"],
                          "egress": [{"ports": [{"port": 80}, {"port": 82}, {"port": 84}]}]}),
        policy("b", "i", ingress_ports({"port": 1, "endPort": 1000})))
    assert conns(res)[(A, B)].ports == (((80, 80), (82, 82), (84, 84)), (), ())


def test_adjacent_ports_merge_into_a_range_but_ports_one_apart_do_not() -> None:
    res = two_namespaces(policy("b", "p", ingress_ports({"port": 80}, {"port": 81}, {"port": 83})))
    assert conns(res)[(A, B)].ports == (((80, 81), (83, 83)), (), ())


def test_port_entry_of_an_unknown_protocol_is_skipped_not_the_rest() -> None:
    res = two_namespaces(policy("b", "p", ingress_ports({"protocol": "ICMP", "port": 8}, {"port": 80, "protocol": "udp"})))
    assert conns(res)[(A, B)].ports == ((), ((80, 80),), ())


def test_port_entry_without_port_allows_every_port_of_its_protocol() -> None:
    res = two_namespaces(policy("b", "p", ingress_ports({"protocol": "UDP"})))
    c = conns(res)[(A, B)]
    assert c.ports == ((), ((1, 65535),), ())


def test_named_port_resolves_differently_on_two_destination_pods() -> None:
    res = [tenant_ns("b", "beta"), workload("b", "client"),
           workload("b", "s1", {"role": "srv"}, [{"containerPort": 8080, "name": "http"}]),
           workload("b", "s2", {"role": "srv"}, [{"containerPort": 9090, "name": "http"}]),
           policy("b", "p", {"podSelector": {"matchLabels": {"role": "srv"}}, "ingress": [{"ports": [{"port": "http"}]}]})]
    c = conns(res)
    assert c[("Deployment/b/client", "Deployment/b/s1")].ports == (((8080, 8080),), (), ())
    assert c[("Deployment/b/client", "Deployment/b/s2")].ports == (((9090, 9090),), (), ())


def with_init_containers(res: dict[str, Any], *init: dict[str, Any]) -> dict[str, Any]:
    """The workload `res` (from `workload`), its pod template also running `init`."""
    res["object"]["spec"]["template"]["spec"]["initContainers"] = list(init)
    return res


SIDECAR = {"name": "proxy", "image": "x", "restartPolicy": "Always",
           "ports": [{"containerPort": 9901, "name": "admin"}]}
PLAIN_INIT = {"name": "setup", "image": "x", "ports": [{"containerPort": 7000, "name": "setup"}]}


def test_named_port_of_a_sidecar_init_container_resolves_and_a_plain_init_containers_does_not() -> None:
    """A sidecar (`restartPolicy: Always`) runs beside the containers, its ports are the pod's;
    an ordinary init container has exited before the pod serves."""
    res = [tenant_ns("b", "beta"), workload("b", "client"),
           with_init_containers(workload("b", "srv", {"role": "srv"}, [8080]), SIDECAR, PLAIN_INIT),
           policy("b", "p", {"podSelector": {"matchLabels": {"role": "srv"}},
                             "ingress": [{"ports": [{"port": "admin"}, {"port": "setup"}]}]})]
    assert conns(res)[("Deployment/b/client", "Deployment/b/srv")].ports == (((9901, 9901),), (), ())


def test_named_port_absent_on_destination_matches_nothing() -> None:
    res = two_namespaces(policy("b", "p", ingress_ports({"port": "http"})))  # db names only `pg`
    assert (A, B) not in conns(res)


def test_named_port_matches_only_its_protocol() -> None:
    res = two_namespaces(policy("b", "p", ingress_ports({"protocol": "UDP", "port": "pg"})))
    assert (A, B) not in conns(res)


def test_named_udp_port_resolves_to_the_destinations_udp_port() -> None:
    res = two_namespaces(policy("b", "p", ingress_ports({"protocol": "UDP", "port": "mdns"})))
    res[3] = workload("b", "db", {"app": "db"}, [{"containerPort": 5353, "protocol": "UDP", "name": "mdns"}])
    assert conns(res)[(A, B)].ports == ((), ((5353, 5353),), ())


def test_two_rules_on_the_same_ports_admit_the_sources_of_both() -> None:
    """The grants of one destination are merged by port set: the sources of each rule add up
    (here 5432 by number and by its name, `pg`)."""
    def from_namespace(name: str, port: int | str) -> dict[str, Any]:
        return {"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": name}}}],
                "ports": [{"port": port}]}
    rules = [from_namespace("a", 5432), from_namespace("c", "pg")]
    res = [*two_namespaces(policy("b", "p", {"podSelector": {}, "ingress": rules})),
           tenant_ns("c", "gamma"), workload("c", "job", {"app": "job"})]
    found = conns(res)
    assert found[(A, B)].ports == found[("Deployment/c/job", B)].ports == (((5432, 5432),), (), ())


def test_a_workload_without_an_inventory_namespace_takes_its_metadatas() -> None:
    """The namespace of a resource is the inventory's, else its metadata's (a snapshot's)."""
    db = workload("b", "db", {"app": "db"}, [5432])
    del db["namespace"]
    db["object"]["metadata"]["namespace"] = "b"
    res = [tenant_ns("a", "acme"), tenant_ns("b", "beta"), workload("a", "web"), db, policy("b", "deny", DENY_ALL)]
    assert (A, B) not in conns(res)


def test_a_policy_without_an_inventory_apiversion_takes_its_objects() -> None:
    only_itself = cilium("b", "only-itself", {"endpointSelector": {}, "ingress": [
        {"fromEndpoints": [{"matchLabels": {"app": "db"}}]}]})
    del only_itself["apiVersion"]
    assert (A, B) not in conns(two_namespaces(only_itself))


def test_entries_with_only_a_kind_and_an_object_are_read_from_the_object() -> None:
    """The inventory's own fields (id, name, namespace, apiVersion) are read first, else the
    object's; a policy without any apiVersion is a NetworkPolicy all the same."""
    from_acme = {"podSelector": {}, "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {TENANT: "acme"}}}]}]}
    full = two_namespaces(policy("b", "from-acme", from_acme))
    minimal = [{"kind": r["kind"], "object": dict(r["object"])} for r in full]
    del minimal[-1]["object"]["apiVersion"]
    assert {(c.src, c.dst, c.ports) for c in netpol.connectivity(minimal)} == {
        (c.src, c.dst, c.ports) for c in netpol.connectivity(full)}
    assert (A, B) in conns(minimal) and (B, B) not in conns(minimal)


def test_a_namespace_is_named_by_its_inventory_entry_before_its_metadata() -> None:
    from_acme = {"podSelector": {}, "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {TENANT: "acme"}}}]}]}
    res = two_namespaces(policy("b", "from-acme", from_acme))
    del res[0]["object"]["metadata"]["name"]  # tenant-acme's namespace `a`, named by its entry alone
    assert (A, B) in conns(res)


def test_a_workload_is_named_by_its_inventory_id_else_by_kind_namespace_and_name() -> None:
    numbered = workload("a", "web")
    numbered["id"] = "Deployment/a/web#2"  # a second object of that id in the target
    nameless = workload("a", "nameless")
    del nameless["id"], nameless["name"], nameless["object"]["metadata"]["name"]
    generated = workload("a", "job-")  # generateName: the inventory's name, none in the metadata
    del generated["object"]["metadata"]["name"]
    refs = {(c.src, c.src_ref) for c in netpol.connectivity([tenant_ns("a", "acme"), numbered, nameless, generated])}
    assert refs == {("Deployment/a/web#2", "a/web[Deployment]"), ("Deployment/a/", "a/[Deployment]"),
                    ("Deployment/a/job-", "a/job-[Deployment]")}


def test_cilium_objects_that_are_no_policy_are_passed_over() -> None:
    """Only CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy isolate, whatever another
    kind of cilium.io holds."""
    lookalike = cilium("b", "envoy", {"endpointSelector": {}, "ingress": [
        {"fromEndpoints": [{"matchLabels": {"app": "nobody"}}]}]})
    lookalike["kind"] = lookalike["object"]["kind"] = "CiliumEnvoyConfig"
    assert (A, B) in conns(two_namespaces(lookalike))


def test_a_workload_without_any_namespace_is_in_default() -> None:
    db = workload("default", "db", {"app": "db"}, [5432])
    del db["namespace"], db["object"]["metadata"]["namespace"]
    res = [tenant_ns("a", "acme"), workload("a", "web"), db]
    assert (A, "Deployment/default/db") in conns(res)
    assert (A, "Deployment/default/db") not in conns([*res, policy("default", "deny", DENY_ALL)])


def test_named_port_in_egress_rule_resolves_at_the_destination() -> None:
    res = two_namespaces(policy("a", "p", {"podSelector": {}, "policyTypes": ["Egress"],
                                           "egress": [{"ports": [{"port": "pg"}]}]}))
    assert conns(res)[(A, B)].ports == (((5432, 5432),), (), ())
    assert (A, A) not in conns(res)  # web has no port named pg


def test_egress_and_ingress_port_sets_intersect() -> None:
    res = two_namespaces(
        policy("a", "e", {"podSelector": {}, "policyTypes": ["Egress"],
                          "egress": [{"ports": [{"port": 5000, "endPort": 6000}]}]}),
        policy("b", "i", ingress_ports({"port": 5400, "endPort": 5500}, {"port": 7000})))
    assert conns(res)[(A, B)].ports == (((5400, 5500),), (), ())


# ------------------------------------------------------------------------------------------
# Both directions


def test_ingress_allowed_but_egress_denied_blocks_the_connection() -> None:
    res = two_namespaces(policy("b", "allow", ingress_from({"namespaceSelector": {}})),
                         policy("a", "deny", {"podSelector": {}, "policyTypes": ["Egress"]}))
    assert (A, B) not in conns(res)


def test_egress_allowed_but_ingress_denied_blocks_the_connection() -> None:
    res = two_namespaces(policy("a", "allow", {"podSelector": {}, "egress": [{}], "policyTypes": ["Egress"]}),
                         policy("b", "deny", {"podSelector": {}}))
    assert (A, B) not in conns(res)


def test_connection_needs_both_directions_allowed() -> None:
    res = two_namespaces(
        policy("a", "deny", DENY_ALL), policy("b", "deny", DENY_ALL),
        policy("a", "out", {"podSelector": {}, "policyTypes": ["Egress"],
                            "egress": [{"to": [{"namespaceSelector": {"matchLabels": {TENANT: "beta"}}}]}]}),
        policy("b", "in", {"podSelector": {}, "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {TENANT: "acme"}}}]}]}))
    assert allowed(res, A, B)
    assert not allowed(res, B, A)


# ------------------------------------------------------------------------------------------
# Workloads


def test_every_workload_kind_including_cronjob_template_and_bare_pod() -> None:
    kinds = ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"]
    res = [tenant_ns("b", "beta"), *(workload("b", k.lower(), {"app": "x"}, kind=k) for k in kinds),
           workload("b", "other", {"app": "y"}),
           policy("b", "p", {"podSelector": {"matchLabels": {"app": "y"}},
                             "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "x"}}}]}]})]
    for k in kinds:
        assert allowed(res, f"{k}/b/{k.lower()}", "Deployment/b/other"), k
    ids = {c.src for c in netpol.connectivity(res)}
    assert ids == {f"{k}/b/{k.lower()}" for k in kinds} | {"Deployment/b/other"}


def test_other_kinds_are_ignored() -> None:
    svc = {"id": "Service/b/db", "apiVersion": "v1", "kind": "Service", "namespace": "b", "name": "db",
           "object": {"spec": {"selector": {"app": "db"}}}}
    calico = dict(policy("b", "calico", {"selector": "all()"}), apiVersion="projectcalico.org/v3")
    res = two_namespaces(svc, calico)
    assert {c.dst for c in netpol.connectivity(res)} == {A, B}
    assert allowed(res, A, B)


@pytest.mark.parametrize("count", [64, 65, 70], ids=["64-classes", "65-classes", "70-classes"])
def test_every_pair_of_many_pod_classes_is_found(count: int) -> None:
    """Past 64 classes in one set, the sets are walked another way (dense masks): no pair is lost."""
    names = [f"w{i:02}" for i in range(count)]
    res = [namespace("a"), *(workload("a", name) for name in names)]
    pairs = {(c.src, c.dst) for c in netpol.connectivity(res)}
    assert pairs == {(f"Deployment/a/{s}", f"Deployment/a/{d}") for s in names for d in names}


def test_a_workload_reaches_its_own_replicas() -> None:
    assert allowed(two_namespaces(), A, A)


# ------------------------------------------------------------------------------------------
# explain_lines


def test_explain_lines_collapse_ports_into_ranges_and_join_protocols() -> None:
    res = two_namespaces(policy("b", "p", ingress_ports(
        {"port": 8000, "endPort": 8050}, {"port": 8051, "endPort": 8100}, {"port": 53, "protocol": "UDP"}, {"port": 22})),
        policy("a", "p", {"podSelector": {}}))
    assert netpol.explain_lines(res) == [
        "a/web[Deployment] => b/db[Deployment] : TCP 22, TCP 8000-8100, UDP 53",
        "b/db[Deployment] => b/db[Deployment] : TCP 22, TCP 8000-8100, UDP 53",
    ]


def test_explain_lines_are_sorted() -> None:
    lines = netpol.explain_lines(two_namespaces())
    assert lines == sorted(lines) and len(lines) == 4


# ------------------------------------------------------------------------------------------
# facts.netpol: tenant_violations


def test_tenant_violation_names_a_witness_and_the_policies_that_let_it_through() -> None:
    res = two_namespaces(
        policy("a", "deny", DENY_ALL), policy("b", "deny", DENY_ALL),
        policy("a", "out", {"podSelector": {}, "egress": [{"ports": [{"port": "pg"}]}], "policyTypes": ["Egress"]}),
        policy("b", "in", {"podSelector": {}, "ingress": [{"from": [{"namespaceSelector": {}}], "ports": [{"port": 5432}]}]}))
    facts = netpol.analyze(res, None)
    assert facts["tenant_violations"] == [{
        "src_tenant": "acme", "dst_tenant": "beta", "src": A, "dst": B, "protocol": "TCP", "port": 5432,
        "policies": ["NetworkPolicy/a/out", "NetworkPolicy/b/in"],
    }]


def test_tenant_violation_lists_no_policy_for_a_direction_that_is_not_isolated() -> None:
    facts = netpol.analyze(two_namespaces(), None)
    pairs = {(v["src_tenant"], v["dst_tenant"]): v for v in facts["tenant_violations"]}
    assert set(pairs) == {("acme", "beta"), ("beta", "acme")}
    assert pairs[("acme", "beta")]["policies"] == []
    assert pairs[("acme", "beta")]["port"] == "1-65535"  # a range is a string


def test_tenant_violation_is_one_entry_per_ordered_tenant_pair() -> None:
    res = two_namespaces(tenant_ns("a2", "acme"), workload("a2", "w1"), workload("a2", "w2"), workload("b", "db2"))
    facts = netpol.analyze(res, None)
    assert [(v["src_tenant"], v["dst_tenant"]) for v in facts["tenant_violations"]] == [("acme", "beta"), ("beta", "acme")]


def acme_violation(res: list[dict[str, Any]]) -> dict[str, Any]:
    """The one tenant violation whose source is acme's."""
    [violation] = [v for v in netpol.analyze(res, None)["tenant_violations"] if v["src_tenant"] == "acme"]
    return violation


@pytest.mark.parametrize(("ns", "direction", "peers"), [
    ("a", "egress", {"toEntities": ["cluster"]}),
    ("b", "ingress", {"fromEntities": ["cluster"]}),
])
def test_tenant_violation_names_no_policy_of_a_cilium_direction_that_does_not_isolate(
        ns: str, direction: str, peers: dict[str, Any]) -> None:
    """With enableDefaultDeny off, the Cilium rule allows but isolates nothing: web reaches db anyway."""
    res = two_namespaces(cilium(ns, "open", {"endpointSelector": {}, "enableDefaultDeny": {direction: False},
                                             direction: [peers]}))
    assert acme_violation(res)["policies"] == []


def test_tenant_violation_names_only_the_policies_whose_rules_allow_that_port_to_that_peer() -> None:
    """Each side holds a rule for the witness, one for another peer and one for another port."""
    def rule(direction: str, peer: dict[str, Any], port: int) -> dict[str, Any]:
        return {direction: [{"to" if direction == "egress" else "from": [peer], "ports": [{"port": port}]}]}
    ns_b, ns_a, ns_c = ({"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": n}}} for n in "bac")
    res = two_namespaces(tenant_ns("c", "gamma"), workload("c", "other"),
                         *(policy("a", name, {"podSelector": {}, "policyTypes": ["Egress"], **rule("egress", peer, port)})
                           for name, peer, port in [("to-db", ns_b, 5432), ("to-c", ns_c, 5432), ("to-db-9", ns_b, 9)]),
                         *(policy("b", name, {"podSelector": {}, **rule("ingress", peer, port)})
                           for name, peer, port in [("from-a", ns_a, 5432), ("from-c", ns_c, 5432), ("from-a-9", ns_a, 9)]))
    for resource in res:  # policies without an inventory id are named kind/namespace/name
        if resource["kind"] == "NetworkPolicy":
            del resource["id"]
    [violation] = [v for v in netpol.analyze(res, None)["tenant_violations"] if (v["src"], v["dst"]) == (A, B)]
    assert (violation["port"], violation["policies"]) == (5432, ["NetworkPolicy/a/to-db", "NetworkPolicy/b/from-a"])


def test_tenant_violation_witness_is_the_first_workload_of_the_source_tenant() -> None:
    res = two_namespaces(workload("a", "api"), workload("a", "zz"))
    assert acme_violation(res)["src"] == "Deployment/a/api"


def test_tenant_violation_keeps_the_first_witness_of_a_pair_that_several_grants_allow() -> None:
    from_a = [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "a"}}}]
    res = two_namespaces(*(policy("b", f"in-{port}", {"podSelector": {}, "ingress": [
        {"from": from_a, "ports": [{"port": port}]}]}) for port in (9000, 9100)))
    violation = acme_violation(res)
    assert (violation["port"], violation["policies"]) == (9000, ["NetworkPolicy/b/in-9000"])


def test_namespaces_of_one_tenant_are_not_a_violation() -> None:
    res = [tenant_ns("a", "acme"), tenant_ns("a2", "acme"), workload("a", "x"), workload("a2", "y")]
    assert netpol.analyze(res, None)["tenant_violations"] == []


def test_isolated_tenants_have_no_violation() -> None:
    same_ns = {"podSelector": {}, "policyTypes": ["Ingress", "Egress"],
               "ingress": [{"from": [{"podSelector": {}}]}], "egress": [{"to": [{"podSelector": {}}]}]}
    res = two_namespaces(policy("a", "own", same_ns), policy("b", "own", same_ns))
    assert netpol.analyze(res, None)["tenant_violations"] == []


# ------------------------------------------------------------------------------------------
# facts.netpol: shared_undeclared


def shared_setup(ingress_ports_: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [tenant_ns("a", "acme"), shared_ns("gw"), workload("a", "web"),
            workload("gw", "llm", {"app": "llm"}, [{"containerPort": 8080, "name": "http"}]),
            policy("gw", "in", {"podSelector": {}, "ingress": [
                {"from": [{"namespaceSelector": {"matchExpressions": [{"key": TENANT, "operator": "Exists"}]}}],
                 "ports": ingress_ports_}]})]


def test_shared_plane_on_declared_port_is_not_reported() -> None:
    assert netpol.analyze(shared_setup([{"port": "http"}]), None)["shared_undeclared"] == []


def test_shared_plane_on_undeclared_port_is_reported() -> None:
    facts = netpol.analyze(shared_setup([{"port": 8080}, {"port": 9000}]), None)
    assert facts["shared_undeclared"] == [{
        "src_tenant": "acme", "dst_tenant": None, "src": "Deployment/a/web", "dst": "Deployment/gw/llm",
        "protocol": "TCP", "port": 9000, "policies": ["NetworkPolicy/gw/in"], "dst_plane": "shared"}]
    assert facts["tenant_violations"] == []


@pytest.mark.parametrize("port,undeclared", [(9901, []), (7000, [7000])])
def test_shared_plane_on_a_sidecar_init_containers_port_is_declared(port: int, undeclared: list[int]) -> None:
    """The sidecar's 9901 is the pod's; the plain init container's 7000 is not."""
    res = shared_setup([{"port": port}])
    res[3] = with_init_containers(res[3], SIDECAR, PLAIN_INIT)
    assert [e["port"] for e in netpol.analyze(res, None)["shared_undeclared"]] == undeclared


@pytest.mark.parametrize(("ingress_ports_", "first_undeclared"), [
    pytest.param([{"port": 8000, "endPort": 8100}], "8000-8079", id="below-the-declared-port"),
    pytest.param([{"port": 8080, "endPort": 8100}], "8081-8100", id="above-the-declared-port"),
    pytest.param([{"port": 8080}, {"port": 8082}], 8082, id="one-port-beside-the-declared-port"),
])
def test_shared_plane_undeclared_ports_are_the_reached_ones_less_the_declared(
        ingress_ports_: list[dict[str, Any]], first_undeclared: int | str) -> None:
    """llm declares 8080: what is left of the reachable range is cut exactly around it."""
    [entry] = netpol.analyze(shared_setup(ingress_ports_), None)["shared_undeclared"]
    assert entry["port"] == first_undeclared


@pytest.mark.parametrize(("declared", "undeclared"), [
    pytest.param([{"containerPort": 1}, {"containerPort": 65535}], [], id="the-first-and-last-ports"),
    pytest.param([{"containerPort": 1, "protocol": "tcp"}, {"containerPort": 65535, "protocol": "TCP"}], [],
                 id="protocol-in-any-case"),
    pytest.param([{"containerPort": 1, "protocol": "ICMP"}, {"containerPort": 65535}], [1],
                 id="a-port-of-a-protocol-policies-know-not-is-no-port"),
    pytest.param([{"containerPort": 0}, {"containerPort": 65536}, {"containerPort": 65535}], [1],
                 id="numbers-out-of-range-are-no-ports"),
])
def test_shared_plane_declared_ports_are_read_as_the_api_server_reads_them(
        declared: list[dict[str, Any]], undeclared: list[int]) -> None:
    res = shared_setup([{"port": 1}, {"port": 65535}])
    res[3] = workload("gw", "llm", {"app": "llm"}, declared)
    assert [e["port"] for e in netpol.analyze(res, None)["shared_undeclared"]] == undeclared


def test_shared_plane_on_a_declared_udp_port_is_not_reported() -> None:
    """UDP ports are taken from the UDP ports declared, not from those of another protocol."""
    res = shared_setup([{"port": 5353, "protocol": "UDP"}])
    res[3] = workload("gw", "llm", {"app": "llm"}, [{"containerPort": 5353, "protocol": "UDP"}])
    assert netpol.analyze(res, None)["shared_undeclared"] == []


def test_shared_plane_is_one_entry_per_tenant_and_destination_whatever_grants_reach_it() -> None:
    """Two policies admit tenants on two port sets: each tenant is reported once, by its first workload in id order."""
    res = [*shared_setup([{"port": 9000}]), tenant_ns("b", "beta"), workload("a", "api"), workload("b", "db"),
           policy("gw", "in2", {"podSelector": {}, "ingress": [
               {"from": [{"namespaceSelector": {"matchExpressions": [{"key": TENANT, "operator": "Exists"}]}}],
                "ports": [{"port": 9100}]}]})]
    facts = netpol.analyze(res, None)
    assert [(e["src_tenant"], e["src"]) for e in facts["shared_undeclared"]] == [
        ("acme", "Deployment/a/api"), ("beta", "Deployment/b/db")]


# ------------------------------------------------------------------------------------------
# facts.netpol: egress


def egress_of(res: list[dict[str, Any]], wid: str = A, config: dict[str, Any] | None = None) -> dict[str, Any]:
    return netpol.analyze(res, config)["egress"][wid]


def egress_policy(*rules: dict[str, Any]) -> dict[str, Any]:
    return policy("a", "egress", {"podSelector": {}, "policyTypes": ["Egress"], "egress": list(rules)})


def test_egress_is_unrestricted_when_the_pod_is_not_isolated() -> None:
    e = egress_of(two_namespaces())
    assert e["unrestricted"] is True
    assert e["tenant"] == "acme" and e["namespace"] == "a"
    assert e["cidrs"] == [{"cidr": "0.0.0.0/0", "except": [], "protocol": "ANY", "ports": []},
                          {"cidr": "::/0", "except": [], "protocol": "ANY", "ports": []}]


def test_egress_rule_without_to_is_unrestricted_even_with_ports() -> None:
    e = egress_of(two_namespaces(egress_policy({"ports": [{"port": 443}]})))
    assert e["unrestricted"] is True
    assert {"cidr": "0.0.0.0/0", "except": [], "protocol": "TCP", "ports": [443]} in e["cidrs"]


def test_egress_ip_block_with_except_is_reported() -> None:
    e = egress_of(two_namespaces(egress_policy(
        {"to": [{"ipBlock": {"cidr": "203.0.113.0/24", "except": ["203.0.113.128/25"]}}],
         "ports": [{"port": 443}, {"port": 8000, "endPort": 8100}, {"port": 53, "protocol": "UDP"}]})))
    assert e["unrestricted"] is False
    assert e["cidrs"] == [
        {"cidr": "203.0.113.0/24", "except": ["203.0.113.128/25"], "protocol": "TCP", "ports": [443, "8000-8100"]},
        {"cidr": "203.0.113.0/24", "except": ["203.0.113.128/25"], "protocol": "UDP", "ports": [53]}]
    assert e["dns"] == ["203.0.113.0/24"]


@pytest.mark.parametrize(("ports", "dns"), [
    pytest.param(None, True, id="no-ports-is-any-protocol-any-port"),
    pytest.param([{"port": 53}], True, id="tcp-53"),
    pytest.param([{"port": 50, "endPort": 60, "protocol": "UDP"}], True, id="a-udp-range-over-53"),
    pytest.param([{"port": 53, "protocol": "SCTP"}], False, id="sctp-53-is-not-dns"),
    pytest.param([{"port": 443}], False, id="tcp-443"),
])
def test_dns_lists_an_external_cidr_reachable_on_53_over_udp_or_tcp(ports: list[dict[str, Any]] | None,
                                                                     dns: bool) -> None:
    rule: dict[str, Any] = {"to": [{"ipBlock": {"cidr": "198.51.100.0/24"}}]}
    if ports is not None:
        rule["ports"] = ports
    assert egress_of(two_namespaces(egress_policy(rule)))["dns"] == (["198.51.100.0/24"] if dns else [])


def test_zero_cidr_minus_private_ranges_is_still_unrestricted() -> None:
    e = egress_of(two_namespaces(egress_policy(
        {"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8", "192.168.0.0/16"]}}]})))
    assert e["unrestricted"] is True
    assert e["cidrs"][0]["cidr"] == "0.0.0.0/0"


def test_zero_cidr_minus_a_public_range_is_not_unrestricted() -> None:
    e = egress_of(two_namespaces(egress_policy({"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["8.0.0.0/8"]}}]})))
    assert e["unrestricted"] is False


@pytest.mark.parametrize("cidr", ["0.0.0.0/1", "128.0.0.0/1", "::/1", "8000::/1"])
def test_half_the_address_space_is_not_the_whole_internet(cidr: str) -> None:
    e = egress_of(two_namespaces(egress_policy({"to": [{"ipBlock": {"cidr": cidr}}]})))
    assert e["unrestricted"] is False
    assert [c["cidr"] for c in e["cidrs"]] == [cidr]


@pytest.mark.parametrize(("cidr", "excepts", "unrestricted"), [
    pytest.param("1.2.3.4/0", [], True, id="a-0-with-host-bits-is-the-whole-internet"),
    pytest.param("not-a-cidr", [], False, id="an-invalid-cidr-is-not"),
    pytest.param("0.0.0.0/0", ["10.1.2.3/8"], True, id="a-private-except-with-host-bits-leaves-the-internet"),
    pytest.param("0.0.0.0/0", ["8.8.8.8/8"], False, id="a-public-except-with-host-bits-carves-it"),
    pytest.param("0.0.0.0/0", ["junk", "8.0.0.0/8"], False, id="an-invalid-except-is-skipped-not-the-rest"),
])
def test_zero_cidr_reading_of_host_bits_and_invalid_entries(cidr: str, excepts: list[str], unrestricted: bool) -> None:
    """Addresses are read as the API server reads them: host bits allowed, junk matches nothing."""
    e = egress_of(two_namespaces(egress_policy({"to": [{"ipBlock": {"cidr": cidr, "except": excepts}}]})))
    assert e["unrestricted"] is unrestricted
    assert [c["cidr"] for c in e["cidrs"]] == [cidr]


def test_egress_to_pods_only_reaches_nothing_external() -> None:
    e = egress_of(two_namespaces(egress_policy({"to": [{"namespaceSelector": {}}]})))
    assert e == {"tenant": "acme", "namespace": "a", "unrestricted": False, "cidrs": [], "fqdns": [], "dns": []}


def test_named_port_never_reaches_an_external_address() -> None:
    e = egress_of(two_namespaces(egress_policy({"ports": [{"port": "https"}]})))
    assert e["unrestricted"] is False and e["cidrs"] == []


def test_egress_facts_cover_only_tenant_namespaces() -> None:
    res = [tenant_ns("a", "acme"), shared_ns("s"), workload("a", "web"), workload("s", "gw"), workload("x", "y")]
    assert set(netpol.analyze(res, None)["egress"]) == {A}


def test_dns_lists_cluster_dns_workloads_that_declare_port_53() -> None:
    dns_selector = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}
    res = two_namespaces(
        workload("kube-system", "coredns", {"k8s-app": "kube-dns"},
                 [{"containerPort": 53, "protocol": "UDP", "name": "dns"}]),
        workload("kube-system", "other", {"k8s-app": "kube-dns"}, [8080]),
        egress_policy({"to": [dns_selector], "ports": [{"port": 53, "protocol": "UDP"}]}))
    assert egress_of(res)["dns"] == ["Deployment/kube-system/coredns"]


def test_dns_needs_the_destination_to_admit_port_53() -> None:
    res = two_namespaces(
        workload("kube-system", "coredns", {"k8s-app": "kube-dns"}, [{"containerPort": 53, "protocol": "UDP"}]),
        policy("kube-system", "deny", {"podSelector": {}}),
        egress_policy({"to": [{"namespaceSelector": {}}]}))
    assert egress_of(res)["dns"] == []


COREDNS_SELECTOR = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}


@pytest.mark.parametrize(("declared", "egress_ports", "reaches"), [
    pytest.param("TCP", [{"port": 53, "protocol": "TCP"}], True, id="tcp-53-declared-and-reached"),
    pytest.param("UDP", [{"port": 8080}], False, id="reached-on-another-port-only"),
    pytest.param("UDP", [{"port": 53, "protocol": "TCP"}], False, id="declared-on-udp-reached-on-tcp"),
])
def test_dns_needs_port_53_reached_over_a_protocol_the_server_declares_it_on(
        declared: str, egress_ports: list[dict[str, Any]], reaches: bool) -> None:
    res = two_namespaces(
        workload("kube-system", "coredns", {"k8s-app": "kube-dns"}, [{"containerPort": 53, "protocol": declared}]),
        egress_policy({"to": [COREDNS_SELECTOR], "ports": egress_ports}))
    assert egress_of(res)["dns"] == (["Deployment/kube-system/coredns"] if reaches else [])


def test_dns_lists_the_servers_only_for_the_workloads_that_reach_them() -> None:
    """db, of another tenant, may send nothing out: no DNS server is its."""
    res = two_namespaces(
        workload("kube-system", "coredns", {"k8s-app": "kube-dns"}, [{"containerPort": 53, "protocol": "UDP"}]),
        egress_policy({"to": [COREDNS_SELECTOR], "ports": [{"port": 53, "protocol": "UDP"}]}),
        policy("b", "no-egress", {"podSelector": {}, "policyTypes": ["Egress"]}))
    assert egress_of(res)["dns"] == ["Deployment/kube-system/coredns"]
    assert egress_of(res, B)["dns"] == []


def test_config_dns_adds_a_virtual_cluster_dns_when_the_inventory_has_none() -> None:
    config = {"dns": {"namespace": "kube-system", "podLabels": {"k8s-app": "kube-dns"}}}
    rule = {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
            "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]}
    res = two_namespaces(egress_policy(rule))
    assert egress_of(res, config=config)["dns"] == ["ClusterDNS/kube-system"]
    assert egress_of(res)["dns"] == []  # without the configuration: nothing to name
    facts = netpol.analyze(res, config)
    assert "ClusterDNS/kube-system" not in facts["egress"]
    assert all(c.dst != "ClusterDNS/kube-system" for c in netpol.connectivity(res))


@pytest.mark.parametrize("dns_namespace", [shared_ns("dns"), tenant_ns("dns", "gamma")], ids=["shared", "tenant"])
def test_the_virtual_cluster_dns_is_never_judged_as_a_workload(dns_namespace: dict[str, Any]) -> None:
    """The stand-in for the cluster DNS has no pods: it is neither a shared-plane workload with
    undeclared ports nor a tenant's workload that another tenant reaches."""
    config = {"dns": {"namespace": "dns", "podLabels": {"k8s-app": "kube-dns"}}}
    facts = netpol.analyze(two_namespaces(dns_namespace), config)
    assert "ClusterDNS" not in repr([facts["tenant_violations"], facts["shared_undeclared"], list(facts["egress"])])
    assert "ClusterDNS/dns" in facts["egress"][A]["dns"]  # reached all the same


def test_the_virtual_cluster_dns_stands_in_unless_its_namespace_runs_pods_with_its_labels() -> None:
    """A workload of the DNS namespace without its labels, or one with its labels elsewhere,
    is not the cluster DNS."""
    config = {"dns": {"namespace": "kube-system", "podLabels": {"k8s-app": "kube-dns"}}}
    res = two_namespaces(workload("kube-system", "metrics", {"app": "metrics"}),
                         workload("a", "lookalike", {"k8s-app": "kube-dns"}, [53]))
    assert "ClusterDNS/kube-system" in egress_of(res, config=config)["dns"]


def test_the_virtual_cluster_dns_serves_its_named_ports_and_runs_as_the_default_account() -> None:
    config = {"dns": {"namespace": "kube-system", "podLabels": {"k8s-app": "kube-dns"}}}
    to_dns = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
              "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}
    for port in ({"port": "dns-tcp", "protocol": "TCP"}, {"port": "dns", "protocol": "UDP"},
                 {"port": 53, "protocol": "TCP"}, {"port": 53, "protocol": "UDP"}):
        by_port = two_namespaces(egress_policy({"to": [to_dns], "ports": [port]}))
        assert egress_of(by_port, config=config)["dns"] == ["ClusterDNS/kube-system"], port
    by_account = two_namespaces(cilium("a", "egress", {"endpointSelector": {}, "egress": [{"toEndpoints": [
        {"matchLabels": {"k8s:io.kubernetes.pod.namespace": "kube-system",
                         "io.cilium.k8s.policy.serviceaccount": "default"}}]}]}))
    assert egress_of(by_account, config=config)["dns"] == ["ClusterDNS/kube-system"]


def test_config_dns_is_not_virtual_when_the_inventory_runs_it() -> None:
    config = {"dns": {"namespace": "kube-system", "podLabels": {"k8s-app": "kube-dns"}}}
    res = two_namespaces(workload("kube-system", "coredns", {"k8s-app": "kube-dns"},
                                  [{"containerPort": 53, "protocol": "UDP"}]))
    assert "Deployment/kube-system/coredns" in egress_of(res, config=config)["dns"]
    assert "ClusterDNS/kube-system" not in egress_of(res, config=config)["dns"]


# ------------------------------------------------------------------------------------------
# Cilium


def fqdn_policy(**extra: Any) -> dict[str, Any]:
    return cilium("a", "fqdn", {
        "endpointSelector": {"matchLabels": {"app": "web"}},
        "egress": [{"toFQDNs": [{"matchName": "api.openai.com"}, {"matchPattern": "*.anthropic.com"}],
                    "toPorts": [{"ports": [{"port": "443", "protocol": "TCP"}]}]}],
        **extra})


def test_cilium_service_account_selectors_read_both_spellings_of_a_pods_account() -> None:
    """serviceAccountName, or the deprecated serviceAccount, else `default`."""
    accounts = {"by-name": {"serviceAccountName": "agent"}, "by-old-field": {"serviceAccount": "agent"}, "none": {}}
    workloads = []
    for name, spec in accounts.items():
        res = workload("a", name)
        res["object"]["spec"]["template"]["spec"].update(spec)
        workloads.append(res)
    res = [namespace("a"), workload("a", "web"), *workloads,
           cilium("a", "in", {"endpointSelector": {"matchLabels": {"app": "web"}}, "ingress": [
               {"fromEndpoints": [{"matchLabels": {"io.cilium.k8s.policy.serviceaccount": "agent"}}]}]})]
    assert {src for src, dst in conns(res) if dst == "Deployment/a/web"} == {
        "Deployment/a/by-name", "Deployment/a/by-old-field"}


def test_cilium_to_fqdns_become_fqdn_facts() -> None:
    e = egress_of(two_namespaces(fqdn_policy()))
    assert e["fqdns"] == [{"fqdn": "*.anthropic.com", "protocol": "TCP", "ports": [443]},
                          {"fqdn": "api.openai.com", "protocol": "TCP", "ports": [443]}]
    assert e["unrestricted"] is False and e["cidrs"] == []


def test_an_fqdn_reached_on_port_53_is_a_dns_server() -> None:
    policy = fqdn_policy()
    policy["object"]["spec"]["egress"][0]["toPorts"] = [{"ports": [{"port": "53", "protocol": "UDP"}]}]
    e = egress_of(two_namespaces(policy))
    assert e["dns"] == ["*.anthropic.com", "api.openai.com"]


@pytest.mark.parametrize(("value", "text"), [(True, "true"), (False, "false"), (None, "")])
def test_a_label_value_written_as_a_yaml_boolean_or_null_is_its_text(value: Any, text: str) -> None:
    """`enabled: true` in a pod's labels is the label "true" (kubectl sends the text), and a
    selector asking for "true" selects it; a null value is the empty label."""
    web = workload("a", "web", {"app": "web", "enabled": value})
    res = [tenant_ns("a", "acme"), web, workload("a", "other"),
           policy("a", "p", {"podSelector": {"matchLabels": {"enabled": text}}, "policyTypes": ["Ingress"]})]
    assert ("Deployment/a/other", "Deployment/a/web") not in conns(res)
    assert ("Deployment/a/web", "Deployment/a/other") in conns(res)


def test_cilium_egress_rules_make_the_endpoint_default_deny() -> None:
    assert (A, B) not in conns(two_namespaces(fqdn_policy()))


def test_cilium_enable_default_deny_false_does_not_isolate() -> None:
    res = two_namespaces(fqdn_policy(enableDefaultDeny={"egress": False}))
    assert allowed(res, A, B)
    assert egress_of(res)["unrestricted"] is True


def test_cilium_empty_egress_rule_is_default_deny() -> None:
    res = two_namespaces(cilium("a", "deny", {"endpointSelector": {}, "egress": [{}]}))
    assert (A, B) not in conns(res) and (A, A) not in conns(res)
    assert egress_of(res)["unrestricted"] is False


def test_cilium_to_endpoints_with_namespace_label() -> None:
    res = two_namespaces(workload("a", "other"), cilium("a", "p", {"endpointSelector": {}, "egress": [{
        "toEndpoints": [{"matchLabels": {"k8s:io.kubernetes.pod.namespace": "b", "k8s:app": "db"}}],
        "toPorts": [{"ports": [{"port": "5432", "protocol": "TCP"}]}]}]}))
    assert conns(res)[(A, B)].ports == (((5432, 5432),), (), ())
    assert (A, "Deployment/a/other") not in conns(res)


def test_cilium_to_endpoints_default_to_the_policy_namespace() -> None:
    res = two_namespaces(workload("a", "other"), cilium("a", "p", {"endpointSelector": {}, "egress": [{"toEndpoints": [{}]}]}))
    assert allowed(res, A, "Deployment/a/other")
    assert not allowed(res, A, B)


def test_cilium_namespace_labels_in_endpoint_selectors() -> None:
    res = two_namespaces(cilium("a", "p", {"endpointSelector": {}, "egress": [{"toEndpoints": [{"matchLabels": {
        "k8s:io.kubernetes.pod.namespace": "b", f"k8s:io.cilium.k8s.namespace.labels.{TENANT}": "beta"}}]}]}))
    assert allowed(res, A, B)


def test_cilium_ports_without_peers_reach_every_destination() -> None:
    res = two_namespaces(cilium("a", "p", {"endpointSelector": {}, "egress": [
        {"toPorts": [{"ports": [{"port": "5432", "protocol": "ANY"}]}]}]}))
    assert conns(res)[(A, B)].ports == (((5432, 5432),), ((5432, 5432),), ((5432, 5432),))
    e = egress_of(res)
    assert e["unrestricted"] is True
    assert {"cidr": "0.0.0.0/0", "except": [], "protocol": "UDP", "ports": [5432]} in e["cidrs"]


def test_cilium_to_entities_world_is_unrestricted_and_cluster_is_all_pods() -> None:
    res = two_namespaces(cilium("a", "p", {"endpointSelector": {}, "egress": [{"toEntities": ["world"]}]}))
    assert egress_of(res)["unrestricted"] is True and (A, B) not in conns(res)
    res = two_namespaces(cilium("a", "p", {"endpointSelector": {}, "egress": [{"toEntities": ["cluster"]}]}))
    assert egress_of(res)["unrestricted"] is False and allowed(res, A, B)


def test_cilium_to_cidr_set_with_except() -> None:
    res = two_namespaces(cilium("a", "p", {"endpointSelector": {}, "egress": [
        {"toCIDRSet": [{"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}], "toCIDR": ["198.51.100.7/32"]}]}))
    e = egress_of(res)
    assert e["unrestricted"] is True
    assert [(c["cidr"], c["except"]) for c in e["cidrs"]] == [("0.0.0.0/0", ["10.0.0.0/8"]), ("198.51.100.7/32", [])]


def test_cilium_ingress_from_endpoints_combines_with_kubernetes_policies() -> None:
    res = two_namespaces(
        policy("b", "deny", {"podSelector": {}}),
        cilium("b", "in", {"endpointSelector": {"matchLabels": {"app": "db"}}, "ingress": [{
            "fromEndpoints": [{"matchLabels": {"io.kubernetes.pod.namespace": "a"}}],
            "toPorts": [{"ports": [{"port": "pg"}]}]}]}))
    assert conns(res)[(A, B)].ports == (((5432, 5432),), (), ())


def test_cilium_clusterwide_policy_selects_all_namespaces() -> None:
    res = two_namespaces(cilium("", "deny", {"endpointSelector": {}, "ingress": [{}]}, clusterwide=True))
    assert conns(res) == {}


def test_cilium_service_account_label() -> None:
    res = two_namespaces(cilium("b", "in", {"endpointSelector": {}, "ingress": [{"fromEndpoints": [{"matchLabels": {
        "io.kubernetes.pod.namespace": "a", "io.cilium.k8s.policy.serviceaccount": "default"}}]}]}))
    assert allowed(res, A, B)


CACHE = "Deployment/b/cache"
NS_A = {"io.kubernetes.pod.namespace": "a"}
NS_B = {"io.kubernetes.pod.namespace": "b"}


def with_cache(*extra: dict[str, Any]) -> list[dict[str, Any]]:
    """`two_namespaces` plus a second workload, `cache`, in b."""
    return two_namespaces(workload("b", "cache", {"app": "cache"}), *extra)


def unreached(res: list[dict[str, Any]]) -> set[str]:
    """The workloads of `with_cache` that no workload may connect to."""
    return {A, B, CACHE} - {dst for _, dst in conns(res)}


@pytest.mark.parametrize(("ns", "selector", "isolated"), [
    pytest.param("b", {"matchLabels": {"app": "db"}}, {B}, id="labels-select-only-matching-pods"),
    pytest.param("a", {}, {A}, id="empty-selector-stays-in-the-policy-namespace"),
    pytest.param("a", {"matchLabels": NS_B}, set(), id="naming-another-namespace-selects-nothing"),
    pytest.param("c", {}, set(), id="namespace-without-workloads-selects-nothing"),
])
def test_cilium_endpoint_selector_selects_pods_of_the_policy_namespace_only(
        ns: str, selector: dict[str, Any], isolated: set[str]) -> None:
    res = with_cache(cilium(ns, "deny", {"endpointSelector": selector, "ingress": [{}]}))
    assert unreached(res) == isolated


@pytest.mark.parametrize("key", ["app", "k8s:app", "any:app"])
def test_cilium_k8s_and_any_label_sources_name_pod_labels(key: str) -> None:
    res = with_cache(cilium("b", "in", {"endpointSelector": {}, "ingress": [{"fromEndpoints": [
        {"matchLabels": {"io.kubernetes.pod.namespace": "a", key: "web"}}]}]}))
    assert allowed(res, A, B)


@pytest.mark.parametrize("key", ["reserved:app", "container:app", "unspec:app"])
def test_cilium_other_label_sources_name_no_workload(key: str) -> None:
    res = with_cache(cilium("b", "in", {"endpointSelector": {}, "ingress": [{"fromEndpoints": [
        {"matchLabels": {"io.kubernetes.pod.namespace": "a", key: "web"}}]}]}))
    assert unreached(res) == {B, CACHE}


def test_cilium_from_endpoints_default_to_the_policy_namespace() -> None:
    res = with_cache(cilium("b", "in", {"endpointSelector": {"matchLabels": {"app": "db"}},
                                        "ingress": [{"fromEndpoints": [{}]}]}))
    assert not allowed(res, A, B)
    assert allowed(res, CACHE, B)


def test_cilium_endpoint_selectors_of_one_rule_are_ored() -> None:
    res = with_cache(cilium("a", "out", {"endpointSelector": {}, "egress": [{"toEndpoints": [
        {"matchLabels": {**NS_B, "app": "db"}}, {"matchLabels": {**NS_B, "app": "cache"}}]}]}))
    assert allowed(res, A, B) and allowed(res, A, CACHE)
    assert not allowed(res, A, A)


@pytest.mark.parametrize(("ns", "spec"), [
    pytest.param("a", {"egressDeny": [{"toEntities": ["world"]}]}, id="egressDeny"),
    pytest.param("b", {"ingressDeny": [{"fromEntities": ["world"]}]}, id="ingressDeny"),
])
def test_cilium_deny_rules_alone_make_the_endpoint_default_deny(ns: str, spec: dict[str, Any]) -> None:
    res = two_namespaces(cilium(ns, "deny", {"endpointSelector": {}, **spec}))
    assert not allowed(res, A, B)


def test_cilium_specs_list_is_compiled_like_spec() -> None:
    res = cilium("b", "in", {})
    res["object"] = {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy", "specs": [
        {"endpointSelector": {"matchLabels": {"app": "db"}}, "ingress": [{}]},
        {"nodeSelector": {}, "ingress": [{}]},  # a host policy: ignored
    ]}
    assert unreached(with_cache(res)) == {B}


@pytest.mark.parametrize(("to_ports", "ports"), [
    pytest.param([{}], netpol.ALL_PORTS, id="block-without-ports-is-all-ports"),
    pytest.param([{"ports": [{"protocol": "UDP"}]}], ((), ((1, 65535),), ()), id="no-port-is-all-ports-of-protocol"),
    pytest.param([{"ports": [{"port": "0", "protocol": "UDP"}]}], ((), ((1, 65535),), ()), id="port-0-is-all-ports"),
    pytest.param([{"ports": [{"port": "", "protocol": "TCP"}]}], (((1, 65535),), (), ()), id="empty-port-is-all-ports"),
    pytest.param([{"ports": [{"port": "8000", "endPort": 8010, "protocol": "TCP"}]}], (((8000, 8010),), (), ()),
                 id="endPort-makes-a-range"),
    pytest.param([{"ports": [{"port": "8", "protocol": "ICMP"}, {"port": "53", "protocol": "UDP"}]}],
                 ((), ((53, 53),), ()), id="unknown-protocol-skips-only-its-entry"),
])
def test_cilium_to_ports_forms(to_ports: list[dict[str, Any]], ports: netpol.Ports) -> None:
    res = two_namespaces(cilium("a", "out", {"endpointSelector": {}, "egress": [
        {"toEndpoints": [{"matchLabels": NS_B}], "toPorts": to_ports}]}))
    assert conns(res)[(A, B)].ports == ports


@pytest.mark.parametrize(("entity", "cluster", "cidrs"), [
    ("all", True, ["0.0.0.0/0", "::/0"]),
    ("world-ipv4", False, ["0.0.0.0/0"]),
    ("world-ipv6", False, ["::/0"]),
    ("host", False, []),
])
def test_cilium_to_entities_all_and_world_families(entity: str, cluster: bool, cidrs: list[str]) -> None:
    res = two_namespaces(cilium("a", "out", {"endpointSelector": {}, "egress": [{"toEntities": [entity]}]}))
    assert allowed(res, A, B) is cluster
    e = egress_of(res)
    assert [c["cidr"] for c in e["cidrs"]] == cidrs
    assert e["unrestricted"] is bool(cidrs)


def cilium_witness(ids: bool) -> list[dict[str, Any]]:
    """acme's web may reach beta's db on 5432 by a Cilium egress and a Cilium ingress policy."""
    out = cilium("a", "out", {"endpointSelector": {}, "egress": [
        {},  # allows nothing: never a witness
        {"toPorts": [{"ports": [{"port": "5432"}]}]},
        {"toEndpoints": [{"matchLabels": NS_B}], "toPorts": [{"ports": [{"port": "5432"}]}]},
    ]})
    inn = cilium("b", "in", {"endpointSelector": {}, "ingress": [{"fromEndpoints": [{"matchLabels": NS_A}]}]})
    for res in (out, inn):
        if ids:
            res["id"] = f"inventory:{res['id']}"
        else:
            del res["id"]
    return two_namespaces(out, inn)


@pytest.mark.parametrize(("ids", "policies"), [
    pytest.param(True, ["inventory:CiliumNetworkPolicy/a/out", "inventory:CiliumNetworkPolicy/b/in"],
                 id="the-resource-id"),
    pytest.param(False, ["CiliumNetworkPolicy/a/out", "CiliumNetworkPolicy/b/in"], id="kind-namespace-name"),
])
def test_cilium_policies_are_named_in_tenant_violation_witnesses(ids: bool, policies: list[str]) -> None:
    violations = netpol.analyze(cilium_witness(ids), None)["tenant_violations"]
    [violation] = [v for v in violations if v["src_tenant"] == "acme"]
    assert (violation["src"], violation["dst"], violation["port"]) == (A, B, 5432)
    assert violation["policies"] == policies
