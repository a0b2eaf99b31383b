"""A scenario's verdict from its controls' results, with the evidence a person reads: the
findings of a failure, the reason of an error or of a control that did not apply, the
waivers of what was waived."""

from __future__ import annotations

from dataclasses import dataclass, field

from kaze_policy.results import _PRECEDENCE, NOT_APPLICABLE, ControlResult, Finding

# A failing step shows this many findings of each control, then how many more there are.
SHOWN_FINDINGS = 25


@dataclass
class Verdict:
    status: str
    evidence: list[str] = field(default_factory=list)
    waivers: list[str] = field(default_factory=list)


def judge(results: list[ControlResult]) -> Verdict:
    """The worst status of the controls (error over fail over pass over waived over not
    applicable, as for a control's targets), and what supports it."""
    if not results:
        return Verdict(NOT_APPLICABLE, ["the scenario names no control"])
    status = max((r.status for r in results), key=_PRECEDENCE.__getitem__)
    evidence: list[str] = []
    for result in results:
        prefix = f"{result.control.id}: " if len(results) > 1 else ""
        if result.reason and result.status == status:
            evidence.append(prefix + result.reason)
        evidence += [prefix + _finding_line(f) for f in result.findings[:SHOWN_FINDINGS]]
        if len(result.findings) > SHOWN_FINDINGS:
            evidence.append(f"{prefix}and {len(result.findings) - SHOWN_FINDINGS} more findings (see the report)")
    waivers = [f"{r.control.id} waived at {_finding_line(f)}: {f.waiver['reason']} "
               f"(by {f.waiver.get('by', '?')}, until {f.waiver.get('until', '?')})"
               for r in results for f in r.waived_findings if f.waiver]
    return Verdict(status, evidence, waivers)


def _finding_line(finding: Finding) -> str:
    return f"{finding.where}: {finding.message}"
