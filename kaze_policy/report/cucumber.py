"""Cucumber JSON, the format BDD tooling reads (report viewers, test management, CI
plugins): the features an audit ran, each scenario with its tags and steps, each step's
status and, where it failed, the findings as its error message. Written from the audit's
own record of the run (kaze_policy/bdd/model.py), in the layout pytest-bdd's
`--cucumberjson` and Cucumber's own formatter use."""

from __future__ import annotations

import math
import re
from typing import Any

from kaze_policy.bdd.model import FAILED, FeatureResult, ScenarioResult, StepResult
from kaze_policy.report.interface import Reporter
from kaze_policy.report.json import render_json
from kaze_policy.results import ScanReport


class CucumberReporter(Reporter):
    suffix = ".json"

    def render(self, report: ScanReport) -> str:
        if report.features is None:
            raise ValueError("a Cucumber report needs the features of an audit (kaze-policy audit)")
        return render_json([_feature(f) for f in report.features]) + "\n"


def _feature(feature: FeatureResult) -> dict[str, Any]:
    feature_id = _slug(feature.name)
    return {"keyword": "Feature", "uri": feature.file, "id": feature_id, "name": feature.name,
            "line": feature.line, "description": feature.description, "language": "en",
            "tags": _tags(feature.tags, feature.line - 1),
            "elements": [_scenario(feature_id, s) for s in feature.scenarios]}


def _scenario(feature_id: str, scenario: ScenarioResult) -> dict[str, Any]:
    return {"keyword": "Scenario", "id": f"{feature_id};{_slug(scenario.name)}", "name": scenario.name,
            "line": scenario.line, "description": "", "type": "scenario",
            "tags": _tags(scenario.tags, scenario.line - 1), "steps": [_step(s) for s in scenario.steps]}


def _step(step: StepResult) -> dict[str, Any]:
    result: dict[str, Any] = {"status": step.status, "duration": math.floor(step.duration * 1e9)}
    if step.status == FAILED or step.message:
        result["error_message"] = step.message
    out = {"keyword": f"{step.keyword} ", "name": step.text, "line": step.line,
           "match": {"location": "kaze_policy/bdd/steps.py"}, "result": result}
    if step.output:
        out["output"] = step.output
    return out


def _tags(tags: list[str], line: int) -> list[dict[str, Any]]:
    return [{"name": f"@{tag}", "line": line} for tag in tags]


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
