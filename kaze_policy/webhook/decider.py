"""One AdmissionRequest → one decision, with the very rules the scan runs.

The controls are those whose scopes include `admission` and that judge one object at a time
(METADATA `kinds`): each `violation` rule is evaluated on the object under admission (as
`input`, exactly as the scan binds each object of a target), over `data.inventory` built
from the context (the cluster as the server last saw it, and the configuration).

Per context (each time the cluster changes): the policies' data is set once on a fresh copy
of the compiled engine, and what holds for every request is computed once: a control not
applicable to this context, or one that cannot be evaluated (its `errors`, a kind the context
could not read). Per request: one query, every applicable control's `violation` at once; if
that query fails, each control is asked alone, so that the error names the control.

Fail closed: a control that cannot be evaluated denies every request it judges, whatever its
enforcement mode; so does a request that comes before the context has synced.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from dataclasses import dataclass, field
from typing import Any

from kaze_policy.catalog import Catalog, Control
from kaze_policy.decide import decide as decide_url
from kaze_policy.decide import egress_data
from kaze_policy.engine import create_engine
from kaze_policy.engine.base import UNDEFINED, Engine
from kaze_policy.errors import EngineError
from kaze_policy.evaluate import POD_KINDS, WAIVE_ANNOTATION, Waivers
from kaze_policy.inventory import KNOWN_POD_TEMPLATES, configured_pod_templates, template_key
from kaze_policy.sources.cluster import ClusterRead
from kaze_policy.webhook.review import AdmissionRequest
from kaze_policy.webhook.settings import DENY, WARN, AdmissionSettings

ADMISSION_SCOPE = "admission"
ALLOW, REFUSE, EXEMPT = "allow", "deny", "exempt"


@dataclass
class Violation:
    control: Control
    message: str
    mode: str
    waiver: dict[str, Any] | None = None
    # On UPDATE: the old object broke the control the same way, so the update did not (as
    # Gatekeeper's pod-security templates ignore updates of what was admitted before).
    preexisting: bool = False

    @property
    def denies(self) -> bool:
        return self.mode == DENY and self.waiver is None and not self.preexisting


@dataclass
class Decision:
    allowed: bool
    outcome: str  # allow | deny | exempt
    message: str = ""
    code: int = 200
    warnings: list[str] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    controls: list[str] = field(default_factory=list)  # the controls that judged the object
    error: str = ""  # why the policy could not be evaluated (the request is then denied)


def cannot_evaluate(request: AdmissionRequest, why: str) -> Decision:
    """Fail closed: the request is denied, saying that the policy could not be evaluated."""
    return Decision(False, REFUSE, f"kaze-policy could not evaluate the policy for {_object_name(request)}, so "
                                   f"the request is denied: {why}", 500, error=why)


@dataclass(frozen=True)
class _Generation:
    """The engine and what holds for every request, for one state of the context."""

    number: int
    engine: Engine
    pod_templates: frozenset[str]
    not_applicable: dict[str, str]  # control id → why (the control is not run)
    broken: dict[str, str]  # control id → why it cannot be evaluated (its requests are denied)
    objects: dict[str, int]  # the context's objects by kind (what /readyz shows)
    # One rule per set of controls that judge a kind: `{id: violation, …}` in one evaluation.
    rules: dict[tuple[str, ...], str] = field(default_factory=dict)


class Decider:
    """Decides requests on any number of threads; the context may change at any time."""

    def __init__(self, catalog: Catalog, settings: AdmissionSettings, config: dict[str, Any] | None,
                 config_file: str | None = None, compiled: Engine | None = None) -> None:
        """`compiled`: an engine that holds the catalog's policies already (default: compile them)."""
        admission = [c for c in catalog.controls if ADMISSION_SCOPE in c.scopes]
        self.controls = [c for c in admission if c.per_object]
        # Rules over the whole inventory cannot judge one object as it is admitted: named, never silent.
        self.not_run = {c.id: "it judges the whole inventory, not one object: the scan and the audit run it"
                        for c in admission if not c.per_object}
        self.settings = settings
        self.config, self.config_file = config, config_file
        self.waivers = Waivers((config or {}).get("waivers") or [], config_file)
        if compiled is None:
            compiled = create_engine("embedded")
            compiled.load_policies(catalog.policy_files)
        self._compiled = compiled
        # The egress decisions of running agents (POST /decide/egress, KZ-EGR-04): the same
        # rule as `kaze-policy decide egress`, over the configuration's allowlists.
        self._egress = self._copy_compiled()
        self._egress.set_data(egress_data(config or {}))
        self._egress.query("true")
        self._generation: _Generation | None = None
        self._numbers = itertools.count(1)
        self._local = threading.local()
        self._swap = threading.Lock()

    @property
    def ready(self) -> bool:
        """The policies are compiled (at construction) and a context has been set."""
        return self._generation is not None

    def status(self) -> dict[str, Any]:
        generation = self._generation
        return {"ready": generation is not None, "controls": [c.id for c in self.controls],
                "not_run": self.not_run,
                "not_applicable": generation.not_applicable if generation else {},
                "cannot_evaluate": generation.broken if generation else {},
                "context": {"generation": generation.number, "objects": generation.objects} if generation else {}}

    def set_context(self, read: ClusterRead) -> None:
        """A new state of the cluster (and the configuration): compiled once for every request."""
        inventory = read.inventory
        inventory.config, inventory.config_file = self.config, self.config_file
        inventory.scopes = {*inventory.scopes, ADMISSION_SCOPE}
        data = inventory.to_data()
        # Where each custom kind keeps its pods, whether or not the context holds one of them
        # (the object under review is not in the context: its kind's template must be).
        known = {**KNOWN_POD_TEMPLATES, **configured_pod_templates(self.config)}
        data["pod_templates"] = {**{key: list(path) for key, path in known.items()}, **data["pod_templates"]}
        engine = self._copy_compiled()
        engine.set_data(data)
        not_applicable, broken = {}, {}
        # The context holds only what the rules read (serve.CONTEXT_KINDS): a kind of it left
        # unread may change any verdict, so every control is then unevaluable.
        unread = {**read.undiscovered, **read.forbidden}
        lacking = "the context lacks " + "; ".join(f"{kind}: {unread[kind]}" for kind in sorted(unread))
        for control in self.controls:
            if unread:
                broken[control.id] = lacking
                continue
            try:
                skip = engine.query(f"{control.package}.not_applicable")
                errors = engine.query(f"{control.package}.errors")
            except EngineError as err:
                broken[control.id] = str(err)
                continue
            if isinstance(skip, str) and skip:
                not_applicable[control.id] = skip
            elif errors is not UNDEFINED and errors:
                broken[control.id] = "; ".join(sorted(map(str, errors)))
        templates = frozenset(data["pod_templates"])
        judging = [c for c in self.controls if c.id not in not_applicable and c.id not in broken]
        rules = _add_rules(engine, _control_sets(judging, templates))
        with self._swap:
            self._generation = _Generation(next(self._numbers), engine, templates, not_applicable, broken,
                                           {kind: len(ids) for kind, ids in sorted(data["by_kind"].items())}, rules)

    def _copy_compiled(self) -> Engine:
        copy = getattr(self._compiled, "copy", None)
        return copy() if copy is not None else self._compiled

    def _engine(self, generation: _Generation) -> Engine:
        """This thread's copy of the generation's engine (an engine runs one query at a time)."""
        held = getattr(self._local, "held", None)
        if held is None or held[0] != generation.number:
            copy = getattr(generation.engine, "copy", None)
            held = (generation.number, copy() if copy is not None else generation.engine)
            self._local.held = held
        return held[1]

    def decide(self, request: AdmissionRequest, today: dt.date | None = None) -> Decision:
        generation = self._generation
        if generation is None:
            return cannot_evaluate(request, "the cluster context has not been read yet")
        subject = request.subject
        if self.settings.exempt(request.namespace, request.kind, request.name):
            return Decision(True, EXEMPT, f"namespace {request.namespace or request.name} is exempt")
        if request.operation not in ("CREATE", "UPDATE") or subject is None:
            # No admission control judges a deletion or a connection: the object stays as judged.
            return Decision(True, ALLOW)
        controls = [c for c in self.controls if self._judges(c, request, generation)
                    and c.id not in generation.not_applicable]
        decision = Decision(True, ALLOW, controls=[c.id for c in controls])
        broken = [c for c in controls if c.id in generation.broken]
        if broken:
            why = "; ".join(f"{c.id}: {generation.broken[c.id]}" for c in broken)
            return _with_controls(cannot_evaluate(request, why), controls)
        if not controls:
            return decision
        engine = self._engine(generation)
        rule = generation.rules.get(tuple(c.id for c in controls))
        try:
            found = _violations(engine, controls, request.resource_id, subject, rule)
            old = (_violations(engine, controls, request.resource_id, request.old_object, rule)
                   if found and request.operation == "UPDATE" and request.old_object is not None else {})
        except EngineError as err:
            return _with_controls(cannot_evaluate(request, str(err)), controls)
        day = today or dt.date.today()
        by_id = {c.id: c for c in controls}
        for control_id, messages in sorted(found.items()):
            control = by_id[control_id]
            waiver = self.waivers.match(control_id, request.resource_id, day)
            for message in messages:
                decision.violations.append(Violation(control, message, self.settings.mode(control_id), waiver,
                                                     preexisting=message in old.get(control_id, ())))
        decision = _judged(decision, request)
        decision.warnings += _unhonored_annotations(subject, decision.violations)
        return decision

    def decide_egress(self, tenant: str, url: str) -> dict[str, Any]:
        """May an agent of `tenant` call `url`? Denied, saying why, when it cannot be decided."""
        held = getattr(self._local, "egress", None)
        if held is None:
            copy = getattr(self._egress, "copy", None)
            held = self._local.egress = copy() if copy is not None else self._egress
        try:
            return decide_url(held, tenant, url)
        except EngineError as err:
            return {"tenant": tenant, "url": url, "allow": False,
                    "reason": f"the decision could not be evaluated, so the call is denied: {err}"}

    def _judges(self, control: Control, request: AdmissionRequest, generation: _Generation) -> bool:
        if request.kind in control.kinds:
            return True
        # The controls that judge pods judge the custom kinds that run them (an Argo Rollout…).
        return POD_KINDS in control.kinds and template_key(request.api_version, request.kind) in generation.pod_templates


GENERATED_PACKAGE = "kaze_policy_webhook"


def _control_sets(controls: list[Control], templates: frozenset[str]) -> list[tuple[Control, ...]]:
    """The distinct sets of controls that judge one kind (custom kinds that run pods: the pod controls)."""
    kinds = {kind for c in controls for kind in c.kinds}
    sets = [tuple(c for c in controls if kind in c.kinds) for kind in sorted(kinds)]
    if templates:
        sets.append(tuple(c for c in controls if POD_KINDS in c.kinds))
    distinct = {tuple(c.id for c in s): s for s in sets if s}  # controls do not hash (a dict field)
    return list(distinct.values())


def _add_rules(engine: Engine, sets: list[tuple[Control, ...]]) -> dict[tuple[str, ...], str]:
    """A module of one rule per set, `{id: violation, …}`: a request costs one rule evaluation
    (a query is parsed and planned anew each time, and costs twice as much). The engine is
    warmed here, so that the copies of the decision threads start compiled."""
    add_module = getattr(engine, "add_module", None)
    if add_module is None or not sets:
        return {}
    lines = [f"package {GENERATED_PACKAGE}", "", "import rego.v1", ""]
    rules = {}
    for n, controls in enumerate(sets):
        lines.append(f"judged_{n} := {{" + ", ".join(f'"{c.id}": {c.package}.violation' for c in controls) + "}")
        rules[tuple(c.id for c in controls)] = f"data.{GENERATED_PACKAGE}.judged_{n}"
    add_module("kaze-policy-webhook.rego", "\n".join(lines) + "\n")
    engine.query("true")
    return rules


def _violations(engine: Engine, controls: list[Control], rid: str, obj: Any,
                rule: str | None = None) -> dict[str, list[str]]:
    """Each control's violation messages on one object: one evaluation for all of them."""
    subject = {"id": rid, "object": obj}
    query = "{" + ", ".join(f'"{c.id}": {c.package}.violation' for c in controls) + "}"
    try:
        found = engine.rule(rule, subject) if rule is not None else engine.query(query, subject)  # type: ignore[attr-defined]
    except EngineError:
        found = {c.id: _one(engine, c, subject) for c in controls}  # which control failed, and why
    if not isinstance(found, dict):
        raise EngineError(f"the violation rules gave no verdict for {rid}")
    return {cid: sorted({_message(v) for v in vs}) for cid, vs in found.items() if vs}


def _one(engine: Engine, control: Control, subject: dict[str, Any]) -> Any:
    try:
        found = engine.query(f"{control.package}.violation", subject)
    except EngineError as err:
        raise EngineError(f"{control.id}: {err}") from None
    if found is UNDEFINED:
        raise EngineError(f"{control.id}: {control.package}.violation is not defined")
    return found


def _message(violation: Any) -> str:
    return str(violation.get("msg", "")) if isinstance(violation, dict) else str(violation)


def _with_controls(decision: Decision, controls: list[Control]) -> Decision:
    decision.controls = [c.id for c in controls]
    return decision


def _judged(decision: Decision, request: AdmissionRequest) -> Decision:
    """Deny on any violation in deny mode; warn mode and old violations become warnings."""
    denying = [v for v in decision.violations if v.denies]
    for v in decision.violations:
        if v.denies or v.waiver is not None:
            continue
        if v.preexisting:
            decision.warnings.append(f"[{v.control.id}] {v.message} (already so before this update)")
        elif v.mode == WARN:
            decision.warnings.append(f"[{v.control.id}] {v.message}")
    if denying:
        decision.allowed, decision.outcome, decision.code = False, REFUSE, 403
        decision.message = (f"kaze-policy denied {request.operation} of {_object_name(request)}: " +
                            "; ".join(f"[{v.control.id}] {v.message}" for v in denying))
    return decision


def _unhonored_annotations(obj: Any, violations: list[Violation]) -> list[str]:
    """A waive annotation is no waiver at admission (docs/waivers.md): the requester writes it,
    so honouring it would let anyone who may create an object waive the controls that judge it.
    (In CI it is reviewed with the manifest, as the code is.) Its author is told, not left guessing."""
    metadata = obj.get("metadata") if isinstance(obj, dict) else None
    annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
    if not isinstance(annotations, dict):
        return []
    unwaived = sorted({v.control.id for v in violations if v.waiver is None})
    return [f"[{cid}] the annotation {WAIVE_ANNOTATION}{cid} is not honoured at admission: only "
            f"kaze-policy.yaml's waivers apply here" for cid in unwaived if f"{WAIVE_ANNOTATION}{cid}" in annotations]


def _object_name(request: AdmissionRequest) -> str:
    where = f"{request.namespace}/" if request.namespace else ""
    return f"{request.kind} {where}{request.name}"
