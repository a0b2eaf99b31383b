"""`audit --framework`: the results by the framework's controls, the Kaze controls as the
evidence under each, and the framework's controls the catalog does not cover."""

from __future__ import annotations

import json
from pathlib import Path

from kaze_policy.catalog import load_catalog
from kaze_policy.frameworks import load_framework
from kaze_policy.frameworks.view import framework_view
from kaze_policy.scan import ScanOptions, run_scan
from tests.conftest import FIXTURES, run_cli

CASE = FIXTURES / "KZ-TEN-05" / "fail" / "added-capability-job"


def test_a_failing_control_fails_every_framework_control_it_evidences(tmp_path: Path) -> None:
    done = run_cli("audit", str(CASE), "--out", str(tmp_path), "--framework", "soc2", "--framework", "cis",
                   "--no-progress")
    assert done.returncode == 1, done.stderr
    views = {v["name"]: v for v in json.loads((tmp_path / "audit.json").read_text())["frameworks"]}
    assert list(views) == ["soc2", "cis"]
    cited = load_catalog().by_id()["KZ-TEN-05"].frameworks
    for name, key in (("soc2", "soc2"), ("cis", "cis_kubernetes")):
        rows = {row["id"]: row for row in views[name]["covered"]}
        for framework_id in cited[key]:
            assert rows[framework_id]["status"] == "fail"
            assert {"control": "KZ-TEN-05", "cites": framework_id, "status": "fail"} in rows[framework_id]["evidence"]
        uncovered = {c["id"] for c in views[name]["uncovered"]}
        assert not uncovered & set(rows)
        in_force = [c.id for c in load_framework(name).controls if not c.withdrawn]
        assert sorted(uncovered | set(rows)) == sorted(in_force)
    assert "CC1.1" in {c["id"] for c in views["soc2"]["uncovered"]}
    html = (tmp_path / "audit.html").read_text()
    assert "CIS Kubernetes Benchmark" in html and "Not covered by the catalog" in html
    assert "| `CC6.1` |" in (tmp_path / "audit.md").read_text()


def test_a_nist_enhancement_is_evidence_for_its_base_control() -> None:
    report = run_scan(ScanOptions(paths=[str(CASE)]), load_catalog())
    view = framework_view("nist-800-53", report)
    sc7 = next(row for row in view.rows if row.control.id == "SC-7")
    assert ("SC-7(5)", "KZ-EGR-02") in {(cited, r.control.id) for cited, r in sc7.evidence}
    assert "SC-7" not in {c.id for c in view.uncovered}
    assert not any(c.withdrawn for c in view.uncovered)


def test_an_unknown_framework_is_bad_usage(tmp_path: Path) -> None:
    done = run_cli("audit", str(CASE), "--out", str(tmp_path), "--framework", "pci-dss")
    assert done.returncode == 2 and "pci-dss" in done.stderr and not any(tmp_path.iterdir())
