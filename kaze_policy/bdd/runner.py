"""Run the features with pytest-bdd, in process, on what `audit` evaluated, and return
what every scenario found. pytest runs with a configuration of its own (pytest.ini beside
this module), no plugin but pytest-bdd's and the audit's, and writes nothing."""

from __future__ import annotations

import contextlib
import io
import os
import sys
from pathlib import Path

from kaze_policy.bdd.features import FeatureSpec, FeaturesError
from kaze_policy.bdd.model import FeatureResult, ScenarioResult, StepResult
from kaze_policy.bdd.plugin import AuditSession
from kaze_policy.results import ERROR, ScanReport

_HERE = Path(__file__).parent
_SUITE = _HERE / "suite.py"
_SUITE_MODULE = "kaze_policy.bdd.suite"
_features_dir: Path | None = None


def current_features_dir() -> Path:
    """The folder the running audit's suite binds (suite.py reads it when imported)."""
    if _features_dir is None:
        raise RuntimeError("the audit suite is imported outside an audit run")
    return _features_dir


def run_features(report: ScanReport, features_dir: Path, features: list[FeatureSpec],
                 pytest_args: tuple[str, ...] = ()) -> list[FeatureResult]:
    """Each feature with each scenario's steps and verdict. A scenario pytest did not run
    (it could not be collected) is an error that says so, never left out. `pytest_args` are
    added to the run's (the tests ask pytest-bdd for its own Cucumber JSON)."""
    import pytest
    import pytest_bdd.feature

    from kaze_policy.bdd import steps

    global _features_dir
    _features_dir = features_dir.resolve()
    session = AuditSession(report, features)
    # Bind the scenarios again on every run: the module and pytest-bdd's parsed features are
    # cached per process, and one process may audit twice (the tests do).
    sys.modules.pop(_SUITE_MODULE, None)
    pytest_bdd.feature.features.clear()
    args = [str(_SUITE), "-c", str(_HERE / "pytest.ini"), "--rootdir", str(_HERE), "--confcutdir", str(_HERE),
            "-p", "pytest_bdd.plugin", "-p", "no:cacheprovider", "-p", "no:warnings", "-p", "no:stepwise",
            "--import-mode=importlib", "-q", "--tb=no", "-s", *pytest_args]
    output = io.StringIO()
    with _no_plugin_autoload(), contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
        code = pytest.main(args, plugins=[session, steps])
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        last = [line for line in output.getvalue().splitlines() if line.strip()][-1:] or [f"exit {int(code)}"]
        raise FeaturesError([f"{features_dir}: the features could not be run: {last[0].strip()}"])
    return [_feature_result(f, session) for f in features]


def _feature_result(spec: FeatureSpec, session: AuditSession) -> FeatureResult:
    result = FeatureResult(spec.name, spec.file, spec.line, spec.description, list(spec.tags))
    for scenario in spec.scenarios:
        ran = session.recorded.get((str(spec.path), scenario.name))
        if ran is None:
            ran = ScenarioResult(scenario.name, scenario.line, list(scenario.tags), scenario.controls, ERROR,
                                 [StepResult("", "(not run)", scenario.line, message="pytest-bdd did not run "
                                             "this scenario")])
        result.scenarios.append(ran)
    return result


@contextlib.contextmanager
def _no_plugin_autoload():
    """Only the plugins the audit names: what else is installed beside kaze-policy must not
    change how its features run."""
    before = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = before
