"""GitHub Actions workflow commands: one annotation per finding, on the line at fault.

    ::error file=infra/app.yaml,line=30,col=9,title=KZ-SUP-01 Every container image ...::<message>

Printed by a step of a workflow, each line becomes an annotation of the run and of the pull
request's diff, with no upload and no token. The level follows the control's severity
(critical and high: error, medium: warning, low: notice); a control that could not be
evaluated is an `::error` with no file, since its verdict is unknown, not passed. Waived
findings are not annotated (they are accepted), only counted in the last line, the summary.
GitHub turns at most 10 commands of each level per step into annotations (50 per job;
actions/toolkit, docs/problem-matchers.md), so the lines come worst first: what could not be
evaluated, then the findings by severity. All of them stay in the log, and in the SARIF upload.

Everything taken from the inputs is escaped as GitHub's toolkit escapes it (actions/toolkit,
command.ts): `%`, CR and LF in the message; those and `:` and `,` in a property. Unescaped, a
newline in a resource's name would end the command and start a line of the input's choosing,
which the runner would obey (`::add-mask::`, `::stop-commands::`). Other control characters
are shown as `\\xNN`, as the text report shows them: the log is read in a terminal emulator.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Iterator

from kaze_policy.report.interface import Reporter
from kaze_policy.results import ERROR, FAIL, SEVERITY_RANK, STATUSES, ControlResult, Finding, ScanReport

LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "notice"}
# C0 and C1 controls but CR and LF, which the escaping below turns into %0D and %0A.
_CONTROL = re.compile(r"[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def escape_data(text: object) -> str:
    """A command's message: `%` first, so that the escapes it introduces are not escaped again."""
    shown = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))
    return shown.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: object) -> str:
    """A property's value: also `:` and `,`, which end a property or the property list."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(level: str, message: str, **properties: object) -> str:
    """`::level k=v,…::message`, the properties that have a value, in the order given."""
    props = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items() if value is not None)
    return f"::{level}{' ' + props if props else ''}::{escape_data(message)}"


def repository_path(path: str) -> str:
    """A path as CI annotations and reports name files: relative to the working folder (a CI
    job's checkout root) when it lies below it, with `/`, no leading `./`."""
    if os.path.isabs(path):
        try:
            relative = os.path.relpath(path)
        except ValueError:  # another drive (Windows): no relative path exists
            return Path(path).as_posix()
        if relative.startswith(".."):
            return Path(path).as_posix()
        path = relative
    return Path(path).as_posix()


class GithubReporter(Reporter):
    suffix = ".txt"

    def render(self, report: ScanReport) -> str:
        ranked = sorted(report.results, key=lambda r: -SEVERITY_RANK.get(r.control.severity, 0))
        lines = [line for result in ranked for line in _errors(result)]
        lines += [line for result in ranked for line in _failures(result)]
        lines.append(_summary(report))
        return "\n".join(lines) + "\n"


def _title(result: ControlResult) -> str:
    return f"{result.control.id} {result.control.title}"


def _errors(result: ControlResult) -> Iterator[str]:
    """One `::error` per cause of a control that could not be evaluated, naming its targets."""
    by_reason: dict[str, list[str]] = {}
    for target in result.targets:
        if target.status == ERROR:
            by_reason.setdefault(target.reason, []).append(target.target)
    for reason, targets in by_reason.items():
        yield command("error", f"{result.control.id} could not be evaluated on {', '.join(targets)}: {reason}",
                      title=_title(result))


def _failures(result: ControlResult) -> Iterator[str]:
    level = LEVELS[result.control.severity]
    for finding in result.findings:
        yield _annotation(level, result, finding)
    if result.status == FAIL and not result.findings:  # a failure is never silent: its reason
        yield command(level, result.reason or "failed", title=_title(result))


def _annotation(level: str, result: ControlResult, finding: Finding) -> str:
    place = finding.place
    file = place["file"]
    return command(level, finding.message, file=repository_path(str(file)) if file else None,
                   line=place["line"] or None, col=place["column"] or None, title=_title(result))


def _summary(report: ScanReport) -> str:
    counts = {status: n for status, n in report.summary().items() if status in STATUSES}
    by_level = dict.fromkeys(("error", "warning", "notice"), 0)
    for result in report.results:
        by_level[LEVELS[result.control.severity]] += len(result.findings)
    waived = sum(len(r.waived_findings) for r in report.results)
    controls = ", ".join(f"{n} {status.replace('_', ' ')}" for status, n in counts.items())
    findings = ", ".join(f"{n} {level}" for level, n in by_level.items())
    return f"kaze-policy: {len(report.results)} controls: {controls}; " \
           f"{sum(by_level.values())} findings ({findings}), {waived} waived"
