"""Unit tests of the effective-RBAC analyzer: one rule of Kubernetes RBAC per test."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kaze_policy.analysis.rbac import (
    Grant,
    Rule,
    Subject,
    analyze,
    argocd_deployers,
    check_binding,
    check_role,
    effective_permissions,
    namespace_tenants,
    selector_matches,
)
from kaze_policy.errors import InputError

# ------------------------------------------------------------------ builders


def res(kind: str, name: str, ns: str | None = None, labels: dict[str, str] | None = None,
        **obj: Any) -> dict[str, Any]:
    """An inventory resource as the sources produce it."""
    meta: dict[str, Any] = {"name": name}
    if ns:
        meta["namespace"] = ns
    if labels:
        meta["labels"] = labels
    rid = f"{kind}/{ns}/{name}" if ns else f"{kind}/{name}"
    return {"id": rid, "kind": kind, "namespace": ns, "name": name, "object": {"metadata": meta, **obj}}


def rule(verbs: str, resources: str, groups: str = "", names: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {"apiGroups": groups.split(",") if groups != "" else [""],
                           "resources": resources.split(","), "verbs": verbs.split(",")}
    if names:
        out["resourceNames"] = names.split(",")
    return out


def role(name: str, ns: str, *rules: dict[str, Any]) -> dict[str, Any]:
    return res("Role", name, ns, rules=list(rules))


def cluster_role(name: str, *rules: dict[str, Any], labels: dict[str, str] | None = None,
                 aggregate: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    extra: dict[str, Any] = {"rules": list(rules)}
    if aggregate is not None:
        extra["aggregationRule"] = {"clusterRoleSelectors": aggregate}
    return res("ClusterRole", name, labels=labels, **extra)


def subj(text: str) -> dict[str, Any]:
    s = Subject.parse(text)
    out = {"kind": s.kind, "name": s.name}
    if s.namespace:
        out["namespace"] = s.namespace
    return out


def binding(name: str, ns: str | None, role_kind: str, role_name: str, *subjects: str) -> dict[str, Any]:
    kind = "RoleBinding" if ns else "ClusterRoleBinding"
    return res(kind, name, ns, roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role_name},
               subjects=[subj(s) for s in subjects])


def namespace(name: str, tenant: str | None = None, plane: str | None = None) -> dict[str, Any]:
    labels = {k: v for k, v in (("kaze.io/tenant", tenant), ("kaze.io/plane", plane)) if v}
    return res("Namespace", name, labels=labels)


def who(grants: list[Grant]) -> set[tuple[str, str]]:
    return {(g.subject.key, g.namespace) for g in grants}


# ------------------------------------------------------------------ subjects and rules


def test_subject_keys_round_trip_config_strings() -> None:
    for text in ("User:alice@kaze.io", "Group:kaze:operators", "ServiceAccount:argocd:argocd-application-controller"):
        assert Subject.parse(text).key == text
    assert Subject.parse("Group:kaze:operators").name == "kaze:operators"
    for bad in ("Robot:x", "User:", "ServiceAccount:onlyname"):
        with pytest.raises(ValueError):
            Subject.parse(bad)

    # a namespace never holds a `:`, so the key splits at the first one, whatever the name
    odd = Subject("ServiceAccount", "b:c", "a")
    assert Subject.parse(odd.key) == odd


@pytest.mark.parametrize("bad,form", [
    ("ServiceAccount:onlyname", "ServiceAccount subject needs a namespace and a name"),
    ("ServiceAccount::name", "ServiceAccount subject needs a namespace and a name"),
    ("Robot:x", "subject must be User:<name>, Group:<name> or ServiceAccount:<ns>:<name>"),
    ("Group:", "subject must be User:<name>, Group:<name> or ServiceAccount:<ns>:<name>"),
])
def test_a_malformed_subject_string_names_itself_and_the_expected_form(bad: str, form: str) -> None:
    with pytest.raises(ValueError) as err:
        Subject.parse(bad)
    assert form in str(err.value) and repr(bad) in str(err.value)


@pytest.mark.parametrize(
    "rule_obj,request_,allowed",
    [
        (rule("get", "pods"), ("get", "", "pods", None, None), True),
        (rule("get", "pods"), ("list", "", "pods", None, None), False),
        (rule("*", "pods"), ("delete", "", "pods", None, None), True),
        (rule("get", "*"), ("get", "", "secrets", None, None), True),
        (rule("get", "deployments", "apps"), ("get", "", "deployments", None, None), False),
        (rule("get", "deployments", "*"), ("get", "apps", "deployments", None, None), True),
        (rule("get", "deployments", "apps"), ("get", "*", "deployments", None, None), True),
        # subresources: exact, `*`, `*/sub`; `pods/*` is no wildcard in RBAC
        (rule("create", "pods/exec"), ("create", "", "pods", "exec", None), True),
        (rule("create", "pods"), ("create", "", "pods", "exec", None), False),
        (rule("create", "*"), ("create", "", "pods", "exec", None), True),
        (rule("update", "*/scale", "apps"), ("update", "apps", "deployments", "scale", None), True),
        (rule("create", "pods/*"), ("create", "", "pods", "exec", None), False),
        # resourceNames: a named object, any object (None), another object
        (rule("get", "secrets", names="db"), ("get", "", "secrets", None, "db"), True),
        (rule("get", "secrets", names="db"), ("get", "", "secrets", None, "other"), False),
        (rule("get", "secrets", names="db"), ("get", "", "secrets", None, None), True),
        (rule("get", "secrets"), ("get", "", "secrets", None, "anything"), True),
    ],
)
def test_rule_matching(rule_obj: dict[str, Any], request_: tuple[Any, ...], allowed: bool) -> None:
    assert Rule.from_object(rule_obj).allows(*request_) is allowed


def test_label_selectors() -> None:
    labels = {"team": "platform", "tier": "ops"}
    assert selector_matches({"matchLabels": {"team": "platform"}}, labels)
    assert not selector_matches({"matchLabels": {"team": "apps"}}, labels)
    assert selector_matches({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["ops", "x"]}]}, labels)
    assert not selector_matches({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["ops"]}]}, labels)
    assert selector_matches({"matchExpressions": [{"key": "team", "operator": "Exists"}]}, labels)
    assert not selector_matches({"matchExpressions": [{"key": "team", "operator": "DoesNotExist"}]}, labels)
    assert selector_matches({}, labels)  # the empty selector selects everything



def expr(key: str, operator: str, *values: str) -> dict[str, Any]:
    return {"matchExpressions": [{"key": key, "operator": operator, "values": list(values)}]}


@pytest.mark.parametrize("selector,matches", [
    ({"matchLabels": {"team": "platform", "tier": "ops"}}, True),
    ({"matchLabels": {"team": "platform", "tier": "apps"}}, False),  # every label must hold
    ({"matchLabels": {"team": "platform", "zone": "eu"}}, False),
    ({"matchLabels": {"replicas": 3}}, True),  # a YAML number matches its text
    (expr("tier", "In", "x"), False),
    (expr("zone", "In", "eu"), False),  # an absent key is in no set
    (expr("tier", "NotIn", "x"), True),
    (expr("zone", "NotIn", "eu"), True),  # an absent key is outside every set
    (expr("zone", "Exists"), False),
    (expr("zone", "DoesNotExist"), True),
    ({"matchExpressions": [{"key": "team", "operator": "Exists"}, {"key": "tier", "operator": "In", "values": ["x"]}]},
     False),  # every expression must hold
    ({"matchLabels": {"team": "platform"}, **expr("tier", "NotIn", "ops")}, False),  # and the labels too
])
def test_label_selector_operators(selector: dict[str, Any], matches: bool) -> None:
    assert selector_matches(selector, {"team": "platform", "tier": "ops", "replicas": "3"}) is matches


# ------------------------------------------------------------------ scope of bindings


def test_role_applies_in_its_namespace_only() -> None:
    perms = effective_permissions([role("reader", "a", rule("get", "secrets")),
                                   binding("rb", "a", "Role", "reader", "User:alice")])
    assert who(perms.who_can("get", "secrets")) == {("User:alice", "a")}
    assert who(perms.who_can("get", "secrets", namespace="a")) == {("User:alice", "a")}
    assert perms.who_can("get", "secrets", namespace="b") == []


def test_rolebinding_role_ref_resolves_in_the_bindings_namespace() -> None:
    perms = effective_permissions([role("r", "a", rule("get", "secrets")), role("r", "b", rule("get", "pods")),
                                   binding("rb", "b", "Role", "r", "User:bob")])
    assert perms.who_can("get", "secrets") == []
    [grant] = perms.who_can("get", "pods")
    assert (grant.role, grant.namespace) == ("Role/b/r", "b")


def test_cluster_role_bound_by_a_rolebinding_is_namespaced() -> None:
    perms = effective_permissions([cluster_role("secret-reader", rule("get", "secrets")),
                                   binding("rb", "tenant-acme", "ClusterRole", "secret-reader", "User:alice")])
    [grant] = perms.who_can("get", "secrets")
    assert grant.namespace == "tenant-acme"
    assert grant.witness() == {"binding": "RoleBinding/tenant-acme/rb", "role": "ClusterRole/secret-reader"}
    assert perms.who_can("get", "secrets", namespace="tenant-globex") == []
    assert perms.who_can("get", "secrets", namespace="*") == []


def test_cluster_role_binding_applies_everywhere() -> None:
    perms = effective_permissions([cluster_role("secret-reader", rule("get", "secrets")),
                                   binding("crb", None, "ClusterRole", "secret-reader", "Group:auditors")])
    assert who(perms.who_can("get", "secrets", namespace="anything")) == {("Group:auditors", "*")}
    assert who(perms.who_can("get", "secrets", namespace="*")) == {("Group:auditors", "*")}


def test_service_account_without_namespace_is_the_bindings() -> None:
    rb = binding("rb", "a", "ClusterRole", "view")
    rb["object"]["subjects"] = [{"kind": "ServiceAccount", "name": "agent"}]
    perms = effective_permissions([rb])
    assert {g.subject.key for g in perms.who_can("get", "pods")} == {"ServiceAccount:a:agent"}


def test_unresolved_role_grants_nothing_and_is_listed() -> None:
    perms = effective_permissions([binding("rb", "a", "Role", "missing", "User:alice"),
                                   binding("crb", None, "ClusterRole", "missing-too", "User:alice")])
    assert list(perms.grants()) == []
    assert perms.unresolved == [{"binding": "RoleBinding/a/rb", "role": "Role/a/missing"},
                                {"binding": "ClusterRoleBinding/crb", "role": "ClusterRole/missing-too"}]
    # the fact lists them by binding id, whatever the order of the inventory
    facts = analyze([binding("rb", "a", "Role", "missing", "User:alice"),
                     binding("crb", None, "ClusterRole", "missing-too", "User:alice")], None)
    assert [u["binding"] for u in facts["unresolved_bindings"]] == ["ClusterRoleBinding/crb", "RoleBinding/a/rb"]


# ------------------------------------------------------------------ wildcards, subresources, names


def test_wildcards_in_verbs_resources_and_groups() -> None:
    perms = effective_permissions([cluster_role("all", {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}),
                                   binding("crb", None, "ClusterRole", "all", "User:root")])
    for verb, resource, group in (("get", "secrets", None), ("escalate", "clusterroles", None),
                                  ("patch", "applications", "argoproj.io"), ("create", "pods/exec", None)):
        assert who(perms.who_can(verb, resource, api_group=group)) == {("User:root", "*")}


def test_subresources_are_distinct_from_their_resource() -> None:
    perms = effective_permissions([
        role("exec", "a", rule("create", "pods/exec")), role("pods", "a", rule("create", "pods")),
        binding("rb1", "a", "Role", "exec", "User:debugger"), binding("rb2", "a", "Role", "pods", "User:deployer")])
    assert {g.subject.key for g in perms.who_can("create", "pods/exec")} == {"User:debugger"}
    assert {g.subject.key for g in perms.who_can("create", "pods", subresource="exec")} == {"User:debugger"}
    assert {g.subject.key for g in perms.who_can("create", "pods")} == {"User:deployer"}


def test_resource_names_restrict_grants() -> None:
    perms = effective_permissions([role("one", "a", rule("get", "secrets", names="db-password")),
                                   binding("rb", "a", "Role", "one", "User:app")])
    [grant] = perms.who_can("get", "secrets")
    assert grant.resource_names == {"db-password"}
    assert perms.who_can("get", "secrets", name="db-password") != []
    assert perms.who_can("get", "secrets", name="tls") == []


# ------------------------------------------------------------------ aggregation


AGG = {"kaze.io/aggregate-to-deployer": "true"}


def test_aggregation_adds_get_secrets_to_a_deployer_role() -> None:
    resources = [
        cluster_role("deployer", aggregate=[{"matchLabels": AGG}]),
        cluster_role("deploy-workloads", rule("create,update,patch", "deployments", "apps"), labels=AGG),
        cluster_role("read-secrets", rule("get", "secrets"), labels=AGG),  # the innocent-looking addition
        cluster_role("unrelated", rule("delete", "nodes")),
        # only ClusterRoles aggregate, never a namespaced Role with the same label
        res("Role", "namespaced", "tenant-acme", labels=AGG, rules=[rule("delete", "pods")]),
        binding("ci", "tenant-acme", "ClusterRole", "deployer", "User:ci-bot"),
    ]
    perms = effective_permissions(resources)
    [secret] = perms.who_can("get", "secrets")
    assert secret.witness() == {"binding": "RoleBinding/tenant-acme/ci", "role": "ClusterRole/deployer",
                                "aggregated_from": "ClusterRole/read-secrets"}
    assert perms.who_can("delete", "nodes") == []
    assert perms.who_can("delete", "pods") == []
    facts = analyze(resources, None)
    assert [e["identity"] for e in facts["deployers"]] == ["User:ci-bot"]
    assert [e["via"] for e in facts["secret_readers"]] == [[secret.witness()]]


def test_aggregation_with_match_expressions_is_transitive_and_survives_cycles() -> None:
    resources = [
        cluster_role("top", aggregate=[{"matchExpressions": [{"key": "level", "operator": "In", "values": ["mid"]}]}]),
        cluster_role("mid", labels={"level": "mid"}, aggregate=[{"matchLabels": {"level": "low"}}]),
        cluster_role("low", rule("get", "secrets"), labels={"level": "low"}),
        cluster_role("loop-a", labels={"loop": "b"}, aggregate=[{"matchLabels": {"loop": "a"}}]),
        cluster_role("loop-b", rule("list", "pods"), labels={"loop": "a"}, aggregate=[{"matchLabels": {"loop": "b"}}]),
        binding("crb", None, "ClusterRole", "top", "User:u"),
        binding("crb2", None, "ClusterRole", "loop-a", "User:v"),
    ]
    perms = effective_permissions(resources)
    [grant] = perms.who_can("get", "secrets")
    assert (grant.role, grant.aggregated_from) == ("ClusterRole/top", "ClusterRole/low")
    assert who(perms.who_can("list", "pods")) == {("User:v", "*")}


def test_a_service_account_group_reaches_its_namespaces_default_account_declared_or_not() -> None:
    """The service-account controller makes `default` in every namespace; a group naming the
    namespace reaches it. A user whose name looks like the group names no namespace."""
    resources = [cluster_role("reader", rule("get", "secrets")),
                 binding("x-accounts", None, "ClusterRole", "reader", "Group:system:serviceaccounts:x"),
                 binding("all-accounts", None, "ClusterRole", "reader", "Group:system:serviceaccounts",
                         "User:system:serviceaccounts:y")]
    accounts = {g.subject.key for g in effective_permissions(resources).who_can("get", "secrets")
                if g.subject.kind == "ServiceAccount"}
    assert accounts == {"ServiceAccount:x:default"}


def test_a_resource_without_a_usual_group_is_asked_about_in_every_group() -> None:
    resources = [cluster_role("widgets", rule("create", "widgets", "example.com")),
                 binding("b", None, "ClusterRole", "widgets", "User:alice")]
    assert who(effective_permissions(resources).who_can("create", "widgets")) == {("User:alice", "*")}


def test_a_namespace_is_named_by_its_inventory_entry_else_its_metadata() -> None:
    labels = {"kaze.io/tenant": "acme"}
    entry_only = {"kind": "Namespace", "name": "tenant-acme", "object": {"metadata": {"labels": labels}}}
    object_only = {"kind": "Namespace", "object": {"metadata": {"name": "acme-2", "labels": labels}}}
    assert namespace_tenants([entry_only, object_only], None) == {"tenant-acme": "acme", "acme-2": "acme"}


def test_a_namespaced_role_never_aggregates() -> None:
    """Role has no aggregationRule field: the API server drops one, so nothing is pulled in."""
    resources = [res("Role", "agg", "a", rules=[], aggregationRule={"clusterRoleSelectors": [{"matchLabels": AGG}]}),
                 cluster_role("read-secrets", rule("get", "secrets"), labels=AGG),
                 binding("rb", "a", "Role", "agg", "User:alice")]
    assert effective_permissions(resources).who_can("get", "secrets") == []


def test_aggregated_role_keeps_its_listed_rules() -> None:
    resources = [cluster_role("agg", rule("get", "configmaps"), aggregate=[{"matchLabels": {"x": "y"}}]),
                 binding("crb", None, "ClusterRole", "agg", "User:u")]
    [grant] = effective_permissions(resources).who_can("get", "configmaps")
    assert grant.aggregated_from is None


# ------------------------------------------------------------------ built-in roles


def test_edit_reads_secrets_even_when_absent_from_the_inventory() -> None:
    perms = effective_permissions([binding("devs", "tenant-acme", "ClusterRole", "edit", "Group:devs")])
    [grant] = perms.who_can("get", "secrets")
    assert grant.witness() == {"binding": "RoleBinding/tenant-acme/devs", "role": "ClusterRole/edit",
                               "aggregated_from": "ClusterRole/system:aggregate-to-edit"}
    assert perms.who_can("create", "deployments") and perms.who_can("patch", "statefulsets")
    assert perms.who_can("create", "rolebindings") == []


def test_view_reads_no_secrets() -> None:
    perms = effective_permissions([binding("ro", "a", "ClusterRole", "view", "Group:readers")])
    assert perms.who_can("get", "pods") and perms.who_can("list", "deployments")
    assert perms.who_can("get", "secrets") == [] and perms.who_can("list", "secrets") == []
    assert perms.who_can("create", "deployments") == []


def test_admin_is_edit_plus_rbac_in_the_namespace() -> None:
    perms = effective_permissions([binding("owners", "a", "ClusterRole", "admin", "Group:owners")])
    assert who(perms.who_can("create", "rolebindings")) == {("Group:owners", "a")}
    assert who(perms.who_can("get", "secrets")) == {("Group:owners", "a")}
    assert perms.who_can("escalate", "clusterroles") == []


def test_cluster_admin_is_everything() -> None:
    perms = effective_permissions([binding("root", None, "ClusterRole", "cluster-admin", "Group:break-glass")])
    assert who(perms.who_can("impersonate", "users")) == {("Group:break-glass", "*")}
    assert who(perms.who_can("get", "anything.example.com", api_group="example.com")) == {("Group:break-glass", "*")}


def test_a_role_labelled_aggregate_to_edit_extends_edit_and_admin_not_view() -> None:
    extra = cluster_role("argocd-apps", rule("patch", "applications", "argoproj.io"),
                         labels={"rbac.authorization.k8s.io/aggregate-to-edit": "true"})
    resources = [extra] + [binding(r, "a", "ClusterRole", r, f"User:{r}-user") for r in ("edit", "admin", "view")]
    grants = effective_permissions(resources).who_can("patch", "applications")
    assert {g.subject.key for g in grants} == {"User:edit-user", "User:admin-user"}
    assert {g.aggregated_from for g in grants} == {"ClusterRole/argocd-apps"}


def test_inventory_definition_of_a_builtin_wins_when_it_opts_out_of_reconciliation() -> None:
    view = cluster_role("view", rule("get", "secrets"))  # a tampered snapshot
    view["object"]["metadata"]["annotations"] = {"rbac.authorization.kubernetes.io/autoupdate": "false"}
    perms = effective_permissions([view, binding("ro", "a", "ClusterRole", "view", "User:u")])
    assert perms.who_can("get", "secrets") != []
    assert perms.who_can("get", "pods") == []


# ------------------------------------------------------------------ service account groups


def test_sa_namespace_group_reaches_the_namespaces_service_accounts() -> None:
    resources = [res("ServiceAccount", "agent", "tenant-acme"), res("ServiceAccount", "worker", "tenant-acme"),
                 res("ServiceAccount", "agent", "tenant-globex"),
                 binding("all-sa", "shared", "ClusterRole", "view", "Group:system:serviceaccounts:tenant-acme")]
    grants = effective_permissions(resources).who_can("get", "pods")
    assert who(grants) == {("Group:system:serviceaccounts:tenant-acme", "shared"),
                           ("ServiceAccount:tenant-acme:agent", "shared"),
                           ("ServiceAccount:tenant-acme:worker", "shared"),
                           ("ServiceAccount:tenant-acme:default", "shared")}  # every namespace has one
    sa = next(g for g in grants if g.subject.key == "ServiceAccount:tenant-acme:agent")
    assert sa.witness()["group"] == "Group:system:serviceaccounts:tenant-acme"


def test_all_service_accounts_group_reaches_every_known_service_account() -> None:
    resources = [res("ServiceAccount", "a", "ns1"),
                 binding("x", "ns2", "ClusterRole", "view", "ServiceAccount:ns2:b"),  # known through a binding
                 binding("crb", None, "ClusterRole", "edit", "Group:system:serviceaccounts")]
    keys = {g.subject.key for g in effective_permissions(resources).who_can("get", "secrets")}
    assert keys == {"Group:system:serviceaccounts", "ServiceAccount:ns1:a", "ServiceAccount:ns2:b",
                    "ServiceAccount:ns1:default", "ServiceAccount:ns2:default"}


def test_permissions_of_a_subject_include_its_groups() -> None:
    resources = [res("ServiceAccount", "agent", "tenant-acme"),
                 role("self", "tenant-acme", rule("get", "configmaps")),
                 binding("own", "tenant-acme", "Role", "self", "ServiceAccount:tenant-acme:agent"),
                 binding("grp", "tenant-acme", "ClusterRole", "view", "Group:system:serviceaccounts:tenant-acme")]
    perms = effective_permissions(resources)
    grants = perms.permissions_of("ServiceAccount:tenant-acme:agent")
    assert {g.binding for g in grants} == {"RoleBinding/tenant-acme/own", "RoleBinding/tenant-acme/grp"}
    assert grants == perms.permissions_of(Subject("ServiceAccount", "agent", "tenant-acme"))
    assert perms.permissions_of("User:nobody") == []


def test_an_account_reached_both_ways_through_its_namespace_group_has_each_grant_once() -> None:
    """Declared, the account is a member of the group's binding; undeclared, its implied group reaches it."""
    resources = [res("ServiceAccount", "agent", "a"), role("reader", "a", rule("get", "secrets")),
                 binding("rb", "a", "Role", "reader", "Group:system:serviceaccounts:a")]
    grants = effective_permissions(resources).permissions_of("ServiceAccount:a:agent")
    group = Subject("Group", "system:serviceaccounts:a")
    assert [(g.binding, g.via_group) for g in grants] == [("RoleBinding/a/rb", group)]


@pytest.mark.parametrize("kind,name,namespace,expected", [
    ("User", "system:serviceaccount:ns:sa", None, Subject("ServiceAccount", "sa", "ns")),
    ("User", "system:serviceaccount::sa", None, Subject("User", "system:serviceaccount::sa")),
    ("User", "system:serviceaccount:ns:", None, Subject("User", "system:serviceaccount:ns:")),
    ("Group", "system:serviceaccount:ns:sa", None, Subject("Group", "system:serviceaccount:ns:sa")),
    ("User", "alice", "ns", Subject("User", "alice")),  # only an account has a namespace
    ("ServiceAccount", "sa", "ns", Subject("ServiceAccount", "sa", "ns")),
])
def test_a_subject_is_what_the_api_server_authenticates(kind: str, name: str, namespace: str | None,
                                                       expected: Subject) -> None:
    assert Subject.of(kind, name, namespace) == expected


def test_objects_without_inventory_fields_are_read_from_their_metadata() -> None:
    """Plain Kubernetes objects: name and namespace from metadata, no namespace is `default`."""
    def obj(kind: str, metadata: dict[str, str], **fields: Any) -> dict[str, Any]:
        return {"kind": kind, "object": {"metadata": metadata, **fields}}

    ref = {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role"}
    perms = effective_permissions([
        obj("Role", {"name": "r", "namespace": "a"}, rules=[rule("get", "secrets")]),
        obj("RoleBinding", {"name": "rb", "namespace": "a"}, roleRef={**ref, "name": "r"}, subjects=[subj("User:u")]),
        obj("Role", {"name": "d"}, rules=[rule("get", "secrets")]),
        obj("RoleBinding", {"name": "rbd"}, roleRef={**ref, "name": "d"},
            subjects=[{"kind": "ServiceAccount", "name": "sa"}]),
        obj("ServiceAccount", {"name": "lone"}),
        binding("crb", None, "ClusterRole", "view", "Group:system:serviceaccounts"),
    ])
    got = {(g.subject.key, g.namespace, g.binding, g.role) for g in perms.who_can("get", "secrets")}
    assert got == {("User:u", "a", "RoleBinding/a/rb", "Role/a/r"),  # ids as the objects name them
                   ("ServiceAccount:default:sa", "default", "RoleBinding/rbd", "Role/d")}
    assert "ServiceAccount:default:lone" in {g.subject.key for g in perms.who_can("list", "pods")}


def test_user_named_like_a_service_account_is_that_service_account() -> None:
    """The API server authenticates an SA token as User `system:serviceaccount:<ns>:<name>`."""
    resources = [res("ServiceAccount", "agent", "tenant-globex"),
                 binding("rb", "tenant-acme", "ClusterRole", "view", "User:system:serviceaccount:tenant-globex:agent")]
    perms = effective_permissions(resources)
    assert who(perms.who_can("get", "pods")) == {("ServiceAccount:tenant-globex:agent", "tenant-acme")}
    assert Subject.parse("User:system:serviceaccount:ns:sa") == Subject("ServiceAccount", "sa", "ns")
    assert Subject.parse("User:system:serviceaccount:broken").kind == "User"


# ------------------------------------------------------------------ facts

CONFIG: dict[str, Any] = {
    "tenants": [{"name": "acme", "vertical": "legal"}, {"name": "globex", "vertical": "retail",
                                                         "namespaces": ["globex-jobs"]}],
    "groups": {"breakGlass": ["Group:kaze:break-glass"],
               "controllers": ["ServiceAccount:argocd:argocd-application-controller"]},
    "identities": [
        {"name": "alice", "kubernetes": ["User:alice@kaze.io", "Group:kaze:operators"], "vault": ["alice"]},
        {"name": "argocd", "kubernetes": ["ServiceAccount:argocd:argocd-application-controller"]},
    ],
}


def fact(facts: dict[str, Any], name: str, subject_key: str) -> list[dict[str, Any]]:
    def key(e: dict[str, Any]) -> str:
        return Subject(e["subject"]["kind"], e["subject"]["name"], e["subject"]["namespace"]).key

    return [e for e in facts[name] if key(e) == subject_key]


def test_secret_readers_fact() -> None:
    resources = [role("one", "a", rule("get", "secrets", names="db")),
                 role("lister", "a", rule("list,watch", "secrets")),
                 binding("rb1", "a", "Role", "one", "User:alice@kaze.io"),
                 binding("rb2", "a", "Role", "lister", "Group:kaze:operators")]
    facts = analyze(resources, CONFIG)
    [one] = fact(facts, "secret_readers", "User:alice@kaze.io")
    assert (one["identity"], one["namespace"], one["verbs"], one["resource_names"]) == ("alice", "a", ["get"], ["db"])
    [ops] = fact(facts, "secret_readers", "Group:kaze:operators")
    assert (ops["identity"], ops["verbs"], ops["resource_names"]) == ("alice", ["list", "watch"], None)
    assert ops["via"] == [{"binding": "RoleBinding/a/rb2", "role": "Role/a/lister"}]


def test_a_fact_names_the_group_through_which_an_account_is_reached() -> None:
    resources = [res("ServiceAccount", "agent", "a"), role("reader", "a", rule("get", "secrets")),
                 binding("rb", "a", "Role", "reader", "Group:system:serviceaccounts:a", "User:direct")]
    facts = analyze(resources, CONFIG)
    [sa] = fact(facts, "secret_readers", "ServiceAccount:a:agent")
    assert sa["via"] == [{"binding": "RoleBinding/a/rb", "role": "Role/a/reader",
                          "group": "Group:system:serviceaccounts:a"}]
    [user] = fact(facts, "secret_readers", "User:direct")
    assert user["via"] == [{"binding": "RoleBinding/a/rb", "role": "Role/a/reader"}]


def test_an_account_bound_both_by_name_and_through_its_group_has_both_witnesses() -> None:
    resources = [res("ServiceAccount", "agent", "a"), role("reader", "a", rule("get", "secrets")),
                 binding("rb", "a", "Role", "reader", "ServiceAccount:a:agent", "Group:system:serviceaccounts:a")]
    [sa] = fact(analyze(resources, CONFIG), "secret_readers", "ServiceAccount:a:agent")
    assert sa["via"] == [
        {"binding": "RoleBinding/a/rb", "role": "Role/a/reader", "group": "Group:system:serviceaccounts:a"},
        {"binding": "RoleBinding/a/rb", "role": "Role/a/reader"}]


def test_a_wildcard_admin_reached_through_an_aggregated_role_and_a_group_names_both() -> None:
    resources = [res("ServiceAccount", "agent", "a"),
                 cluster_role("platform", aggregate=[{"matchLabels": AGG}]),
                 cluster_role("everything", rule("*", "*", "*"), labels=AGG),
                 binding("all-of-a", None, "ClusterRole", "platform", "Group:system:serviceaccounts:a")]
    [admin] = fact(analyze(resources, CONFIG), "wildcard_admins", "ServiceAccount:a:agent")
    assert admin["via"] == [{"binding": "ClusterRoleBinding/all-of-a", "role": "ClusterRole/platform",
                             "aggregated_from": "ClusterRole/everything", "group": "Group:system:serviceaccounts:a"}]


def test_deployers_fact_counts_workloads_and_gitops_not_reads() -> None:
    resources = [cluster_role("argo-sync", rule("update,patch", "applications", "argoproj.io")),
                 cluster_role("reader", rule("get,list", "deployments", "apps")),
                 cluster_role("jobs", rule("create", "cronjobs", "batch")),
                 cluster_role("wrong-group", rule("create", "deployments", "example.com")),
                 binding("a", None, "ClusterRole", "argo-sync", "ServiceAccount:argocd:argocd-application-controller"),
                 binding("b", None, "ClusterRole", "reader", "User:auditor"),
                 binding("c", "tenant-acme", "ClusterRole", "jobs", "User:scheduler"),
                 binding("d", None, "ClusterRole", "wrong-group", "User:other")]
    facts = analyze(resources, CONFIG)
    by_identity = {e["identity"]: e for e in facts["deployers"]}
    assert set(by_identity) == {"argocd", "User:scheduler"}
    assert by_identity["argocd"]["permissions"] == ["patch applications.argoproj.io", "update applications.argoproj.io"]
    assert by_identity["argocd"]["duties"] == ["controllers"]
    assert by_identity["User:scheduler"]["namespace"] == "tenant-acme"


def argocd_rbac_cm(policy_csv: str, default: str | None = None) -> dict[str, Any]:
    data = {"policy.csv": policy_csv, "scopes": "[groups]"}
    if default:
        data["policy.default"] = default
    return res("ConfigMap", "argocd-rbac-cm", "argocd", data=data)


def test_argocd_rbac_makes_deployers() -> None:
    """Syncing through Argo CD is deploying, whatever Kubernetes RBAC says."""
    cm = argocd_rbac_cm("""
        p, role:release-operator, applications, get, */*, allow
        p, role:release-operator, applications, sync, */*, allow
        p, role:tenant-sync, applications, sync, acme/*, allow
        g, role:tenant-sync, role:nested
        p, role:nested, applications, override, acme/*, allow
        g, kaze:operators, role:release-operator
        g, carol@kaze.io, role:tenant-sync
        g, kaze:break-glass, role:admin
        g, kaze:viewers, role:readonly
        p, kaze:deployers, applications, *, */*, allow
        p, kaze:deployers, applications, sync, */*, deny
    """)
    facts = analyze([cm], CONFIG)
    got = {e["identity"]: e["permissions"] for e in facts["deployers"]}
    assert got == {
        "alice": ["sync applications (argocd */*)"],
        "User:carol@kaze.io": ["override applications (argocd acme/*)", "sync applications (argocd acme/*)"],
        "Group:kaze:break-glass": ["* applications (argocd */*)"],
        "Group:kaze:deployers": ["* applications (argocd */*)"],  # `*` still covers create/update
    }
    alice = next(e for e in facts["deployers"] if e["identity"] == "alice")
    assert alice["subject"] == {"kind": "Group", "name": "kaze:operators", "namespace": None}
    assert alice["via"] == [{"binding": "ConfigMap/argocd/argocd-rbac-cm", "role": "role:release-operator"}]


def test_argocd_deny_of_the_same_action_wins_and_readonly_is_no_deployer() -> None:
    cm = argocd_rbac_cm("""
        g, kaze:viewers, role:readonly
        p, role:ops, applications, sync, */*, allow
        p, role:ops, applications, sync, */*, deny
        g, kaze:ops, role:ops
    """)
    assert analyze([cm], CONFIG)["deployers"] == []


def test_argocd_default_role_applies_to_everyone() -> None:
    cm = argocd_rbac_cm("g, kaze:viewers, role:readonly", default="role:admin")
    identities = {e["identity"] for e in analyze([cm], CONFIG)["deployers"]}
    assert identities == {"Group:argocd:authenticated", "Group:kaze:viewers"}


def sync(subject: str, rest: str = "") -> str:
    """A `p` line letting `subject` sync every Application, then `rest`."""
    return f"p, {subject}, applications, sync, */*\n{rest}"


@pytest.mark.parametrize("data,expected", [
    pytest.param({"policy.csv": "p, kaze:ops, applications, sync, */*"}, {("Group:kaze:ops", "sync", "*/*")},
                 id="a p line without an effect allows"),
    pytest.param({"policy.csv": "p, kaze:ops, role:admin\ng, kaze:lone\nx, kaze:ops, role:admin"}, set(),
                 id="a p line of under five fields, a g line of under three, another kind: ignored"),
    pytest.param({"policy.csv": "p, role:orphan, applications, sync, */*\n" + sync("sre:oncall")},
                 {("Group:sre:oncall", "sync", "*/*")},
                 id="a role is no deployer even when nobody holds it, and the subjects after it still count"),
    pytest.param({"policy.csv": "p, kaze:a, *, sync, */*, allow"}, {("Group:kaze:a", "sync", "*/*")},
                 id="an allow on every resource covers applications"),
    pytest.param({"policy.csv": sync("kaze:b", "p, kaze:b, *, sync, */*, deny")}, set(),
                 id="a deny on every resource covers applications"),
    pytest.param({"policy.csv": "p, kaze:c, clusters, create, *, allow"}, set(),
                 id="a deploy action on another resource deploys nothing"),
    pytest.param({"policy.csv": sync("kaze:d", "p, kaze:d, applications, *, */*, deny")}, set(),
                 id="a deny of every action wins"),
    pytest.param({"policy.csv": "p, kaze:e, applications, sync, acme/*\np, kaze:e, applications, sync, */*, deny"},
                 set(), id="a deny on every object covers one project"),
    pytest.param({"policy.csv": "p, kaze:f, applications, sync, acme/*\np, kaze:f, applications, sync, globex/*, deny"},
                 {("Group:kaze:f", "sync", "acme/*")}, id="a deny on another project leaves the grant"),
    pytest.param({"policy.csv": sync("kaze:g", "p, kaze:g, applications, sync, */*, deny\n"
                                                "p, kaze:g, applications, override, */*")},
                 {("Group:kaze:g", "override", "*/*")}, id="a deny drops only the grant it matches"),
    pytest.param({"policy.csv": "", "policy.overlay.csv": sync("kaze:h")}, {("Group:kaze:h", "sync", "*/*")},
                 id="every policy.<name>.csv merges in"),
    pytest.param({"extra.csv": sync("kaze:i"), "notes": sync("kaze:j"), "policy.default": "role:readonly"}, set(),
                 id="other keys are no policy"),
    pytest.param({"policy.csv": "g, alice@kaze.io, argocd:authenticated\n" + sync("argocd:authenticated")},
                 {("User:alice@kaze.io", "sync", "*/*")},
                 id="without policy.default the everyone subject is only where the CSV names it"),
])
def test_argocd_rbac_csv_semantics(data: dict[str, Any], expected: set[tuple[str, str, str]]) -> None:
    assert argocd_grants(data) == expected


def argocd_grants(data: dict[str, Any]) -> set[tuple[str, str, str]]:
    """(subject, action, objects) of each Argo CD deploy grant of an `argocd-rbac-cm` with `data`."""
    cm = res("ConfigMap", "argocd-rbac-cm", "argocd", data=data)
    return {(a.subject.key, a.action, a.objects) for a in argocd_deployers([cm])}


def test_argocd_without_a_default_role_a_subject_holds_only_its_own_roles() -> None:
    """No default means no extra role in anyone's closure, not even the one of an empty subject."""
    got = argocd_grants({"policy.csv": "g, , role:admin\np, kaze:reader, applications, get, */*"})
    assert "Group:kaze:reader" not in {key for key, _, _ in got}


def test_wildcard_admins_fact() -> None:
    resources = [cluster_role("star", {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}),
                 cluster_role("pods-star", rule("*", "pods")),
                 binding("bg", None, "ClusterRole", "cluster-admin", "Group:kaze:break-glass"),
                 binding("oops", "tenant-acme", "ClusterRole", "star", "User:alice@kaze.io"),
                 binding("fine", None, "ClusterRole", "pods-star", "User:bob")]
    facts = analyze(resources, CONFIG)
    assert {(e["identity"], e["namespace"]) for e in facts["wildcard_admins"]} == {
        ("Group:kaze:break-glass", "*"), ("alice", "tenant-acme")}
    [bg] = fact(facts, "wildcard_admins", "Group:kaze:break-glass")
    assert bg["roles"] == ["ClusterRole/cluster-admin"] and bg["duties"] == ["breakGlass"]


def test_sensitive_verbs_fact() -> None:
    resources = [cluster_role("esc", rule("escalate,bind", "clusterroles", "rbac.authorization.k8s.io")),
                 cluster_role("imp", rule("impersonate", "users,groups")),
                 cluster_role("exec-old", rule("get", "pods/exec")),
                 cluster_role("pf", rule("create", "pods/portforward,pods/attach")),
                 binding("1", None, "ClusterRole", "esc", "User:a"), binding("2", None, "ClusterRole", "imp", "User:b"),
                 binding("3", "x", "ClusterRole", "exec-old", "User:c"),
                 binding("4", "x", "ClusterRole", "pf", "User:d")]
    facts = analyze(resources, CONFIG)
    got = {(e["identity"], e["permission"], tuple(e["verbs"])) for e in facts["sensitive_verbs"]}
    assert got == {("User:a", "escalate", ("escalate",)), ("User:a", "bind", ("bind",)),
                   ("User:b", "impersonate", ("impersonate",)), ("User:c", "pods/exec", ("get",)),
                   ("User:d", "pods/portforward", ("create",)), ("User:d", "pods/attach", ("create",))}


def test_a_sensitive_verb_counts_only_in_its_own_api_group() -> None:
    """Impersonating `uids` is authentication.k8s.io's, exec the core group's: elsewhere they are other resources."""
    resources = [cluster_role("lookalike", rule("impersonate", "uids,userextras"), rule("create,get", "pods/exec", "apps")),
                 binding("crb", None, "ClusterRole", "lookalike", "User:a")]
    assert analyze(resources, None)["sensitive_verbs"] == []


def test_edit_holders_have_sensitive_verbs_as_in_kubernetes() -> None:
    facts = analyze([binding("devs", "a", "ClusterRole", "edit", "Group:devs")], None)
    assert {e["permission"] for e in facts["sensitive_verbs"]} == {
        "pods/exec", "pods/attach", "pods/portforward", "impersonate"}


def test_cross_tenant_bindings_fact() -> None:
    resources = [namespace("tenant-acme", "acme"), namespace("tenant-globex", "globex"),
                 namespace("shared", plane="shared"),
                 res("ServiceAccount", "agent", "tenant-globex"),
                 binding("to-globex-sa", "tenant-acme", "ClusterRole", "view", "ServiceAccount:tenant-globex:agent"),
                 binding("to-globex-group", "tenant-acme", "ClusterRole", "view",
                         "Group:system:serviceaccounts:globex-jobs"),  # a tenant namespace from the config
                 binding("to-everyone", "tenant-acme", "ClusterRole", "view", "Group:system:serviceaccounts"),
                 binding("own", "tenant-acme", "ClusterRole", "edit", "ServiceAccount:tenant-acme:agent"),
                 binding("from-shared", "tenant-acme", "ClusterRole", "view", "ServiceAccount:shared:gateway"),
                 binding("dangling", "tenant-acme", "Role", "not-yet", "ServiceAccount:tenant-globex:agent"),
                 binding("in-shared", "shared", "ClusterRole", "view", "ServiceAccount:tenant-globex:agent")]
    facts = analyze(resources, CONFIG)
    got = {(e["binding"], e["tenant"], e["subject_tenant"], e["role_resolved"]) for e in facts["cross_tenant_bindings"]}
    assert got == {("RoleBinding/tenant-acme/to-globex-sa", "acme", "globex", True),
                   ("RoleBinding/tenant-acme/to-globex-group", "acme", "globex", True),
                   ("RoleBinding/tenant-acme/to-everyone", "acme", "*", True),
                   ("RoleBinding/tenant-acme/dangling", "acme", "globex", False)}
    entry = next(e for e in facts["cross_tenant_bindings"] if e["binding"].endswith("to-globex-sa"))
    assert entry["subject"] == {"kind": "ServiceAccount", "name": "agent", "namespace": "tenant-globex"}
    assert entry["via"] == [{"binding": "RoleBinding/tenant-acme/to-globex-sa", "role": "ClusterRole/view"}]


def test_cross_tenant_entries_of_one_binding_are_sorted_by_subject() -> None:
    resources = [namespace("tenant-acme", "acme"), namespace("tenant-globex", "globex"),
                 binding("rb", "tenant-acme", "ClusterRole", "edit", "ServiceAccount:tenant-globex:zed",
                         "ServiceAccount:tenant-globex:amy")]
    entries = analyze(resources, CONFIG)["cross_tenant_bindings"]
    assert [e["subject"]["name"] for e in entries] == ["amy", "zed"]


def test_a_cross_tenant_entry_in_full() -> None:
    config = {"identities": [{"name": "globex-ci", "kubernetes": ["ServiceAccount:tenant-globex:ci"]}]}
    resources = [namespace("tenant-acme", "acme"), namespace("tenant-globex", "globex"),
                 binding("rb", "tenant-acme", "ClusterRole", "edit", "ServiceAccount:tenant-globex:ci")]
    assert analyze(resources, config)["cross_tenant_bindings"] == [{
        "binding": "RoleBinding/tenant-acme/rb", "namespace": "tenant-acme", "tenant": "acme",
        "subject_tenant": "globex",
        "subject": {"kind": "ServiceAccount", "name": "ci", "namespace": "tenant-globex"}, "identity": "globex-ci",
        "role": "ClusterRole/edit", "role_resolved": True,
        "via": [{"binding": "RoleBinding/tenant-acme/rb", "role": "ClusterRole/edit"}]}]


def test_a_namespace_label_names_its_tenant_before_the_config() -> None:
    config = {"tenants": [{"name": "acme", "namespaces": ["shared-x", "tenant-acme", "plain"]}, {"name": "globex"}]}
    resources = [namespace("shared-x", "globex"), namespace("plain"),
                 res("Namespace", "empty", labels={"kaze.io/tenant": ""}),
                 res("ConfigMap", "tenant-acme", labels={"kaze.io/tenant": "globex"})]
    assert namespace_tenants(resources, config) == {"shared-x": "globex", "tenant-acme": "acme", "plain": "acme"}
    assert namespace_tenants(resources, None) == {"shared-x": "globex"}


def test_a_user_named_like_a_namespace_group_belongs_to_no_tenant() -> None:
    """Only the Group `system:serviceaccounts:<ns>` stands for a namespace's accounts."""
    resources = [namespace("tenant-acme", "acme"), namespace("tenant-globex", "globex"),
                 binding("odd", "tenant-acme", "ClusterRole", "view", "User:system:serviceaccounts:tenant-globex")]
    assert analyze(resources, CONFIG)["cross_tenant_bindings"] == []


def entry(subject: str, namespace: str, via: list[dict[str, str]], identity: str | None = None,
          duties: list[str] | None = None, **fields: Any) -> dict[str, Any]:
    """A fact entry as analyze writes it, every field."""
    s = Subject.parse(subject)
    return {"subject": s.to_json(), "identity": identity or subject, "duties": duties or [], "namespace": namespace,
            **fields, "via": via}


def test_secret_readers_entries_in_full() -> None:
    """Verbs and names join per subject and namespace; one grant on every object makes the names None."""
    resources = [role("named", "a", rule("get", "secrets", names="db,cache")),
                 role("mixed", "a", rule("list", "secrets"), rule("get", "secrets", names="db")),
                 cluster_role("watcher", rule("watch", "secrets")),
                 binding("rb1", "a", "Role", "named", "User:a"), binding("rb2", "a", "Role", "mixed", "User:b"),
                 binding("crb", None, "ClusterRole", "watcher", "Group:g"),
                 binding("rb0", "a", "Role", "named", "User:a")]
    assert analyze(resources, None)["secret_readers"] == [
        entry("Group:g", "*", [{"binding": "ClusterRoleBinding/crb", "role": "ClusterRole/watcher"}],
              verbs=["watch"], resource_names=None),
        entry("User:a", "a", [{"binding": "RoleBinding/a/rb0", "role": "Role/a/named"},
                              {"binding": "RoleBinding/a/rb1", "role": "Role/a/named"}],
              verbs=["get"], resource_names=["cache", "db"]),
        entry("User:b", "a", [{"binding": "RoleBinding/a/rb2", "role": "Role/a/mixed"}],
              verbs=["get", "list"], resource_names=None),
    ]


def test_deployers_entries_in_full_from_kubernetes_and_argocd() -> None:
    resources = [cluster_role("ship", rule("create", "deployments", "apps"), rule("patch", "pods"),
                              rule("update", "applications", "argoproj.io")),
                 binding("rb", "a", "ClusterRole", "ship", "User:d"),
                 res("ConfigMap", "argocd-rbac-cm", "argocd",
                     data={"policy.csv": "p, ops@kaze.io, applications, sync, acme/*"})]
    assert analyze(resources, None)["deployers"] == [
        entry("User:d", "a", [{"binding": "RoleBinding/a/rb", "role": "ClusterRole/ship"}],
              permissions=["create deployments.apps", "patch pods", "update applications.argoproj.io"]),
        entry("User:ops@kaze.io", "*", [{"binding": "ConfigMap/argocd/argocd-rbac-cm", "role": "ops@kaze.io"}],
              permissions=["sync applications (argocd acme/*)"]),
    ]


def test_argocd_rbac_is_read_from_the_argocd_rbac_cm_config_map_only() -> None:
    policy = {"policy.csv": "p, ops@kaze.io, applications, sync, */*"}
    elsewhere = [res("ConfigMap", "argocd-cm", "argocd", data=policy),
                 res("Secret", "argocd-rbac-cm", "argocd", data=policy),
                 res("ConfigMap", "argocd-rbac-cm", "other"),
                 {"kind": "ConfigMap", "name": "argocd-rbac-cm", "object": None}]
    assert argocd_deployers(elsewhere) == []
    unnamed = {"kind": "ConfigMap", "id": "cm", "object": {"metadata": {"name": "argocd-rbac-cm"}, "data": policy}}
    assert [(a.subject.key, a.config_map) for a in argocd_deployers([unnamed])] == [("User:ops@kaze.io", "cm")]


def test_wildcard_admin_and_sensitive_verb_entries_in_full() -> None:
    resources = [cluster_role("star", {"apiGroups": ["apps", "*"], "resources": ["*"], "verbs": ["*"]}),
                 cluster_role("exec", rule("create,get", "pods/exec")),
                 cluster_role("read-all", rule("get", "*")),
                 binding("rb", "a", "ClusterRole", "star", "User:root"),
                 binding("rb2", "a", "ClusterRole", "exec", "User:ops"),
                 binding("rb3", "a", "ClusterRole", "read-all", "User:auditor")]
    facts = analyze(resources, None)
    assert facts["wildcard_admins"] == [
        entry("User:root", "a", [{"binding": "RoleBinding/a/rb", "role": "ClusterRole/star"}],
              roles=["ClusterRole/star"], api_groups=["*", "apps"])]
    [ops] = [e for e in facts["sensitive_verbs"] if e["subject"]["name"] == "ops"]
    assert ops == entry("User:ops", "a", [{"binding": "RoleBinding/a/rb2", "role": "ClusterRole/exec"}],
                        permission="pods/exec", verbs=["create", "get"], resources=["pods/exec"])


def test_an_identity_keeps_a_subject_first_claimed_and_duties_join_in_order() -> None:
    config = {"identities": [{"name": "alice", "kubernetes": ["User:alice"], "vault": [7]},
                             {"name": "impostor", "kubernetes": ["User:alice"]}],
              "groups": {"oncall": ["User:alice"], "approvers": ["User:alice", "User:bob"], "empty": None}}
    resources = [cluster_role("exec", rule("create", "pods/exec")),
                 binding("crb", None, "ClusterRole", "exec", "User:alice")]
    facts = analyze(resources, config)
    assert facts["identities"]["alice"] == {"kubernetes": ["User:alice"], "vault": ["7"]}
    [e] = facts["sensitive_verbs"]
    assert (e["identity"], e["duties"]) == ("alice", ["approvers", "oncall"])


def test_identities_fact_joins_kubernetes_and_vault() -> None:
    facts = analyze([], CONFIG)
    assert facts["identities"] == {
        "alice": {"kubernetes": ["User:alice@kaze.io", "Group:kaze:operators"], "vault": ["alice"]},
        "argocd": {"kubernetes": ["ServiceAccount:argocd:argocd-application-controller"], "vault": []},
    }
    assert analyze([], None)["identities"] == {}


def test_identity_subjects_are_normalised_and_unparseable_ones_kept_as_written() -> None:
    """A config may name an account by the user its token authenticates as; a typo stays visible."""
    config = {"identities": [{"name": "bot", "kubernetes": ["User:system:serviceaccount:argocd:controller", "bogus"]}]}
    assert analyze([], config)["identities"] == {
        "bot": {"kubernetes": ["ServiceAccount:argocd:controller", "bogus"], "vault": []}}


def test_one_identity_both_deploying_and_reading_secrets_is_visible() -> None:
    """KZ-SOD-01's question: alice deploys as a user and reads secrets through a group."""
    resources = [cluster_role("deploy", rule("patch", "deployments", "apps")),
                 binding("d", None, "ClusterRole", "deploy", "User:alice@kaze.io"),
                 binding("s", "tenant-acme", "ClusterRole", "edit", "Group:kaze:operators")]
    facts = analyze(resources, CONFIG)
    deployers = {e["identity"] for e in facts["deployers"]}
    readers = {e["identity"] for e in facts["secret_readers"]}
    assert "alice" in deployers & readers


def test_analyze_accepts_the_inventory_mapping_and_is_deterministic() -> None:
    resources = [res("ServiceAccount", "agent", "tenant-acme"),
                 binding("rb", "tenant-acme", "ClusterRole", "admin",
                         "Group:system:serviceaccounts:tenant-acme", "User:z"),
                 binding("crb", None, "ClusterRole", "cluster-admin", "User:root")]
    as_map = analyze({r["id"]: r for r in resources}, CONFIG)
    reversed_list = analyze(list(reversed(resources)), CONFIG)
    assert json.dumps(as_map, sort_keys=True) == json.dumps(reversed_list, sort_keys=True)


def test_duplicate_ids_keep_the_inventory_id() -> None:
    first = role("r", "a", rule("get", "pods"))
    second = role("r", "a", rule("get", "secrets"))
    second["id"] = "Role/a/r#2"  # the later definition, as the inventory names it
    perms = effective_permissions([first, second, binding("rb", "a", "Role", "r", "User:u")])
    assert [g.role for g in perms.who_can("get", "secrets")] == ["Role/a/r#2"]
    assert perms.who_can("get", "pods") == []


# ------------------------------------------------------------------ consistency (property)

VERBS = ["get", "list", "create", "patch", "*"]
RESOURCES = ["pods", "secrets", "pods/exec", "*", "deployments"]
NAMESPACES = ["a", "b"]


@st.composite
def clusters(draw: st.DrawFn) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [res("ServiceAccount", "sa", ns) for ns in NAMESPACES]
    for i in range(draw(st.integers(1, 5))):
        rules = [{"apiGroups": [draw(st.sampled_from(["", "apps", "*"]))],
                  "resources": draw(st.lists(st.sampled_from(RESOURCES), min_size=1, max_size=2)),
                  "verbs": draw(st.lists(st.sampled_from(VERBS), min_size=1, max_size=2))}
                 for _ in range(draw(st.integers(1, 3)))]
        out.append(cluster_role(f"cr{i}", *rules, labels={"agg": "yes"} if draw(st.booleans()) else None))
    out.append(cluster_role("aggregated", aggregate=[{"matchLabels": {"agg": "yes"}}]))
    names = [r["name"] for r in out if r["kind"] == "ClusterRole"] + ["edit", "view"]
    for i in range(draw(st.integers(1, 6))):
        ns = draw(st.sampled_from([None, *NAMESPACES]))
        who_ = draw(st.sampled_from(["User:u", "Group:g", "ServiceAccount:a:sa", "Group:system:serviceaccounts:b"]))
        out.append(binding(f"b{i}", ns, "ClusterRole", draw(st.sampled_from(names)), who_))
    return out


@settings(max_examples=600 if os.environ.get("KAZE_FUZZ") == "1" else 60, deadline=None, database=None)
@given(cluster=clusters(), verb=st.sampled_from(["get", "create", "patch"]),
       resource=st.sampled_from(["pods", "secrets", "pods/exec"]))
def test_who_can_agrees_with_permissions_of_and_namespaces(
    cluster: list[dict[str, Any]], verb: str, resource: str
) -> None:
    """Three views of one truth: who_can, per-namespace who_can, and permissions_of."""
    perms = effective_permissions(cluster)
    resource_name, _, sub = resource.partition("/")
    everywhere = perms.who_can(verb, resource)
    for ns in NAMESPACES:
        assert set(perms.who_can(verb, resource, namespace=ns)) == {g for g in everywhere if g.namespace in (ns, "*")}
    subjects = {g.subject for g in perms.grants()}
    from_subjects = {g for s in subjects for g in perms.permissions_of(s)
                     if g.rule.allows(verb, "", resource_name, sub or None, None)}
    assert from_subjects == set(everywhere)


# ------------------------------------------------------------------ what the API server rejects


def located(resource: dict[str, Any], line: int) -> dict[str, Any]:
    return {**resource, "file": "rbac.yaml", "line": line}


@pytest.mark.parametrize("kind,ref_kind", [("RoleBinding", "Group"), ("RoleBinding", "ServiceAccount"),
                                           ("ClusterRoleBinding", "Role"), ("ClusterRoleBinding", "User")])
def test_a_role_ref_kind_the_api_server_rejects_is_bad_input(kind: str, ref_kind: str) -> None:
    ns = "a" if kind == "RoleBinding" else None
    bad = located(binding("rb", ns, ref_kind, "view", "User:alice"), 7)
    with pytest.raises(InputError) as err:
        analyze([cluster_role("view", rule("get", "pods")), bad], None)
    assert (err.value.file, err.value.line) == ("rbac.yaml", 7)
    assert "roleRef.kind" in err.value.message and repr(ref_kind) in err.value.message


def test_a_service_account_without_namespace_in_a_cluster_role_binding_is_bad_input() -> None:
    crb = located(binding("crb", None, "ClusterRole", "view"), 3)
    crb["object"]["subjects"] = [{"kind": "ServiceAccount", "name": "agent"}]
    with pytest.raises(InputError) as err:
        effective_permissions([crb])
    assert (err.value.file, err.value.line) == ("rbac.yaml", 3)
    assert "subjects[0]" in err.value.message and "namespace" in err.value.message


@pytest.mark.parametrize("mutate,problem", [
    (lambda o: o["roleRef"].update(apiGroup="example.com"), "roleRef.apiGroup"),
    (lambda o: o["roleRef"].update(name=""), "roleRef.name"),
    (lambda o: o["subjects"].append({"kind": "Robot", "name": "r2d2"}), "kind must be"),
    (lambda o: o["subjects"].append({"kind": "User", "name": ""}), "name is required"),
    (lambda o: o["subjects"].append({"kind": "Group", "name": "g", "apiGroup": "v1"}), "apiGroup of a Group"),
])
def test_other_bindings_the_api_server_rejects_are_bad_input(mutate: Any, problem: str) -> None:
    rb = located(binding("rb", "a", "ClusterRole", "view", "User:alice"), 1)
    mutate(rb["object"])
    with pytest.raises(InputError, match=problem):
        effective_permissions([rb])


@pytest.mark.parametrize("bad_rule,problem", [
    ({"apiGroups": [""], "resources": ["pods"], "verbs": []}, "verbs"),
    ({"resources": ["pods"], "verbs": ["get"]}, "apiGroup"),
    ({"apiGroups": [""], "verbs": ["get"]}, "resource"),
    ({"nonResourceURLs": ["/healthz"], "verbs": ["get"], "resources": ["pods"]}, "both"),
    ({"apiGroups": [""], "resources": ["pods"], "verbs": "get"}, "verbs must be a list"),
])
def test_rules_the_api_server_rejects_are_bad_input(bad_rule: dict[str, Any], problem: str) -> None:
    with pytest.raises(InputError, match=problem):
        effective_permissions([located(cluster_role("c", bad_rule), 2)])
    with pytest.raises(InputError, match="non-resource"):
        effective_permissions([located(role("r", "a", {"nonResourceURLs": ["/healthz"], "verbs": ["get"]}), 2)])


def test_a_malformed_aggregation_rule_is_bad_input() -> None:
    for aggregate in ([], [{"matchExpressions": [{"key": "k", "operator": "In"}]}], [{"matchLabels": ["a"]}],
                      [{"matchExpressions": [{"key": "k", "operator": "Near", "values": ["x"]}]}]):
        with pytest.raises(InputError, match="aggregationRule"):
            effective_permissions([located(cluster_role("agg", aggregate=aggregate), 1)])


def rb_with(**changes: Any) -> dict[str, Any]:
    """RoleBinding a/rb of ClusterRole view to User:alice, its roleRef or subjects changed
    (`ref_<field>`: a roleRef field, None drops it; `roleRef`, `subjects`: the whole field;
    `subject`: one more subject after alice)."""
    rb = binding("rb", "a", "ClusterRole", "view", "User:alice")
    obj = rb["object"]
    for key, value in changes.items():
        if key.startswith("ref_"):
            obj["roleRef"][key[4:]] = value
        elif key == "subject":
            obj["subjects"].append(value)
        elif value is None:
            obj.pop(key)
        else:
            obj[key] = value
    return rb


SA = {"kind": "ServiceAccount", "namespace": "a"}
VALID = "rbac.authorization.k8s.io"


@pytest.mark.parametrize("bad,problem", [
    (rb_with(roleRef=None), "roleRef is required"),
    (rb_with(roleRef="view"), "roleRef is required"),
    (rb_with(ref_apiGroup="example.com"), f"roleRef.apiGroup must be {VALID}, not 'example.com'"),
    (rb_with(ref_kind="Group"), "roleRef.kind must be Role or ClusterRole, not 'Group'"),
    (rb_with(ref_name=""), "roleRef.name is required"),
    (rb_with(ref_name=7), "roleRef.name is required"),
    (rb_with(ref_name="a/b"), "roleRef.name 'a/b' is not a valid name (no '/', '%', '.' or '..')"),
    (rb_with(ref_name="100%"), "roleRef.name '100%' is not a valid name"),
    (rb_with(ref_name="."), "roleRef.name '.' is not a valid name"),
    (rb_with(ref_name=".."), "roleRef.name '..' is not a valid name"),
    (rb_with(subjects={"kind": "User", "name": "bob"}), "subjects must be a list"),
    (rb_with(subject="bob"), "subjects[1]: must be an object"),
    (rb_with(subject={"kind": "User", "name": 7}), "subjects[1]: name is required"),
    (rb_with(subject={**SA, "name": "Agent_1"}), "subjects[1]: 'Agent_1' is not a valid ServiceAccount name"),
    (rb_with(subject={**SA, "name": "a" * 254}), "is not a valid ServiceAccount name"),
    (rb_with(subject={**SA, "name": "agent", "apiGroup": "v1"}),
     "subjects[1]: apiGroup of a ServiceAccount must be empty, not 'v1'"),
    (rb_with(subject={"kind": "User", "name": "bob", "apiGroup": "v1"}),
     f"apiGroup of a User must be {VALID}, not 'v1'"),
    (rb_with(subject={"kind": "Robot", "name": "r2d2"}), "kind must be ServiceAccount, User or Group, not 'Robot'"),
])
def test_a_binding_the_api_server_rejects_names_itself_and_the_problem(bad: dict[str, Any], problem: str) -> None:
    with pytest.raises(InputError) as err:
        check_binding(bad)
    assert err.value.message.startswith("RoleBinding/a/rb: ")
    assert problem in err.value.message and err.value.message.endswith("; the API server rejects it")


@pytest.mark.parametrize("role_ref", [None, "view"])
def test_a_binding_without_a_role_ref_object_is_refused_in_those_words(role_ref: object) -> None:
    with pytest.raises(InputError) as err:
        check_binding(rb_with(roleRef=role_ref))
    assert err.value.message == "RoleBinding/a/rb: roleRef is required; the API server rejects it"


@pytest.mark.parametrize("good", [
    rb_with(ref_apiGroup=""),  # defaulted to rbac.authorization.k8s.io
    rb_with(ref_kind="Role", ref_name="system:reader.v2"),
    rb_with(subjects=None),
    rb_with(subject={**SA, "name": "a" * 253}),
    rb_with(subject={"kind": "ServiceAccount", "name": "own-namespace"}),  # a RoleBinding's own
    rb_with(subject={"kind": "Group", "name": "devs", "apiGroup": VALID}),
    rb_with(subject={"kind": "User", "name": "bob", "apiGroup": ""}),
])
def test_a_binding_the_api_server_accepts_passes(good: dict[str, Any]) -> None:
    check_binding(good)


RES_RULE = {"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}


def with_rule(**changes: Any) -> dict[str, Any]:
    """RES_RULE with fields changed (None drops one)."""
    return {k: v for k, v in {**RES_RULE, **changes}.items() if v is not None}


@pytest.mark.parametrize("bad,problem", [
    (res("ClusterRole", "c", rules={"verbs": ["get"]}), "rules must be a list"),
    (cluster_role("c", RES_RULE, "get pods"), "rules[1]: must be an object"),
    *[(cluster_role("c", with_rule(**{key: value})), f"rules[0]: {key} must be a list of strings")
      for key in ("verbs", "apiGroups", "resources", "resourceNames", "nonResourceURLs") for value in ("x", [1], "")],
    (cluster_role("c", with_rule(verbs=None)), "rules[0]: verbs must contain at least one value"),
    (role("r", "a", {"nonResourceURLs": ["/healthz"], "verbs": ["get"]}), "a Role cannot apply to non-resource URLs"),
    *[(cluster_role("c", {"nonResourceURLs": ["/healthz"], "verbs": ["get"], key: ["x"]}),
       "a rule cannot apply to both resources and non-resource URLs")
      for key in ("apiGroups", "resources", "resourceNames")],
    (cluster_role("c", with_rule(apiGroups=None)), 'a resource rule must name at least one apiGroup ("" is the core group)'),
    (cluster_role("c", with_rule(resources=[])), "a resource rule must name at least one resource"),
    (cluster_role("c", aggregate=[]), "aggregationRule needs at least one clusterRoleSelector"),
    (res("ClusterRole", "c", aggregationRule="all"), "aggregationRule needs at least one clusterRoleSelector"),
    (res("ClusterRole", "c", aggregationRule={}), "aggregationRule needs at least one clusterRoleSelector"),
    *[(cluster_role("c", aggregate=[{}, selector]),
       "aggregationRule.clusterRoleSelectors[1]: must be a label selector (matchLabels a map, matchExpressions a list)")
      for selector in ("tier=low", {"matchLabels": ["tier"]}, {"matchExpressions": {"key": "tier"}})],
    (cluster_role("c", aggregate=[{"matchExpressions": [{"key": "k", "operator": "Near"}]}]),
     "aggregationRule.clusterRoleSelectors[0]: operator must be one of In, NotIn, Exists, DoesNotExist, not 'Near'"),
    (cluster_role("c", aggregate=[{"matchExpressions": ["k"]}]),
     "operator must be one of In, NotIn, Exists, DoesNotExist, not None"),
    (cluster_role("c", aggregate=[{"matchExpressions": [{"key": "k", "operator": "In"}]}]), "operator In needs values"),
    (cluster_role("c", aggregate=[{"matchExpressions": [{"key": "k", "operator": "NotIn", "values": []}]}]),
     "operator NotIn needs values"),
    (cluster_role("c", aggregate=[{"matchExpressions": [{"key": "k", "operator": "Exists", "values": ["x"]}]}]),
     "operator Exists takes no values"),
    (cluster_role("c", aggregate=[{"matchExpressions": [{"key": "k", "operator": "DoesNotExist", "values": ["x"]}]}]),
     "operator DoesNotExist takes no values"),
])
def test_a_role_the_api_server_rejects_names_itself_and_the_problem(bad: dict[str, Any], problem: str) -> None:
    with pytest.raises(InputError) as err:
        check_role(bad)
    assert err.value.message.startswith(("ClusterRole/c: ", "Role/a/r: "))
    body = err.value.message.removesuffix("; the API server rejects it")
    assert body != err.value.message and body.endswith(problem) and body[: -len(problem)].endswith(": ")


@pytest.mark.parametrize("good", [
    cluster_role("c", {"nonResourceURLs": ["/healthz"], "verbs": ["get"]}, with_rule(resourceNames=["x"])),
    res("ClusterRole", "c", rules=None),
    res("Role", "r", "a", rules=[RES_RULE], aggregationRule="a Role has none: never read"),
    cluster_role("c", aggregate=[{"matchLabels": {"tier": "low"}, "matchExpressions": [
        {"key": "a", "operator": "Exists"}, {"key": "b", "operator": "DoesNotExist", "values": []},
        {"key": "c", "operator": "In", "values": ["x"]}, {"key": "d", "operator": "NotIn", "values": ["y"]}]}]),
])
def test_a_role_the_api_server_accepts_passes(good: dict[str, Any]) -> None:
    check_role(good)


def test_a_binding_the_api_server_rejects_fails_the_scan_naming_file_and_line(tmp_path: Any) -> None:
    from tests.conftest import run_cli
    path = tmp_path / "rbac.yaml"
    path.write_text("apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: agent, namespace: a}\n---\n"
                    "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: crb}\n"
                    "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: admin}\n"
                    "subjects: [{kind: ServiceAccount, name: agent, namespace: a}]\n")
    result = run_cli("scan", str(path), "--format", "json")
    assert result.returncode == 2, result.stdout[:300] + result.stderr
    [line] = result.stderr.strip().splitlines()
    assert f"{path}:5: ClusterRoleBinding/crb: roleRef.kind" in line, line
    assert "Traceback" not in result.stderr and result.stdout == ""


# ------------------------------------------------------------------ ServiceAccount groups


def test_a_namespace_group_covers_every_account_declared_or_not() -> None:
    perms = effective_permissions([
        role("reader", "a", rule("get", "secrets")),
        binding("rb", "a", "Role", "reader", "Group:system:serviceaccounts:a"),
        res("Deployment", "web", "a"),
    ])
    # the implicit `default` account of a namespace the inventory shows is listed by name
    assert ("ServiceAccount:a:default", "a") in who(perms.who_can("get", "secrets"))
    # any other account of the namespace is allowed all the same, none of another namespace
    for sa in ("ServiceAccount:a:default", "ServiceAccount:a:never-declared"):
        assert perms.can(sa, "get", "", "secrets", namespace="a")
        assert any(g.via_group == Subject("Group", "system:serviceaccounts:a") for g in perms.permissions_of(sa))
    assert not perms.can("ServiceAccount:b:default", "get", "", "secrets", namespace="a")
    assert not perms.can("User:alice", "get", "", "secrets", namespace="a")


def test_every_namespace_the_inventory_shows_has_its_default_account() -> None:
    """A Namespace object, an object in a namespace, an account a binding names: each namespace exists."""
    perms = effective_permissions([cluster_role("lister", rule("list", "pods")),
                                   binding("crb", None, "ClusterRole", "lister", "Group:system:serviceaccounts"),
                                   namespace("declared"), res("ConfigMap", "cm", "used"),
                                   binding("rb", "bound", "ClusterRole", "view", "ServiceAccount:named:agent")])
    defaults = {g.subject.key for g in perms.who_can("list", "pods") if g.subject.name == "default"}
    assert defaults == {f"ServiceAccount:{ns}:default" for ns in ("declared", "used", "bound", "named")}


@pytest.mark.parametrize("group", ["system:serviceaccounts", "system:authenticated"])
def test_all_account_groups_cover_every_account(group: str) -> None:
    perms = effective_permissions([cluster_role("lister", rule("list", "pods")),
                                   binding("crb", None, "ClusterRole", "lister", f"Group:{group}"),
                                   res("ConfigMap", "cm", "b")])
    assert ("ServiceAccount:b:default", "*") in who(perms.who_can("list", "pods"))
    assert perms.can("ServiceAccount:z:undeclared", "list", "", "pods", namespace="z")
    assert perms.can("ServiceAccount:z:undeclared", "list", "", "pods")


@pytest.mark.parametrize("subject", ["Group:kaze:operators", "User:alice"])
@pytest.mark.parametrize(("request_", "allowed"), [
    (("get", "", "pods", "log", "a", "web"), True),
    (("get", "apps", "pods", "log", "a", "web"), False),     # another API group
    (("get", "", "pods", "exec", "a", "web"), False),        # another subresource
    (("get", "", "pods", "log", "b", "web"), False),         # another namespace
    (("get", "", "pods", "log", "a", "db"), False),          # another object
    (("get", "", "pods", "log", "a", ""), False),            # no object named: resourceNames never allow it
    (("get", "", "pods", "log", "", "web"), False),          # cluster-wide
])
def test_can_asks_the_authorizer_with_every_part_of_the_request(subject: str, request_: tuple[str, ...],
                                                                  allowed: bool) -> None:
    perms = effective_permissions([
        role("logs", "a", {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"], "resourceNames": ["web"]}),
        binding("rb", "a", "Role", "logs", subject)])
    verb, api_group, resource, subresource, ns, name = request_
    assert perms.can(subject, verb, api_group, resource, subresource, ns, name) is allowed


def test_authorize_is_the_authorizers_request_decision() -> None:
    perms = effective_permissions([role("named", "a", rule("get,list", "secrets", names="db")),
                                   binding("rb", "a", "Role", "named", "User:app", "Group:ops")])
    assert perms.authorize("app", [], "get", "", "secrets", namespace="a", name="db")
    assert perms.authorize("someone", ["ops"], "get", "", "secrets", namespace="a", name="db")
    assert not perms.authorize("app", [], "list", "", "secrets", namespace="a")  # no name: a resourceNames rule never allows
    assert not perms.authorize("app", [], "get", "", "secrets", namespace="b", name="db")
    assert not perms.authorize("app", [], "get", "", "secrets", name="db")  # cluster-scoped request


def test_a_group_can_what_its_bindings_and_every_authenticated_request_can() -> None:
    perms = effective_permissions([cluster_role("lister", rule("list", "pods")),
                                   cluster_role("getter", rule("get", "pods")),
                                   binding("rb", "a", "ClusterRole", "lister", "Group:devs"),
                                   binding("crb", None, "ClusterRole", "getter", "Group:system:authenticated")])
    assert perms.can("Group:devs", "list", "", "pods", namespace="a")
    assert perms.can(Subject("Group", "ops"), "get", "", "pods", namespace="b")
    assert not perms.can("Group:ops", "list", "", "pods", namespace="a")
    assert not perms.can("Group:devs", "list", "", "pods", namespace="b")


# ------------------------------------------------------------------ built-in roles a manifest redefines


def test_a_redefined_builtin_role_regains_its_builtin_rules_at_start_up() -> None:
    mine = cluster_role("system:aggregate-to-view", rule("get", "secrets"))
    perms = effective_permissions([mine, binding("crb", None, "ClusterRole", "view", "User:alice")])
    assert perms.can("User:alice", "get", "", "secrets", namespace="a")  # the manifest's rule
    assert perms.can("User:alice", "list", "", "pods", namespace="a")  # the built-in rules, reconciled back


def test_a_redefined_builtin_role_keeps_its_own_label_values_at_start_up() -> None:
    """Reconciliation adds the labels a manifest lacks, never overwrites one it sets (the real
    authorizer agrees): `aggregate-to-edit: "false"` takes the role's rules out of edit."""
    def world(value: str) -> list[dict[str, Any]]:
        return [cluster_role("system:aggregate-to-edit", rule("get", "pods"),
                             labels={"rbac.authorization.k8s.io/aggregate-to-edit": value}),
                binding("crb", None, "ClusterRole", "edit", "User:alice")]

    assert effective_permissions(world("true")).can("User:alice", "create", "apps", "deployments", namespace="a")
    assert not effective_permissions(world("false")).can("User:alice", "create", "apps", "deployments", namespace="a")


def test_a_redefined_aggregated_builtin_role_aggregates_by_its_own_and_its_builtin_selectors() -> None:
    """`view` redefined with a selector of its own: start-up reconciliation adds the built-in
    selector (aggregate-to-view) to it, so both sets of roles are aggregated."""
    mine = cluster_role("view", aggregate=[{"matchLabels": {"team": "ops"}}])
    extra = cluster_role("ops-secrets", rule("get", "secrets"), labels={"team": "ops"})
    perms = effective_permissions([mine, extra, binding("crb", None, "ClusterRole", "view", "User:alice")])
    assert perms.can("User:alice", "get", "", "secrets", namespace="a")  # by the manifest's selector
    assert perms.can("User:alice", "list", "", "pods", namespace="a")  # by the built-in selector


def test_aggregation_goes_on_past_a_role_already_being_resolved() -> None:
    """top aggregates middle (label x); middle aggregates y, which top and leaf carry: the cycle
    back to top is passed over, and leaf's rule still reaches top through middle."""
    top = cluster_role("top", labels={"y": "1"}, aggregate=[{"matchLabels": {"x": "1"}}])
    leaf = cluster_role("leaf", rule("get", "secrets"), labels={"y": "1"})
    middle = cluster_role("middle", labels={"x": "1"}, aggregate=[{"matchLabels": {"y": "1"}}])
    perms = effective_permissions([top, leaf, middle, binding("crb", None, "ClusterRole", "top", "User:alice")])
    assert perms.can("User:alice", "get", "", "secrets", namespace="a")


def test_an_aggregation_rule_a_builtin_role_lacks_is_removed_at_start_up() -> None:
    mine = cluster_role("system:aggregate-to-view", aggregate=[{"matchLabels": {"team": "ops"}}])
    extra = cluster_role("ops-secrets", rule("get", "secrets"), labels={"team": "ops"})
    perms = effective_permissions([mine, extra,
                                   binding("crb", None, "ClusterRole", "system:aggregate-to-view", "User:alice")])
    assert not perms.can("User:alice", "get", "", "secrets", namespace="a")
    assert perms.can("User:alice", "list", "", "pods", namespace="a")  # its built-in rules


def test_a_rule_on_non_resource_urls_grants_nothing_on_resources() -> None:
    perms = effective_permissions([cluster_role("health", {"nonResourceURLs": ["*"], "verbs": ["*"]}),
                                   binding("crb", None, "ClusterRole", "health", "User:probe")])
    assert perms.permissions_of("User:probe") == []


def test_a_binding_to_cluster_admin_is_a_wildcard_admin_even_when_a_manifest_narrows_the_role() -> None:
    narrowed = cluster_role("cluster-admin", rule("get", "pods"))
    narrowed["object"]["metadata"]["annotations"] = {"rbac.authorization.kubernetes.io/autoupdate": "false"}
    facts = analyze([narrowed, binding("crb", None, "ClusterRole", "cluster-admin", "User:root")], None)
    got = [(e["subject"]["name"], e["roles"]) for e in facts["wildcard_admins"]]
    assert got == [("root", ["ClusterRole/cluster-admin"])]


def test_autoupdate_false_keeps_a_redefined_builtin_role_as_written() -> None:
    mine = cluster_role("system:aggregate-to-view", rule("get", "secrets"),
                        labels={"rbac.authorization.k8s.io/aggregate-to-view": "true"})
    mine["object"]["metadata"]["annotations"] = {"rbac.authorization.kubernetes.io/autoupdate": "false"}
    perms = effective_permissions([mine, binding("crb", None, "ClusterRole", "view", "User:alice")])
    assert perms.can("User:alice", "get", "", "secrets", namespace="a")
    assert not perms.can("User:alice", "list", "", "pods", namespace="a")
