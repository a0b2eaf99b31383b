"""An audit's results by the controls of one framework (`audit --framework`): each framework
control the catalog cites, with the Kaze controls that are its evidence and their worst
status, in the framework's order; then the framework's controls the catalog does not cover,
so that nobody reads a clean report as the whole framework satisfied."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kaze_policy.frameworks import Framework, FrameworkControl, load_framework, resolve, uncovered
from kaze_policy.results import _PRECEDENCE, NOT_APPLICABLE, ControlResult, ScanReport


@dataclass
class FrameworkRow:
    control: FrameworkControl
    # The Kaze controls citing it, each with the id it cites (a NIST enhancement, or the control).
    evidence: list[tuple[str, ControlResult]]

    @property
    def status(self) -> str:
        statuses = [r.status for _, r in self.evidence]
        return max(statuses, key=_PRECEDENCE.__getitem__) if statuses else NOT_APPLICABLE

    def to_json(self) -> dict[str, Any]:
        return {"id": self.control.id, "group": self.control.group, "status": self.status,
                "evidence": [{"control": r.control.id, "cites": cited, "status": r.status} for cited, r in self.evidence]}


@dataclass
class FrameworkView:
    framework: Framework
    rows: list[FrameworkRow]
    uncovered: list[FrameworkControl]

    def to_json(self) -> dict[str, Any]:
        fw = self.framework
        return {"name": fw.name, "title": fw.title, "version": fw.version, "source": fw.source,
                "covered": [row.to_json() for row in self.rows],
                "uncovered": [{"id": c.id, "group": c.group} for c in self.uncovered]}


def framework_view(name: str, report: ScanReport) -> FrameworkView:
    """The report's results grouped under framework `name`'s controls (a CLI name)."""
    framework = load_framework(name)
    evidence: dict[str, list[tuple[str, ControlResult]]] = {}
    cited_ids = []
    for result in report.results:
        for cited in map(str, result.control.frameworks.get(framework.metadata_key, [])):
            control = resolve(name, cited)
            if control is not None:
                evidence.setdefault(control.id, []).append((cited, result))
                cited_ids.append(cited)
    rows = [FrameworkRow(c, evidence[c.id]) for c in framework.controls if c.id in evidence]
    return FrameworkView(framework, rows, uncovered(name, cited_ids))
