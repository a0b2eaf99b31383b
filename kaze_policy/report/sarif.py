"""SARIF 2.1.0, for code-scanning dashboards: one rule per control, one result per finding."""

from __future__ import annotations

import json
from typing import Any

from kaze_policy.report.interface import Reporter
from kaze_policy.results import ScanReport

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
_SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}


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
                                "informationUri": "https://github.com/kaze-platform/kaze-policy",
                                "rules": rules}},
            "results": results,
            "invocations": [{"executionSuccessful": not notifications,
                             "toolExecutionNotifications": notifications}],
        }
        return json.dumps({"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2) + "\n"


def _rule(control: Any) -> dict[str, Any]:
    tags = ["security", *control.scopes]
    for framework, refs in control.frameworks.items():
        tags.extend(f"{framework}:{ref}" for ref in refs)
    return {
        "id": control.id,
        "name": control.package.rsplit(".", 1)[-1],
        "shortDescription": {"text": control.title},
        "fullDescription": {"text": control.description or control.title},
        "help": {"text": control.remediation or control.title},
        "defaultConfiguration": {"level": _LEVEL[control.severity]},
        "properties": {"tags": tags, "security-severity": _SECURITY_SEVERITY[control.severity],
                       "reference": control.reference},
    }


def _suppression(waiver: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "external", "status": "accepted",
            "justification": f"{waiver.get('reason')} (waived by {waiver.get('by')} until {waiver.get('until')})"}


def _result(control: Any, rule_index: int, finding: Any) -> dict[str, Any]:
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
        "partialFingerprints": {"kazeResource/v1": f"{control.id}:{finding.target}:{resource.get('id')}"},
        "properties": {"target": finding.target, "targets": finding.targets or [finding.target],
                       "evidence": finding.evidence},
    }
    # The network policies and roles the finding names, where they are written.
    related = [{**_location(r["file"], r["line"], None), "id": i, "message": {"text": str(r["id"])}}
               for i, r in enumerate(finding.related) if r.get("file")]
    if related:
        result["relatedLocations"] = related
    return result


def _location(file: str, line: int | None, column: int | None) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": str(file)}}
    if line:
        physical["region"] = {"startLine": int(line), **({"startColumn": int(column)} if column else {})}
    return {"physicalLocation": physical}
