"""The analyzer against Kubernetes' own RBAC authorizer, on generated RBAC worlds.

tools/k8s/rbac-oracle (`make tools`) sets a world up as a cluster holds it after the API
server's start-up (the bootstrap roles and bindings reconciled into it, ClusterRole
aggregation converged) and answers each query with the real authorizer of the pinned
k8s.io/kubernetes. Hypothesis generates worlds (Roles, ClusterRoles with labels and
aggregation rules, some redefining a bootstrap role, RoleBindings, ClusterRoleBindings,
ServiceAccounts) and queries; every answer of the analyzer must equal the authorizer's,
except where one of the documented choices below explains the difference (docs/rbac.md):

- BOOTSTRAP_BINDINGS: the analyzer does not load the bootstrap bindings (system:masters,
  the control plane's users, kube-system's controllers, discovery for system:authenticated):
  they are the same in every cluster and no scanned repository decides them. A query the
  authorizer allows only through them (allowed with them, denied without) is explained.
- AGGREGATED_OWN_RULES: the rules an aggregated ClusterRole lists itself count, although the
  aggregation controller overwrites them soon after each apply: a re-apply restores them,
  and the analysis errs towards reporting. A query the analyzer allows only through them
  (denied once they are stripped from the world) is explained.

Out of the comparison by construction: non-resource URLs (no control asks about them),
`*` in a query (a request names one verb, group and resource; the analyzer's `*` questions
are its own), and objects the API server rejects (bad input, tested in test_rbac.py).

One oracle process answers one generated world and all its queries. `make test` runs a
fixed budget (KAZE_RBAC_ORACLE_EXAMPLES, default below); `make fuzz` (KAZE_FUZZ=1) a larger one.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from kaze_policy.analysis.rbac import AUTOUPDATE_ANNOTATION, EffectivePermissions, Subject, bootstrap_roles
from tests.conftest import require_tool

FUZZ = os.environ.get("KAZE_FUZZ") == "1"
EXAMPLES = int(os.environ.get("KAZE_RBAC_ORACLE_EXAMPLES", 3000 if FUZZ else 150))
QUERIES_PER_WORLD = 60
RBAC_GROUP = "rbac.authorization.k8s.io"

# ------------------------------------------------------------------ the vocabulary of worlds
# Small pools, so that generated rules, bindings and queries meet often; they include the
# built-in names that matter (aggregation labels, bootstrap roles, system groups).

NAMESPACES = ["a", "b", "kube-system"]
ROLE_NAMES = ["r1", "r2"]
CLUSTER_ROLE_NAMES = ["c1", "c2", "c3", "c4"]
# bootstrap roles a world may redefine (the API server reconciles them at start-up)
REDEFINABLE = ["view", "edit", "system:aggregate-to-view", "system:basic-user", "system:node"]
BOOTSTRAP_REFS = ["view", "edit", "admin", "cluster-admin", "system:aggregate-to-edit", "system:auth-delegator",
                  "system:controller:generic-garbage-collector", "extension-apiserver-authentication-reader"]
USERS = ["alice", "bob", "system:serviceaccount:a:sa1", "system:kube-scheduler"]
GROUPS = ["devs", "ops", "system:serviceaccounts", "system:serviceaccounts:a", "system:serviceaccounts:b",
          "system:authenticated", "system:masters"]
SA_NAMES = ["sa1", "sa2", "default"]
VERBS = ["get", "list", "create", "delete", "escalate", "bind", "impersonate"]
API_GROUPS = ["", "apps", RBAC_GROUP, "events.k8s.io", "resource.k8s.io"]
RESOURCES = ["pods", "secrets", "deployments", "roles", "events", "resourceclaims", "serviceaccounts", "leases"]
SUBRESOURCES = ["", "", "", "exec", "scale", "status"]
OBJECT_NAMES = ["", "", "x", "y"]
AGGREGATE = "rbac.authorization.k8s.io/aggregate-to-"
LABELS = [(AGGREGATE + "view", "true"), (AGGREGATE + "edit", "true"), (AGGREGATE + "admin", "true"),
          ("tier", "low"), ("tier", "high")]


def _some(pool: list[str], min_size: int = 1, max_size: int = 3) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(pool), min_size=min_size, max_size=max_size, unique=True)


rules = st.lists(st.fixed_dictionaries(
    {"verbs": _some(VERBS + ["*"]), "apiGroups": _some(API_GROUPS + ["*"]),
     "resources": _some(RESOURCES + ["*", "pods/exec", "*/scale", "deployments/scale", "pods/*", "*/status"])},
    optional={"resourceNames": _some(["x", "y"])}), max_size=3)

selectors = st.one_of(
    st.builds(lambda kv: {"matchLabels": {kv[0]: kv[1]}}, st.sampled_from(LABELS)),
    st.builds(lambda values: {"matchExpressions": [{"key": "tier", "operator": "In", "values": values}]},
              _some(["low", "high"])),
    st.just({"matchExpressions": [{"key": "tier", "operator": "Exists"}]}),
    st.just({"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]}),
)


@st.composite
def cluster_role(draw: st.DrawFn, name: str) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    labels = dict(draw(st.lists(st.sampled_from(LABELS), max_size=2)))
    if labels:
        meta["labels"] = labels
    if name in REDEFINABLE and draw(st.booleans()):
        meta["annotations"] = {AUTOUPDATE_ANNOTATION: "false"}
    obj: dict[str, Any] = {"apiVersion": f"{RBAC_GROUP}/v1", "kind": "ClusterRole", "metadata": meta,
                           "rules": draw(rules)}
    if draw(st.booleans()):
        obj["aggregationRule"] = {"clusterRoleSelectors": draw(st.lists(selectors, min_size=1, max_size=2))}
    return obj


@st.composite
def role(draw: st.DrawFn, name: str, namespace: str) -> dict[str, Any]:
    return {"apiVersion": f"{RBAC_GROUP}/v1", "kind": "Role", "metadata": {"name": name, "namespace": namespace},
            "rules": draw(rules)}


@st.composite
def subject(draw: st.DrawFn, cluster: bool) -> dict[str, Any]:
    kind = draw(st.sampled_from(["User", "Group", "ServiceAccount"]))
    if kind == "User":
        return {"kind": "User", "apiGroup": RBAC_GROUP, "name": draw(st.sampled_from(USERS))}
    if kind == "Group":
        return {"kind": "Group", "apiGroup": RBAC_GROUP, "name": draw(st.sampled_from(GROUPS))}
    out = {"kind": "ServiceAccount", "name": draw(st.sampled_from(SA_NAMES))}
    if cluster or draw(st.booleans()):
        out["namespace"] = draw(st.sampled_from(NAMESPACES))
    return out


@st.composite
def binding(draw: st.DrawFn, index: int, declared: list[str]) -> dict[str, Any]:
    """A binding; its ClusterRole is often one the world declares (else rarely bound at all)."""
    namespace = draw(st.sampled_from([None] + NAMESPACES))
    cluster = namespace is None
    ref_kind = "ClusterRole" if cluster or draw(st.booleans()) else "Role"
    pool = CLUSTER_ROLE_NAMES + REDEFINABLE + BOOTSTRAP_REFS if ref_kind == "ClusterRole" else ROLE_NAMES + [
        "extension-apiserver-authentication-reader", "system:controller:bootstrap-signer"]
    if ref_kind == "ClusterRole" and declared and draw(st.booleans()):
        pool = declared
    meta: dict[str, Any] = {"name": f"bind{index}"}
    if namespace:
        meta["namespace"] = namespace
    return {"apiVersion": f"{RBAC_GROUP}/v1", "kind": "ClusterRoleBinding" if cluster else "RoleBinding",
            "metadata": meta, "roleRef": {"apiGroup": RBAC_GROUP, "kind": ref_kind, "name": draw(st.sampled_from(pool))},
            "subjects": draw(st.lists(subject(cluster), max_size=3))}


@st.composite
def worlds(draw: st.DrawFn) -> list[dict[str, Any]]:
    objects: list[dict[str, Any]] = []
    names = draw(_some(CLUSTER_ROLE_NAMES, 0, 4)) + draw(_some(REDEFINABLE, 0, 1))
    objects += [draw(cluster_role(n)) for n in names]
    for ns in draw(_some(NAMESPACES, 0, 3)):
        objects += [draw(role(n, ns)) for n in draw(_some(ROLE_NAMES, 1, 2))]
    objects += [draw(binding(i, names)) for i in range(draw(st.integers(1, 6)))]
    for ns, sa in draw(st.lists(st.tuples(st.sampled_from(NAMESPACES), st.sampled_from(SA_NAMES)), max_size=2, unique=True)):
        objects.append({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": sa, "namespace": ns}})
    return objects


@dataclass(frozen=True)
class Query:
    """One resource request; `service_account` set: the requester is that account, with the
    groups its token carries (the analyzer is told only which account it is)."""

    user: str
    groups: tuple[str, ...]
    verb: str
    api_group: str
    resource: str
    subresource: str
    namespace: str
    name: str
    service_account: Subject | None = None

    def to_json(self) -> dict[str, Any]:
        return {"user": self.user, "groups": list(self.groups), "verb": self.verb, "apiGroup": self.api_group,
                "resource": self.resource, "subresource": self.subresource, "namespace": self.namespace,
                "name": self.name}


def random_query(rnd: random.Random) -> Query:
    """One query from a seeded generator: drawing sixty of them one by one through hypothesis
    costs more than the oracle's answer. The failing world still shrinks; the query is printed."""
    request = (rnd.choice(VERBS), rnd.choice(API_GROUPS), rnd.choice(RESOURCES), rnd.choice(SUBRESOURCES),
               rnd.choice(NAMESPACES + [""]), rnd.choice(OBJECT_NAMES))
    if rnd.random() < 0.5:
        sa = Subject("ServiceAccount", rnd.choice(SA_NAMES + ["undeclared"]), rnd.choice(NAMESPACES))
        groups = ("system:serviceaccounts", f"system:serviceaccounts:{sa.namespace}", "system:authenticated")
        return Query(f"system:serviceaccount:{sa.namespace}:{sa.name}", groups, *request, service_account=sa)
    return Query(rnd.choice(USERS), tuple(rnd.sample(GROUPS, rnd.randint(0, 3))), *request)


def _pick(rnd: random.Random, values: list[str], pool: list[str]) -> str:
    """A value a rule lists; for `*`, any of the pool."""
    value = rnd.choice(values)
    return rnd.choice(pool) if value == "*" else value


def targeted_query(rnd: random.Random, objects: list[dict[str, Any]]) -> Query:
    """A query aimed at a binding of the world: by one of its subjects, on something a rule of
    its role names (random queries alone seldom meet a generated rule)."""
    bindings = [o for o in objects if o["kind"].endswith("Binding") and o["subjects"]]
    if not bindings:
        return random_query(rnd)
    b = rnd.choice(bindings)
    ns = b["metadata"].get("namespace")
    ref = b["roleRef"]
    roles = [o for o in objects if o["kind"] == ref["kind"] and o["metadata"]["name"] == ref["name"]
             and o["metadata"].get("namespace") in (None, ns) and o["rules"]]
    if not roles:
        return random_query(rnd)
    r = rnd.choice(roles[0]["rules"])
    resource, _, sub = _pick(rnd, r["resources"], RESOURCES).partition("/")
    resource = rnd.choice(RESOURCES) if resource == "*" else resource
    sub = rnd.choice(SUBRESOURCES[-3:]) if sub == "*" else sub
    name = rnd.choice(r["resourceNames"]) if r.get("resourceNames") and rnd.random() < 0.8 else rnd.choice(OBJECT_NAMES)
    request = (_pick(rnd, r["verbs"], VERBS), _pick(rnd, r["apiGroups"], API_GROUPS), resource, sub,
               ns or rnd.choice(NAMESPACES + [""]), name)
    who = rnd.choice(b["subjects"])
    if who["kind"] == "ServiceAccount" or who["name"].startswith("system:serviceaccounts:"):
        sa_ns = who.get("namespace") or ns or who["name"].rpartition(":")[2]
        sa = Subject("ServiceAccount", who["name"] if who["kind"] == "ServiceAccount" else rnd.choice(SA_NAMES),
                     sa_ns)
        groups = ("system:serviceaccounts", f"system:serviceaccounts:{sa.namespace}", "system:authenticated")
        return Query(f"system:serviceaccount:{sa.namespace}:{sa.name}", groups, *request, service_account=sa)
    if who["kind"] == "Group":
        return Query("someone", (who["name"],), *request)
    return Query(who["name"], tuple(rnd.sample(GROUPS, rnd.randint(0, 2))), *request)


@st.composite
def cases(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[Query]]:
    """A world and its queries, half of them aimed at its bindings."""
    objects = draw(worlds())
    rnd = random.Random(draw(st.integers(0, 2**32)))
    queries = [targeted_query(rnd, objects) if rnd.random() < 0.5 else random_query(rnd)
               for _ in range(QUERIES_PER_WORLD)]
    return objects, queries


# ------------------------------------------------------------------ the two sides


def as_inventory(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Resources as the sources hand them to the analyzer."""
    out = []
    for line, obj in enumerate(objects, start=1):
        meta = obj["metadata"]
        ns = meta.get("namespace")
        rid = f"{obj['kind']}/{ns}/{meta['name']}" if ns else f"{obj['kind']}/{meta['name']}"
        out.append({"id": rid, "kind": obj["kind"], "namespace": ns, "name": meta["name"], "file": "world.yaml",
                    "line": line, "object": obj})
    return out


UNSETTLED = 3  # the oracle's exit code when aggregation never settles


def ask_oracle(oracle: str, objects: list[dict[str, Any]], queries: list[Query]) -> list[dict[str, Any]] | None:
    """The authorizer's answers, or None when the world has no settled state (rbac-oracle)."""
    by_kind = {"Role": "roles", "ClusterRole": "clusterRoles", "RoleBinding": "roleBindings",
               "ClusterRoleBinding": "clusterRoleBindings"}
    world: dict[str, list[dict[str, Any]]] = {key: [] for key in by_kind.values()}
    for obj in objects:
        if obj["kind"] in by_kind:
            world[by_kind[obj["kind"]]].append(obj)
    request = json.dumps({"world": world, "queries": [q.to_json() for q in queries]})
    done = subprocess.run([oracle], input=request, capture_output=True, text=True, timeout=120)
    if done.returncode == UNSETTLED:
        return None
    assert done.returncode == 0, done.stderr
    answers = json.loads(done.stdout)["answers"]
    assert len(answers) == len(queries)
    return answers


def without_aggregated_own_rules(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The world minus the rules of every ClusterRole that is aggregated once the bootstrap
    policy is reconciled into it (the aggregation controller overwrites those rules)."""
    builtin = bootstrap_roles()
    out = []
    for obj in objects:
        if obj["kind"] == "ClusterRole":
            meta = obj["metadata"]
            known = builtin.get(f"ClusterRole/{meta['name']}")
            protected = (meta.get("annotations") or {}).get(AUTOUPDATE_ANNOTATION) == "false"
            aggregated = "aggregationRule" in obj if known is None or protected else known.selectors is not None
            if aggregated:
                obj = {**obj, "rules": []}
        out.append(obj)
    return out


def listed_accounts(objects: list[dict[str, Any]]) -> set[Subject]:
    """The ServiceAccounts the facts must list by name (docs/rbac.md): the declared ones, the
    ones bindings name, and the `default` account of every namespace the world shows."""
    out, namespaces = set(), set()
    for obj in objects:
        ns = obj["metadata"].get("namespace")
        if ns:
            namespaces.add(ns)
        if obj["kind"] == "ServiceAccount":
            out.add(Subject("ServiceAccount", obj["metadata"]["name"], ns))
        for s in obj.get("subjects") or []:
            if s["kind"] == "ServiceAccount":
                out.add(Subject("ServiceAccount", s["name"], s.get("namespace") or ns))
                namespaces.add(s.get("namespace") or ns)
            elif s["kind"] == "Group" and s["name"].startswith("system:serviceaccounts:"):
                namespaces.add(s["name"].rpartition(":")[2])
    return out | {Subject("ServiceAccount", "default", ns) for ns in namespaces}


def analyzer_answers(perms: EffectivePermissions, q: Query, listed: set[Subject]) -> dict[str, bool]:
    """The analyzer's answers to one query, through each public way of asking."""
    request = (q.verb, q.api_group, q.resource, q.subresource, q.namespace, q.name)
    out = {"authorize": perms.authorize(q.user, q.groups, *request)}
    if q.service_account is not None:
        sa = q.service_account
        out["can"] = perms.can(sa, *request)
        if sa in listed:
            # the facts' view: grants listed for the account itself, through the groups
            # whose members the analysis expands
            grants = perms.who_can(q.verb, q.resource, q.namespace or "*", q.api_group, q.subresource or None, q.name)
            out["who_can"] = any(g.subject == sa for g in grants)
    return out


# ------------------------------------------------------------------ the test


@pytest.fixture(scope="module")
def oracle() -> str:
    return require_tool("rbac-oracle")


def _cycle_role(name: str, selects: str, resource: str) -> dict[str, Any]:
    return {"apiVersion": f"{RBAC_GROUP}/v1", "kind": "ClusterRole", "metadata": {"name": name, "labels": {"ring": name}},
            "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"ring": selects}}]},
            "rules": [{"apiGroups": [""], "resources": [resource], "verbs": ["get"]}]}


# Three aggregated roles in a ring, each with a rule of its own: the controller passes the
# rules round the ring for ever, so the oracle finds no settled state (exit code 3).
UNSETTLED_WORLD = [
    _cycle_role("c1", "c2", "pods"), _cycle_role("c2", "c3", "secrets"), _cycle_role("c3", "c1", "leases"),
    {"apiVersion": f"{RBAC_GROUP}/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "ring"},
     "roleRef": {"apiGroup": RBAC_GROUP, "kind": "ClusterRole", "name": "c1"},
     "subjects": [{"kind": "User", "apiGroup": RBAC_GROUP, "name": "alice"}]},
]
UNSETTLED_QUERIES = [Query("alice", (), "get", "", resource, "", "a", "") for resource in ("pods", "secrets", "leases")]


def test_analyzer_decides_as_the_kubernetes_authorizer(oracle: str) -> None:
    """Zero disagreements outside the documented choices; and a comparison whose queries are
    all denied proves nothing: a fair share must be allowed, and each choice must come up."""
    stats: Counter[str] = Counter()

    # make test does not shrink a failure (minutes of oracle calls); make fuzz does.
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=not FUZZ, database=None,
              phases=list(Phase) if FUZZ else [Phase.explicit, Phase.generate],
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(case=cases())
    @example(case=(UNSETTLED_WORLD, UNSETTLED_QUERIES))
    def compare(case: tuple[list[dict[str, Any]], list[Query]]) -> None:
        stats["examples"] += 1
        objects, queries = case
        perms = EffectivePermissions(as_inventory(objects))
        stripped_objects = without_aggregated_own_rules(objects)
        stripped = EffectivePermissions(as_inventory(stripped_objects))
        answers = ask_oracle(oracle, objects, queries)
        if answers is None:
            # Own rules chase each other round an aggregation cycle for ever: no state to ask
            # about. Without them the aggregation settles; the analyzer must agree there, and
            # (AGGREGATED_OWN_RULES) allow at least as much with them.
            stats["unsettled worlds"] += 1
            answers = ask_oracle(oracle, stripped_objects, queries)
            assert answers is not None, "aggregation without own rules always settles"
            perms_for_oracle = stripped
        else:
            perms_for_oracle = perms
        disagreements = []
        listed = listed_accounts(objects)
        for q, answer in zip(queries, answers):
            expected = answer["allowed"]
            stats["allowed" if expected else "denied"] += 1
            for way, got in analyzer_answers(perms_for_oracle, q, listed).items():
                if got == expected:
                    continue
                if expected and not answer["allowedWithoutBootstrapBindings"]:
                    stats["explained: BOOTSTRAP_BINDINGS"] += 1
                    continue
                if got and not stripped.authorize(q.user, q.groups, q.verb, q.api_group, q.resource, q.subresource,
                                                  q.namespace, q.name):
                    stats["explained: AGGREGATED_OWN_RULES"] += 1
                    continue
                disagreements.append(f"{way}: analyzer {got}, Kubernetes {expected} ({answer['reason']}) for {q}")
            if perms_for_oracle is stripped and answer["allowedWithoutBootstrapBindings"] and not perms.authorize(
                    q.user, q.groups, q.verb, q.api_group, q.resource, q.subresource, q.namespace, q.name):
                disagreements.append(f"analyzer denies with its own rules what it allows without them: {q}")
        assert not disagreements, "\n".join(disagreements[:5]) + "\nworld: " + json.dumps(objects)

    compare()
    print(f"rbac oracle: {dict(stats)}")  # shown with -s or -rP
    total = stats["allowed"] + stats["denied"]
    assert stats["allowed"] >= total * 0.05, stats
    assert stats["explained: BOOTSTRAP_BINDINGS"] > 0, stats
    assert stats["explained: AGGREGATED_OWN_RULES"] > 0, stats
    assert stats["unsettled worlds"] > 0, stats


# ------------------------------------------------------------------ the facts against the authorizer
# The facts list subjects, not answers: each ServiceAccount the authorizer lets read Secrets or
# deploy workloads must be listed as doing so. The questions are written out here, as the
# Kubernetes API asks them, never taken from the analyzer's own constants.

DEPLOY_QUESTIONS = [(verb, group, resource) for verb in ("create", "update", "patch")
                    for group, resource in (("apps", "deployments"), ("apps", "statefulsets"), ("apps", "daemonsets"),
                                            ("apps", "replicasets"), ("batch", "jobs"), ("batch", "cronjobs"),
                                            ("", "pods"))]
SECRET_QUESTIONS = [(verb, "", "secrets") for verb in ("get", "list", "watch")]


def _rule(verbs: list[str], group: str, resource: str) -> dict[str, Any]:
    return {"apiGroups": [group], "resources": [resource], "verbs": verbs}


def _bind(name: str, role_name: str, subjects: list[dict[str, Any]], namespace: str | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, **({"namespace": namespace} if namespace else {})}
    return {"apiVersion": f"{RBAC_GROUP}/v1", "kind": "RoleBinding" if namespace else "ClusterRoleBinding",
            "metadata": meta, "roleRef": {"apiGroup": RBAC_GROUP, "kind": "ClusterRole", "name": role_name},
            "subjects": subjects}


FACTS_WORLD: list[dict[str, Any]] = [
    {"apiVersion": f"{RBAC_GROUP}/v1", "kind": "ClusterRole", "metadata": {"name": "secret-getter"},
     "rules": [_rule(["get"], "", "secrets")]},
    {"apiVersion": f"{RBAC_GROUP}/v1", "kind": "ClusterRole", "metadata": {"name": "deployment-updater"},
     "rules": [_rule(["update"], "apps", "deployments")]},
    # every authenticated request, so every ServiceAccount of the cluster, reads Secrets
    _bind("everyone-reads", "secret-getter", [{"kind": "Group", "apiGroup": RBAC_GROUP, "name": "system:authenticated"}]),
    # `update` alone replaces a Deployment's pod template: that deploys
    _bind("ci-updates", "deployment-updater", [{"kind": "ServiceAccount", "name": "ci", "namespace": "a"}], "a"),
    {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "ci", "namespace": "a"}},
    {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "app", "namespace": "b"}},
]


def _oracle_allowed(oracle: str, objects: list[dict[str, Any]], accounts: list[Subject],
                    questions: list[tuple[str, str, str]], namespace: str) -> set[tuple[str, str, str, str]]:
    """(account key, verb, group, resource) the authorizer allows in `namespace`, leaving out
    what only the bootstrap bindings allow (the analyzer does not load them, see above)."""
    queries = [Query(f"system:serviceaccount:{sa.namespace}:{sa.name}",
                     ("system:serviceaccounts", f"system:serviceaccounts:{sa.namespace}", "system:authenticated"),
                     verb, group, resource, "", namespace, "", service_account=sa)
               for sa in accounts for verb, group, resource in questions]
    answers = ask_oracle(oracle, objects, queries)
    assert answers is not None
    return {(str(q.service_account.key), q.verb, q.api_group, q.resource)  # type: ignore[union-attr]
            for q, a in zip(queries, answers) if a["allowed"] and a["allowedWithoutBootstrapBindings"]}


def _listed(entries: list[dict[str, Any]], namespace: str) -> set[tuple[str, str, str, str]]:
    """(subject key, verb, group, resource) the facts list for accounts, in `namespace`."""
    out = set()
    for e in entries:
        s = e["subject"]
        if s["kind"] != "ServiceAccount" or e["namespace"] not in ("*", namespace):
            continue
        key = Subject("ServiceAccount", s["name"], s["namespace"]).key
        for verb in e.get("verbs", []):
            out.add((key, verb, "", "secrets"))
        for permission in e.get("permissions", []):
            verb, _, label = permission.partition(" ")
            resource, _, group = label.partition(".")
            out.add((key, verb, group, resource))
    return out


@pytest.mark.parametrize("namespace", ["a", "b"])
def test_facts_list_every_account_the_authorizer_lets_read_secrets_or_deploy(oracle: str, namespace: str) -> None:
    """`system:authenticated` reaches every ServiceAccount (secret_readers), and `update` on a
    workload deploys (deployers): the facts say what the authorizer allows, no less."""
    from kaze_policy.analysis.rbac import analyze

    accounts = sorted(listed_accounts(FACTS_WORLD))
    facts = analyze(as_inventory(FACTS_WORLD), None)
    readers = _oracle_allowed(oracle, FACTS_WORLD, accounts, SECRET_QUESTIONS, namespace)
    deployers = _oracle_allowed(oracle, FACTS_WORLD, accounts, DEPLOY_QUESTIONS, namespace)
    assert {sa for sa, *_ in readers} == {sa.key for sa in accounts}, "the world must exercise the group"
    assert _listed(facts["secret_readers"], namespace) >= readers
    assert _listed(facts["deployers"], namespace) >= deployers
    assert deployers == ({("ServiceAccount:a:ci", "update", "apps", "deployments")} if namespace == "a" else set())
