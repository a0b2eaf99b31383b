"""Resource, Inventory and its indexes: the one document every policy reads."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from kaze_policy.errors import InputError

TENANT_LABEL = "kaze.io/tenant"
PLANE_LABEL = "kaze.io/plane"
# The prefix of the platform's own labels, indexed for the rules by data.inventory.by_kaze_label.
KAZE_LABEL_PREFIX = "kaze.io/"
SNAPSHOT_API = "snapshot.kaze.io/v1"
# The most resources one target may hold (README, "Limits"): five times the benchmark's
# 10,000, which a scan judges in about 10 s; a target of more is no cell, and would take
# gigabytes of memory and minutes.
MAX_RESOURCES_PER_TARGET = 50_000
# The target's configuration, as a resource: one id whatever the file is called.
CONFIG_KIND = "KazePolicyConfig"
CONFIG_ID = "kaze-policy.yaml"

# Which scope a snapshot kind turns on when a target holds one.
SNAPSHOT_SCOPES: dict[str, str] = {
    "VaultSnapshot": "vault",
    "ImageVerificationSnapshot": "supply-chain",
    "SbomIndexSnapshot": "supply-chain",
    "ClusterProbeSnapshot": "cluster",
}
ALL_SCOPES = ("iac", "cluster", "admission", "vault", "supply-chain")

# Kinds that run pods, and where each keeps its pod template.
WORKLOAD_KINDS = frozenset({"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController",
                            "Job", "CronJob"})

# Custom kinds known to run pods: "<API group>/<Kind>" → the path of their pod template (the
# mapping that holds the pod's `metadata` and `spec`; () is the object itself, as for a Pod).
# kaze-policy.yaml `podTemplates` names more; rego/lib/k8s.rego reads them all from the inventory.
KNOWN_POD_TEMPLATES: dict[str, tuple[str, ...]] = {
    "argoproj.io/Rollout": ("spec", "template"),
    "apps.kruise.io/CloneSet": ("spec", "template"),
    "apps.kruise.io/StatefulSet": ("spec", "template"),
    "apps.kruise.io/DaemonSet": ("spec", "template"),
    "apps.kruise.io/BroadcastJob": ("spec", "template"),
    "keda.sh/ScaledJob": ("spec", "jobTargetRef", "template"),
    "serving.knative.dev/Service": ("spec", "template"),
    "serving.knative.dev/Configuration": ("spec", "template"),
    "serving.knative.dev/Revision": (),
}
# Where any other custom kind may keep one pod template: a `template` whose `spec` has
# `containers` (Rollout-, Job- and CloneSet-like kinds, Kubeflow jobs with one replica spec…).
_TEMPLATE_TAIL = ("template", "spec", "containers")


def pod_template(obj: Mapping[str, Any], kind: str | None = None) -> Mapping[str, Any]:
    """The pod a workload creates (`metadata` and `spec`); a Pod is its own template.

    Tolerant of malformed objects: a missing or mistyped level gives an empty mapping.
    """
    def field(value: Any, key: str) -> Mapping[str, Any]:
        inner = value.get(key) if isinstance(value, Mapping) else None
        return inner if isinstance(inner, Mapping) else {}

    kind = kind or obj.get("kind")
    if kind == "Pod":
        return obj
    spec = field(obj, "spec")
    if kind == "CronJob":
        return field(field(field(spec, "jobTemplate"), "spec"), "template")
    return field(spec, "template")


def template_key(api_version: str, kind: str) -> str:
    """How the inventory names a custom kind: `argoproj.io/Rollout`."""
    return f"{api_group(api_version)}/{kind}"


@dataclass
class PodPlacement:
    """Where the custom kinds of a target keep their pods, and the objects the scan cannot place."""

    templates: dict[str, list[str]] = field(default_factory=dict)
    unplaced: list[tuple[str, str]] = field(default_factory=list)  # (resource id, where its containers are)


def place_pods(resources: Iterable[Resource], configured: Mapping[str, tuple[str, ...]]) -> PodPlacement:
    """Find the pod template of every custom object that carries `containers`.

    A kind's path comes from the configuration, else from KNOWN_POD_TEMPLATES, else from the
    object (one `template.spec.containers`, at a path of field names). `containers` anywhere
    else (a second template, a list of templates, a shape no rule reads) cannot be placed: the
    controls that judge pods cannot judge that object, which the evaluation reports as an error.
    Objects of Kubernetes' own groups are left out: their schema fixes where pods are.
    """
    from kaze_policy.sources.openapi import field_path, is_builtin_group

    placement = PodPlacement()
    for resource in resources:
        if (resource.source not in KUBERNETES_SOURCES or resource.api_version == SNAPSHOT_API
                or is_builtin_group(resource.api_version)):
            continue
        key = template_key(resource.api_version, resource.kind)
        path = configured.get(key, KNOWN_POD_TEMPLATES.get(key))
        found = _container_paths(resource.obj)
        if path is None and len(found) == 1 and found[0][-3:] == _TEMPLATE_TAIL and all(
                isinstance(step, str) for step in found[0]):
            path = placement.templates.get(key) or found[0][:-2]
        if path is not None:
            placement.templates.setdefault(key, list(path))
            path = tuple(placement.templates[key])
        expected = (*path, "spec", "containers") if path is not None else None
        strays = [where for where in found if where != expected]
        if strays:
            placement.unplaced.append((resource.id, ", ".join(field_path(where) for where in strays)))
    return placement


def _container_paths(obj: Any) -> list[tuple[str | int, ...]]:
    """The paths of every `containers` field in an object."""
    found, todo = [], [(obj, ())]
    while todo:
        value, path = todo.pop()
        if isinstance(value, Mapping):
            if "containers" in value:
                found.append((*path, "containers"))
            todo.extend((v, (*path, k)) for k, v in value.items() if isinstance(v, (Mapping, list)))
        elif isinstance(value, list):
            todo.extend((v, (*path, i)) for i, v in enumerate(value) if isinstance(v, (Mapping, list)))
    return sorted(found, key=str)


def configured_pod_templates(config: Mapping[str, Any] | None) -> dict[str, tuple[str, ...]]:
    """kaze-policy.yaml `podTemplates`: `{apiGroup, kind, path}` → "<group>/<Kind>" → path."""
    return {f"{entry['apiGroup']}/{entry['kind']}": tuple(entry["path"].split(".")) if entry["path"] else ()
            for entry in (config or {}).get("podTemplates") or []}


@dataclass(frozen=True)
class Origin:
    """Where a resource came from: a file and line, or a live system."""

    file: str
    line: int | None = None


@dataclass
class Resource:
    """One object of a target: a Kubernetes object, a Terraform block, a Vault policy…"""

    kind: str
    name: str
    obj: dict[str, Any]
    origin: Origin
    source: str
    api_version: str = ""
    namespace: str | None = None
    id: str = ""

    def __post_init__(self) -> None:
        if not self.id:
            self.id = resource_id(self.kind, self.namespace, self.name)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "apiVersion": self.api_version,
            "kind": self.kind,
            "namespace": self.namespace,
            "name": self.name,
            "source": self.source,
            "file": self.origin.file,
            "line": self.origin.line,
            "object": self.obj,
        }

    def ref(self) -> dict[str, Any]:
        """The resource as a finding names it."""
        return {
            "id": self.id,
            "kind": self.kind,
            "namespace": self.namespace,
            "name": self.name,
            "file": self.origin.file,
            "line": self.origin.line,
        }


def resource_id(kind: str, namespace: str | None, name: str) -> str:
    return f"{kind}/{namespace}/{name}" if namespace else f"{kind}/{name}"


# Sources whose resources are Kubernetes objects, one per API identity (`cluster`: read live).
KUBERNETES_SOURCES = frozenset({"kubernetes", "kustomize", "cluster"})


def api_group(api_version: str) -> str:
    """`apps/v1` → `apps`; `v1` (the core group) → ``."""
    return api_version.rpartition("/")[0]


def object_key(resource: Resource) -> tuple[str, str, str | None, str] | None:
    """The identity under which the API server stores an object: group, kind, namespace, name.

    None for what is not a named Kubernetes object (an object with only a generateName gets
    a new name on each create, so two of them are two objects).
    """
    if resource.source not in KUBERNETES_SOURCES:
        return None
    metadata = resource.obj.get("metadata")
    if not isinstance(metadata, Mapping) or not metadata.get("name"):
        return None
    return api_group(resource.api_version), resource.kind, resource.namespace, resource.name


def _place(resource: Resource) -> str:
    origin = resource.origin
    return f"{origin.file}:{origin.line}" if origin.line else origin.file


@dataclass
class Target:
    """A unit of evaluation: one cell. Cross-resource controls never look across two."""

    name: str
    path: str
    kind: str  # "kustomize" | "files" | "object" | "cluster" (a live API server)
    # A part of a cell: a kustomization that another includes, deployable and so judged on
    # its own, but not a cell (controls about a whole cell are judged in the cells).
    part: bool = False


@dataclass
class Inventory:
    """Resources of one target plus indexes, configuration, scopes and analyzer facts."""

    target: Target
    resources: list[Resource] = field(default_factory=list)
    config: dict[str, Any] | None = None
    config_file: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    scopes: set[str] = field(default_factory=lambda: {"iac"})
    # Indexes of what add() has taken (add is the only way in): ids, and objects by API identity.
    _ids: set[str] = field(default_factory=set, repr=False, compare=False)
    _objects: dict[tuple[str, str, str | None, str], Resource] = field(default_factory=dict, repr=False,
                                                                        compare=False)
    # The last number given to each repeated id: the next repeat starts there, not at #2
    # (which made N resources of one id quadratic: 8,000 copies of one Terraform block, 27 s).
    _repeats: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    def add(self, resources: Iterable[Resource]) -> None:
        """Add resources; two Kubernetes objects the API server would take as one are bad input.

        `kubectl apply` keeps the last of two objects with one group, kind, namespace and
        name, while the scan would judge both: a deny-all NetworkPolicy shadowed by an
        allow-all one of the same name would pass. The same object twice, identical, is one
        object (apply leaves it as it is). Other ids that repeat (Terraform blocks of
        two folders, or objects of two API groups that share a kind) get `#2`, `#3`…
        """
        seen, objects = self._ids, self._objects
        for resource in resources:
            if len(self.resources) >= MAX_RESOURCES_PER_TARGET:
                raise InputError(f"more than {MAX_RESOURCES_PER_TARGET} resources in the target {self.target.name}, "
                                 "the limit of one target (scan its folders or kustomizations separately)",
                                 resource.origin.file, resource.origin.line)
            key = object_key(resource)
            if key is not None:
                first = objects.setdefault(key, resource)
                if first is not resource and first.obj == resource.obj:
                    continue  # the same object twice (a namespace each app folder declares): one object
                if first is not resource:
                    raise InputError(f"{resource.kind} {resource.namespace + '/' if resource.namespace else ''}"
                                     f"{resource.name} is defined twice in one target (first at {_place(first)}); "
                                     f"kubectl apply would keep only this one", resource.origin.file,
                                     resource.origin.line)
            base, n = resource.id, self._repeats.get(resource.id, 1)
            while resource.id in seen:
                n += 1
                resource.id = f"{base}#{n}"
            self._repeats[base] = n
            seen.add(resource.id)
            self.resources.append(resource)
            scope = SNAPSHOT_SCOPES.get(resource.kind) if resource.api_version == SNAPSHOT_API else None
            if scope:
                self.scopes.add(scope)

    def by_id(self) -> dict[str, Resource]:
        return {r.id: r for r in self.resources}

    def of_kind(self, *kinds: str) -> list[Resource]:
        wanted = set(kinds)
        return [r for r in self.resources if r.kind in wanted]

    def namespaces(self) -> dict[str, dict[str, Any]]:
        """Namespace name → labels, tenant and plane; namespaces used or configured but not declared too."""
        result: dict[str, dict[str, Any]] = {}
        for r in self.resources:
            if r.kind == "Namespace" and r.api_version == "v1":
                labels = dict((r.obj.get("metadata") or {}).get("labels") or {})
                result[r.name] = {
                    "labels": labels,
                    "tenant": labels.get(TENANT_LABEL),
                    "plane": labels.get(PLANE_LABEL),
                    "declared": True,
                }
        for r in self.resources:
            if r.namespace and r.namespace not in result:
                result[r.namespace] = {"labels": {}, "tenant": None, "plane": None, "declared": False}
        # The configuration names each tenant's namespaces: they are that tenant's whether or
        # not their Namespace object is among the scanned files (and whatever its labels omit).
        for tenant in (self.config or {}).get("tenants") or []:
            for ns in tenant.get("namespaces") or []:
                info = result.setdefault(ns, {"labels": {}, "tenant": None, "plane": None, "declared": False})
                if info["tenant"] is None:
                    info["tenant"] = tenant.get("name")
        return result

    def to_data(self) -> dict[str, Any]:
        """The `data.inventory` document handed to the engine.

        `pod_templates` maps each custom kind that runs pods to its template's path;
        `unplaced_pods` lists the objects holding containers the scan cannot place.
        """
        placement = place_pods(self.resources, configured_pod_templates(self.config))
        by_kind: dict[str, list[str]] = defaultdict(list)
        by_namespace: dict[str, list[str]] = defaultdict(list)
        by_kaze_label: dict[str, list[str]] = defaultdict(list)
        for r in self.resources:
            by_kind[r.kind].append(r.id)
            if r.namespace:
                by_namespace[r.namespace].append(r.id)
            for label in _kaze_labels(r.obj):
                by_kaze_label[label].append(r.id)
        return {
            "target": {"name": self.target.name, "path": self.target.path, "kind": self.target.kind,
                       "part": self.target.part},
            "resources": {r.id: r.to_json() for r in self.resources},
            "by_kind": by_kind,
            "by_namespace": by_namespace,
            "by_kaze_label": by_kaze_label,
            "namespaces": self.namespaces(),
            "config": self.config,
            "scopes": {s: s in self.scopes for s in ALL_SCOPES},
            "facts": self.facts,
            "pod_templates": placement.templates,
            "unplaced_pods": [{"id": rid, "at": where} for rid, where in placement.unplaced],
        }


def _kaze_labels(obj: Any) -> list[str]:
    """The platform's own labels of an object, as `key=value`: a per-object rule that looks for
    the few objects so labelled (the cross-cell Ingresses) reads them from this index instead
    of walking every object of a kind, which made it quadratic."""
    metadata = obj.get("metadata") if isinstance(obj, dict) else None
    labels = metadata.get("labels") if isinstance(metadata, dict) else None  # a Terraform block's may be a list
    if not isinstance(labels, dict):
        return []
    return [f"{key}={value}" for key, value in labels.items()
            if isinstance(key, str) and key.startswith(KAZE_LABEL_PREFIX) and isinstance(value, str)]
