"""The pytest plugin of an audit run: it gives the steps the audit's results (the `audit`
fixture) and records what each step did, from pytest-bdd's hooks, into the model."""

from __future__ import annotations

import time
from typing import Any

import pytest

from kaze_policy.bdd.features import FeatureSpec
from kaze_policy.bdd.model import FAILED, PASSED, ScenarioResult, StepResult
from kaze_policy.bdd.verdict import Verdict
from kaze_policy.results import ERROR, NOT_APPLICABLE, ControlResult, ScanReport


class AuditSession:
    def __init__(self, report: ScanReport, features: list[FeatureSpec]):
        self.report = report
        self._results = {r.control.id: r for r in report.results}
        self._specs = {(str(f.path), s.name): s for f in features for s in f.scenarios}
        # Each scenario run, by its feature's file and its name.
        self.recorded: dict[tuple[str, str], ScenarioResult] = {}
        self._current: ScenarioResult | None = None
        self._verdict: Verdict | None = None
        self._step_started = 0.0

    @pytest.fixture
    def audit(self) -> AuditSession:
        return self

    def results_of_scenario(self) -> list[ControlResult]:
        scenario = self._scenario()
        missing = [c for c in scenario.controls if c not in self._results]
        if missing:
            raise KeyError(f"the audit did not evaluate {', '.join(missing)}")
        return [self._results[c] for c in scenario.controls]

    def note_verdict(self, verdict: Verdict) -> None:
        self._verdict = verdict

    def _scenario(self) -> ScenarioResult:
        if self._current is None:
            raise RuntimeError("a step ran outside a scenario")
        return self._current

    # The tags are read from the features (features.py), not applied as pytest marks, which
    # would need registering and say nothing more.
    @pytest.hookimpl(tryfirst=True)
    def pytest_bdd_apply_tag(self, tag: str, function: Any) -> bool:
        return True

    def pytest_bdd_before_scenario(self, feature: Any, scenario: Any) -> None:
        spec = self._specs.get((feature.filename, scenario.name))
        tags = list(spec.tags) if spec else sorted(scenario.tags)
        controls = spec.controls if spec else []
        steps = [StepResult(s.keyword.strip(), s.name, s.line_number) for s in scenario.steps]
        self._current = ScenarioResult(scenario.name, scenario.line_number, tags, controls, steps=steps)
        self._verdict = None
        self.recorded[(feature.filename, scenario.name)] = self._current

    def pytest_bdd_before_step(self, step: Any) -> None:
        self._step_started = time.perf_counter()

    def pytest_bdd_after_step(self, step: Any) -> None:
        self._step(step, PASSED)

    def pytest_bdd_step_error(self, step: Any, exception: BaseException) -> None:
        message = str(exception) if isinstance(exception, AssertionError) else \
            f"{type(exception).__name__}: {exception}"
        self._step(step, FAILED, message)

    def pytest_bdd_step_func_lookup_error(self, step: Any) -> None:
        self._step(step, FAILED, f"no step of the audit reads {step.keyword.strip()} {step.name!r}")

    def pytest_bdd_after_scenario(self) -> None:
        scenario = self._scenario()
        verdict = self._verdict
        failed_elsewhere = any(s.status == FAILED for s in scenario.steps[:-1])
        if verdict is None or failed_elsewhere:
            scenario.status = ERROR
        else:
            scenario.status = verdict.status
            then = scenario.steps[-1]
            then.output = verdict.waivers
            if verdict.status == NOT_APPLICABLE:
                then.message = "does not apply: " + ("; ".join(verdict.evidence) or "nothing it judges was found")
        self._current = None

    def _step(self, step: Any, status: str, message: str = "") -> None:
        for recorded in self._scenario().steps:
            if recorded.line == step.line_number and recorded.text == step.name:
                recorded.status, recorded.message = status, message
                recorded.duration = time.perf_counter() - self._step_started
                return
