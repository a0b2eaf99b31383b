"""The OSCAL Assessment Results report: valid for compliance-trestle's models (which read it back
and validate it); one observation per control and target,
one finding per control, satisfied or not as the control's status says (an error is not
satisfied), the framework controls as namespaced properties, no evidence object copied, and the
same document from the same scan but for its timestamps."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from trestle.oscal import OSCAL_VERSION
from trestle.oscal.assessment_results import AssessmentResults

from kaze_policy import __version__
from kaze_policy.catalog import load_catalog
from kaze_policy.report import FORMATS, reporter_for
from kaze_policy.report import oscal
from kaze_policy.report.oscal import NS, OscalReporter
from kaze_policy.results import ERROR, FAIL, NOT_APPLICABLE, PASS, WAIVED, ControlResult, Finding, ScanReport, \
    TargetResult
from kaze_policy.scan import ScanOptions, run_scan
from tests.conftest import INFRA, ROOT, run_cli
from tests.report_cases import FAILING_CASE, failing_report

AT = dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
LATER = dt.datetime(2031, 6, 7, 8, 9, 10, tzinfo=dt.timezone.utc)
# The fields whose value is the time of rendering.
TIMESTAMPS = {"last-modified", "start", "end", "collected"}
SECRET = "hunter2-s3cr3t-value"


def render(report: ScanReport, at: dt.datetime = AT) -> str:
    return OscalReporter(clock=lambda: at).render(report)


def parsed(text: str) -> dict[str, Any]:
    """The document read back by trestle's model (which validates it), as a dict."""
    document = json.loads(text)
    assert list(document) == ["assessment-results"]
    AssessmentResults.model_validate(document["assessment-results"])
    return document["assessment-results"]


def by_prop(item: dict[str, Any], name: str) -> list[str]:
    return [p["value"] for p in item.get("props", []) if p["name"] == name and p.get("ns") == NS]


def framework_values(control: Any) -> list[str]:
    return [f"{framework}:{cid}" for framework, ids in control.frameworks.items() for cid in ids]


def mixed_report() -> ScanReport:
    """Real catalog controls on two targets, one of each status: a failure, a waiver, a control
    that could not be evaluated, one that does not apply, one that passed."""
    controls = load_catalog().controls[:5]
    waiver = {"by": "security@kaze.io", "reason": "replaced in 1.5", "until": "2999-01-01"}

    def finding(target: str, name: str, waived: bool = False) -> Finding:
        return Finding(resource={"id": f"Deployment/tenant-acme/{name}", "kind": "Deployment", "name": name,
                                 "namespace": "tenant-acme", "file": f"{target}/workload.yaml", "line": 7},
                       message=f"container main of {name} runs as root",
                       # What a rule put in the evidence (here a value a manifest held) is not copied.
                       evidence={"value": SECRET, "field_path": ["env", "PASSWORD"]},
                       target=target, waiver=waiver if waived else None)

    results = [
        ControlResult(controls[0], [TargetResult("cell-a", FAIL, findings=[finding("cell-a", "agent"),
                                                                           finding("cell-a", "old", waived=True)]),
                                    TargetResult("cell-b", PASS)]),
        ControlResult(controls[1], [TargetResult("cell-a", WAIVED, findings=[finding("cell-a", "legacy", True)]),
                                    TargetResult("cell-b", NOT_APPLICABLE, "no workload of this kind")]),
        ControlResult(controls[2], [TargetResult("cell-a", ERROR, "kustomize is not installed"),
                                    TargetResult("cell-b", PASS)]),
        ControlResult(controls[3], [TargetResult("cell-a", NOT_APPLICABLE, "no Terraform in the target"),
                                    TargetResult("cell-b", NOT_APPLICABLE, "no Terraform in the target")]),
        ControlResult(controls[4], [TargetResult("cell-a", PASS), TargetResult("cell-b", PASS)]),
    ]
    assert [r.status for r in results] == [FAIL, WAIVED, ERROR, NOT_APPLICABLE, PASS]
    targets = [{"name": t, "path": t, "kind": "kustomize", "resources": 3, "files": 2, "skipped": 0, "config": None}
               for t in ("cell-a", "cell-b")]
    return ScanReport(results=results, targets=targets, engine="embedded", tool_version=__version__)


@pytest.fixture(scope="module")
def failing() -> ScanReport:
    return failing_report()


@pytest.fixture(scope="module")
def passing(kustomize: str) -> ScanReport:
    """The shipped stack: every control passes or does not apply (its kustomizations need kustomize)."""
    report = run_scan(ScanOptions(paths=[str(INFRA.relative_to(ROOT))]), load_catalog())
    assert {r.status for r in report.results} <= {PASS, NOT_APPLICABLE} and report.summary()[PASS]
    return report


def check_structure(report: ScanReport, document: dict[str, Any]) -> None:
    """One result; one observation per control and target, one finding per control, each linked."""
    assert document["metadata"]["title"] == "kaze-policy audit"
    assert document["metadata"]["version"] == report.tool_version
    assert document["metadata"]["oscal-version"] == OSCAL_VERSION
    (result,) = document["results"]
    selected = result["reviewed-controls"]["control-selections"][0]["include-controls"]
    assert [s["control-id"] for s in selected] == [r.control.id for r in report.results]
    observations = {o["uuid"]: o for o in result["observations"]}
    assert len(observations) == sum(len(r.targets) for r in report.results)
    subjects = {r["uuid"]: r["title"] for r in document["back-matter"]["resources"]}
    findings = result["findings"]
    assert [f["target"]["target-id"] for f in findings] == [r.control.id for r in report.results]
    for control_result, finding in zip(report.results, findings):
        assert finding["target"]["type"] == "objective-id"
        assert by_prop(finding, "status") == [control_result.status]
        assert by_prop(finding, "framework-control") == framework_values(control_result.control)
        linked = [observations[r["observation-uuid"]] for r in finding.get("related-observations", [])]
        assert [by_prop(o, "control-id") for o in linked] == [[control_result.control.id]] * len(control_result.targets)
        assert [subjects[o["subjects"][0]["subject-uuid"]] for o in linked] == \
            [oscal.escape(t.target) for t in control_result.targets]
        for observation, target in zip(linked, control_result.targets):
            assert observation["methods"] == ["TEST"]
            assert by_prop(observation, "status") == [target.status]
            assert len(observation.get("relevant-evidence", [])) == len(target.findings)
    every = {v for r in report.results for v in framework_values(r.control)}
    assert set(by_prop(result["reviewed-controls"], "framework-control")) == every
    # import-ap points at the back-matter resource that describes the catalog.
    href = document["import-ap"]["href"]
    assert href.startswith("#") and subjects[href[1:]] == "The Kaze control catalog"


def test_a_failing_scan_is_valid_oscal_with_its_findings(failing: ScanReport) -> None:
    document = parsed(render(failing))
    check_structure(failing, document)
    result = document["results"][0]
    for control_result, finding in zip(failing.results, result["findings"]):
        state = finding["target"]["status"]["state"]
        assert state == ("not-satisfied" if control_result.status in (FAIL, ERROR) else "satisfied")
    failed = [r for r in failing.results if r.status == FAIL]
    assert failed
    texts = [e["description"] for o in result["observations"] for e in o.get("relevant-evidence", [])]
    for control_result in failed:
        for f in control_result.findings:
            assert any(oscal.escape(f.where) in t and oscal.escape(f.message) in t for t in texts)


def test_the_shipped_stack_passes_as_oscal(passing: ScanReport) -> None:
    document = parsed(render(passing))
    check_structure(passing, document)
    states = {f["target"]["status"]["state"] for f in document["results"][0]["findings"]}
    assert states == {"satisfied"}


def test_each_status_and_what_it_says() -> None:
    report = mixed_report()
    document = parsed(render(report))
    check_structure(report, document)
    findings = {f["target"]["target-id"]: f for f in document["results"][0]["findings"]}
    fail, waived, error, not_applicable, passed = (findings[r.control.id]["target"] for r in report.results)
    assert (fail["status"]["state"], fail["status"]["reason"]) == ("not-satisfied", "fail")
    assert "1 finding(s) waived" in fail["status"]["remarks"]
    # An error is not satisfied: nobody showed that the control holds.
    assert error["status"]["state"] == "not-satisfied"
    assert "could not be evaluated" in error["status"]["remarks"] and "kustomize is not installed" in \
        error["status"]["remarks"]
    assert waived["status"]["state"] == "satisfied" and "waiver" in waived["status"]["remarks"]
    for who in ("security@kaze.io", "2999-01-01", "replaced in 1.5"):
        assert who in waived["status"]["remarks"]
    assert not_applicable["status"]["state"] == "satisfied"
    assert "not applicable" in not_applicable["status"]["remarks"]
    assert "no Terraform in the target" in not_applicable["status"]["remarks"]
    assert not_applicable["implementation-status"]["state"] == "not-applicable"
    assert (passed["status"]["state"], passed["status"]["reason"]) == ("satisfied", "pass")
    # The waived finding's evidence names who waived it, why and until when.
    evidence = [e for o in document["results"][0]["observations"] for e in o.get("relevant-evidence", [])]
    waived_evidence = [e for e in evidence if by_prop(e, "waived-by")]
    assert len(waived_evidence) == 2
    assert all(by_prop(e, "waived-until") == ["2999-01-01"] for e in waived_evidence)
    assert findings[report.results[0].control.id]["remarks"].startswith("Remediation:")


def test_no_evidence_object_is_copied() -> None:
    text = render(mixed_report())
    assert SECRET not in text and "field_path" not in text


def test_same_scan_same_document_but_for_timestamps(failing: ScanReport) -> None:
    assert render(failing) == render(failing)

    def without_times(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: without_times(v) for k, v in node.items() if k not in TIMESTAMPS}
        if isinstance(node, list):
            return [without_times(v) for v in node]
        return node

    first, later = json.loads(render(failing)), json.loads(render(failing, LATER))
    assert first != later
    assert without_times(first) == without_times(later)
    stamps = re.findall(r'"(?:last-modified|start|end|collected)": "([^"]+)"', render(failing, LATER))
    assert stamps and set(stamps) == {"2031-06-07T08:09:10+00:00"}


def test_the_time_is_the_time_of_rendering(failing: ScanReport, monkeypatch: pytest.MonkeyPatch) -> None:
    real = oscal.now()
    assert real.tzinfo is not None and abs(real - dt.datetime.now(dt.timezone.utc)) < dt.timedelta(seconds=5)
    monkeypatch.setattr(oscal, "now", lambda: LATER)  # the module's clock, looked up at each render
    document = json.loads(reporter_for("oscal").render(failing))["assessment-results"]
    assert document["metadata"]["last-modified"] == "2031-06-07T08:09:10+00:00"


def test_uuids_are_unique_and_of_the_report(failing: ScanReport) -> None:
    text = render(failing)
    uuids = re.findall(r'"uuid": "([0-9a-f-]{36})"', text)
    assert len(uuids) == len(set(uuids))
    other = copy.deepcopy(failing)
    other.targets[0]["name"] = "another"
    assert not set(uuids) & set(re.findall(r'"uuid": "([0-9a-f-]{36})"', render(other)))


def test_registered_and_offered_to_scan(tmp_path: Path) -> None:
    assert "oscal" in FORMATS and isinstance(reporter_for("oscal"), OscalReporter)
    out = tmp_path / "scan.oscal.json"
    done = run_cli("scan", str(FAILING_CASE), "--format", "oscal", "--output", str(out), "--no-progress")
    assert done.returncode == 1, done.stderr  # the case fails its control
    document = parsed(out.read_text())
    assert document["results"][0]["findings"]


def test_trestle_is_imported_only_to_render() -> None:
    code = ("import sys, kaze_policy.cli, kaze_policy.report.oscal, kaze_policy.webhook.serve; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'trestle'))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert done.stdout.strip() == "[]"


def test_without_trestle_one_line_says_what_to_install(failing: ScanReport,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from kaze_policy.errors import UsageError

    monkeypatch.setitem(sys.modules, "trestle.oscal", None)  # an import of it raises ImportError
    with pytest.raises(UsageError, match=r"kaze-policy\[audit\]"):
        OscalReporter().render(failing)
