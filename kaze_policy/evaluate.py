"""Controls × inventory → results, with scopes, not-applicable reasons, errors and waivers."""

from __future__ import annotations

import datetime as dt
import fnmatch
import os
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

from kaze_policy.catalog import CONTROL_ID, Control
from kaze_policy.engine.base import UNDEFINED, Engine
from kaze_policy.errors import EngineError
from kaze_policy.inventory import KUBERNETES_SOURCES, Inventory, template_key
from kaze_policy.locate import locate
from kaze_policy.results import ERROR, FAIL, NOT_APPLICABLE, PASS, WAIVED, ControlResult, Finding, TargetResult

# One query per control per target, batched over every object of the control's kinds:
# the very rule the admission webhook runs on one object, run here on all of them.
# (The object is bound before `with`: OPA rejects a reference with a variable inside a `with` value.)
BATCH_QUERY = (
    "[[rid, v] | some rid in input.ids; obj := data.inventory.resources[rid].object; "
    "some v in {package}.violation with input as {{\"id\": rid, \"object\": obj}}]"
)

PART_OF_A_CELL = ("a part of a cell (another kustomization includes it): what a whole cell must hold "
                  "is judged in the cells that include it")


def default_workers() -> int:
    """One evaluation thread per core: the embedded engine releases the GIL while it evaluates."""
    return max(1, min(4, os.cpu_count() or 1))


def evaluate_target(engine: Engine, controls: Iterable[Control], inventory: Inventory,
                    today: dt.date | None = None,
                    on_control: Callable[[Control], None] | None = None,
                    workers: int = 1, waivers: Waivers | None = None) -> dict[str, TargetResult]:
    """Every control on one target. The engine must already hold the policies.

    With several workers and an engine that can be copied (the embedded one: a copy shares
    the compiled policies and the data; the OPA one: another connection to the same server),
    controls are evaluated in parallel threads. `waivers` are the configuration's, shared by
    every target it applies to (default: the inventory's own, for this target alone). The
    objects' own waive annotations (InlineWaivers) are read once here, for this target.
    """
    data = inventory.to_data()
    engine.set_data(data)
    ids_by_kind: dict[str, list[str]] = _with_custom_workloads(data)
    if waivers is None:
        waivers = Waivers((inventory.config or {}).get("waivers") or [], inventory.config_file)
    inline = InlineWaivers(data["resources"])
    waivers.add_inline(inline)
    day = today or dt.date.today()
    pending = list(controls)
    results: dict[str, TargetResult] = {}
    lock = threading.Lock()

    def work(own: Engine) -> None:
        while True:
            with lock:
                if not pending:
                    return
                control = pending.pop(0)
            result = _evaluate_control(own, control, inventory, data, ids_by_kind, (waivers, inline), day)
            with lock:
                results[control.id] = result
                if on_control:
                    on_control(control)

    copy = getattr(engine, "copy", None)
    if workers <= 1 or copy is None or len(pending) < 2:
        work(engine)
        return results
    copies = [copy() for _ in range(workers - 1)]
    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for future in [pool.submit(work, own) for own in [engine, *copies]]:
                future.result()
    finally:
        for own in copies:
            own.close()
    return results


def _evaluate_control(engine: Engine, control: Control, inventory: Inventory, data: dict[str, Any],
                      ids_by_kind: dict[str, list[str]], waiving: tuple[Waivers, InlineWaivers],
                      today: dt.date) -> TargetResult:
    target = inventory.target.name
    waivers, inline = waiving
    present = [s for s in control.scopes if data["scopes"].get(s)]
    if not present:
        return TargetResult(target, NOT_APPLICABLE, _missing_scope_reason(control))
    if control.whole_cell and inventory.target.part:
        return TargetResult(target, NOT_APPLICABLE, PART_OF_A_CELL)
    try:
        skip = engine.query(f"{control.package}.not_applicable")
        if isinstance(skip, str) and skip:
            # Not applicable for want of configuration (e.g. no cell mode) is undecided too.
            return TargetResult(target, NOT_APPLICABLE, skip, undecided=bool(_undecided(engine, control)))
        errors = engine.query(f"{control.package}.errors")
        if errors is not UNDEFINED and errors:
            return TargetResult(target, ERROR, "; ".join(sorted(map(str, errors))))
        if POD_KINDS in control.kinds and data["unplaced_pods"]:
            return TargetResult(target, ERROR, _unplaced_reason(data["unplaced_pods"]))
        violations = _violations(engine, control, ids_by_kind)
        undecided = _undecided(engine, control)
    except EngineError as err:
        return TargetResult(target, ERROR, str(err))
    resources = data["resources"]
    findings = [_finding(v, rid, resources, target) for rid, v in violations]
    waivers.judged(control.id)
    for finding in findings:
        finding.waiver = waivers.match(control.id, str(finding.resource.get("id")), today, inline)
    # A waive annotation that cannot waive (incomplete, malformed) is a finding of its control
    # on its object, which nothing waives: the author meant to waive, and must fix it.
    findings += [_annotation_finding(w, resources, target) for w in inline.broken(control.id)]
    findings.sort(key=lambda f: (str(f.resource.get("id")), f.message))
    locate(findings, resources)
    if not findings:
        # What the configuration leaves open is never a pass: what was certain held, the rest is unknown.
        if undecided:
            return TargetResult(target, NOT_APPLICABLE, undecided, undecided=True)
        return TargetResult(target, PASS)
    if all(f.waiver for f in findings):
        return TargetResult(target, WAIVED, "every finding is waived", findings, undecided=bool(undecided))
    return TargetResult(target, FAIL, undecided, findings, undecided=bool(undecided))


def _undecided(engine: Engine, control: Control) -> str:
    """Why the control, or part of it, depends on configuration the target lacks ("" if nothing does).

    A package's `undecided := reason` holds when some of its rule needs kaze-policy.yaml (or a
    field of it) that is absent; its violations still report what fails under every
    configuration, and with none the control is not applicable with this reason.
    """
    value = engine.query(f"{control.package}.undecided")
    return value if isinstance(value, str) else ""


# The controls that judge pods list `Pod` among their kinds; they judge custom workloads too.
POD_KINDS = "Pod"
CUSTOM_WORKLOADS = "(custom workloads)"


def _with_custom_workloads(data: dict[str, Any]) -> dict[str, list[str]]:
    """Ids by kind, plus the objects of custom kinds that run pods (an Argo Rollout, a Knative
    Service: not every `Service`) under CUSTOM_WORKLOADS, for the controls that judge pods."""
    templates = data["pod_templates"]
    custom = [rid for kind in {key.rpartition("/")[2] for key in templates}
              for rid in data["by_kind"].get(kind, [])
              if template_key(data["resources"][rid]["apiVersion"], kind) in templates]
    return {**data["by_kind"], CUSTOM_WORKLOADS: custom}


def _unplaced_reason(unplaced: list[dict[str, str]]) -> str:
    shown = "; ".join(f"{u['id']} (containers at {u['at']})" for u in unplaced[:5])
    more = f" and {len(unplaced) - 5} more" if len(unplaced) > 5 else ""
    return (f"cannot find the pod template of {shown}{more}: its pods are not judged; name the kind's "
            f"template in kaze-policy.yaml podTemplates (apiGroup, kind, path)")


def _violations(engine: Engine, control: Control, ids_by_kind: dict[str, list[str]]) -> list[tuple[str | None, Any]]:
    if control.per_object:
        kinds = [*control.kinds, CUSTOM_WORKLOADS] if POD_KINDS in control.kinds else control.kinds
        ids = list(dict.fromkeys(rid for kind in kinds for rid in ids_by_kind.get(kind, [])))
        if not ids:
            return []
        pairs = engine.query(BATCH_QUERY.format(package=control.package), {"ids": ids})
        if pairs is UNDEFINED or not pairs:
            # The batch is empty when no object fails, and also when the package has no
            # `violation` rule at all (a misnamed rule): that one is an error, not a pass.
            _defined_violation(engine, control)
            return []
        return [(rid, v) for rid, v in pairs]
    return [(None, v) for v in _defined_violation(engine, control)]


def _defined_violation(engine: Engine, control: Control) -> Any:
    """The package's `violation` (on no object: a per-object rule is then empty, but defined)."""
    found = engine.query(f"{control.package}.violation")
    if found is UNDEFINED:
        raise EngineError(f"{control.package}.violation is not defined")
    return found


def _finding(violation: Any, object_id: str | None, resources: Mapping[str, Any], target: str) -> Finding:
    if not isinstance(violation, dict):
        violation = {"msg": str(violation)}
    rid = violation.get("resource") or object_id
    resource = resources.get(rid)
    ref = {k: resource[k] for k in ("id", "kind", "namespace", "name", "file", "line")} if resource else {
        "id": rid, "kind": None, "namespace": None, "name": None, "file": None, "line": None}
    return Finding(resource=ref, message=str(violation.get("msg", "")), evidence=violation.get("evidence"),
                   target=target)


_GLOB = frozenset("*?[")


class Waivers:
    """The configuration's waivers, looked up per finding, and what became of each.

    A waiver's resource is an id or a glob; ids are found in a table, so that a configuration
    that waives many resources one by one costs a lookup per finding, not a pass over every
    waiver (4,000 findings and waivers took 13 s). The first waiver in the configuration's
    order that matches and has not expired applies, as before.

    One instance serves every target its configuration applies to (controls run in threads):
    a waiver is unused only if it matched nothing on any of them. What each waiver came to is
    reported (`outcomes`): a waiver nobody removes after its date, or after the fault was fixed,
    must not go on in silence.
    """

    def __init__(self, waivers: list[dict[str, Any]], config_file: str | None = None) -> None:
        self._all = [w for w in waivers if isinstance(w, dict)]
        self._config_file = config_file
        self._exact: dict[tuple[str, str], list[tuple[int, dict[str, Any]]]] = {}
        self._globs: dict[str, list[tuple[int, str, dict[str, Any]]]] = {}  # control -> (place, pattern, waiver)
        for place, waiver in enumerate(self._all):
            control, pattern = waiver.get("control"), str(waiver.get("resource") or "*")
            if not isinstance(control, str):
                continue  # names no control: waives nothing
            if _GLOB.isdisjoint(pattern):
                self._exact.setdefault((control, pattern), []).append((place, waiver))
            else:
                self._globs.setdefault(control, []).append((place, pattern, waiver))
        self._lock = threading.Lock()
        self._waived: dict[int, int] = {}   # place -> findings it waived
        self._expired: dict[int, int] = {}  # place -> findings it would waive, were it not expired
        self._judged: set[str] = set()      # controls whose findings were computed under these waivers
        # The objects' waive annotations met on the targets these waivers apply to, by place,
        # and what each did (a base and its overlays share an object: it is counted once).
        self._inline: dict[tuple[str, str, str | None], InlineWaiver] = {}
        self._inline_waived: dict[tuple[str, str, str | None], int] = {}
        self._inline_expired: dict[tuple[str, str, str | None], int] = {}

    def judged(self, control_id: str) -> None:
        """The control was evaluated (not an error) on a target these waivers apply to."""
        with self._lock:
            self._judged.add(control_id)

    def add_inline(self, inline: InlineWaivers) -> None:
        """Report the waive annotations of one more target with these waivers' outcomes."""
        with self._lock:
            for waiver in inline.all:
                self._inline.setdefault(waiver.key, waiver)

    def match(self, control_id: str, resource_id: str, today: dt.date,
              inline: InlineWaivers | None = None) -> dict[str, Any] | None:
        """The waiver of one finding: the object's own annotation first (the most specific),
        then the configuration's, in its order; None when none holds today."""
        annotated = inline.get(control_id, resource_id) if inline is not None else None
        if annotated is not None and annotated.waiver is not None:
            until = _until(annotated.waiver)
            if until is not None and until >= today:
                self._count(self._inline_waived, annotated.key)
                return annotated.waiver
            self._count(self._inline_expired, annotated.key)
        candidates = self._exact.get((control_id, resource_id), []) + [
            (place, waiver) for place, pattern, waiver in self._globs.get(control_id, [])
            if fnmatch.fnmatchcase(resource_id, pattern)]
        for place, waiver in sorted(candidates, key=lambda candidate: candidate[0]):
            until = _until(waiver)
            if until is None:
                continue
            if until >= today:
                self._count(self._waived, place)
                return {"by": waiver.get("by"), "reason": waiver.get("reason"), "until": str(until)}
            self._count(self._expired, place)
        return None

    def _count(self, counts: dict[Any, int], place: Any) -> None:
        with self._lock:
            counts[place] = counts.get(place, 0) + 1

    def outcomes(self, today: dt.date) -> list[dict[str, Any]]:
        """Each waiver with its status: applied, expired (it waives nothing any more), unused
        (its control was judged and it matched no finding), or not_evaluated (its control was
        not run, or could not be evaluated: whether it still matches is unknown)."""
        out = []
        for place, waiver in enumerate(self._all):
            until = _until(waiver)
            if until is not None and until < today:
                status, count = "expired", self._expired.get(place, 0)
            elif self._waived.get(place):
                status, count = "applied", self._waived[place]
            elif waiver.get("control") in self._judged:
                status, count = "unused", 0
            else:
                status, count = "not_evaluated", 0
            out.append({"config": self._config_file, "index": place, "control": waiver.get("control"),
                        "resource": waiver.get("resource") or "*", "by": waiver.get("by"),
                        "reason": waiver.get("reason"), "until": str(waiver.get("until")),
                        "status": status, "findings": count})
        return out + [self._inline_outcome(waiver, today) for waiver in self._inline.values()]

    def _inline_outcome(self, waiver: InlineWaiver, today: dt.date) -> dict[str, Any]:
        """As a configuration waiver's outcome, with `source` (the annotation, file and line)
        instead of `config` and `index`; `invalid`, with the `problem`, when it waives nothing."""
        given = waiver.waiver or {}
        until = _until(given) if given else None
        key = waiver.key
        if waiver.problem is not None:
            status, count = "invalid", 0
        elif until is not None and until < today:
            status, count = "expired", self._inline_expired.get(key, 0)
        elif self._inline_waived.get(key):
            status, count = "applied", self._inline_waived[key]
        elif waiver.control in self._judged:
            status, count = "unused", 0
        else:
            status, count = "not_evaluated", 0
        out = {"config": None, "index": None, "control": waiver.control, "resource": waiver.resource,
               "by": given.get("by"), "reason": given.get("reason"), "until": given.get("until"),
               "status": status, "findings": count, "source": waiver.source}
        return out | ({"problem": waiver.problem} if waiver.problem is not None else {})


def _until(waiver: dict[str, Any]) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(waiver.get("until")))
    except ValueError:
        return None


# --- inline waivers: an annotation on the object itself ----------------------------------------
#
# As Checkov users write `checkov.io/skip1: CKV_K8S_20=reason` on a manifest, a Kubernetes object
# may carry `kaze.io/waive.KZ-TEN-06: "reason; until=2027-03-31; by=alice"` (docs/waivers.md):
# it waives that control's findings on that object alone, and is reported as a configuration
# waiver is (who, why, until when), with where it is written. Only Kubernetes objects (files,
# kustomize output, a live cluster) carry annotations; Terraform, Vault policies and Dockerfiles
# are waived in kaze-policy.yaml.

WAIVE_ANNOTATION = "kaze.io/waive."
ANNOTATION_FORM = "reason; until=YYYY-MM-DD; by=WHO"
_FIELD = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_-]*)\s*=(.*)$", re.S)
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ANNOTATION_FIELDS = ("until", "by")


@dataclass
class InlineWaiver:
    """One `kaze.io/waive.<ID>` annotation of one object: a waiver, or why it cannot be one."""

    control: str
    resource: str
    annotation: str
    file: str | None
    line: int | None  # the annotation's own line where it can be found, else the object's
    waiver: dict[str, Any] | None  # by, reason, until and source, as a finding's waiver
    problem: str | None  # why it waives nothing (None when it is a waiver)

    @property
    def key(self) -> tuple[str, str, str | None]:
        return self.annotation, self.resource, self.file

    @property
    def source(self) -> dict[str, Any]:
        return {"type": "annotation", "annotation": self.annotation, "file": self.file, "line": self.line}


def parse_waive_annotation(value: Any) -> tuple[dict[str, str] | None, str | None]:
    """`reason; until=YYYY-MM-DD; by=WHO` → ({reason, until, by}, None), or (None, what is wrong).

    The fields are the trailing `name=value` parts, so that a reason may hold a `;` of its own.
    """
    if not isinstance(value, str):
        return None, f"its value is not text (write it as \"{ANNOTATION_FORM}\")"
    parts = value.split(";")
    fields: dict[str, str] = {}
    problems: list[str] = []
    while parts and (field_match := _FIELD.match(parts[-1])):
        name = field_match.group(1).lower()
        if name in fields:
            problems.append(f"{name}= given twice")
        fields[name] = field_match.group(2).strip()
        parts.pop()
    reason = ";".join(parts).strip()
    problems += [f"unknown field {name}=" for name in fields if name not in _ANNOTATION_FIELDS]
    problems += _missing_fields(reason, fields)
    if problems:
        return None, ", ".join(problems) + f" (write it as \"{ANNOTATION_FORM}\")"
    return {"by": fields["by"], "reason": reason, "until": fields["until"]}, None


def _missing_fields(reason: str, fields: dict[str, str]) -> list[str]:
    problems = [] if reason else ["no reason"]
    until = fields.get("until")
    if not until:
        problems.append("no until=YYYY-MM-DD")
    elif not _DAY.match(until) or _until({"until": until}) is None:
        problems.append(f"until={until} is not a date YYYY-MM-DD")
    if not fields.get("by"):
        problems.append("no by=WHO")
    return problems


class InlineWaivers:
    """The waive annotations of one target's objects: found in one pass over its objects, then
    looked up per finding by control and object (a dictionary: the matching stays a lookup)."""

    def __init__(self, resources: Mapping[str, Mapping[str, Any]]) -> None:
        self.all: list[InlineWaiver] = []
        self._by_object: dict[tuple[str, str], InlineWaiver] = {}
        self._broken: dict[str, list[InlineWaiver]] = {}
        for rid, resource in resources.items():
            for annotation, value in _waive_annotations(resource):
                waiver = _inline_waiver(rid, resource, annotation, value, resources)
                self.all.append(waiver)
                self._by_object[(waiver.control, rid)] = waiver
                if waiver.problem is not None:
                    self._broken.setdefault(waiver.control, []).append(waiver)

    def get(self, control_id: str, resource_id: str) -> InlineWaiver | None:
        return self._by_object.get((control_id, resource_id))

    def broken(self, control_id: str) -> list[InlineWaiver]:
        """The annotations of this control that waive nothing: each is a finding."""
        return self._broken.get(control_id, [])


def _waive_annotations(resource: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """The object's `kaze.io/waive.*` annotations (none for what is not a Kubernetes object)."""
    if resource.get("source") not in KUBERNETES_SOURCES:
        return []
    obj = resource.get("object")
    metadata = obj.get("metadata") if isinstance(obj, Mapping) else None
    annotations = metadata.get("annotations") if isinstance(metadata, Mapping) else None
    if not isinstance(annotations, Mapping):
        return []
    return [(key, value) for key, value in annotations.items()
            if isinstance(key, str) and key.startswith(WAIVE_ANNOTATION)]


def _inline_waiver(rid: str, resource: Mapping[str, Any], annotation: str, value: Any,
                   resources: Mapping[str, Mapping[str, Any]]) -> InlineWaiver:
    control = annotation[len(WAIVE_ANNOTATION):]
    parsed, problem = parse_waive_annotation(value)
    if not CONTROL_ID.match(control):
        parsed, problem = None, f"{control!r} is not a control id (kaze.io/waive.KZ-TEN-06)"
    file, line = resource.get("file"), _annotation_line(rid, resource, annotation, resources)
    waiver = InlineWaiver(control, rid, annotation, file, line, None, problem)
    if parsed is not None:
        waiver.waiver = {**parsed, "source": waiver.source}
    return waiver


def _annotation_line(rid: str, resource: Mapping[str, Any], annotation: str,
                     resources: Mapping[str, Mapping[str, Any]]) -> int | None:
    """The annotation's line in its file, found as a finding's field is (locate.py); else the object's."""
    probe = Finding(resource={"id": rid, "file": resource.get("file"), "line": resource.get("line")},
                    message="", evidence={"field_path": ["metadata", "annotations", annotation]}, target="")
    locate([probe], resources)
    return probe.place["line"]


def _annotation_finding(waiver: InlineWaiver, resources: Mapping[str, Any], target: str) -> Finding:
    """An annotation that waives nothing, as a finding of its control on its object."""
    return _finding({"msg": f"the annotation {waiver.annotation} waives nothing: {waiver.problem}",
                     "evidence": {"annotation": waiver.annotation, "problem": waiver.problem,
                                  "field_path": ["metadata", "annotations", waiver.annotation]}},
                    waiver.resource, resources, target)


def mark_unknown_controls(outcomes: list[dict[str, Any]], known: Iterable[str]) -> None:
    """An annotation naming a control the catalog does not hold waives nothing: `invalid`.

    (The evaluation sees only the controls it runs: a control skipped with --skip-control is
    not unknown. The command line, which holds the catalog, calls this on the report.)"""
    ids = set(known)
    for outcome in outcomes:
        if outcome.get("source") is not None and outcome["control"] not in ids and outcome["status"] != "invalid":
            outcome.update(status="invalid", findings=0,
                           problem=f"no control {outcome['control']} in the catalog (`kaze-policy controls` lists them)")


def _missing_scope_reason(control: Control) -> str:
    needs = {
        "vault": "a Vault snapshot or a live Vault",
        "supply-chain": "image signatures and SBOMs (a supply-chain snapshot)",
        "cluster": "a live cluster or a cluster snapshot",
        "admission": "an admission request",
        "iac": "infrastructure-as-code files",
    }
    wanted = " or ".join(needs[s] for s in control.scopes)
    return f"needs {wanted}; the target has none"


def merge(controls: list[Control], per_target: list[dict[str, TargetResult]]) -> list[ControlResult]:
    merged = []
    for control in controls:
        merged.append(ControlResult(control, [results[control.id] for results in per_target if control.id in results]))
    return merged

