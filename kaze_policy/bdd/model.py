"""What a run of the features found: features, their scenarios, and each step's outcome."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kaze_policy.results import ERROR, FAIL, NOT_APPLICABLE, PASS, WAIVED

# The outcome of a step, as Cucumber names it.
PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"


@dataclass
class StepResult:
    keyword: str
    text: str
    line: int
    status: str = SKIPPED
    # Why it failed or was skipped; for the Then step, the findings it judged.
    message: str = ""
    # What a person reads beside a step that passed (the waivers that apply).
    output: list[str] = field(default_factory=list)
    duration: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {"keyword": self.keyword, "text": self.text, "line": self.line, "status": self.status,
                "message": self.message, "output": self.output}


@dataclass
class ScenarioResult:
    name: str
    line: int
    tags: list[str]
    controls: list[str]
    # The controls' verdict (pass, fail, waived, error, not_applicable); error when a step
    # could not run at all.
    status: str = ERROR
    steps: list[StepResult] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "line": self.line, "tags": self.tags, "controls": self.controls,
                "status": self.status, "steps": [s.to_json() for s in self.steps]}


@dataclass
class FeatureResult:
    name: str
    file: str
    line: int
    description: str
    tags: list[str]
    scenarios: list[ScenarioResult] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "file": self.file, "line": self.line, "description": self.description,
                "tags": self.tags, "scenarios": [s.to_json() for s in self.scenarios]}


# A scenario's status is a control status; this is how a count of them reads to a person.
SCENARIO_WORDS = {PASS: "hold", FAIL: "fail", WAIVED: "hold with waivers", ERROR: "could not be judged",
                  NOT_APPLICABLE: "do not apply"}
