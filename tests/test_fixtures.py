"""Each control decided on its fixtures/<ID>/{fail,pass}/<case>, identically on both engines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kaze_policy.catalog import load_catalog
from kaze_policy.scan import ScanOptions, run_scan
from tests.conftest import FIXTURES

CATALOG = load_catalog()
KNOWN = CATALOG.by_id()


def fixture_cases() -> list[Path]:
    return sorted(p.parent for p in FIXTURES.glob("KZ-*/*/*/expect.yaml"))


def scan_json(case: Path, engine: str, opa_url: str | None, control: str) -> dict[str, Any]:
    options = ScanOptions(paths=[str(case)], engine=engine, opa_url=opa_url, controls=[control])
    report = run_scan(options, CATALOG).to_json()
    return next(c for c in report["controls"] if c["id"] == control)


def case_id(case: Path) -> str:
    return str(case.relative_to(FIXTURES))


@pytest.mark.parametrize("case", fixture_cases(), ids=case_id)
def test_fixture_case(case: Path, opa_url: str) -> None:
    expect = yaml.safe_load((case / "expect.yaml").read_text())
    control = expect["control"]
    if control not in KNOWN:
        pytest.skip(f"{control} is not written yet")
    embedded = scan_json(case, "embedded", None, control)
    on_opa = scan_json(case, "opa", opa_url, control)
    assert embedded == on_opa, "the engines disagree"
    assert embedded["status"] == expect["status"], f"{embedded['status']}: {embedded['reason']} {embedded['findings']}"
    named = {f["resource"]["id"] for f in embedded["findings"]}
    missing = set(expect.get("resources") or []) - named
    assert not missing, f"expected findings on {sorted(missing)}, got {sorted(named)}"


def test_every_control_has_a_failing_and_a_passing_fixture() -> None:
    cases = fixture_cases()
    for control in CATALOG.controls:
        kinds = {case.parent.name for case in cases if case.parent.parent.name == control.id}
        assert {"fail", "pass"} <= kinds, f"{control.id} lacks a fixture: has {sorted(kinds)}"
