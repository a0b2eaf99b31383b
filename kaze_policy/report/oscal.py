"""OSCAL Assessment Results (JSON), built with compliance-trestle's OSCAL models and validated
by them: what an auditor's GRC tool imports.

The document holds one result. Its reviewed controls are the Kaze controls evaluated; each
control on each target is one observation (method TEST: the control's rules were run), whose
relevant evidence summarises each finding by resource, place and message (the evidence
objects a finding carries are not copied: they are the scanner's, and may quote what a
manifest holds); each control is one finding whose target is the control as an objective,
satisfied when it passed, was waived or did not apply, and not satisfied when it failed or
could not be evaluated (nobody showed that it holds). The framework controls each Kaze
control maps to (SOC 2, ISO/IEC 27001, NIST SP 800-53, CIS Kubernetes) are properties in the
kaze.io namespace, since OSCAL keeps names without a namespace for its own.

There is no assessment plan apart from the catalog: import-ap points at a back-matter resource
that describes it. Every UUID is a version 5 UUID of the report's identity (tool version,
engine, targets) and of what it names, so the same scan gives the same document but for its
timestamps, which are the time of rendering (`now`, which a test may replace).

compliance-trestle is an optional dependency (`pip install 'kaze-policy[audit]'`), imported
only when a document is rendered: its models take most of a second to import, which a scan
in another format and the admission webhook must not pay.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable
from typing import Any

from kaze_policy.errors import UsageError
from kaze_policy.report.interface import Reporter
from kaze_policy.report.markdown import escape
from kaze_policy.results import ERROR, FAIL, NOT_APPLICABLE, PASS, WAIVED, ControlResult, Finding, ScanReport, \
    TargetResult

# The namespace of every property this document names (OSCAL's own names have none).
NS = "https://kaze.io/ns/oscal"
# The frameworks of a control's `frameworks`, in the order they are named.
FRAMEWORKS = ("soc2", "iso27001", "nist80053", "cis_kubernetes")
FRAMEWORK_TITLES = {"soc2": "SOC 2", "iso27001": "ISO/IEC 27001", "nist80053": "NIST SP 800-53",
                    "cis_kubernetes": "CIS Kubernetes Benchmark"}
# What the status of a control (or of a control on a target) makes its objective.
SATISFIED = {PASS: "satisfied", WAIVED: "satisfied", NOT_APPLICABLE: "satisfied",
             FAIL: "not-satisfied", ERROR: "not-satisfied"}
_REASON = {PASS: "pass", FAIL: "fail", ERROR: "other", WAIVED: "other", NOT_APPLICABLE: "other"}
_ROOT = uuid.uuid5(uuid.NAMESPACE_URL, NS)
TRESTLE_MISSING = ("the oscal format needs compliance-trestle, an optional dependency: "
                   "pip install 'kaze-policy[audit]'")


def now() -> dt.datetime:
    """The time a document is rendered: UTC, to the second."""
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


class OscalReporter(Reporter):
    suffix = ".oscal.json"

    def __init__(self, clock: Callable[[], dt.datetime] | None = None) -> None:
        # None: the module's `now`, looked up at each render (a test may replace it).
        self.clock = clock

    def render(self, report: ScanReport) -> str:
        return build(report, (self.clock or now)()).oscal_serialize_json(pretty=True) + "\n"


def build(report: ScanReport, at: dt.datetime) -> Any:
    """The trestle AssessmentResults of a report (validated as it is built)."""
    try:
        from trestle.oscal import assessment_results as ar
        from trestle.oscal import common
    except ImportError:
        raise UsageError(TRESTLE_MISSING) from None
    if not report.results:
        raise ValueError("an OSCAL assessment result reviews at least one control: the report has none")
    return _Builder(report, at, ar, common).document()


class _Builder:
    def __init__(self, report: ScanReport, at: dt.datetime, ar: Any, common: Any) -> None:
        self.report, self.at, self.ar, self.c = report, at, ar, common
        identity = json.dumps({"tool": report.tool_version, "engine": report.engine,
                               "targets": [[str(t.get("name")), str(t.get("path")), str(t.get("kind"))]
                                           for t in report.targets]}, sort_keys=True)
        self.space = uuid.uuid5(_ROOT, identity)
        self.catalog_uuid = self.uuid("catalog")
        self.tool_uuid = self.uuid("tool")
        # Every target named, by the report's list and by the results, in the order met.
        names = [str(t.get("name")) for t in report.targets]
        names += [t.target for r in report.results for t in r.targets]
        self.targets = {name: self.uuid("target", name) for name in dict.fromkeys(names)}

    def uuid(self, *parts: str) -> str:
        return str(uuid.uuid5(self.space, "\0".join(parts)))

    def prop(self, name: str, value: object, cls: str | None = None) -> Any:
        return self.c.Property(name=name, ns=NS, value=_value(value), class_=cls)

    def props(self, pairs: list[tuple[str, object]]) -> list[Any]:
        return [self.prop(name, value) for name, value in pairs if _value(value)]

    def framework_props(self, frameworks: dict[str, list[str]]) -> list[Any]:
        order = [*[f for f in FRAMEWORKS if f in frameworks], *sorted(set(frameworks) - set(FRAMEWORKS))]
        return [self.prop("framework-control", f"{framework}:{control}", cls=_token(framework))
                for framework in order for control in frameworks[framework] if _value(control)]

    def origins(self) -> list[Any]:
        return [self.c.Origin(actors=[self.c.OriginActor(type="tool", actor_uuid=self.tool_uuid)])]

    # ------------------------------------------------------------------ the document

    def document(self) -> Any:
        report, c = self.report, self.c
        metadata = c.Metadata(
            title="kaze-policy audit", last_modified=self.at, version=_value(report.tool_version) or "unknown",
            oscal_version=self.ar.OSCAL_VERSION,  # trestle's: the version its models are of
            props=self.props([("tool", "kaze-policy"), ("engine", report.engine)]))
        observations: list[Any] = []
        findings: list[Any] = []
        seen: dict[tuple[str, str], int] = {}
        for result in report.results:
            related = []
            for target in result.targets:
                key = (result.control.id, target.target)
                seen[key] = seen.get(key, -1) + 1  # the same target twice: each its own observation
                observation = self.observation(result, target, seen[key])
                observations.append(observation)
                related.append(observation.uuid)
            findings.append(self.finding(result, related))
        return self.ar.AssessmentResults(
            uuid=self.uuid("assessment-results"), metadata=metadata,
            import_ap=self.ar.ImportAp(
                href=f"#{self.catalog_uuid}",
                remarks="kaze-policy assesses its own control catalog: there is no separate assessment plan. "
                        "The back-matter resource this points at describes the catalog."),
            results=[self.result(observations, findings)],
            back_matter=c.BackMatter(resources=[self.catalog_resource(), *self.target_resources()]))

    def result(self, observations: list[Any], findings: list[Any]) -> Any:
        report, c = self.report, self.c
        results = report.results
        summary = report.summary()
        counts = ", ".join(f"{summary[s]} {s.replace('_', ' ')}" for s in (PASS, FAIL, ERROR, WAIVED, NOT_APPLICABLE))
        frameworks: dict[str, list[str]] = {}
        for result in results:
            for framework, ids in result.control.frameworks.items():
                frameworks.setdefault(framework, []).extend(ids)
        frameworks = {f: sorted(set(ids), key=_natural) for f, ids in frameworks.items()}
        reviewed = c.ReviewedControls(
            description=f"The {len(results)} Kaze control(s) evaluated, each mapped to the framework controls "
                        "its framework-control properties name.",
            props=self.framework_props(frameworks) or None,
            control_selections=[c.ControlSelections(
                include_controls=[c.SelectControlById(control_id=r.control.id) for r in results])])
        local = self.ar.LocalDefinitions1(components=[c.SystemComponent(
            uuid=self.tool_uuid, type="software", title="kaze-policy",
            description=f"kaze-policy {escape(report.tool_version)}, policy-as-code engine of the Kaze platform "
                        f"(engine: {escape(report.engine)}): the tool that made every observation and finding.",
            props=self.props([("version", report.tool_version), ("engine", report.engine)]),
            status=c.Status(state="operational"))])
        return self.ar.Result(
            uuid=self.uuid("result"), title="kaze-policy scan",
            description=f"{len(results)} control(s) on {len(report.targets)} target(s): {counts}; "
                        f"{summary['waived_findings']} finding(s) waived.",
            start=self.at, end=self.at,
            props=self.props([(f"controls-{s.replace('_', '-')}", summary[s])
                              for s in (PASS, FAIL, ERROR, WAIVED, NOT_APPLICABLE)]
                             + [("findings-waived", summary["waived_findings"])]),
            links=[c.Link(href=f"#{self.catalog_uuid}", rel="reference", text="The Kaze control catalog")],
            local_definitions=local, reviewed_controls=reviewed,
            observations=observations or None, findings=findings,
            remarks="start and end are the time this document was rendered from the scan's report.")

    # ------------------------------------------------------------------ observations and findings

    def observation(self, result: ControlResult, target: TargetResult, occurrence: int) -> Any:
        c, control = self.c, result.control
        name = target.target
        found = [f for f in target.findings if not f.waiver]
        waived = [f for f in target.findings if f.waiver]
        what = {
            PASS: f"No finding: the control holds on {escape(name)}.",
            FAIL: f"{len(found)} finding(s) on {escape(name)}.",
            ERROR: f"The control could not be evaluated on {escape(name)}: {escape(target.reason)}",
            WAIVED: f"Every finding on {escape(name)} is waived ({len(waived)}).",
            NOT_APPLICABLE: f"The control does not apply to {escape(name)}: {escape(target.reason)}",
        }[target.status]
        if waived and target.status != WAIVED:
            what += f" {len(waived)} more finding(s) waived."
        evidence = [self.evidence(f) for f in [*found, *waived]]
        parts = [control.id, name] + ([str(occurrence)] if occurrence else [])
        return c.Observation(
            uuid=self.uuid("observation", *parts),
            title=f"{control.id} on {_line(name)}: {target.status.replace('_', ' ')}",
            description=what, methods=["TEST"], types=["finding" if found else "control-objective"],
            props=self.props([("control-id", control.id), ("status", target.status)]),
            origins=self.origins(),
            subjects=[c.SubjectReference(subject_uuid=self.targets[name], type="resource", title=_line(name))],
            relevant_evidence=evidence or None, collected=self.at,
            remarks=escape(target.reason) if target.reason and target.status not in (ERROR, NOT_APPLICABLE) else None)

    def evidence(self, finding: Finding) -> Any:
        """One finding, by resource, place and message; a waived one with who waived it, why, until when."""
        resource = str(finding.resource.get("id") or finding.resource.get("name") or "")
        text = f"{escape(resource)} at {escape(finding.where)}: {escape(finding.message)}" if resource else \
            f"{escape(finding.where)}: {escape(finding.message)}"
        pairs: list[tuple[str, object]] = [("resource", resource), ("location", finding.where),
                                           ("kind", finding.resource.get("kind")),
                                           ("namespace", finding.resource.get("namespace"))]
        if finding.waiver:
            waiver = finding.waiver
            text = f"Waived: {text} ({_waiver_text(waiver)})"
            pairs += [("waived-by", waiver.get("by")), ("waived-until", waiver.get("until")),
                      ("waiver-reason", waiver.get("reason"))]
        return self.c.RelevantEvidence(description=text, props=self.props(pairs) or None)

    def finding(self, result: ControlResult, related: list[str]) -> Any:
        c, control, status = self.c, result.control, result.status
        state = SATISFIED[status]
        remarks = {
            PASS: "Satisfied: the control passed on every target it applies to.",
            FAIL: f"Not satisfied: {len(result.findings)} finding(s).",
            ERROR: f"Not satisfied: the control could not be evaluated ({escape(result.reason)}), so nothing shows "
                   "that it holds.",
            WAIVED: "Satisfied by waiver: every finding is waived, "
                    + "; ".join(f"{escape(f.where)} ({_waiver_text(f.waiver or {})})" for f in result.waived_findings)
                    + ".",
            NOT_APPLICABLE: f"Satisfied as not applicable: {escape(result.reason) or 'no target it applies to'}.",
        }[status]
        if result.waived_findings and status != WAIVED:
            remarks += f" {len(result.waived_findings)} finding(s) waived: " + "; ".join(
                f"{escape(f.where)} ({_waiver_text(f.waiver or {})})" for f in result.waived_findings) + "."
        target = c.FindingTarget(
            type="objective-id", target_id=control.id, title=_line(control.title),
            description=escape(control.description or control.title),
            status=c.ObjectiveStatus(state=state, reason=_REASON[status], remarks=remarks),
            implementation_status=c.ImplementationStatus(state="not-applicable") if status == NOT_APPLICABLE else None)
        return c.Finding(
            uuid=self.uuid("finding", control.id), title=f"{control.id}: {_line(control.title)}",
            description=f"{escape(control.title)} ({control.severity}): {status.replace('_', ' ')} on "
                        f"{len(result.targets)} target(s).",
            props=[*self.props([("control-id", control.id), ("severity", control.severity), ("status", status)]),
                   *self.framework_props(control.frameworks)],
            origins=self.origins(), target=target,
            related_observations=[c.RelatedObservation(observation_uuid=u) for u in related] or None,
            remarks=f"Remediation: {escape(control.remediation)}" if status == FAIL and control.remediation else None)

    # ------------------------------------------------------------------ back matter

    def catalog_resource(self) -> Any:
        report = self.report
        frameworks = ", ".join(FRAMEWORK_TITLES[f] for f in FRAMEWORKS)
        return self.c.Resource(
            uuid=self.catalog_uuid, title="The Kaze control catalog",
            description=f"The assessment plan of this result: the control catalog kaze-policy "
                        f"{escape(report.tool_version)} ships (Rego packages, one per control, each with its "
                        f"severity, remediation and the {frameworks} controls it maps to). "
                        f"{len(report.results)} of its controls were evaluated; reviewed-controls lists them.",
            props=self.props([("tool", "kaze-policy"), ("version", report.tool_version)]))

    def target_resources(self) -> list[Any]:
        described = {str(t.get("name")): t for t in self.report.targets}
        resources = []
        for name, subject in self.targets.items():
            target = described.get(name, {})
            resources.append(self.c.Resource(
                uuid=subject, title=_line(name),
                description=f"A target kaze-policy scanned: {escape(name)}.",
                props=self.props([("target-kind", target.get("kind")), ("target-path", target.get("path")),
                                  ("resources", target.get("resources"))]) or None))
        return resources


def _value(value: object) -> str:
    """A property's value: one line, no space at either end (empty: no property)."""
    if value is None:
        return ""
    return " ".join(str(value).split())


def _line(text: object) -> str:
    """A title (markup-line): one line, never empty."""
    return escape(text) or "-"


def _token(text: str) -> str | None:
    """A property class: an NCName, or none."""
    import re
    return text if re.fullmatch(r"[A-Za-z_][\w.\-]*", text, re.ASCII) else None


def _natural(control: str) -> list[Any]:
    """A.8.9 before A.8.15."""
    import re
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", control)]


def _waiver_text(waiver: dict[str, Any]) -> str:
    """Who waived a finding, until when, and why."""
    by = f"by {escape(waiver['by'])}, " if waiver.get("by") else ""
    until = f"until {escape(waiver['until'])}" if waiver.get("until") else "with no end date"
    return f"{by}{until}: {escape(waiver.get('reason') or 'no reason given')}"
