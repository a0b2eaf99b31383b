"""SARIF 2.1.0, for code-scanning dashboards: one rule per control, one result per finding.

Each rule carries what GitHub code scanning shows beside an alert (its title, rationale and
remediation, a link to the control's section of docs/controls.md, its security severity and
the framework criteria it evidences, as tags); each result a partial fingerprint that stays
the same when the object's lines move (kaze_policy/fingerprint.py), so that an edit above a
manifest neither closes an alert nor opens a duplicate.
"""

from __future__ import annotations

from typing import Any

from kaze_policy.catalog import Control
from kaze_policy.fingerprint import finding_fingerprint
from kaze_policy.report.controls_doc import REPOSITORY_URL, control_url, prose
from kaze_policy.report.interface import Reporter
from kaze_policy.report.json import render_json
from kaze_policy.results import Finding, ScanReport

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "kazePolicyFinding/v1"
_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
_SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}
# How often a finding is a true fault. The controls judge declared configuration exactly, not
# by heuristics; "high" rather than "very-high" because a finding may still be a deliberate,
# not yet waived exception.
_PRECISION = "high"
# Code scanning rejects a rule with more than 20 tags (and shows 10): "security" first, as
# GitHub reads security-severity only on rules tagged so.
_MAX_TAGS = 20


class SarifReporter(Reporter):
    suffix = ".sarif"

    def render(self, report: ScanReport) -> str:
        rules = [_rule(r.control) for r in report.results]
        index = {r.control.id: i for i, r in enumerate(report.results)}
        results: list[dict[str, Any]] = []
        notifications: list[dict[str, Any]] = []
        for result in report.results:
            for finding in result.findings:
                results.append(_result(result.control, index[result.control.id], finding))
            for finding in result.waived_findings:
                # Waived, not gone: SARIF's suppressions, which code-scanning shows as dismissed.
                waived = _result(result.control, index[result.control.id], finding)
                waived["suppressions"] = [_suppression(finding.waiver or {})]
                results.append(waived)
            if result.status == "error":
                notifications.append({
                    "level": "error",
                    "message": {"text": f"{result.control.id} could not be evaluated: {result.reason}"},
                    "descriptor": {"id": result.control.id, "index": index[result.control.id]},
                })
        run: dict[str, Any] = {
            "tool": {"driver": {"name": "kaze-policy", "version": report.tool_version,
                                "informationUri": REPOSITORY_URL,
                                "rules": rules}},
            "results": results,
            "invocations": [{"executionSuccessful": not notifications,
                             "toolExecutionNotifications": notifications}],
        }
        runs = [run] if report.checkov is None else [run, _checkov_run(report.checkov)]
        return render_json({"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": runs}) + "\n"


CHECKOV_URI = "https://www.checkov.io/"


def _checkov_run(checkov: Any) -> dict[str, Any]:
    """scan --checkov: a run of its own, tool checkov, with its failed checks and its skipped
    ones (SARIF's in-source suppressions, with their reasons): never among the Kaze rules."""
    checks = {c.check_id: c for c in [*checkov.failed, *checkov.skipped]}
    ids = sorted(checks)
    index = {check_id: i for i, check_id in enumerate(ids)}
    rules = []
    for check_id in ids:
        check = checks[check_id]
        rule: dict[str, Any] = {"id": check_id, "name": check_id,
                                "shortDescription": {"text": check.name or check_id},
                                "properties": {"tags": ["security", f"checkov/{check.framework}"]}}
        if check.guideline:
            rule["helpUri"] = check.guideline
        rules.append(rule)
    results = []
    for check in [*checkov.failed, *checkov.skipped]:
        location = _location(check.file, check.line, None)
        if check.lines and len(check.lines) > 1 and "region" in location["physicalLocation"]:
            location["physicalLocation"]["region"]["endLine"] = int(check.lines[-1])
        location["logicalLocations"] = [{"name": check.resource, "kind": "resource"}]
        result: dict[str, Any] = {"ruleId": check.check_id, "ruleIndex": index[check.check_id], "level": "error",
                                  "message": {"text": f"{check.name} ({check.resource})"},
                                  "locations": [location]}
        if check.status == "skipped":
            result["suppressions"] = [{"kind": "inSource", "status": "accepted",
                                       "justification": check.reason or "no reason given"}]
        results.append(result)
    notifications = [{"level": "error", "message": {"text": f"Checkov: {checkov.error}"}}] if checkov.error else []
    driver: dict[str, Any] = {"name": "checkov", "informationUri": CHECKOV_URI, "rules": rules}
    if checkov.version:
        driver["version"] = checkov.version
    return {"tool": {"driver": driver}, "results": results,
            "invocations": [{"executionSuccessful": not checkov.error,
                             "toolExecutionNotifications": notifications}]}


def _rule(control: Control) -> dict[str, Any]:
    return {
        "id": control.id,
        "name": control.package.rsplit(".", 1)[-1],
        "shortDescription": {"text": control.title},
        "fullDescription": {"text": control.description or control.title},
        "help": _help(control),
        "helpUri": control_url(control),
        "defaultConfiguration": {"level": _LEVEL[control.severity]},
        "properties": {"tags": _tags(control), "security-severity": _SECURITY_SEVERITY[control.severity],
                       "precision": _PRECISION, "scopes": list(control.scopes), "reference": control.reference},
    }


def _help(control: Control) -> dict[str, str]:
    """The remediation first (what the reader of an alert needs), then why, then where to read more."""
    remediation = control.remediation or control.title
    text = f"Remediation: {remediation}"
    markdown = f"**Remediation.** {prose(remediation)}"
    if control.description:
        text += f"\n\nRationale: {control.description}"
        markdown += f"\n\n**Rationale.** {prose(control.description)}"
    text += f"\n\nMore, with a failing and a passing example: {control_url(control)}"
    markdown += f"\n\n[{control.id} in docs/controls.md]({control_url(control)}): examples and frameworks."
    return {"text": text, "markdown": markdown}


def _tags(control: Control) -> list[str]:
    """The tag "security", then each framework criterion as framework/id (soc2/CC6.1, nist80053/AC-4)."""
    tags = ["security", *(f"{name}/{ref}" for name, refs in control.frameworks.items() for ref in refs)]
    return list(dict.fromkeys(tags))[:_MAX_TAGS]


def _suppression(waiver: dict[str, Any]) -> dict[str, Any]:
    suppression = {"kind": "external", "status": "accepted",
                   "justification": f"{waiver.get('reason')} (waived by {waiver.get('by')} until {waiver.get('until')})"}
    source = waiver.get("source")
    if source:  # a waive annotation on the object: SARIF's in-source suppression, where it is written
        suppression.update(kind="inSource", location=_location(source["file"], source.get("line"), None))
    return suppression


def _result(control: Control, rule_index: int, finding: Finding) -> dict[str, Any]:
    resource = finding.resource
    place = finding.place
    location = _location(place["file"] or finding.target, place["line"], place["column"])
    location["logicalLocations"] = [{"name": str(resource.get("id")), "kind": "resource"}]
    result: dict[str, Any] = {
        "ruleId": control.id,
        "ruleIndex": rule_index,
        "level": _LEVEL[control.severity],
        "message": {"text": finding.message},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT_KEY: finding_fingerprint(control.id, finding)},
        "properties": {"target": finding.target, "targets": finding.targets or [finding.target],
                       "evidence": finding.evidence},
    }
    # The network policies and roles the finding names, where they are written.
    related = [{**_location(r["file"], r["line"], None), "id": i, "message": {"text": str(r["id"])}}
               for i, r in enumerate(finding.related) if r.get("file")]
    if related:
        result["relatedLocations"] = related
    if finding.baseline:  # scan --baseline: "unchanged" (accepted there) or "new"
        result["baselineState"] = finding.baseline
    return result


def _location(file: str, line: int | None, column: int | None) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": str(file)}}
    if line:
        physical["region"] = {"startLine": int(line), **({"startColumn": int(column)} if column else {})}
    return {"physicalLocation": physical}
