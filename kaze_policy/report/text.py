"""Plain lines for a person, failures first: what to fix is on the first screen.

One line per finding, `file:line: KZ-ID severity resource: message`, so that grep, an
editor's quickfix list and a CI log all read it; then the counts, the controls that did not
apply and why, and what was read and skipped. Lines are never wrapped here (the terminal
wraps them; a pipe gets them whole) and never end in spaces. Colour only when asked (a
terminal without NO_COLOR): the words carry the meaning, colour only stresses them.
"""

from __future__ import annotations

import os
import re
from typing import IO, Iterator

from kaze_policy.baseline import UNCHANGED
from kaze_policy.report.interface import Reporter
from kaze_policy.results import ERROR, FAIL, NOT_APPLICABLE, SEVERITY_RANK, STATUSES, ControlResult, Finding, ScanReport
from kaze_policy.sources.files import describe_skipped

# ANSI SGR codes: bold red, bold magenta, yellow, dim.
_STYLE = {FAIL: "1;31", ERROR: "1;35", "waived": "33", NOT_APPLICABLE: "2"}
# A resource's name or a message can carry what the input put there: a newline would split a
# finding in two, an escape sequence would drive the reader's terminal. Both are shown, not obeyed.
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def use_color(stream: IO[str], environ: os._Environ[str] | dict[str, str] = os.environ) -> bool:
    """Colour for a terminal, unless NO_COLOR is set to anything but empty (no-color.org)."""
    if environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and environ.get("TERM") != "dumb"


def _clean(text: object) -> str:
    return _CONTROL_CHARS.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))


def _shown(path: str) -> str:
    """A path as short as it can be said: relative to the current folder when it lies below it."""
    relative = os.path.relpath(path) if os.path.isabs(path) else path
    return path if relative.startswith("..") else relative


def _source(waiver: dict) -> str:
    """Where a waive annotation is written (a configuration's waiver says nothing more)."""
    source = waiver.get("source")
    if not source:
        return ""
    place = f"{source['file']}:{source['line']}" if source.get("line") else str(source.get("file"))
    return f" [{_clean(source['annotation'])} at {_clean(place)}]"


def _baseline_lines(report: ScanReport) -> Iterator[str]:
    """The --baseline's counts, and each of its findings found no more."""
    outcome = report.baseline
    if outcome is None:
        return
    yield _clean(f"Baseline {outcome['file']}: {outcome[UNCHANGED]} finding(s) unchanged (not failures), "
                 f"{outcome['new']} new, {len(outcome['fixed'])} fixed")
    for entry in outcome["fixed"]:
        yield _clean(f"  fixed: {entry['control']} {entry['resource']}"
                     + (f" ({entry['file']})" if entry.get("file") else "") + f": {entry.get('message', '')}")


class TextReporter(Reporter):
    suffix = ".txt"

    def __init__(self, color: bool = False, quiet: bool = False) -> None:
        self.color = color
        self.quiet = quiet

    def _paint(self, status: str, text: str) -> str:
        return f"\x1b[{_STYLE[status]}m{text}\x1b[0m" if self.color and status in _STYLE else text

    def render(self, report: ScanReport) -> str:
        lines = list(self._problems(report))
        if not self.quiet:
            lines += self._waived(report)
            lines += self._baselined(report)
            lines += self._summary(report)
        lines += self._checkov(report)
        while lines and not lines[0]:  # nothing failed: the counts come first
            lines.pop(0)
        return "".join(line.rstrip() + "\n" for line in lines)

    # Failures and errors, worst first: the lines a person acts on.

    def _problems(self, report: ScanReport) -> Iterator[str]:
        several = len(report.targets) > 1
        ranked = sorted(report.results, key=lambda r: -SEVERITY_RANK.get(r.control.severity, 0))
        for result in ranked:
            yield from self._errors(result)
        for result in ranked:
            for finding in result.findings:
                if finding.baseline == UNCHANGED:  # accepted in the --baseline: listed below, not a failure
                    continue
                yield self._finding_line(result, finding, several, self._paint(FAIL, result.control.severity))
            if result.status == FAIL and not result.findings:  # a failure is never silent: its reason
                yield f"{self._targets(result, FAIL)}: {result.control.id} " \
                      f"{self._paint(FAIL, result.control.severity)} fail: {_clean(result.reason)}"

    def _errors(self, result: ControlResult) -> Iterator[str]:
        """A control that could not be evaluated is as loud as a failure: one line per cause."""
        by_reason: dict[str, list[str]] = {}
        for target in result.targets:
            if target.status == ERROR:
                by_reason.setdefault(target.reason, []).append(target.target)
        for reason, targets in by_reason.items():
            yield f"{_clean(', '.join(targets))}: {result.control.id} {result.control.severity} " \
                  f"{self._paint(ERROR, 'error')}: could not evaluate: {_clean(reason)}"

    def _finding_line(self, result: ControlResult, finding: Finding, several: bool, severity: str) -> str:
        res = finding.resource
        line = f"{_clean(finding.where)}: {result.control.id} {severity} {_clean(res.get('id'))}: {_clean(finding.message)}"
        targets = finding.targets or [finding.target]
        if several:  # one line for a fault a base and its overlays share, naming each of them
            line += f" [{'target' if len(targets) == 1 else f'{len(targets)} targets'}: {_clean(', '.join(targets))}]"
        return line

    def _targets(self, result: ControlResult, status: str) -> str:
        return _clean(", ".join(t.target for t in result.targets if t.status == status))

    # Waived findings stay visible, marked, below the failures.

    def _waived(self, report: ScanReport) -> Iterator[str]:
        several = len(report.targets) > 1
        for result in report.results:
            for finding in result.waived_findings:
                waiver = finding.waiver or {}
                line = self._finding_line(result, finding, several, result.control.severity)
                yield f"{line} ({self._paint('waived', 'waived')} by {_clean(waiver.get('by'))} until " \
                      f"{_clean(waiver.get('until'))}: {_clean(waiver.get('reason'))})" + _source(waiver)

    def _baselined(self, report: ScanReport) -> Iterator[str]:
        """Findings the --baseline accepted: visible, marked, not failures."""
        several = len(report.targets) > 1
        for result in report.results:
            for finding in result.findings:
                if finding.baseline == UNCHANGED:
                    yield self._finding_line(result, finding, several, result.control.severity) + " (in the baseline)"

    # scan --checkov: Checkov's checks, after the Kaze results and apart from them.

    def _checkov(self, report: ScanReport) -> Iterator[str]:
        checkov = report.checkov
        if checkov is None:
            return
        if not self.quiet:
            counts = checkov.summary()
            unparsed = f", {counts['parsing_errors']} file(s) it could not parse" if checkov.parsing_errors else ""
            version = f" {checkov.version}" if checkov.version else ""
            yield ""
            yield f"Checkov{_clean(version)}, its own checks (not Kaze controls): {counts['failed']} failed, " \
                  f"{counts['passed']} passed, {counts['skipped']} skipped{unparsed}"
        for check in checkov.failed:
            yield f"{_clean(check.where)}: {check.check_id} {self._paint(FAIL, 'failed')} " \
                  f"{_clean(check.name)} ({_clean(check.resource)})"
        if checkov.error:
            yield f"Checkov {self._paint(ERROR, 'error')}: {_clean(checkov.error)}"
        if self.quiet:
            return
        for check in checkov.skipped:
            yield f"{_clean(check.where)}: {check.check_id} {self._paint('waived', 'skipped')} " \
                  f"{_clean(check.name)} ({_clean(check.resource)}): {_clean(check.reason or 'no reason given')}"
        for file in checkov.parsing_errors:
            yield f"  not parsed by Checkov: {_clean(file)}"
        for entry in checkov.not_scanned:
            yield f"  not given to Checkov: {_clean(entry['path'])} ({_clean(entry['reason'])})"

    # Then the counts, what did not apply, and what was read.

    def _why_not(self, result: ControlResult) -> Iterator[str]:
        """Each reason once: the targets are named only when they do not all share it."""
        by_reason: dict[str, list[str]] = {}
        for target in result.targets:
            by_reason.setdefault(target.reason or "no reason given", []).append(target.target)
        if not by_reason:
            yield f"  {result.control.id}: no target in its scopes"
        for reason, targets in by_reason.items():
            named = "" if len(by_reason) == 1 else f" [{_clean(', '.join(targets))}]"
            yield f"  {result.control.id}: {_clean(reason)}{named}"

    def _summary(self, report: ScanReport) -> Iterator[str]:
        counts = {status: n for status, n in report.summary().items() if status in STATUSES}
        findings = sum(len(r.findings) for r in report.results)
        waived = sum(len(r.waived_findings) for r in report.results)
        yield ""
        yield f"{len(report.results)} controls: " + ", ".join(
            self._paint(status, f"{n} {status.replace('_', ' ')}") if n else f"{n} {status.replace('_', ' ')}"
            for status, n in counts.items()) + f"; {findings} findings, {waived} waived"
        not_applicable = [r for r in report.results if r.status == NOT_APPLICABLE]
        if not_applicable:
            yield ""
            yield "Not applicable:"
            for result in not_applicable:
                yield from self._why_not(result)
        yield ""
        yield "Read:"
        for target in report.targets:
            config = target.get("config")
            files = f" from {target['files']} files" if "files" in target else ""
            yield f"  {_clean(target['name'])} ({target['kind']}): {target['resources']} resources{files}, " \
                  f"{target['skipped']} skipped, configuration: {_clean(_shown(config)) if config else 'none'}"
        if report.skipped:
            yield f"{len(report.skipped)} skipped: {_clean(describe_skipped(report.skipped))}"
        yield from _baseline_lines(report)
        waivers = report.waiver_line()
        if waivers:
            yield _clean(waivers)
        unconfigured = report.unconfigured_line()
        if unconfigured:
            yield _clean(unconfigured)
