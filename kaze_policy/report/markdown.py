"""Markdown for a pull request: the summary by status and severity, then what failed (each
finding with its place and the control's remediation), what could not be evaluated, what was
waived, and what did not apply. Everything taken from the inputs (resource names, messages,
file names) is escaped: a name in a manifest must not turn into a link, an image or HTML."""

from __future__ import annotations

import re
from typing import Any

from kaze_policy.frameworks.view import FrameworkView
from kaze_policy.report.interface import Reporter
from kaze_policy.results import ERROR, FAIL, NOT_APPLICABLE, PASS, SEVERITY_RANK, STATUSES, WAIVED, ScanReport

# The characters that mean something inside a line of GitHub's and GitLab's Markdown (emphasis,
# links and images start at `[`, tables at `|`, HTML at `<`, entities at `&`); the rest only
# at the start of a line, where the reporter never puts input text.
_SPECIAL = re.compile(r"([\\`*_\[\]|<>~])")


def escape(text: object) -> str:
    """Text shown as written: Markdown and HTML characters escaped, one line."""
    return _SPECIAL.sub(r"\\\1", " ".join(str(text).split()).replace("&", "&amp;"))


def code(text: object) -> str:
    """A code span (where nothing is interpreted, not even a backslash): no backtick inside."""
    return "`" + " ".join(str(text).split()).replace("`", "'") + "`"


class MarkdownReporter(Reporter):
    suffix = ".md"

    def render(self, report: ScanReport) -> str:
        lines = ["# kaze-policy report", ""]
        lines += _summary(report)
        by_status = {status: [r for r in report.results if r.status == status] for status in STATUSES}
        if by_status[FAIL]:
            lines += ["", "## Failed", ""]
            for result in sorted(by_status[FAIL], key=lambda r: -SEVERITY_RANK[r.control.severity]):
                control = result.control
                lines += [f"### {control.id} ({control.severity}): {escape(control.title)}", ""]
                lines += [f"- {code(f.where)} {escape(f.message)}"
                          + (" (in the baseline: not a failure of the gate)" if f.baseline == "unchanged" else "")
                          for f in result.findings]
                lines += ["", f"**Remediation:** {escape(control.remediation)}", ""]
        for status, heading in ((ERROR, "Could not be evaluated"), (WAIVED, "Waived"),
                                (NOT_APPLICABLE, "Not applicable")):
            if by_status[status]:
                lines += ["", f"## {heading}", ""]
                lines += [f"- {r.control.id}: {escape(r.reason)}" for r in by_status[status]]
        waived = [(r.control.id, f) for r in report.results for f in r.waived_findings]
        if waived:
            lines += ["", "## Waivers applied", ""]
            lines += [f"- {cid} {code(f.where)}: {escape(f.waiver['reason'])} (by {escape(f.waiver['by'])}, "
                      f"until {escape(f.waiver['until'])})" for cid, f in waived if f.waiver]
        for view in report.framework_views:
            lines += ["", *_framework(view)]
        if report.checkov is not None:
            lines += ["", *_checkov(report.checkov)]
        return "\n".join(lines).rstrip("\n") + "\n"


def _checkov(checkov: Any) -> list[str]:
    """scan --checkov: its counts, failed checks, skipped ones with their reasons; apart from the controls."""
    counts = checkov.summary()
    version = f" {escape(checkov.version)}" if checkov.version else ""
    lines = ["## Checkov", "",
             f"Checkov{version}'s own checks, not Kaze controls: {counts['failed']} failed, "
             f"{counts['passed']} passed, {counts['skipped']} skipped."]
    if checkov.error:
        lines += ["", f"**Checkov could not run:** {escape(checkov.error)}"]
    if checkov.failed:
        lines += ["", "### Failed", ""]
        lines += [f"- {code(c.where)} {code(c.check_id)} {escape(c.name)} ({escape(c.resource)})"
                  for c in checkov.failed]
    if checkov.skipped:
        lines += ["", "### Skipped", ""]
        lines += [f"- {code(c.where)} {code(c.check_id)} ({escape(c.resource)}): {escape(c.reason or 'no reason given')}"
                  for c in checkov.skipped]
    return lines


def _framework(view: FrameworkView) -> list[str]:
    fw = view.framework
    lines = [f"## {escape(fw.title)} ({escape(fw.version)})", "",
             f"{len(view.rows)} of its controls are evidenced by the catalog; {len(view.uncovered)} are not "
             "covered by any Kaze control and need other evidence.", "",
             "| control | group | status | Kaze controls |", "| --- | --- | --- | --- |"]
    lines += [f"| {code(row.control.id)} | {escape(row.control.group)} | {row.status.replace('_', ' ')} | "
              + ", ".join(f"{r.control.id} ({r.status.replace('_', ' ')})" for _, r in row.evidence) + " |"
              for row in view.rows]
    if view.uncovered:
        lines += ["", "Not covered by the catalog: " + ", ".join(code(c.id) for c in view.uncovered)]
    return lines


def _summary(report: ScanReport) -> list[str]:
    severities = sorted(SEVERITY_RANK, key=lambda s: -SEVERITY_RANK[s])
    lines = ["| severity | " + " | ".join(s.replace("_", " ") for s in STATUSES) + " |",
             "| --- |" + " --- |" * len(STATUSES)]
    for severity in severities:
        counts = [sum(1 for r in report.results if r.control.severity == severity and r.status == s) for s in STATUSES]
        lines.append(f"| {severity} | " + " | ".join(str(c) for c in counts) + " |")
    totals = report.summary()
    lines.append("| **all** | " + " | ".join(f"**{totals.get(s, 0)}**" for s in STATUSES) + " |")
    verdict = "no control failed" if not totals.get(FAIL) and not totals.get(ERROR) else \
        f"{totals.get(FAIL, 0)} failed, {totals.get(ERROR, 0)} could not be evaluated"
    return [f"{len(report.results)} controls on {len(report.targets)} target(s): {verdict}; "
            f"{totals.get(PASS, 0)} passed.", "", *lines]
