"""The auditor's features: every control of the catalog in exactly one scenario, tagged with
the frameworks its METADATA cites, and a control added without a scenario stops the audit
(it is never audited in silence, nor left out)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from kaze_policy.bdd.features import DEFAULT_FEATURES_DIR, coverage_problems, read_features
from kaze_policy.catalog import load_catalog
from tests.conftest import FIXTURES, ROOT, run_cli

CASE = FIXTURES / "KZ-TEN-05" / "fail" / "added-capability-job"


@pytest.fixture
def features(tmp_path: Path) -> Path:
    folder = tmp_path / "features"
    shutil.copytree(ROOT / "features", folder)
    return folder


def _drop_scenario(folder: Path, control_id: str) -> Path:
    """The features without the scenario of one control (its tag line and the three after)."""
    for path in folder.glob("*.feature"):
        lines = path.read_text().splitlines(keepends=True)
        for i, line in enumerate(lines):
            if line.split() and line.split()[0] == f"@{control_id}":
                path.write_text("".join(lines[:i] + lines[i + 5:]))
                return path
    raise AssertionError(f"no scenario tags {control_id}")


def test_the_packaged_features_are_the_repository_s() -> None:
    assert DEFAULT_FEATURES_DIR == (ROOT / "features").resolve()


def test_every_control_has_exactly_one_scenario_with_its_frameworks() -> None:
    features = read_features(ROOT / "features")
    assert coverage_problems(features, load_catalog()) == []
    scenarios = [s for f in features for s in f.scenarios]
    assert len(scenarios) == len(load_catalog().controls)
    assert {f.path.stem for f in features} == {c.package.split(".")[2] for c in load_catalog().controls}


def test_each_feature_is_tagged_with_its_family_and_written_with_the_steps_of_the_suite() -> None:
    when = re.compile(r"its .+ (?:is|are) analysed")
    for path in sorted((ROOT / "features").glob("*.feature")):
        text = path.read_text()
        assert text.startswith(f"@{path.stem}\nFeature: "), path
        steps = [line.strip() for line in text.splitlines() if line.strip().split(" ")[0] in
                 ("Given", "When", "Then", "And", "But")]
        assert steps[0] == "Given the cell under audit" and steps.count("Given the cell under audit") == 1, path
        body = steps[1:]
        assert len(body) == 2 * text.count("Scenario:"), path
        assert all(when.fullmatch(s[len("When "):]) for s in body[0::2]), path
        assert all(s.startswith("Then ") for s in body[1::2]), path


def test_a_control_without_a_scenario_stops_the_audit_before_anything_is_written(features: Path,
                                                                                   tmp_path: Path) -> None:
    _drop_scenario(features, "KZ-TEN-06")
    out = tmp_path / "reports"
    done = run_cli("audit", str(CASE), "--features", str(features), "--out", str(out), "--no-progress")
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [
        "kaze-policy: KZ-TEN-06 (Every tenant namespace has a ResourceQuota and a LimitRange): "
        "no scenario of the features covers it"]
    assert not out.exists()


def test_framework_tags_that_differ_from_the_metadata_are_named(features: Path) -> None:
    path = features / "tenancy.feature"
    path.write_text(path.read_text().replace("@KZ-TEN-03 @SOC2-CC6.1 ", "@KZ-TEN-03 @SOC2-CC9.9 "))
    problems = coverage_problems(read_features(features), load_catalog())
    assert len(problems) == 2, problems
    assert "lacks the tags SOC2-CC6.1" in problems[0] and "has the tags SOC2-CC9.9" in problems[1]
    assert all(str(path) in p and "KZ-TEN-03" in p for p in problems)


def test_a_scenario_naming_an_unknown_or_a_second_control_is_named(features: Path) -> None:
    path = features / "tenancy.feature"
    text = path.read_text()
    path.write_text(text.replace("@KZ-TEN-03 ", "@KZ-TEN-99 ", 1).replace("@KZ-TEN-06 ", "@KZ-TEN-06 @KZ-TEN-07 ", 1))
    problems = coverage_problems(read_features(features), load_catalog())
    assert any("names KZ-TEN-99, which the catalog does not hold" in p for p in problems), problems
    assert any("must name exactly one control" in p for p in problems), problems
    assert any(p.startswith("KZ-TEN-03 ") and "no scenario" in p for p in problems), problems


def test_a_feature_that_does_not_parse_is_bad_input_in_one_line(features: Path, tmp_path: Path) -> None:
    (features / "broken.feature").write_text("Feature: broken\n  Scenario: one\n    Whence it is\n")
    done = run_cli("audit", str(CASE), "--features", str(features), "--out", str(tmp_path / "r"), "--no-progress")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert len(done.stderr.splitlines()) == 1 and str(features / "broken.feature") in done.stderr


def test_a_step_the_suite_does_not_know_is_an_error_never_a_pass(features: Path, tmp_path: Path) -> None:
    path = features / "tenancy.feature"
    path.write_text(path.read_text().replace("When its network policies are analysed",
                                             "When its network policies are glanced at", 1))
    out = tmp_path / "r"
    done = run_cli("audit", str(CASE), "--features", str(features), "--out", str(out), "--no-progress")
    assert done.returncode == 3, done.stderr
    scenarios = [s for f in json.loads((out / "audit.json").read_text())["features"] for s in f["scenarios"]]
    broken = next(s for s in scenarios if "glanced" in s["steps"][1]["text"])
    assert broken["status"] == "error"
    assert [st["status"] for st in broken["steps"]] == ["passed", "failed", "skipped"]
    assert "no step of the audit reads When 'its network policies are glanced at'" in broken["steps"][1]["message"]
