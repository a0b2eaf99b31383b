"""`kaze-policy export gatekeeper`: the admission controls as Gatekeeper ConstraintTemplates.

For each control the webhook judges object by object (scope `admission`, METADATA `kinds`):
a ConstraintTemplate whose Rego is the control's own module and the catalog libraries it
imports, adapted to what Gatekeeper gives a template; a Constraint matching the control's
kinds; and, from a checkout's fixtures, a gator suite whose cases are the control's fixture
cases with the verdicts `kaze-policy serve` gives on them.

The adaptation is textual and checked, never a rewrite by hand:
- Gatekeeper compiles a template's Rego as v1 (`source.version: v1`) but refuses every import
  other than `data.lib.*`: `import rego.v1` is dropped (v1 needs none).
- Libraries must be packages under `lib.`: `kaze.lib.k8s` becomes `lib.kaze.k8s`, and every
  `data.kaze.lib.` reference follows.
- The object under review is `input.review.object`, not `input.object`; the inventory id the
  rules put in their findings is computed from the review.
- `data.inventory` is Gatekeeper's own (the objects it replicates), not kaze-policy's: every
  `data.inventory.<field>` becomes `data.lib.kaze.context.<field>`, a library that builds the
  fields the rules read from the Constraint's parameters (kaze-policy.yaml) and from the
  replicated objects (sync.yaml: the kinds the webhook watches). A module that reads anything
  else (another field, another package, the whole inventory) is not exported, and says why.
- Gatekeeper reads `violation` as `{msg, details}`: the control's rule is renamed
  `kaze_violation`, and `violation` gives one result per distinct message, as the webhook does.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kaze_policy import __version__
from kaze_policy.catalog import PACKAGE_LINE, Catalog, Control
from kaze_policy.engine.base import Engine
from kaze_policy.evaluate import POD_KINDS
from kaze_policy.atomic import write_atomically
from kaze_policy.inventory import (KNOWN_POD_TEMPLATES, KUBERNETES_SOURCES, SNAPSHOT_API, Inventory, Resource,
                                   configured_pod_templates)
from kaze_policy.errors import UsageError
from kaze_policy.webhook.settings import AdmissionSettings, admission_settings

TARGET = "admission.k8s.gatekeeper.sh"
TEMPLATE_API = "templates.gatekeeper.sh/v1"
CONSTRAINT_API = "constraints.gatekeeper.sh/v1beta1"
SUITE_API = "test.gatekeeper.sh/v1alpha1"
SYNCSET_API = "syncset.gatekeeper.sh/v1alpha1"
CONTROL_LABEL = "kaze.io/control"
# The Gatekeeper whose gator verifies the export (tools/gator/go.mod pins it; a test keeps them equal).
GATEKEEPER_VERSION = "v3.23.1"
ADMISSION_SCOPE = "admission"
# A folder holding this file was written by this command: a new export may replace what it wrote.
MARKER = ".kaze-policy-export"
OWNED = ("templates", "constraints", "suites", "sync.yaml", "README.md")

# The group and version of each kind the webhook watches as context (serve.CONTEXT_KINDS):
# what Gatekeeper must replicate for the templates to see what the webhook sees.
CONTEXT_GVKS: dict[str, tuple[str, str]] = {
    "Namespace": ("", "v1"),
    "PersistentVolumeClaim": ("", "v1"),
    "CiliumNetworkPolicy": ("cilium.io", "v2"),
}
# The fields of kaze-policy's data.inventory that lib.kaze.context builds in Gatekeeper.
CONTEXT_FIELDS = frozenset({"config", "namespaces", "pod_templates", "resources", "by_kind", "by_namespace",
                            "by_kaze_label", "scopes"})
# What a rule may read of its input: the object under review and its inventory id.
INPUT_FIELDS = {"object": "input.review.object", "id": "data.lib.kaze.context.object_id"}


class NotPortable(Exception):
    """Why a control's Rego cannot run as a ConstraintTemplate."""


# --- The Rego --------------------------------------------------------------------------------

_COMMENT_LINE = re.compile(r"^\s*#.*$", re.M)
_LIB_REF = re.compile(r"\bdata\.kaze\.lib\.(\w+)")
_DATA_REF = re.compile(r"\bdata\.(\w+)(?:\.(\w+))?")
_INPUT_REF = re.compile(r"\binput\b(?:\.(\w+))?")


@dataclass(frozen=True)
class Adapted:
    rego: str
    libs: list[str]


def libraries(catalog: Catalog, policy_dir: Path) -> dict[str, Path]:
    """The catalog's helper packages by name: `k8s` for `kaze.lib.k8s`."""
    found = {}
    for path in catalog.policy_files:
        package = PACKAGE_LINE.search(path.read_text(encoding="utf-8"))
        if package and package.group(1).startswith("kaze.lib."):
            found[package.group(1).removeprefix("kaze.lib.")] = path
    return found


def adapt(control: Control, libs: dict[str, Path]) -> Adapted:
    """The template's Rego and libraries; NotPortable when a module reads what Gatekeeper lacks."""
    text = Path(control.file).read_text(encoding="utf-8")
    names = lib_closure(text, libs)
    sources = {control.package.removeprefix("data."): text,
               **{f"kaze.lib.{n}": libs[n].read_text(encoding="utf-8") for n in names}}
    for package, source in sources.items():
        check_portable(package, source)
    renamed = text.replace("\nviolation contains ", "\nkaze_violation contains ")
    entry = to_gatekeeper(renamed.rstrip("\n") + "\n\n" + ADAPTER.replace("@CONTROL@", control.id))
    return Adapted(_spaces(entry),
                   [_spaces(to_gatekeeper(libs[n].read_text(encoding="utf-8"))) for n in names] + [_spaces(context_lib())])


def lib_closure(text: str, libs: dict[str, Path]) -> list[str]:
    """The helper packages a module imports, and those they import, by name."""
    wanted, todo = set(), [text]
    while todo:
        for name in _LIB_REF.findall(_code(todo.pop())):
            if name not in libs:
                raise NotPortable(f"it reads data.kaze.lib.{name}, which is not a package of the catalog")
            if name not in wanted:
                wanted.add(name)
                todo.append(libs[name].read_text(encoding="utf-8"))
    return sorted(wanted)


def check_portable(package: str, text: str) -> None:
    """Every `data.` and `input` reference must have a Gatekeeper counterpart."""
    code = _code(text)
    for ref in _DATA_REF.finditer(code):
        top, second = ref.group(1), ref.group(2)
        if (top, second) == ("kaze", "lib") or (top == "inventory" and second in CONTEXT_FIELDS):
            continue
        if top == "inventory" and second is None:
            raise NotPortable(f"{package} reads data.inventory as a whole")
        if top == "inventory":
            raise NotPortable(f"{package} reads data.inventory.{second}, which Gatekeeper has no counterpart of")
        raise NotPortable(f"{package} reads data.{top}.{second}: only the catalog's libraries, the "
                          "configuration and the objects Gatekeeper replicates reach a template")
    for ref in _INPUT_REF.finditer(code):
        if ref.group(1) not in INPUT_FIELDS:
            raise NotPortable(f"{package} reads input{'.' + ref.group(1) if ref.group(1) else ''}: a template "
                              "is given the object under review only")


def to_gatekeeper(text: str) -> str:
    """A module as Gatekeeper compiles it: no rego.v1 import, libraries under `lib.`, the
    review's object, and kaze-policy's inventory fields from lib.kaze.context."""
    text = re.sub(r"^import rego\.v1\n", "", text, flags=re.M)
    text = re.sub(r"^package kaze\.lib\.", "package lib.kaze.", text, flags=re.M)
    text = text.replace("data.kaze.lib.", "data.lib.kaze.").replace("data.inventory.", "data.lib.kaze.context.")
    for field_name, replacement in INPUT_FIELDS.items():
        text = re.sub(rf"\binput\.{field_name}\b", replacement, text)
    return re.sub(r"\n{3,}", "\n\n", _imported(text))


def _imported(text: str) -> str:
    """Every library read through an import alias, never by its full path: Gatekeeper's rewriter
    leaves a `data.lib…` path inside an object or array literal as it is, so that the rule
    reads nothing there and is undefined (a violation silently lost); an import it rewrites."""
    names = sorted(set(re.findall(r"\bdata\.lib\.kaze\.(\w+)\.", text)))
    for name in names:
        if re.search(rf"\bkaze_{name}\b", text):
            raise NotPortable(f"the module already names kaze_{name}, the alias its library would take")
        text = re.sub(rf"\bdata\.lib\.kaze\.{name}\.", f"kaze_{name}.", text)
    imports = "".join(f"import data.lib.kaze.{name} as kaze_{name}\n" for name in names)
    return re.sub(r"^(package [\w.]+\n)", lambda m: m.group(1) + ("\n" + imports if imports else ""), text,
                  count=1, flags=re.M)


def _code(text: str) -> str:
    """The module without its comment lines (a METADATA block names no reference)."""
    return _COMMENT_LINE.sub("", text)


def _spaces(text: str) -> str:
    """Leading tabs (opa fmt's indentation) as spaces: YAML writes a block scalar with tabs
    as one quoted line. Only where no raw string spans lines, so that no string changes."""
    if any(line.count("`") % 2 for line in text.splitlines()):
        return text
    return re.sub(r"^\t+", lambda m: "    " * len(m.group(0)), text, flags=re.M)


ADAPTER = """\
# Gatekeeper reads `violation` as {msg, details}: one result per distinct message, as
# kaze-policy serve reports them, with the evidence of each finding that says it.
violation contains {"msg": msg, "details": {"control": "@CONTROL@", "resource": data.lib.kaze.context.object_id, "evidence": evidence}} if {
\tsome msg in {v.msg | some v in kaze_violation}
\tevidence := [object.get(v, "evidence", {}) | some v in kaze_violation; v.msg == msg]
}
"""


def context_lib() -> str:
    """lib.kaze.context: kaze-policy's data.inventory fields, from what Gatekeeper gives."""
    known = {key: list(path) for key, path in sorted(KNOWN_POD_TEMPLATES.items())}
    return CONTEXT_LIB.replace("@KNOWN_POD_TEMPLATES@", json.dumps(known, sort_keys=True))


CONTEXT_LIB = """\
# kaze-policy's data.inventory, as its per-object rules read it, made of what Gatekeeper gives
# a template: the Constraint's parameters (kaze-policy.yaml) and the objects it replicates
# (sync.yaml: Namespaces, PersistentVolumeClaims, CiliumNetworkPolicies, as the webhook watches).
package lib.kaze.context

# kaze-policy.yaml, as the Constraint carries it; null without one (a target without configuration).
default config := null

config := input.parameters.config if is_object(input.parameters.config)

settings := config if is_object(config) else := {}

# `repository: true`: judge objects as the file scan reads them (a Secret's literal values
# fail); otherwise as kaze-policy serve judges them at admission.
default repository := false

repository if input.parameters.repository == true

scopes := {"iac": repository, "cluster": repository == false, "admission": true, "vault": false, "supply-chain": false}

# The inventory id of the object under review, as the scan and the webhook name it.
review_name := input.review.name if {
\tis_string(input.review.name)
\tinput.review.name != ""
} else := object.get(input.review, ["object", "metadata", "name"], "")

review_namespace := object.get(input.review, "namespace", "")

review_kind := object.get(input.review, ["kind", "kind"], object.get(input.review, ["object", "kind"], ""))

object_id := sprintf("%s/%s/%s", [review_kind, review_namespace, review_name]) if review_namespace != ""

object_id := sprintf("%s/%s", [review_kind, review_name]) if review_namespace == ""

# Every replicated object as the inventory lists a resource; ids name the group and version
# too, so that two objects of one kind and name in two groups are two resources.
cluster_resources := {id: resource |
\tsome gv, kind, name
\tobj := data.inventory.cluster[gv][kind][name]
\tid := concat("/", [gv, kind, "", name])
\tresource := {"id": id, "apiVersion": gv, "kind": kind, "namespace": null, "name": name, "object": obj}
}

namespaced_resources := {id: resource |
\tsome ns, gv, kind, name
\tobj := data.inventory.namespace[ns][gv][kind][name]
\tid := concat("/", [gv, kind, ns, name])
\tresource := {"id": id, "apiVersion": gv, "kind": kind, "namespace": ns, "name": name, "object": obj}
}

resources := object.union(cluster_resources, namespaced_resources)

by_kind := {kind: [id | some id, r in resources; r.kind == kind] | some kind in {r.kind | some r in resources}}

# By namespace straight from Gatekeeper's tree: one pass, however many namespaces there are.
by_namespace := {ns: ids |
\tsome ns, _ in data.inventory.namespace
\tids := [concat("/", [gv, kind, ns, name]) | some gv, kind, name; data.inventory.namespace[ns][gv][kind][name]]
}

kaze_labels(r) := {sprintf("%s=%s", [key, value]) |
\tsome key, value in object.get(r.object, ["metadata", "labels"], {})
\tstartswith(key, "kaze.io/")
\tis_string(value)
}

by_kaze_label := {label: [id | some id, r in resources; label in kaze_labels(r)] |
\tsome label in {l | some r in resources; some l in kaze_labels(r)}
}

# The namespaces: the replicated ones, and the one of the object under review that Gatekeeper's
# webhook passes along (input.review.namespaceObject), with their tenant and plane; and those
# the configuration gives a tenant (tenants[].namespaces) without a Namespace object.
synced_namespaces := {name: obj | some name, obj in data.inventory.cluster.v1.Namespace}

default reviewed_namespace := {}

reviewed_namespace := {ns.metadata.name: ns} if {
\tns := input.review.namespaceObject
\tis_string(ns.metadata.name)
}

namespace_objects := object.union(synced_namespaces, reviewed_namespace)

# The first tenant of the configuration that lists a namespace.
config_tenants := {ns: names[0] |
\tsome ns in {n | some t in object.get(settings, "tenants", []); some n in object.get(t, "namespaces", [])}
\tnames := [object.get(t, "name", null) | some t in object.get(settings, "tenants", []); ns in object.get(t, "namespaces", [])]
}

declared_namespaces := {name: info |
\tsome name, obj in namespace_objects
\tlabels := object.get(obj, ["metadata", "labels"], {})
\tinfo := {
\t\t"labels": labels,
\t\t"tenant": object.get(labels, "kaze.io/tenant", object.get(config_tenants, name, null)),
\t\t"plane": object.get(labels, "kaze.io/plane", null),
\t\t"declared": true,
\t}
}

configured_namespaces := {ns: {"labels": {}, "tenant": tenant, "plane": null, "declared": false} |
\tsome ns, tenant in config_tenants
}

namespaces := object.union(configured_namespaces, declared_namespaces)

# Where custom kinds keep their pods: the kinds kaze-policy knows, and the configuration's podTemplates.
known_pod_templates := @KNOWN_POD_TEMPLATES@

configured_pod_templates := {sprintf("%s/%s", [entry.apiGroup, entry.kind]): template_path(entry.path) |
\tsome entry in object.get(settings, "podTemplates", [])
}

template_path(path) := [] if path == ""

template_path(path) := split(path, ".") if path != ""

pod_templates := object.union(known_pod_templates, configured_pod_templates)
"""


# --- Gatekeeper's objects --------------------------------------------------------------------

def exported_name(control: Control) -> str:
    """The file and Constraint name: `kz-ten-05`."""
    return control.id.lower()


def constraint_kind(control: Control) -> str:
    """The Constraint's kind, from the package: kaze.tenancy.no_host_access → KazeTenancyNoHostAccess."""
    parts = re.split(r"[._]", control.package.removeprefix("data.kaze."))
    return "Kaze" + "".join(p[:1].upper() + p[1:] for p in parts if p.isalnum())


def template(control: Control, adapted: Adapted) -> dict[str, Any]:
    kind = constraint_kind(control)
    sync = [[{"groups": [group], "versions": [version], "kinds": [k]}] for k, (group, version) in
            sorted(CONTEXT_GVKS.items())]
    return {
        "apiVersion": TEMPLATE_API, "kind": "ConstraintTemplate",
        "metadata": {
            "name": kind.lower(),
            "labels": {CONTROL_LABEL: control.id},
            "annotations": {
                "metadata.gatekeeper.sh/title": f"{control.id}: {control.title}",
                "metadata.gatekeeper.sh/version": __version__,
                "metadata.gatekeeper.sh/requires-sync-data": json.dumps(sync),
                "description": control.description,
            },
        },
        "spec": {
            "crd": {"spec": {"names": {"kind": kind}, "validation": {"openAPIV3Schema": PARAMETERS_SCHEMA}}},
            "targets": [{"target": TARGET, "code": [{"engine": "Rego", "source": {
                "version": "v1", "rego": adapted.rego, "libs": adapted.libs}}]}],
        },
    }


PARAMETERS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "config": {"type": "object", "x-kubernetes-preserve-unknown-fields": True,
                   "description": "kaze-policy.yaml: tenants, registries, podTemplates… (none: judged as "
                                  "kaze-policy judges a target without configuration)"},
        "repository": {"type": "boolean",
                       "description": "true: judge objects as the file scan reads them (a Secret carrying "
                                      "literal values fails); default: as kaze-policy serve does"},
    },
}


def match_kinds(control: Control, config: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The kinds the webhook judges for the control: by name in any group (as `_judges` does),
    and for the controls of pods the custom kinds that run them (Argo Rollouts, Knative…)."""
    named = [k for k in control.kinds if k[:1].isupper()]  # Terraform blocks are not Kubernetes objects
    entries: list[dict[str, Any]] = [{"apiGroups": ["*"], "kinds": named}]
    if POD_KINDS in control.kinds:
        groups: dict[str, list[str]] = {}
        for key in sorted({**KNOWN_POD_TEMPLATES, **configured_pod_templates(config)}):
            group, _, kind = key.rpartition("/")
            groups.setdefault(group, []).append(kind)
        entries += [{"apiGroups": [group], "kinds": kinds} for group, kinds in sorted(groups.items())]
    return entries


def constraint(control: Control, config: dict[str, Any] | None, repository: bool,
               settings: AdmissionSettings) -> dict[str, Any]:
    """The Constraint: enforcement and exempt namespaces from the configuration's `admission`
    section (Gatekeeper's deny, warn and dryrun are the webhook's modes)."""
    match: dict[str, Any] = {"kinds": match_kinds(control, config)}
    if settings.exempt_namespaces:
        match["excludedNamespaces"] = sorted(settings.exempt_namespaces)
    parameters: dict[str, Any] = {}
    if config is not None:
        parameters["config"] = config
    if repository:
        parameters["repository"] = True
    spec: dict[str, Any] = {"enforcementAction": settings.mode(control.id), "match": match}
    if parameters:
        spec["parameters"] = parameters
    return {"apiVersion": CONSTRAINT_API, "kind": constraint_kind(control),
            "metadata": {"name": exported_name(control), "labels": {CONTROL_LABEL: control.id}}, "spec": spec}


def sync_set() -> dict[str, Any]:
    """What Gatekeeper must replicate (data.inventory) for the templates to read what the webhook reads."""
    return {"apiVersion": SYNCSET_API, "kind": "SyncSet", "metadata": {"name": "kaze-policy"},
            "spec": {"gvks": [{"group": g, "version": v, "kind": k} for k, (g, v) in sorted(CONTEXT_GVKS.items())]}}


# --- The gator suites, from the fixtures ------------------------------------------------------

@dataclass
class GatorCase:
    name: str
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)  # file → the object under review
    inventory: list[dict[str, Any]] = field(default_factory=list)  # the replicated context
    expected: dict[str, list[str]] = field(default_factory=dict)  # file → the messages kaze-policy serve gives
    skipped: str = ""  # why the case is not run


@dataclass
class CaseGroup:
    """The cases judged under one configuration: one gator test, one Constraint."""

    label: str
    config: dict[str, Any] | None
    cases: list[tuple[str, GatorCase]] = field(default_factory=list)  # (folder under cases/, case)


class CaseJudge:
    """Judges fixture cases as kaze-policy serve would, with one compiled catalog."""

    def __init__(self, catalog: Catalog) -> None:
        from kaze_policy.engine import create_engine

        self.catalog = catalog
        self.compiled: Engine = create_engine("embedded")
        self.compiled.load_policies(catalog.policy_files)

    def judge(self, control: Control, case: Path) -> tuple[str | None, GatorCase]:
        """The case's configuration file and its gator case (or why it is skipped)."""
        verdict = case.parent.name
        gator = GatorCase(name=f"{verdict}/{case.name}")
        expect = yaml.safe_load((case / "expect.yaml").read_text(encoding="utf-8")) or {}
        with _loadable(case, expect.get("config") == "none") as folder:
            inventories = _inventories(folder, gator)
        if not inventories:
            return None, gator
        if len(inventories) > 1:
            gator.skipped = "the case holds several targets (kustomizations): a gator case reviews one object"
            return inventories[0].config_file, gator
        inventory = inventories[0]
        config_file = inventory.config_file if expect.get("config") != "none" else None
        found, error = self._verdicts(control, inventory)
        gator.skipped = error or _mismatch(expect, found, inventory)
        if gator.skipped:
            return config_file, gator
        gator.inventory = [r.obj for r in inventory.resources if _is_context(r)]
        objects = {r.id: r.obj for r in inventory.resources}
        for n, (rid, messages) in enumerate(sorted(found.items()), 1):
            name = f"{n:02d}-{re.sub(r'[^a-z0-9.]+', '-', rid.lower()).strip('-')}.yaml"
            gator.objects[name], gator.expected[name] = objects[rid], messages
        return config_file, gator

    def _verdicts(self, control: Control, inventory: Inventory) -> tuple[dict[str, list[str]], str]:
        """Each Kubernetes object the control judges at admission → its messages (none: it passes);
        and why the webhook could not decide one ("" when it could)."""
        from kaze_policy.sources.cluster import ClusterRead
        from kaze_policy.webhook.decider import Decider

        decider = Decider(self.catalog, AdmissionSettings(), inventory.config, inventory.config_file, self.compiled)
        # The fixtures are repository files: judged in the iac scope, as the suite's Constraints
        # (`repository: true`) judge them; the context is what Gatekeeper replicates.
        context = Inventory(target=inventory.target, config=inventory.config, scopes={"iac"})
        context.add([r for r in inventory.resources if _is_context(r)])
        decider.set_context(ClusterRead(context))
        status = decider.status()
        for state, why in (("not_applicable", "not applicable at admission"),
                           ("cannot_evaluate", "kaze-policy serve cannot evaluate it")):
            if control.id in status[state]:
                return {}, f"{why}: {status[state][control.id]}"
        found: dict[str, list[str]] = {}
        for resource in inventory.resources:
            if not _is_kubernetes(resource):
                continue
            decision = decider.decide(_request(resource))
            if control.id not in decision.controls:
                continue
            if decision.error:
                return found, f"kaze-policy serve cannot evaluate {resource.id}: {decision.error}"
            found[resource.id] = sorted(v.message for v in decision.violations if v.control.id == control.id)
        return found, ""


def _mismatch(expect: dict[str, Any], found: dict[str, list[str]], inventory: Inventory) -> str:
    """Why the webhook's verdicts on the case's objects are not the fixture's ("" when they are)."""
    judged = set(found)
    failing = {rid for rid, messages in found.items() if messages}
    named = set(expect.get("resources") or []) if expect.get("status") == "fail" else set()
    elsewhere = sorted(rid for rid in named - judged)
    if elsewhere:
        kinds = {r.id: r for r in inventory.resources}
        what = ", ".join(f"{rid} ({_what(kinds.get(rid))})" for rid in elsewhere)
        return f"the failing resources are not Kubernetes objects of the control's kinds: {what}; Gatekeeper never reviews them"
    if not judged:
        return "the case holds no Kubernetes object of the control's kinds: nothing for Gatekeeper to review"
    if failing != named:
        return (f"judged object by object, with only the objects Gatekeeper replicates as context, the case's "
                f"verdict is not the scan's (violations on {sorted(failing) or 'nothing'}, the fixture names "
                f"{sorted(named) or 'nothing'}): it needs cross-resource context")
    return ""


def _what(resource: Resource | None) -> str:
    if resource is None:
        return "not in the case"
    return "Terraform" if resource.source == "terraform" else f"{resource.source} {resource.kind}"


def _is_kubernetes(resource: Resource) -> bool:
    return resource.source in KUBERNETES_SOURCES and resource.api_version != SNAPSHOT_API


def _is_context(resource: Resource) -> bool:
    return _is_kubernetes(resource) and resource.kind in CONTEXT_GVKS


def _request(resource: Resource) -> Any:
    """The AdmissionRequest the API server would send to create the object."""
    from kaze_policy.webhook.review import AdmissionRequest

    group, _, version = resource.api_version.rpartition("/")
    return AdmissionRequest(uid="kaze-policy-export", operation="CREATE", kind=resource.kind, group=group,
                            version=version, resource=resource.kind.lower() + "s", namespace=resource.namespace,
                            name=resource.name, object=resource.obj, old_object=None, dry_run=False)


@contextmanager
def _loadable(case: Path, without_config: bool) -> Iterator[Path]:
    """The case's folder; for `config: none`, a copy outside fixtures/ (no kaze-policy.yaml above it)."""
    if not without_config:
        yield case
        return
    with tempfile.TemporaryDirectory(prefix="kaze-export-") as scratch:
        copy = Path(scratch) / case.name
        shutil.copytree(case, copy)
        yield copy


def _inventories(folder: Path, gator: GatorCase) -> list[Inventory]:
    from kaze_policy.errors import KazePolicyError
    from kaze_policy.scan import ScanOptions, load_inventories

    try:
        loaded = load_inventories(ScanOptions(paths=[str(folder)], workers=1))
    except KazePolicyError as err:
        gator.skipped = f"the case cannot be read: {err}"
        return []
    if loaded.unloadable:
        gator.skipped = "; ".join(f"{name}: {why}" for name, why in loaded.unloadable)
        return []
    return loaded.inventories


def fixture_cases(fixtures: Path, control: Control) -> list[Path]:
    return sorted(p.parent for p in (fixtures / control.id).glob("*/*/expect.yaml"))


def suite_groups(judge: CaseJudge, control: Control, fixtures: Path) -> list[CaseGroup]:
    """The control's fixture cases, grouped by the configuration they are judged under."""
    groups: dict[str | None, CaseGroup] = {}
    for case in fixture_cases(fixtures, control):
        config_file, gator = judge.judge(control, case)
        if config_file not in groups:
            groups[config_file] = CaseGroup(_config_label(config_file, fixtures), _config_of(config_file))
        groups[config_file].cases.append((f"{case.parent.name}/{case.name}", gator))
    return [groups[key] for key in sorted(groups, key=lambda k: (k is not None, k or ""))]


def _config_label(config_file: str | None, fixtures: Path) -> str:
    if config_file is None:
        return "no configuration"
    path = Path(config_file).resolve()
    return str(path.relative_to(fixtures.resolve().parent)) if path.is_relative_to(fixtures.resolve().parent) \
        else str(path)


def _config_of(config_file: str | None) -> dict[str, Any] | None:
    from kaze_policy.config import load_config

    return load_config(Path(config_file)) if config_file else None


def go_regex(text: str) -> str:
    """`text` as an RE2 pattern that matches it alone (Python's re.escape escapes spaces, which RE2 refuses)."""
    return "^" + re.sub(r"([\\.+*?()|\[\]{}^$])", r"\\\1", text) + "$"


def suite(control: Control, groups: list[CaseGroup]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The Suite, and the files it names (path under the suite's folder → object or list of objects)."""
    files: dict[str, Any] = {}
    tests = []
    for n, group in enumerate(groups, 1):
        constraint_file = f"constraints/{n:02d}-{re.sub(r'[^a-z0-9]+', '-', group.label.lower()).strip('-')}.yaml"
        files[constraint_file] = constraint(control, group.config, True, AdmissionSettings())
        cases = []
        for folder, gator in group.cases:
            if gator.skipped:
                cases.append({"name": f"{gator.name} (skipped: {gator.skipped})", "skip": True})
                continue
            inventory = f"cases/{folder}/inventory.yaml"
            if gator.inventory:
                files[inventory] = gator.inventory
            for name, obj in gator.objects.items():
                files[f"cases/{folder}/{name}"] = obj
                cases.append({"name": f"{gator.name}: {name.removesuffix('.yaml')}",
                              "object": f"cases/{folder}/{name}",
                              **({"inventory": [inventory]} if gator.inventory else {}),
                              "assertions": _assertions(gator.expected[name])})
        tests.append({"name": f"{control.id} on its fixtures, with {group.label}",
                      "template": f"../../templates/{exported_name(control)}.yaml",
                      "constraint": constraint_file, "cases": cases})
    return {"apiVersion": SUITE_API, "kind": "Suite", "metadata": {"name": exported_name(control)},
            "tests": tests}, files


def _assertions(messages: list[str]) -> list[dict[str, Any]]:
    if not messages:
        return [{"violations": "no"}]
    counts: dict[str, int] = {}
    for message in messages:
        counts[message] = counts.get(message, 0) + 1
    return [{"violations": len(messages)}, *({"message": go_regex(m), "violations": c} for m, c in counts.items())]


# --- Writing the export ----------------------------------------------------------------------

@dataclass
class Export:
    """What was written, and what was not, with why."""

    exported: list[Control] = field(default_factory=list)
    not_exported: dict[str, str] = field(default_factory=dict)  # control id → why
    skipped_cases: list[tuple[str, str, str]] = field(default_factory=list)  # (control, case, why)
    suites: list[str] = field(default_factory=list)  # the controls with a suite


def selected(catalog: Catalog) -> tuple[list[Control], dict[str, str]]:
    """The controls the webhook judges object by object; the others, with why they are not exported."""
    chosen, others = [], {}
    for control in catalog.controls:
        if not control.per_object:
            others[control.id] = "it judges the whole inventory, not one object (the scan and the audit run it)"
        elif ADMISSION_SCOPE not in control.scopes:
            others[control.id] = (f"not an admission control (scopes: {', '.join(control.scopes)}): kaze-policy "
                                  "serve does not run it either")
        else:
            chosen.append(control)
    return chosen, others


def export_gatekeeper(catalog: Catalog, policy_dir: Path, out: Path, config: dict[str, Any] | None = None,
                      config_file: str | None = None, repository: bool = False,
                      fixtures: Path | None = None) -> Export:
    missing = set(CONTEXT_GVKS) ^ _context_kinds()
    if missing:
        raise RuntimeError(f"CONTEXT_GVKS and the webhook's context kinds differ: {sorted(missing)}")
    check_output(out)  # before the work: a folder that is not ours is refused at once
    result = Export()
    controls, result.not_exported = selected(catalog)
    libs = libraries(catalog, policy_dir)
    written: dict[str, Any] = {}
    judge = CaseJudge(catalog) if fixtures is not None else None
    settings = admission_settings(config)
    for control in controls:
        try:
            adapted = adapt(control, libs)
            groups = suite_groups(judge, control, fixtures) if judge and fixtures else []
        except NotPortable as err:
            result.not_exported[control.id] = str(err)
            continue
        name = exported_name(control)
        written[f"templates/{name}.yaml"] = template(control, adapted)
        written[f"constraints/{name}.yaml"] = constraint(control, config, repository, settings)
        if groups:
            suite_doc, files = suite(control, groups)
            written[f"suites/{name}/suite.yaml"] = suite_doc
            written.update({f"suites/{name}/{path}": value for path, value in files.items()})
            result.suites.append(control.id)
            result.skipped_cases += [(control.id, g.name, g.skipped) for group in groups
                                     for _, g in group.cases if g.skipped]
        result.exported.append(control)
    written["sync.yaml"] = sync_set()
    _write(out, written, readme(result, catalog, policy_dir, config_file, repository, fixtures))
    return result


def _context_kinds() -> set[str]:
    from kaze_policy.webhook.serve import CONTEXT_KINDS

    return set(CONTEXT_KINDS)


def check_output(out: Path) -> None:
    """The folder is new, empty, or one this command wrote: never anyone else's files."""
    if out.exists() and not out.is_dir():
        raise UsageError("-o: not a folder", str(out))
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise UsageError("-o: the folder is not empty and was not written by kaze-policy export", str(out))


def _write(out: Path, documents: dict[str, Any], readme_text: str) -> None:
    """Replace what a previous export wrote (OWNED, and nothing else), then write."""
    check_output(out)
    for owned in OWNED:
        path = out / owned
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    write_atomically(out / MARKER, f"written by kaze-policy {__version__} export gatekeeper\n".encode())
    for relative, value in sorted(documents.items()):
        write_atomically(out / relative, dump_yaml(value).encode())
    write_atomically(out / "README.md", readme_text.encode())


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (the Rego) as block scalars, readable in a review."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump_yaml(value: Any) -> str:
    """One document, or a stream of them for a list of objects (an inventory)."""
    if isinstance(value, list):
        return yaml.dump_all(value, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1000)
    return yaml.dump(value, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1000)


def readme(result: Export, catalog: Catalog, policy_dir: Path, config_file: str | None, repository: bool,
           fixtures: Path | None) -> str:
    by_id = catalog.by_id()
    lines = [
        "# kaze-policy's admission controls for Gatekeeper",
        "",
        f"Written by `kaze-policy export gatekeeper` (kaze-policy {__version__}) from the policies in "
        f"`{policy_dir}`, " + (f"with the configuration `{config_file}`" if config_file else
                                "without configuration (the Constraints carry none: judged as a target without "
                                "kaze-policy.yaml)") + (", judging objects as the file scan reads them "
                                                        "(`repository: true`)" if repository else "") + ".",
        "Regenerate it rather than editing it.",
        "",
        "```sh",
        "kubectl apply -f sync.yaml            # what the templates read besides the object (below)",
        "kubectl apply -f templates/           # then wait for Gatekeeper to create each Constraint kind:",
        "kubectl wait --for condition=established crd -l gatekeeper.sh/constraint=yes --timeout 60s",
        "kubectl apply -f constraints/",
        "gator verify ./...                    # the suites: each control on its fixture cases",
        "```",
        "",
        "The templates are Rego v1 (`code: [{engine: Rego, source: {version: v1}}]`): tested with gator "
        f"of Gatekeeper {GATEKEEPER_VERSION}.",
        "",
        "## What the templates read",
        "",
        "Each template holds the control's own Rego and the catalog libraries it imports (as `libs`, "
        "packages `lib.kaze.*`), and `lib.kaze.context`, which gives the rules the `data.inventory` "
        "fields they read in kaze-policy, made of:",
        "",
        "- the Constraint's `parameters.config`: kaze-policy.yaml (tenants and their namespaces, trusted "
        "registries, podTemplates); without it, what fails under every configuration still fails;",
        "- the objects Gatekeeper replicates (`sync.yaml`, a SyncSet; each template names them in "
        "`metadata.gatekeeper.sh/requires-sync-data`): "
        + ", ".join(f"{k} ({g or 'core'}/{v})" for k, (g, v) in sorted(CONTEXT_GVKS.items()))
        + ", the kinds `kaze-policy serve` watches. Without Cilium, drop CiliumNetworkPolicy from it;",
        "- `input.review.namespaceObject`, which Gatekeeper's webhook passes for a namespaced object.",
        "",
        "Enforcement (`deny`, `warn`, `dryrun`) and exempt namespaces come from the configuration's "
        "`admission` section, as for the webhook. Not carried over: waivers (a Constraint cannot "
        "match one finding; exclude a namespace or edit the Constraint), and the webhook's leniency on "
        "UPDATE (an object that already broke a control the same way is warned, not denied: "
        "Gatekeeper denies it).",
        "",
        "## Exported controls",
        "",
        "| control | title | Constraint kind | kinds | suite |",
        "| --- | --- | --- | --- | --- |",
    ]
    for control in result.exported:
        kinds = ", ".join(k for k in control.kinds if k[:1].isupper())
        suite_path = f"`suites/{exported_name(control)}/`" if control.id in result.suites else "none"
        lines.append(f"| {control.id} | {control.title} | {constraint_kind(control)} | {kinds} | {suite_path} |")
    lines += ["", "## Not exported", "", "| control | why |", "| --- | --- |"]
    lines += [f"| {cid} | {why} |" for cid, why in sorted(result.not_exported.items()) if cid in by_id]
    lines += ["", "## Fixture cases left out of the suites", ""]
    if fixtures is None:
        lines.append("No fixtures were given (`--fixtures`): there are no suites.")
    elif not result.skipped_cases:
        lines.append("None: every fixture case of every exported control is a gator case.")
    else:
        lines += ["Each is in its suite as a case with `skip: true`, saying why.", "",
                  "| control | case | why |", "| --- | --- | --- |"]
        lines += [f"| {cid} | {case} | {why} |" for cid, case, why in result.skipped_cases]
    if fixtures is not None:
        lines += ["", "Each other case reviews one object of the control's kinds, with the case's "
                      "Namespaces, PersistentVolumeClaims and CiliumNetworkPolicies as gator's `inventory` "
                      "(what Gatekeeper replicates), under a Constraint carrying the case's configuration and "
                      "`repository: true` (the fixtures are repository files). It expects exactly the "
                      "messages `kaze-policy serve` gives on that object, and the suite's cases together "
                      "give the fixture's verdict (`expect.yaml`)."]
    return "\n".join(lines) + "\n"
