"""The features run on what the scan's pipeline found: a failing control fails its scenario
with the findings as the Then step's evidence, the Cucumber JSON keeps pytest-bdd's own
layout, and the shipped customer-VPC cell is audited as the README says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kaze_policy.bdd.features import read_features
from kaze_policy.bdd.runner import run_features
from kaze_policy.catalog import load_catalog
from kaze_policy.report.cucumber import CucumberReporter
from kaze_policy.scan import ScanOptions, run_scan
from tests.conftest import FIXTURES, ROOT, run_cli

CASE = FIXTURES / "KZ-TEN-05" / "fail" / "added-capability-job"
FEATURES = ROOT / "features"


def _scenarios(audit_json: Path) -> dict[str, dict]:
    features = json.loads(audit_json.read_text())["features"]
    return {s["controls"][0]: s for f in features for s in f["scenarios"]}


def test_a_failing_control_fails_its_scenario_with_the_findings_as_evidence(tmp_path: Path) -> None:
    done = run_cli("audit", str(CASE), "--out", str(tmp_path), "--no-progress")
    assert done.returncode == 1, done.stderr
    report = json.loads((tmp_path / "audit.json").read_text())
    finding = next(c for c in report["controls"] if c["id"] == "KZ-TEN-05")["findings"][0]
    scenarios = _scenarios(tmp_path / "audit.json")
    assert len(scenarios) == len(load_catalog().controls)
    failing = scenarios["KZ-TEN-05"]
    assert failing["status"] == "fail"
    assert [s["status"] for s in failing["steps"]] == ["passed", "passed", "failed"]
    evidence = failing["steps"][2]["message"]
    assert finding["message"] in evidence and f"{finding['location']['file']}:{finding['location']['line']}" in evidence
    # Every other scenario has its own control's verdict, and a skipped one says why.
    statuses = {c["id"]: c["status"] for c in report["controls"]}
    assert {cid: s["status"] for cid, s in scenarios.items()} == statuses
    for scenario in scenarios.values():
        if scenario["status"] == "not_applicable":
            assert scenario["steps"][2]["status"] == "skipped"
            assert scenario["steps"][2]["message"].startswith("does not apply: ")
    # The HTML says when, and how the scenarios went.
    html, taken = (tmp_path / "audit.html").read_text(), json.loads((tmp_path / "manifest.json").read_text())["time"]
    fails = sum(1 for s in scenarios.values() if s["status"] == "fail")
    assert f"Audited on {taken} (UTC). 8 features, {len(scenarios)} scenarios: " in html and f"{fails} fail" in html
    cucumber = json.loads((tmp_path / "audit.cucumber.json").read_text())
    steps = [e["steps"] for f in cucumber for e in f["elements"] if {"name": "@KZ-TEN-05", "line": e["line"] - 1}
             in e["tags"]]
    assert len(steps) == 1 and steps[0][2]["result"]["status"] == "failed"
    assert finding["message"] in steps[0][2]["result"]["error_message"]


def test_the_cucumber_json_has_the_layout_pytest_bdd_writes(tmp_path: Path) -> None:
    """Differential: the same run, written by pytest-bdd's --cucumberjson and by the audit."""
    report = run_scan(ScanOptions(paths=[str(CASE)]), load_catalog())
    features = read_features(FEATURES)
    theirs_path = tmp_path / "pytest-bdd.json"
    report.features = run_features(report, FEATURES, features, ("--cucumberjson", str(theirs_path)))
    ours = json.loads(CucumberReporter().render(report))
    theirs = json.loads(theirs_path.read_text())
    assert sorted(f["name"] for f in ours) == sorted(f["name"] for f in theirs)
    theirs_by_name = {f["name"]: f for f in theirs}
    for feature in ours:
        other = theirs_by_name[feature["name"]]
        assert set(other) <= set(feature) and feature["uri"] == other["uri"]
        assert {t["name"].lstrip("@") for t in feature["tags"]} == {t["name"].lstrip("@") for t in other["tags"]}
        elements = {e["name"]: e for e in other["elements"]}
        assert sorted(elements) == sorted(e["name"] for e in feature["elements"])
        for element in feature["elements"]:
            mine, ref = element, elements[element["name"]]
            assert set(ref) <= set(mine) and (mine["line"], mine["type"]) == (ref["line"], ref["type"])
            assert {t["name"].lstrip("@") for t in mine["tags"]} == {t["name"].lstrip("@") for t in ref["tags"]}
            assert [(s["keyword"].strip(), s["name"], s["line"]) for s in mine["steps"]] == \
                [(s["keyword"].strip(), s["name"], s["line"]) for s in ref["steps"]]
            for step, ref_step in zip(mine["steps"], ref["steps"]):
                assert set(ref_step) <= set(step) and set(ref_step["result"]) - {"error_message"} <= set(step["result"])
                # pytest-bdd marks the steps of a skipped scenario passed; the failures agree.
                if ref_step["result"]["status"] == "failed" or step["result"]["status"] == "failed":
                    assert step["result"]["status"] == ref_step["result"]["status"] == "failed"


@pytest.mark.needs_kustomize
def test_the_shipped_customer_vpc_cell_is_audited_as_the_readme_says(tmp_path: Path, kustomize: str) -> None:
    """`kaze-policy audit infra/kubernetes/overlays/customer-vpc-aws` from the repository: its
    configuration's SBOMs lie outside the overlay but inside the repository, which the audit
    stays in."""
    out = tmp_path / "reports"
    done = run_cli("audit", "infra/kubernetes/overlays/customer-vpc-aws", "--out", str(out), "--no-progress",
                   cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["audit.cucumber.json", "audit.html", "audit.json", "audit.junit.xml", "audit.md", "audit.oscal.json",
         "audit.sarif", "audit.txt", "manifest.json"])
    scenarios = _scenarios(out / "audit.json")
    assert {s["status"] for s in scenarios.values()} <= {"pass", "not_applicable"}
    assert scenarios["KZ-SUP-04"]["status"] == "pass"  # its SBOMs were read, from infra/sboms
    assert run_cli("verify-report", str(out)).returncode == 0
