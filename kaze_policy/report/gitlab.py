"""GitLab Code Quality report: the JSON array a job names under `artifacts:reports:codequality`.

GitLab shows it in the merge request's widget and diff: each entry with its `description`,
`check_name` (the control id), `fingerprint`, `severity` and `location` (the path from the
repository root and the first line), the fields GitLab's documentation requires. The
fingerprint is the finding's (kaze_policy/fingerprint.py), which does not change when lines
move: GitLab compares the fingerprints of the source and target branches to tell new
findings from fixed ones, so a line-based one would report every finding below an edit as
fixed and new again.

Severities map ours one step up GitLab's five (low: minor, medium: major, high: critical,
critical: blocker): `info` is for remarks, and every entry here failed a control. A control
that could not be evaluated is a `blocker` placed on its target (GitLab wants a path), since
its verdict is unknown. Waived findings are left out: GitLab has no notion of an accepted
finding, and the waiver says it is one.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Iterator

from kaze_policy.fingerprint import finding_fingerprint, normalised_message
from kaze_policy.report.github import repository_path
from kaze_policy.report.interface import Reporter
from kaze_policy.report.json import render_json
from kaze_policy.results import ERROR, FAIL, ControlResult, Finding, ScanReport

SEVERITIES = {"low": "minor", "medium": "major", "high": "critical", "critical": "blocker"}
NOT_EVALUATED = "blocker"


class GitlabReporter(Reporter):
    suffix = ".json"

    def render(self, report: ScanReport) -> str:
        issues = [issue for result in report.results for issue in _issues(result)]
        _make_unique(issues)
        return render_json(issues) + "\n"


def _issues(result: ControlResult) -> Iterator[dict[str, Any]]:
    control = result.control
    for target in result.targets:
        if target.status == ERROR:
            yield _issue(result, f"could not be evaluated: {target.reason}", NOT_EVALUATED,
                         _digest("error", control.id, target.target), target.target, None)
    for finding in result.findings:
        yield _finding_issue(result, finding)
    if result.status == FAIL and not result.findings:  # a failure is never silent: its reason
        for target in result.targets:
            if target.status == FAIL:
                yield _issue(result, target.reason or "failed", SEVERITIES[control.severity],
                             _digest("fail", control.id, target.target, normalised_message(target.reason)),
                             target.target, None)


def _finding_issue(result: ControlResult, finding: Finding) -> dict[str, Any]:
    place = finding.place
    return _issue(result, finding.message, SEVERITIES[result.control.severity],
                  finding_fingerprint(result.control.id, finding), str(place["file"] or finding.target),
                  place["line"])


def _issue(result: ControlResult, text: str, severity: str, fingerprint: str, path: str,
           line: int | None) -> dict[str, Any]:
    return {"description": f"{result.control.id}: {text}",
            "check_name": result.control.id, "fingerprint": fingerprint, "severity": severity,
            # GitLab requires a line: an object without one (a live system's) is shown at the top.
            "location": {"path": repository_path(path), "lines": {"begin": int(line) if line else 1}}}


def _make_unique(issues: list[dict[str, Any]]) -> None:
    """GitLab keeps one entry per fingerprint. Two findings alike in all that the fingerprint
    reads (one patch of two overlays, each in its own file) get the path mixed in, and then a
    count: still free of lines, so still stable when lines move."""
    seen: set[str] = set()
    for issue in issues:
        fingerprint, n = issue["fingerprint"], 0
        while issue["fingerprint"] in seen:
            n += 1
            issue["fingerprint"] = _digest(fingerprint, issue["location"]["path"], str(n))
        seen.add(issue["fingerprint"])


def _digest(*parts: str) -> str:
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode("utf-8")).hexdigest()
