"""Effective Kubernetes RBAC: who can do what, where, and through which bindings.

KZ-SOD-01..03 and KZ-TEN-07 are about what a subject can *effectively* do, which no single
object shows: a ClusterRole gains rules through aggregation (a role labelled
`aggregate-to-edit` silently extends `edit` and `admin`), a ClusterRole bound by a RoleBinding
applies in one namespace only, a binding to `system:serviceaccounts:<ns>` reaches every
service account there, and the built-in `edit` can read Secrets. Rego is bad at fixpoints and
set algebra, so this module computes the permissions once and hands the controls facts.

Kubernetes' own matching rules are followed (pkg/apis/rbac/v1/evaluation_helpers.go):
`*` in verbs, apiGroups and resources; `*/sub` matches a subresource of any resource but
`pods/*` does not match `pods/exec`; resourceNames restrict a rule to those objects. A User
named `system:serviceaccount:<ns>:<name>` is that ServiceAccount. Argo CD's own RBAC
(`argocd-rbac-cm`) adds deployers: syncing an Application deploys.

It is tested against Kubernetes' own authorizer (tests/analysis/test_rbac_oracle.py, over
tools/k8s/rbac-oracle); the choices where it deliberately differs are listed in docs/rbac.md.
The built-in roles are generated from the pinned Kubernetes (data/bootstrap_rbac.json).
Bindings the API server would reject are bad input, not grants.

What is modelled and what is not: the ServiceAccounts listed as subjects are the
ServiceAccount objects, the ones bindings name and the `default` account of every namespace
the inventory shows; a `system:serviceaccounts[:<ns>]` group stands for the accounts nobody
declares (`can` and `authorize` answer for any account). The members of Users' IdP groups are
unknown here, which is why each Group is reported as a subject of its own and
`kaze-policy.yaml` maps people to their groups.
"""

from __future__ import annotations

import functools
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from kaze_policy.errors import InputError

RBAC_GROUP = "rbac.authorization.k8s.io"
AGGREGATE_LABEL = "rbac.authorization.k8s.io/aggregate-to-"
TENANT_LABEL = "kaze.io/tenant"
ALL = "*"
SA_ALL_GROUP = "system:serviceaccounts"
SA_NS_GROUP_PREFIX = "system:serviceaccounts:"
AUTHENTICATED_GROUP = "system:authenticated"
SA_USER_PREFIX = "system:serviceaccount:"
CLUSTER_ADMIN = "ClusterRole/cluster-admin"

# The API group a bare resource name means when the caller gives none.
DEFAULT_GROUPS: dict[str, str] = {
    "pods": "", "secrets": "", "configmaps": "", "services": "", "serviceaccounts": "",
    "namespaces": "", "nodes": "", "persistentvolumeclaims": "", "users": "", "groups": "",
    "deployments": "apps", "statefulsets": "apps", "daemonsets": "apps", "replicasets": "apps",
    "jobs": "batch", "cronjobs": "batch",
    "roles": RBAC_GROUP, "clusterroles": RBAC_GROUP, "rolebindings": RBAC_GROUP, "clusterrolebindings": RBAC_GROUP,
    "applications": "argoproj.io",
}


# --------------------------------------------------------------------------- model


@dataclass(frozen=True, order=True)
class Subject:
    """A User, Group or ServiceAccount as a binding names it."""

    kind: str
    name: str
    namespace: str | None = None

    @property
    def key(self) -> str:
        """`User:alice`, `Group:kaze:operators`, `ServiceAccount:<ns>:<name>` (config's form)."""
        if self.kind == "ServiceAccount":
            return f"ServiceAccount:{self.namespace}:{self.name}"
        return f"{self.kind}:{self.name}"

    @classmethod
    def parse(cls, text: str) -> Subject:
        """The inverse of `key`; a Group or User name may itself contain `:`."""
        kind, _, rest = text.partition(":")
        if kind == "ServiceAccount":
            namespace, _, name = rest.partition(":")
            if not namespace or not name:
                raise ValueError(f"ServiceAccount subject needs a namespace and a name: {text!r}")
            return cls(kind, name, namespace)
        if kind not in ("User", "Group") or not rest:
            raise ValueError(f"subject must be User:<name>, Group:<name> or ServiceAccount:<ns>:<name>: {text!r}")
        return cls.of(kind, rest)

    @classmethod
    def of(cls, kind: str, name: str, namespace: str | None = None) -> Subject:
        """A subject as the API server sees it: the User `system:serviceaccount:<ns>:<name>`
        *is* that ServiceAccount (its token authenticates under that user name)."""
        if kind == "User" and name.startswith(SA_USER_PREFIX):
            ns, _, sa = name[len(SA_USER_PREFIX):].partition(":")
            if ns and sa:
                return cls("ServiceAccount", sa, ns)
        return cls(kind, name, namespace if kind == "ServiceAccount" else None)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "namespace": self.namespace}


@dataclass(frozen=True)
class Rule:
    """One PolicyRule. An empty `resource_names` means every object."""

    api_groups: frozenset[str]
    resources: frozenset[str]
    verbs: frozenset[str]
    resource_names: frozenset[str] = frozenset()

    @classmethod
    def from_object(cls, obj: Mapping[str, Any]) -> Rule:
        def s(key: str) -> frozenset[str]:
            return frozenset(str(v) for v in (obj.get(key) or []))

        return cls(s("apiGroups"), s("resources"), s("verbs"), s("resourceNames"))

    def allows(self, verb: str, api_group: str, resource: str, subresource: str | None, name: str | None) -> bool:
        """Kubernetes' rule matching; `api_group` `*` asks about any group, `name` None any object."""
        if ALL not in self.verbs and verb not in self.verbs:
            return False
        if api_group != ALL and ALL not in self.api_groups and api_group not in self.api_groups:
            return False
        if not self._resource_matches(resource, subresource):
            return False
        return name is None or not self.resource_names or name in self.resource_names

    def _resource_matches(self, resource: str, subresource: str | None) -> bool:
        combined = f"{resource}/{subresource}" if subresource else resource
        if ALL in self.resources or combined in self.resources:
            return True
        return bool(subresource) and f"*/{subresource}" in self.resources

    @property
    def is_wildcard_admin(self) -> bool:
        """`*` verbs on `*` resources: everything in the groups it names."""
        return ALL in self.verbs and ALL in self.resources


@dataclass(frozen=True)
class SourcedRule:
    """A rule of a role, and the ClusterRole it came from when it came by aggregation."""

    rule: Rule
    aggregated_from: str | None = None


@dataclass(frozen=True)
class Grant:
    """One rule reaching one subject, with the witness chain that proves it."""

    subject: Subject
    namespace: str  # `*` for cluster-wide
    binding: str
    role: str
    rule: Rule
    aggregated_from: str | None = None
    via_group: Subject | None = None  # the group binding through which a ServiceAccount is reached

    @property
    def resource_names(self) -> frozenset[str]:
        return self.rule.resource_names

    def witness(self) -> dict[str, Any]:
        """`{binding, role}` plus the aggregated source role and the group, when any."""
        out: dict[str, Any] = {"binding": self.binding, "role": self.role}
        if self.aggregated_from:
            out["aggregated_from"] = self.aggregated_from
        if self.via_group:
            out["group"] = self.via_group.key
        return out


@dataclass
class _Role:
    id: str
    kind: str
    name: str
    labels: dict[str, str]
    rules: tuple[Rule, ...]
    selectors: list[Mapping[str, Any]] | None  # aggregationRule.clusterRoleSelectors
    protected: bool = False  # annotated `autoupdate: "false"`: start-up reconciliation leaves it alone


def _role_of(kind: str, namespace: str | None, name: str, obj: Mapping[str, Any],
             role_id: str | None = None) -> _Role:
    """A Role or ClusterRole object as the analysis holds it (rules on non-resource URLs
    aside: no control asks about them)."""
    meta = obj.get("metadata") or {}
    agg = obj.get("aggregationRule") if kind == "ClusterRole" else None
    rules = tuple(Rule.from_object(r) for r in obj.get("rules") or [] if r.get("resources"))
    labels = {str(k): str(v) for k, v in (meta.get("labels") or {}).items()}
    selectors = list(agg.get("clusterRoleSelectors") or []) if isinstance(agg, Mapping) else None
    key = f"Role/{namespace}/{name}" if kind == "Role" else f"ClusterRole/{name}"
    protected = (meta.get("annotations") or {}).get(AUTOUPDATE_ANNOTATION) == "false"
    return _Role(role_id or key, kind, name, labels, rules, selectors, protected)


@dataclass
class _Binding:
    id: str
    kind: str
    scope: str  # the namespace, or `*` for a ClusterRoleBinding
    role_key: str  # `Role/<ns>/<name>` or `ClusterRole/<name>`: how the roleRef resolves
    role_id: str  # the role's inventory id (differs from the key only for duplicates, `#2`)
    subjects: tuple[Subject, ...]
    members: list[tuple[Subject, Subject | None]] = field(default_factory=list)


# --------------------------------------------------------------------------- built-in roles
# The roles every Kubernetes API server creates at start-up (bootstrap ClusterRoles, the
# controllers' ClusterRoles, the namespaced Roles of kube-system and kube-public), dumped from
# the pinned k8s.io/kubernetes by tools/k8s/bootstrap-rbac (`make bootstrap-rbac`): never
# written by hand. `admin`, `edit` and `view` are aggregated from `system:aggregate-to-*`, so
# a role labelled `aggregate-to-edit` extends edit *and* admin, as in a real cluster.
# The bootstrap *bindings* are not loaded: they grant the control plane's own identities,
# which every cluster has and no scanned repository decides (docs/rbac.md).

BOOTSTRAP_FILE = Path(__file__).with_name("data") / "bootstrap_rbac.json"
AUTOUPDATE_ANNOTATION = "rbac.authorization.kubernetes.io/autoupdate"


@functools.cache
def bootstrap_roles() -> Mapping[str, _Role]:
    """`ClusterRole/<name>` and `Role/<ns>/<name>` → the role the API server starts with."""
    data = json.loads(BOOTSTRAP_FILE.read_text(encoding="utf-8"))
    out: dict[str, _Role] = {}
    for kind, objects in (("ClusterRole", data["clusterRoles"]), ("Role", data["roles"])):
        for obj in objects:
            meta = obj.get("metadata") or {}
            role = _role_of(kind, meta.get("namespace"), str(meta["name"]), obj)
            out[role.id] = role
    return out


def _reconciled(existing: _Role, expected: _Role) -> _Role:
    """A manifest's role that a bootstrap role of the same name meets: what the API server's
    start-up reconciliation (k8s.io/component-helpers/auth/rbac/reconciliation, union mode)
    leaves, unless the manifest opts out with `autoupdate: "false"`. The bootstrap labels,
    rules and aggregation selectors the manifest lacks are added; an aggregationRule the
    bootstrap role does not have is removed."""
    if existing.protected:
        return existing
    rules = existing.rules + tuple(r for r in expected.rules if r not in existing.rules)
    if expected.selectors is None:
        selectors = None
    else:
        own = list(existing.selectors or [])
        selectors = own + [s for s in expected.selectors if s not in own]
    return replace(existing, labels={**expected.labels, **existing.labels}, rules=rules, selectors=selectors)


# --------------------------------------------------------------------------- label selectors


def selector_matches(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """A metav1.LabelSelector: matchLabels and matchExpressions all hold (empty = everything)."""
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != str(v):
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), [str(v) for v in expr.get("values") or []]
        present = key in labels
        if op == "In" and not (present and labels[key] in values):
            return False
        if op == "NotIn" and present and labels[key] in values:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
    return True


# --------------------------------------------------------------------------- the analysis


def _values(resources: Iterable[Mapping[str, Any]] | Mapping[str, Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Accept the inventory's `resources` mapping or a plain list of resources."""
    if isinstance(resources, Mapping):
        return list(resources.values())
    return list(resources)


def _meta(res: Mapping[str, Any]) -> Mapping[str, Any]:
    return (res.get("object") or {}).get("metadata") or {}


def _namespace_of(res: Mapping[str, Any]) -> str | None:
    return res.get("namespace") or _meta(res).get("namespace")


def _name_of(res: Mapping[str, Any]) -> str:
    return str(res.get("name") or _meta(res).get("name") or "")


def _id_of(res: Mapping[str, Any]) -> str:
    if res.get("id"):
        return str(res["id"])
    ns = _namespace_of(res)
    return f"{res.get('kind')}/{ns}/{_name_of(res)}" if ns else f"{res.get('kind')}/{_name_of(res)}"


def _subjects(obj: Mapping[str, Any], binding_namespace: str | None) -> tuple[Subject, ...]:
    """A binding's subjects (check_binding has vouched for them); a ServiceAccount without a
    namespace is the RoleBinding's own, as the authorizer reads it."""
    out: list[Subject] = []
    for s in obj.get("subjects") or []:
        kind, name = str(s.get("kind")), str(s.get("name"))
        if kind == "ServiceAccount":
            out.append(Subject(kind, name, s.get("namespace") or binding_namespace))
        else:
            out.append(Subject.of(kind, name))
    return tuple(out)


# --------------------------------------------------------------------------- what the API server rejects
# An object the API server refuses grants nothing and never exists: reading it as a grant
# (or as no grant) would judge a cluster that cannot be. pkg/apis/rbac/validation of the
# pinned Kubernetes, after the v1 defaults (an empty roleRef.apiGroup, or a User's or Group's
# apiGroup, is rbac.authorization.k8s.io).

_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_RULE_LISTS = ("verbs", "apiGroups", "resources", "resourceNames", "nonResourceURLs")
_SELECTOR_OPERATORS = {"In": True, "NotIn": True, "Exists": False, "DoesNotExist": False}  # → needs values


def _reject(res: Mapping[str, Any], problem: str) -> InputError:
    return InputError(f"{_id_of(res)}: {problem}; the API server rejects it", res.get("file"), res.get("line"))


def _rbac_name_problem(name: Any) -> str | None:
    """ValidateRBACName: a path segment name."""
    if not isinstance(name, str) or not name:
        return "is required"
    if name in (".", "..") or "/" in name or "%" in name:
        return f"{name!r} is not a valid name (no '/', '%', '.' or '..')"
    return None


def check_binding(res: Mapping[str, Any]) -> None:
    """Raise InputError when the API server would reject this RoleBinding or ClusterRoleBinding."""
    obj = res.get("object") or {}
    cluster = res.get("kind") == "ClusterRoleBinding"
    ref = obj.get("roleRef")
    if not isinstance(ref, Mapping):
        raise _reject(res, "roleRef is required")
    if (ref.get("apiGroup") or RBAC_GROUP) != RBAC_GROUP:
        raise _reject(res, f"roleRef.apiGroup must be {RBAC_GROUP}, not {ref.get('apiGroup')!r}")
    allowed = ("ClusterRole",) if cluster else ("Role", "ClusterRole")
    if ref.get("kind") not in allowed:
        raise _reject(res, f"roleRef.kind must be {' or '.join(allowed)}, not {ref.get('kind')!r}")
    problem = _rbac_name_problem(ref.get("name"))
    if problem:
        raise _reject(res, f"roleRef.name {problem}")
    _check_items(res, "subjects", obj.get("subjects") or [], lambda s: _subject_problem(s, cluster))


def _check_items(res: Mapping[str, Any], field: str, items: Any, problem_of: Callable[[Any], str | None]) -> None:
    """Reject at the first item of a list field that the API server would refuse, naming it."""
    if not isinstance(items, list):
        raise _reject(res, f"{field} must be a list")
    for i, item in enumerate(items):
        problem = problem_of(item)
        if problem:
            raise _reject(res, f"{field}[{i}]: {problem}")


def _subject_problem(s: Any, cluster: bool) -> str | None:
    if not isinstance(s, Mapping):
        return "must be an object"
    kind, name, group = s.get("kind"), s.get("name"), s.get("apiGroup") or ""
    if not isinstance(name, str) or not name:
        return "name is required"
    if kind == "ServiceAccount":
        if not _DNS_SUBDOMAIN.fullmatch(name) or len(name) > 253:
            return f"{name!r} is not a valid ServiceAccount name"
        if group:
            return f"apiGroup of a ServiceAccount must be empty, not {group!r}"
        if cluster and not s.get("namespace"):
            return "a ServiceAccount in a ClusterRoleBinding needs a namespace"
        return None
    if kind in ("User", "Group"):
        if (group or RBAC_GROUP) != RBAC_GROUP:
            return f"apiGroup of a {kind} must be {RBAC_GROUP}, not {group!r}"
        return None
    return f"kind must be ServiceAccount, User or Group, not {kind!r}"


def check_role(res: Mapping[str, Any]) -> None:
    """Raise InputError when the API server would reject this Role or ClusterRole."""
    obj = res.get("object") or {}
    namespaced = res.get("kind") == "Role"
    _check_items(res, "rules", obj.get("rules") or [], lambda rule: _rule_problem(rule, namespaced))
    agg = obj.get("aggregationRule")
    if namespaced or agg is None:
        return
    selectors = agg.get("clusterRoleSelectors") if isinstance(agg, Mapping) else None
    if not isinstance(selectors, list) or not selectors:
        raise _reject(res, "aggregationRule needs at least one clusterRoleSelector")
    for i, sel in enumerate(selectors):
        problem = _selector_problem(sel)
        if problem:
            raise _reject(res, f"aggregationRule.clusterRoleSelectors[{i}]: {problem}")


def _rule_problem(rule: Any, namespaced: bool) -> str | None:
    """ValidatePolicyRule."""
    if not isinstance(rule, Mapping):
        return "must be an object"
    for key in _RULE_LISTS:
        value = rule.get(key)
        if value is not None and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            return f"{key} must be a list of strings"
    if not rule.get("verbs"):
        return "verbs must contain at least one value"
    if rule.get("nonResourceURLs"):
        if namespaced:
            return "a Role cannot apply to non-resource URLs"
        if rule.get("apiGroups") or rule.get("resources") or rule.get("resourceNames"):
            return "a rule cannot apply to both resources and non-resource URLs"
        return None
    if not rule.get("apiGroups"):
        return "a resource rule must name at least one apiGroup (\"\" is the core group)"
    if not rule.get("resources"):
        return "a resource rule must name at least one resource"
    return None


def _selector_problem(sel: Any) -> str | None:
    """ValidateLabelSelector, as far as matching depends on it."""
    if not isinstance(sel, Mapping) or not isinstance(sel.get("matchLabels") or {}, Mapping) \
            or not isinstance(sel.get("matchExpressions") or [], list):
        return "must be a label selector (matchLabels a map, matchExpressions a list)"
    for expr in sel.get("matchExpressions") or []:
        op = expr.get("operator") if isinstance(expr, Mapping) else None
        if op not in _SELECTOR_OPERATORS:
            return f"operator must be one of {', '.join(_SELECTOR_OPERATORS)}, not {op!r}"
        if _SELECTOR_OPERATORS[op] != bool(expr.get("values")):
            return f"operator {op} {'needs' if _SELECTOR_OPERATORS[op] else 'takes no'} values"
    return None


class EffectivePermissions:
    """Roles (aggregation resolved), bindings and group memberships, ready to be asked."""

    def __init__(self, resources: Iterable[Mapping[str, Any]] | Mapping[str, Mapping[str, Any]]) -> None:
        self.roles: dict[str, _Role] = {}
        self.bindings: list[_Binding] = []
        self.unresolved_bindings: list[_Binding] = []
        self.service_accounts: set[Subject] = set()
        self.namespaces: set[str] = set()  # every namespace the inventory shows to exist
        raw_bindings: list[Mapping[str, Any]] = []
        for res in _values(resources):
            kind = res.get("kind")
            if kind in ("Role", "ClusterRole"):
                check_role(res)
                self._add_role(res)
            elif kind in ("RoleBinding", "ClusterRoleBinding"):
                check_binding(res)
                raw_bindings.append(res)
            elif kind == "ServiceAccount":
                self.service_accounts.add(Subject("ServiceAccount", _name_of(res), _namespace_of(res) or "default"))
            elif kind == "Namespace":
                self.namespaces.add(_name_of(res))
            if res.get("namespace"):  # the inventory's namespace: set for Kubernetes objects only
                self.namespaces.add(str(res["namespace"]))
        for key, builtin in bootstrap_roles().items():
            mine = self.roles.get(key)
            self.roles[key] = builtin if mine is None else _reconciled(mine, builtin)
        for res in raw_bindings:
            self._add_binding(res)
        self._effective: dict[str, tuple[SourcedRule, ...]] = {}
        self._expand_members()
        self._by_subject: dict[Subject, list[tuple[_Binding, Subject | None]]] | None = None

    # ----------------------------------------------------------------- loading

    def _add_role(self, res: Mapping[str, Any]) -> None:
        kind, ns = str(res.get("kind")), _namespace_of(res) or "default"
        role = _role_of(kind, ns, _name_of(res), res.get("object") or {}, role_id=_id_of(res))
        self.roles[f"Role/{ns}/{role.name}" if kind == "Role" else f"ClusterRole/{role.name}"] = role

    def _add_binding(self, res: Mapping[str, Any]) -> None:
        obj = res.get("object") or {}
        kind = str(res.get("kind"))
        ns = (_namespace_of(res) or "default") if kind == "RoleBinding" else None
        ref = obj.get("roleRef") or {}
        key = f"Role/{ns}/{ref.get('name')}" if ref.get("kind") == "Role" else f"ClusterRole/{ref.get('name')}"
        subjects = _subjects(obj, ns)
        self.service_accounts.update(s for s in subjects if s.kind == "ServiceAccount")
        self.namespaces.update(str(s.namespace) for s in subjects if s.kind == "ServiceAccount")
        role = self.roles.get(key)
        if role is None:
            self.unresolved_bindings.append(_Binding(_id_of(res), kind, ns or ALL, key, key, subjects))
            return
        self.bindings.append(_Binding(_id_of(res), kind, ns or ALL, key, role.id, subjects))

    @property
    def unresolved(self) -> list[dict[str, str]]:
        """Bindings whose role is not in the inventory (nor built in): they grant nothing yet."""
        return [{"binding": b.id, "role": b.role_id} for b in self.unresolved_bindings]

    def _expand_members(self) -> None:
        """Each binding's subjects, plus the ServiceAccounts its SA groups reach."""
        # Every namespace has a `default` ServiceAccount (the service-account controller makes
        # it), declared or not; a `system:serviceaccounts:<ns>` group names a namespace too.
        for b in self.bindings:
            self.namespaces.update(s.name[len(SA_NS_GROUP_PREFIX):] for s in b.subjects
                                   if s.kind == "Group" and s.name.startswith(SA_NS_GROUP_PREFIX))
        self.service_accounts.update(Subject("ServiceAccount", "default", ns) for ns in self.namespaces if ns)
        by_ns: dict[str, list[Subject]] = defaultdict(list)
        for sa in sorted(self.service_accounts):
            by_ns[str(sa.namespace)].append(sa)
        everyone = sorted(self.service_accounts)
        for b in self.bindings:
            members: list[tuple[Subject, Subject | None]] = [(s, None) for s in b.subjects]
            for s in b.subjects:
                if s.kind != "Group":
                    continue
                if s.name in (SA_ALL_GROUP, AUTHENTICATED_GROUP):
                    members.extend((sa, s) for sa in everyone)
                elif s.name.startswith(SA_NS_GROUP_PREFIX):
                    members.extend((sa, s) for sa in by_ns[s.name[len(SA_NS_GROUP_PREFIX):]])  # its default, at least
            b.members = list(dict.fromkeys(members))

    # ----------------------------------------------------------------- rules

    def rules_of(self, role_key: str) -> tuple[SourcedRule, ...]:
        """A role's rules (by `Role/<ns>/<name>` or `ClusterRole/<name>`), with aggregation
        resolved to its fixpoint, as the aggregation controller converges (cycles tolerated)."""
        if role_key not in self._effective:
            self._effective[role_key] = self._resolve(role_key, frozenset())
        return self._effective[role_key]

    def _resolve(self, role_key: str, visiting: frozenset[str]) -> tuple[SourcedRule, ...]:
        role = self.roles.get(role_key)
        if role is None:
            return ()
        if role.selectors is None:
            return tuple(SourcedRule(r) for r in role.rules)
        found: dict[Rule, str | None] = {}
        for other_key, other in self._aggregated_sources(role_key, role):
            if other_key in visiting:
                continue
            for sr in self._resolve(other_key, visiting | {role_key}):
                found.setdefault(sr.rule, sr.aggregated_from or other.id)
        # A live cluster's aggregated role already lists the union; a manifest's own rules
        # would be overwritten by the controller. Counting them errs towards reporting.
        for r in role.rules:
            found.setdefault(r, None)
        return tuple(SourcedRule(r, src) for r, src in found.items())

    def _aggregated_sources(self, role_key: str, role: _Role) -> Iterator[tuple[str, _Role]]:
        """The ClusterRoles an aggregationRule selects (a role never aggregates itself)."""
        for other_key, other in self.roles.items():
            if other.kind != "ClusterRole" or other_key == role_key:
                continue
            if any(selector_matches(sel, other.labels) for sel in role.selectors or []):
                yield other_key, other

    # ----------------------------------------------------------------- questions

    def who_can(
        self,
        verb: str,
        resource: str,
        namespace: str | None = None,
        api_group: str | None = None,
        subresource: str | None = None,
        name: str | None = None,
    ) -> list[Grant]:
        """Every (subject, rule) allowing `verb` on `resource`.

        `namespace` None: anywhere (each grant says where: a namespace or `*`); a namespace:
        grants that apply there; `*`: cluster-wide grants only. `api_group` None: the
        resource's usual group (DEFAULT_GROUPS), `*` any group. `resource` may be
        `pods/exec`. `name` None: any object, name-restricted grants included (their
        `resource_names` say so); a name: exactly Kubernetes' answer for that object.
        """
        if subresource is None and "/" in resource:
            resource, subresource = resource.split("/", 1)
        group = api_group if api_group is not None else DEFAULT_GROUPS.get(resource, ALL)
        matched: dict[str, list[SourcedRule]] = {}
        out: list[Grant] = []
        for b in self.bindings:
            if namespace is not None and b.scope != ALL and (namespace == ALL or b.scope != namespace):
                continue
            rules = matched.get(b.role_key)
            if rules is None:
                rules = [sr for sr in self.rules_of(b.role_key)
                         if sr.rule.allows(verb, group, resource, subresource, name)]
                matched[b.role_key] = rules
            for sr in rules:
                out.extend(Grant(s, b.scope, b.id, b.role_id, sr.rule, sr.aggregated_from, via) for s, via in b.members)
        return out

    def authorize(self, user: str, groups: Iterable[str], verb: str, api_group: str, resource: str,
                  subresource: str = "", namespace: str = "", name: str = "") -> bool:
        """The RBAC authorizer's decision on one resource request by `user` in `groups` (as the
        authenticator hands them over): `namespace` "" is a cluster-scoped request, `name` ""
        a request on no single object (list, create), which a resourceNames rule never allows."""
        requester, member_of = Subject.of("User", user), set(groups)
        for g in self.who_can(verb, resource, namespace or ALL, api_group, subresource or None, name):
            if g.via_group is None and (g.subject == requester or (g.subject.kind == "Group" and g.subject.name in member_of)):
                return True
        return False

    def can(self, subject: Subject | str, verb: str, api_group: str, resource: str, subresource: str = "",
            namespace: str = "", name: str = "") -> bool:
        """`authorize` for a subject of a binding, with the groups it always authenticates
        with: a ServiceAccount is in `system:serviceaccounts`, `system:serviceaccounts:<ns>`
        and `system:authenticated` whether or not the inventory declares it."""
        if isinstance(subject, str):
            subject = Subject.parse(subject)
        if subject.kind == "Group":
            return self.authorize("", [subject.name, AUTHENTICATED_GROUP], verb, api_group, resource, subresource,
                                  namespace, name)
        user = f"{SA_USER_PREFIX}{subject.namespace}:{subject.name}" if subject.kind == "ServiceAccount" else subject.name
        return self.authorize(user, implied_groups(subject), verb, api_group, resource, subresource, namespace, name)

    def permissions_of(self, subject: Subject | str) -> list[Grant]:
        """Everything one subject may do (directly, or through an SA group it belongs to)."""
        if isinstance(subject, str):
            subject = Subject.parse(subject)
        if self._by_subject is None:
            index: dict[Subject, list[tuple[_Binding, Subject | None]]] = defaultdict(list)
            for b in self.bindings:
                for s, via in b.members:
                    index[s].append((b, via))
            self._by_subject = index
        pairs = list(self._by_subject.get(subject, []))
        if subject.kind == "ServiceAccount":
            # its namespace's and every SA's group, even when the inventory never declares it
            reached = {(b.id, via) for b, via in pairs}
            for name in implied_groups(subject):
                group = Subject("Group", name)
                pairs.extend((b, group) for b, via in self._by_subject.get(group, [])
                             if via is None and (b.id, group) not in reached)
        return [
            Grant(subject, b.scope, b.id, b.role_id, sr.rule, sr.aggregated_from, via)
            for b, via in pairs
            for sr in self.rules_of(b.role_key)
        ]

    def grants(self) -> Iterator[Grant]:
        """Every grant of every binding: for questions no single verb answers."""
        for b in self.bindings:
            for sr in self.rules_of(b.role_key):
                for s, via in b.members:
                    yield Grant(s, b.scope, b.id, b.role_id, sr.rule, sr.aggregated_from, via)


def implied_groups(subject: Subject) -> list[str]:
    """The groups the authenticator gives every request of a User or ServiceAccount."""
    if subject.kind == "ServiceAccount":
        return [SA_ALL_GROUP, f"{SA_NS_GROUP_PREFIX}{subject.namespace}", AUTHENTICATED_GROUP]
    return [AUTHENTICATED_GROUP]


def effective_permissions(
    resources: Iterable[Mapping[str, Any]] | Mapping[str, Mapping[str, Any]],
) -> EffectivePermissions:
    """Load Roles, ClusterRoles, bindings and ServiceAccounts from inventory resources."""
    return EffectivePermissions(resources)


# --------------------------------------------------------------------------- facts

SECRET_VERBS = ("get", "list", "watch")
WORKLOADS = (("apps", "deployments"), ("apps", "statefulsets"), ("apps", "daemonsets"), ("apps", "replicasets"),
             ("batch", "jobs"), ("batch", "cronjobs"), ("", "pods"))
WORKLOAD_VERBS = ("create", "update", "patch")
# Creating an Application deploys as surely as syncing one, so `create` counts too.
GITOPS = (("argoproj.io", "applications"),)
GITOPS_VERBS = ("create", "update", "patch")
SENSITIVE: tuple[tuple[str, tuple[str, ...], str, tuple[str, ...]], ...] = (
    ("escalate", ("escalate",), RBAC_GROUP, ("roles", "clusterroles")),
    ("bind", ("bind",), RBAC_GROUP, ("roles", "clusterroles")),
    ("impersonate", ("impersonate",), "", ("users", "groups", "serviceaccounts")),
    ("impersonate", ("impersonate",), "authentication.k8s.io", ("uids", "userextras")),
    # older clients open exec/attach/port-forward with GET, newer with POST (create)
    ("pods/exec", ("create", "get"), "", ("pods/exec",)),
    ("pods/attach", ("create", "get"), "", ("pods/attach",)),
    ("pods/portforward", ("create", "get"), "", ("pods/portforward",)),
)


# --------------------------------------------------------------------------- Argo CD RBAC
# Syncing an Application deploys as surely as patching a Deployment, and Argo CD decides who
# may sync with its own RBAC: Casbin CSV in the `argocd-rbac-cm` ConfigMap, not Kubernetes'.
# `p, <subject|role>, <resource>, <action>, <project>/<app>[, allow|deny]` grants,
# `g, <subject|role>, <role>` makes members, `policy.default` is everyone's role, a deny of
# the same action wins, and `role:admin` is built in.

ARGOCD_RBAC_CM = "argocd-rbac-cm"
ARGOCD_DEPLOY_ACTIONS = frozenset({"sync", "create", "update", "override", "*"})
ARGOCD_BUILTIN_ROLES: dict[str, list[tuple[str, str, str, str]]] = {
    "role:admin": [("applications", "*", "*/*", "allow")],
    "role:readonly": [("applications", "get", "*/*", "allow")],
}
ARGOCD_EVERYONE = "argocd:authenticated"  # stands for every user Argo CD lets in
_ALL_OBJECTS = ("*", "*/*")


@dataclass(frozen=True)
class ArgoGrant:
    """One Argo CD subject allowed to deploy: through which role, action and objects."""

    subject: Subject
    config_map: str
    role: str
    action: str
    objects: str


def _argocd_lines(data: Mapping[str, Any]) -> Iterator[list[str]]:
    """The CSV lines of `policy.csv` and every `policy.<name>.csv` (Argo CD merges them)."""
    for key in sorted(data):
        if key == "policy.csv" or (key.startswith("policy.") and key.endswith(".csv")):
            for line in str(data[key] or "").splitlines():
                line = line.strip()
                if line and not line.startswith("#"):
                    yield [part.strip() for part in line.split(",")]


def _argocd_subject(name: str) -> Subject:
    """An SSO subject: a user when it looks like an email, else a group (`scopes: [groups]`)."""
    return Subject("User" if "@" in name else "Group", name)


def argocd_deployers(resources: Iterable[Mapping[str, Any]]) -> list[ArgoGrant]:
    """Who may sync, create, update or override Argo CD Applications, per `argocd-rbac-cm`."""
    out: list[ArgoGrant] = []
    for res in resources:
        if res.get("kind") == "ConfigMap" and _name_of(res) == ARGOCD_RBAC_CM:
            out.extend(_argocd_config_map(_id_of(res), (res.get("object") or {}).get("data") or {}))
    return out


def _argocd_config_map(cm_id: str, data: Mapping[str, Any]) -> list[ArgoGrant]:
    rules: dict[str, list[tuple[str, str, str, str]]] = defaultdict(list, ARGOCD_BUILTIN_ROLES)
    roles_of: dict[str, set[str]] = defaultdict(set)
    principals: set[str] = set()
    for parts in _argocd_lines(data):
        if parts[0] == "p" and len(parts) >= 5:
            effect = parts[5] if len(parts) > 5 else "allow"
            rules[parts[1]] = [*rules[parts[1]], (parts[2], parts[3], parts[4], effect)]
            principals.add(parts[1])
        elif parts[0] == "g" and len(parts) >= 3:
            roles_of[parts[1]].add(parts[2])
            principals.add(parts[1])
    default = str(data.get("policy.default") or "").strip()
    everyone = {ARGOCD_EVERYONE} if default else set()
    out = []
    roles = {r for rs in roles_of.values() for r in rs}  # a name others are members of is a role
    for principal in sorted((principals - roles) | everyone):
        if principal.startswith("role:"):
            continue
        held = _argocd_closure(principal, roles_of, default)
        granted = [(role, r) for role in sorted(held) for r in rules.get(role, [])]
        denied = {(act, obj) for _, (res, act, obj, eft) in granted if eft == "deny" and res in ("applications", "*")}
        for role, (res, act, obj, eft) in granted:
            if eft != "allow" or res not in ("applications", "*") or act not in ARGOCD_DEPLOY_ACTIONS:
                continue
            if any((a in (act, "*")) and (o in _ALL_OBJECTS or o == obj) for a, o in denied):
                continue
            out.append(ArgoGrant(_argocd_subject(principal), cm_id, role, act, obj))
    return out


def _argocd_closure(principal: str, roles_of: Mapping[str, set[str]], default: str) -> set[str]:
    """The principal itself, its roles, their roles in turn, and the default role."""
    seen, todo = set(), [principal] + ([default] if default else [])
    while todo:
        cur = todo.pop()
        if cur not in seen:
            seen.add(cur)
            todo.extend(roles_of.get(cur, ()))
    return seen


class _Identities:
    """Subjects → the person or team of kaze-policy.yaml, and its duties (config.groups)."""

    def __init__(self, config: Mapping[str, Any] | None) -> None:
        config = config or {}
        self.names: dict[str, str] = {}
        self.table: dict[str, dict[str, list[str]]] = {}
        for ident in config.get("identities") or []:
            name = str(ident.get("name"))
            subjects = [self._normal(s) for s in ident.get("kubernetes") or []]
            self.table[name] = {"kubernetes": subjects, "vault": [str(v) for v in ident.get("vault") or []]}
            for key in subjects:
                self.names.setdefault(key, name)
        self.duties: dict[str, list[str]] = defaultdict(list)
        for duty, subjects in sorted((config.get("groups") or {}).items()):
            for s in subjects or []:
                self.duties[self._normal(s)].append(duty)

    @staticmethod
    def _normal(text: str) -> str:
        try:
            return Subject.parse(str(text)).key
        except ValueError:
            return str(text)

    def of(self, subject: Subject) -> str:
        """The configured identity, or the subject's own id (also for members of config.groups)."""
        return self.names.get(subject.key, subject.key)


class _Collector:
    """Groups grants into fact entries, one per subject and scope (and extra key).

    Set-valued fields accumulate as sets and are sorted once, in `result`.
    """

    def __init__(self, identities: _Identities) -> None:
        self.identities = identities
        self.entries: dict[tuple[Any, ...], dict[str, Any]] = {}
        self.sets: dict[tuple[Any, ...], dict[str, set[str]]] = {}
        self.vias: dict[tuple[Any, ...], set[tuple[str, str, str | None, str | None]]] = {}
        self.all_names: set[tuple[Any, ...]] = set()

    def add(self, grant: Grant, extra: tuple[Any, ...] = (), fields: Mapping[str, Any] | None = None,
            **sets: Iterable[str]) -> None:
        """Count one grant: its witness joins `via`, each keyword's values join that set."""
        key = (grant.subject.key, grant.namespace) + extra
        if key not in self.entries:
            self.entries[key] = {"subject": grant.subject.to_json(), "identity": self.identities.of(grant.subject),
                                 "duties": list(self.identities.duties.get(grant.subject.key, [])),
                                 "namespace": grant.namespace, **(fields or {})}
            self.sets[key] = defaultdict(set)
            self.vias[key] = set()
        for name, values in sets.items():
            self.sets[key][name].update(values)
        if not grant.resource_names:
            self.all_names.add(key)
        via = grant.via_group.key if grant.via_group else None
        self.vias[key].add((grant.binding, grant.role, grant.aggregated_from, via))

    def result(self, names: bool = False) -> list[dict[str, Any]]:
        """Entries sorted by subject and scope; `resource_names` None means every object."""
        out = []
        for key in sorted(self.entries):  # (subject, namespace or `*`, extra…): strings alone
            entry = self.entries[key]
            entry.update({name: sorted(values) for name, values in self.sets[key].items()})
            if names and key in self.all_names:  # the names collected above, unless one grant has none
                entry["resource_names"] = None
            # a witness's aggregated_from and group may be None, which does not compare with a
            # string: sorted by their text ("None" for none), one stable order all the same
            entry["via"] = [_witness(*w) for w in sorted(self.vias[key], key=lambda w: tuple(map(str, w)))]
            out.append(entry)
        return out


def _witness(binding: str, role: str, aggregated_from: str | None, group: str | None) -> dict[str, str]:
    out = {"binding": binding, "role": role}
    if aggregated_from:
        out["aggregated_from"] = aggregated_from
    if group:
        out["group"] = group
    return out


def _secret_readers(perms: EffectivePermissions, ids: _Identities) -> list[dict[str, Any]]:
    col = _Collector(ids)
    for verb in SECRET_VERBS:
        for g in perms.who_can(verb, "secrets", api_group=""):
            col.add(g, verbs=(verb,), resource_names=g.resource_names)
    return col.result(names=True)


def _deployers(perms: EffectivePermissions, ids: _Identities, argo: list[ArgoGrant]) -> list[dict[str, Any]]:
    col = _Collector(ids)
    for targets, verbs in ((WORKLOADS, WORKLOAD_VERBS), (GITOPS, GITOPS_VERBS)):
        for group, resource in targets:
            label = f"{resource}.{group}" if group else resource
            for verb in verbs:
                permission = (f"{verb} {label}",)
                for g in perms.who_can(verb, resource, api_group=group):
                    col.add(g, permissions=permission)
    for a in argo:
        rule = Rule(frozenset({"argoproj.io"}), frozenset({"applications"}), frozenset({a.action}))
        grant = Grant(a.subject, ALL, a.config_map, a.role, rule)
        col.add(grant, permissions=(f"{a.action} applications (argocd {a.objects})",))
    return col.result()


def _wildcard_admins(perms: EffectivePermissions, ids: _Identities) -> list[dict[str, Any]]:
    col = _Collector(ids)
    for g in perms.grants():
        if g.role == CLUSTER_ADMIN or g.rule.is_wildcard_admin:
            col.add(g, roles=(g.role,), api_groups=g.rule.api_groups)
    return col.result()


def _sensitive_verbs(perms: EffectivePermissions, ids: _Identities) -> list[dict[str, Any]]:
    col = _Collector(ids)
    for permission, verbs, group, resources in SENSITIVE:
        for resource in resources:
            for verb in verbs:
                for g in perms.who_can(verb, resource, api_group=group):
                    col.add(g, (permission,), {"permission": permission}, verbs=(verb,), resources=(resource,))
    return col.result()


def namespace_tenants(resources: list[Mapping[str, Any]], config: Mapping[str, Any] | None) -> dict[str, str]:
    """Namespace → tenant: the `kaze.io/tenant` label, else config `tenants[].namespaces`."""
    out: dict[str, str] = {}
    for t in (config or {}).get("tenants") or []:
        for ns in t.get("namespaces") or []:
            out[str(ns)] = str(t.get("name"))
    for res in resources:
        if res.get("kind") == "Namespace":
            tenant = (_meta(res).get("labels") or {}).get(TENANT_LABEL)
            if tenant:
                out[_name_of(res)] = str(tenant)
    return out


def _subject_tenant(subject: Subject, tenants: Mapping[str, str]) -> str | None:
    """The tenant a subject belongs to; `*` for groups spanning every tenant's accounts."""
    if subject.kind == "ServiceAccount":
        return tenants.get(str(subject.namespace))
    if subject.kind == "Group" and subject.name in (SA_ALL_GROUP, AUTHENTICATED_GROUP):
        return ALL
    if subject.kind == "Group" and subject.name.startswith(SA_NS_GROUP_PREFIX):
        return tenants.get(subject.name[len(SA_NS_GROUP_PREFIX):])
    return None


def _cross_tenant(perms: EffectivePermissions, tenants: Mapping[str, str], ids: _Identities) -> list[dict[str, Any]]:
    out = []
    # A binding whose role is missing grants nothing yet, but will as soon as the role
    # appears: KZ-TEN-07 judges the binding, so those count too.
    for b, resolved in [(b, True) for b in perms.bindings] + [(b, False) for b in perms.unresolved_bindings]:
        tenant = tenants.get(b.scope) if b.kind == "RoleBinding" else None
        if tenant is None:
            continue
        for s in b.subjects:
            other = _subject_tenant(s, tenants)
            if other is not None and other != tenant:
                out.append({"binding": b.id, "namespace": b.scope, "tenant": tenant, "subject_tenant": other,
                            "subject": s.to_json(), "identity": ids.of(s), "role": b.role_id,
                            "role_resolved": resolved, "via": [{"binding": b.id, "role": b.role_id}]})
    return sorted(out, key=lambda e: (e["binding"], repr(e["subject"])))


def analyze(
    resources: Iterable[Mapping[str, Any]] | Mapping[str, Mapping[str, Any]],
    config: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """facts.rbac, as docs/inventory.md describes it, plus `identities` for KZ-SOD-01's join."""
    items = _values(resources)
    perms = effective_permissions(items)
    ids = _Identities(config)
    return {
        "secret_readers": _secret_readers(perms, ids),
        "deployers": _deployers(perms, ids, argocd_deployers(items)),
        "wildcard_admins": _wildcard_admins(perms, ids),
        "sensitive_verbs": _sensitive_verbs(perms, ids),
        "cross_tenant_bindings": _cross_tenant(perms, namespace_tenants(items, config), ids),
        "identities": ids.table,
        "unresolved_bindings": sorted(perms.unresolved, key=lambda u: u["binding"]),
    }
