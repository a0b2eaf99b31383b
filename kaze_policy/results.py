"""The result model every reporter renders: per control, per target, with findings."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, Iterable

from kaze_policy.catalog import Control
from kaze_policy.sources.files import Skipped

PASS, FAIL, ERROR, WAIVED, NOT_APPLICABLE = "pass", "fail", "error", "waived", "not_applicable"
STATUSES = (PASS, FAIL, ERROR, WAIVED, NOT_APPLICABLE)
# When a control has several targets, the worst status is the control's.
_PRECEDENCE = {ERROR: 4, FAIL: 3, PASS: 2, WAIVED: 1, NOT_APPLICABLE: 0}
SEVERITY_RANK = {"low": 1, "medium": 2, "high": 3, "critical": 4}


@dataclass
class Finding:
    resource: dict[str, Any]
    message: str
    evidence: Any
    target: str
    waiver: dict[str, Any] | None = None
    # Every target that has this very finding (a base and the overlays that include it).
    targets: list[str] = field(default_factory=list)
    # Where the finding points, when finer than the object's first line: the offending
    # field's file, line and column (kaze_policy/locate.py). None: the object's own place.
    location: dict[str, Any] | None = None
    # The network policies and roles the evidence names: each with its id, file and line.
    related: list[dict[str, Any]] = field(default_factory=list)
    # Against `scan --baseline` (kaze_policy/baseline.py): "unchanged" (accepted there: not a
    # failure of the gate) or "new"; None when the scan was given no baseline.
    baseline: str | None = None

    @property
    def place(self) -> dict[str, Any]:
        """The file, line and column every reporter points at: the field's, else the object's."""
        if self.location is not None:
            return self.location
        return {"file": self.resource.get("file"), "line": self.resource.get("line"), "column": None}

    @property
    def where(self) -> str:
        """`file:line` (or the file alone, or the target when the finding has no file)."""
        place = self.place
        file = str(place["file"] or self.target)
        return f"{file}:{place['line']}" if place["line"] else file

    def to_json(self) -> dict[str, Any]:
        out = {"resource": self.resource, "message": self.message, "evidence": self.evidence,
               "target": self.target, "targets": self.targets or [self.target],
               "location": self.place, "related": self.related}
        if self.waiver:
            out["waiver"] = self.waiver
        if self.baseline:
            out["baseline"] = self.baseline
        return out


@dataclass
class TargetResult:
    """One control on one target."""

    target: str
    status: str
    reason: str = ""
    findings: list[Finding] = field(default_factory=list)
    # Part of the control depends on configuration the target lacks (the reason says which).
    undecided: bool = False


@dataclass
class ControlResult:
    control: Control
    targets: list[TargetResult] = field(default_factory=list)

    @property
    def status(self) -> str:
        if not self.targets:
            return NOT_APPLICABLE
        return max((t.status for t in self.targets), key=_PRECEDENCE.__getitem__)

    @cached_property
    def findings(self) -> list[Finding]:
        return group_findings(f for t in self.targets for f in t.findings if not f.waiver)

    @cached_property
    def waived_findings(self) -> list[Finding]:
        return group_findings(f for t in self.targets for f in t.findings if f.waiver)

    @property
    def reason(self) -> str:
        reasons = [f"{t.target}: {t.reason}" if len(self.targets) > 1 else t.reason
                   for t in self.targets if t.reason and t.status == self.status]
        return "; ".join(dict.fromkeys(reasons))

    def to_json(self) -> dict[str, Any]:
        c = self.control
        return {
            "id": c.id, "title": c.title, "severity": c.severity, "status": self.status,
            "reason": self.reason,
            "scopes": list(c.scopes), "reference": c.reference, "frameworks": c.frameworks,
            "remediation": c.remediation,
            "findings": [f.to_json() for f in self.findings],
            "waived": [f.to_json() for f in self.waived_findings],
            "targets": [{"name": t.target, "status": t.status, "reason": t.reason} for t in self.targets],
        }


def group_findings(findings: Iterable[Finding]) -> list[Finding]:
    """One finding per resource, message and evidence, naming every target that has it.

    A base judged on its own and each overlay that includes it find the same fault in the
    same file and line: it is reported once, with the list of targets, in the order met.
    """
    grouped: dict[str, Finding] = {}
    for finding in findings:
        key = json.dumps([finding.resource, finding.message, finding.evidence, finding.waiver],
                         sort_keys=True, default=str)
        first = grouped.get(key)
        if first is None:
            grouped[key] = replace(finding, targets=[finding.target])
        elif finding.target not in first.targets:
            first.targets.append(finding.target)
    return list(grouped.values())


_STALE = {"expired": "expired on {until}, waives nothing", "unused": "matches no finding",
          "invalid": "waives nothing: {problem}"}


def _waiver_place(waiver: dict[str, Any]) -> str:
    """A configuration waiver's file; a waive annotation's name, file and line."""
    source = waiver.get("source")
    if not source:
        return str(waiver["config"])
    place = f"{source['file']}:{source['line']}" if source.get("line") else str(source.get("file"))
    return f"{source['annotation']} at {place}"


@dataclass
class ScanReport:
    results: list[ControlResult]
    targets: list[dict[str, Any]]
    engine: str
    tool_version: str
    # Every file or folder passed over, with why (never in silence).
    skipped: list[Skipped] = field(default_factory=list)
    # Every waiver of the configurations read, with what became of it (evaluate.Waivers.outcomes).
    waivers: list[dict[str, Any]] = field(default_factory=list)
    # An audit's features, each scenario with its steps and verdict (kaze_policy/bdd/model.py
    # FeatureResult); None for a scan, which runs none.
    features: list[Any] | None = None
    # When an audit read its targets (ISO 8601, UTC); None for a scan, whose reports are
    # the same for the same input.
    taken: str | None = None
    # The results by a framework's controls (`audit --framework`; frameworks/view.py FrameworkView).
    framework_views: list[Any] = field(default_factory=list)
    # `scan --baseline`: the file, the findings unchanged and new, and the fixed ones (in the
    # baseline, found no more); None without one (kaze_policy/baseline.py).
    baseline: dict[str, Any] | None = None
    # `scan --checkov`: Checkov's own checks on the same files (kaze_policy/checkov.py
    # CheckovResult), a framework of their own, never counted among the Kaze controls; None without it.
    checkov: Any | None = None

    def summary(self) -> dict[str, int]:
        """Controls by status, and the findings waived (they are not failures, but not gone)."""
        counts = dict.fromkeys(STATUSES, 0)
        for result in self.results:
            counts[result.status] += 1
        counts["waived_findings"] = sum(len(r.waived_findings) for r in self.results)
        return counts

    def waiver_line(self) -> str | None:
        """The summary's line about waivers that need a person: expired, matching nothing, or
        (a waive annotation) invalid."""
        stale = [w for w in self.waivers if w["status"] in ("expired", "unused", "invalid")]
        if not stale:
            return None
        return "Waivers to review: " + "; ".join(
            f"{w['control']} {w['resource']} ({_waiver_place(w)}): " + _STALE[w["status"]].format(**w)
            for w in stale)

    def unconfigured(self) -> dict[str, list[str]] | None:
        """The targets no kaze-policy.yaml applies to, and the controls it left undecided there
        (in whole, or in the part that needs it); None when every target has one."""
        targets = [str(t["name"]) for t in self.targets if t.get("config") is None]
        if not targets:
            return None
        names = set(targets)
        undecided = [r.control.id for r in self.results
                     if any(t.undecided and t.target in names for t in r.targets)]
        return {"targets": targets, "undecided": undecided}

    def unconfigured_line(self) -> str | None:
        """The summary's one line about a missing configuration."""
        missing = self.unconfigured()
        if missing is None:
            return None
        ids = missing["undecided"]
        left = f"{len(ids)} control(s) left wholly or partly undecided: {', '.join(ids)}" if ids else \
            "no control depended on it"
        return f"No kaze-policy.yaml found for {', '.join(missing['targets'])}: {left}"

    def to_json(self) -> dict[str, Any]:
        return {
            "tool": {"name": "kaze-policy", "version": self.tool_version},
            "engine": self.engine,
            "summary": self.summary(),
            "unconfigured": self.unconfigured(),
            "targets": self.targets,
            "skipped": [s.to_json() for s in self.skipped],
            "waivers": self.waivers,
            "controls": [r.to_json() for r in self.results],
        } | ({} if self.features is None else {"features": [f.to_json() for f in self.features]}) \
            | ({"frameworks": [v.to_json() for v in self.framework_views]} if self.framework_views else {}) \
            | ({"baseline": self.baseline} if self.baseline is not None else {}) \
            | ({"checkov": self.checkov.to_json()} if self.checkov is not None else {})
