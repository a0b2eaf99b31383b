"""Each control decided on its fixtures/<ID>/{fail,pass}/<case>, identically on both engines."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from kaze_policy.catalog import load_catalog
from kaze_policy.scan import ScanOptions, run_scan
from tests.conftest import FIXTURES, contract_rows

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


def decisions_of(case: Path, engine_name: str, opa_url: str | None) -> list[dict[str, Any]]:
    """KZ-EGR-04's cases are URL decisions: each row's answer from `decide egress`."""
    from kaze_policy.config import load_config
    from kaze_policy.decide import decide, egress_data
    from kaze_policy.engine import create_engine
    from kaze_policy.sources.discover import nearest_config

    rows = yaml.safe_load((case / "decisions.yaml").read_text())
    with create_engine(engine_name, opa_url) as engine:
        engine.load_policies(CATALOG.policy_files)
        engine.set_data(egress_data(load_config(nearest_config(case))))
        return [decide(engine, row["tenant"], row["url"]) | {"expect": row["expect"]} for row in rows]


def without_config(case: Path, scratch: Path) -> Path:
    """A copy of the case with no kaze-policy.yaml in or above it (expect.yaml `config: none`)."""
    from kaze_policy.sources.discover import nearest_config

    copy = scratch / case.name
    shutil.copytree(case, copy)
    assert nearest_config(copy) is None, f"{copy}: a kaze-policy.yaml above the scratch folder"
    return copy


@pytest.mark.parametrize("case", fixture_cases(), ids=case_id)
def test_fixture_case(case: Path, opa_url: str, tmp_path: Path) -> None:
    expect = yaml.safe_load((case / "expect.yaml").read_text())
    if expect.get("config") == "none":
        case = without_config(case, tmp_path)
    control = expect["control"]
    assert control in KNOWN, f"{case}: expect.yaml names {control}, which is not in the catalog"
    if (case / "decisions.yaml").exists():
        embedded = decisions_of(case, "embedded", None)
        assert embedded == decisions_of(case, "opa", opa_url), "the engines disagree"
        wrong = [d for d in embedded if ("allow" if d["allow"] else "deny") != d["expect"]]
        assert wrong == []
        return
    embedded = scan_json(case, "embedded", None, control)
    on_opa = scan_json(case, "opa", opa_url, control)
    assert embedded == on_opa, "the engines disagree"
    assert embedded["status"] == expect["status"], f"{embedded['status']}: {embedded['reason']} {embedded['findings']}"
    named = {f["resource"]["id"] for f in embedded["findings"]}
    expected = set(expect.get("resources") or [])
    assert not expected - named, f"expected findings on {sorted(expected - named)}, got {sorted(named)}"
    # fixtures/README.md: no other resource of the case is in violation (a control that
    # over-reports must fail here, not only one that misses)
    assert not named - expected, f"findings on {sorted(named - expected)}, which expect.yaml does not name"


def test_every_control_has_a_failing_and_a_passing_fixture() -> None:
    cases = fixture_cases()
    for control in CATALOG.controls:
        kinds = {case.parent.name for case in cases if case.parent.parent.name == control.id}
        assert {"fail", "pass"} <= kinds, f"{control.id} lacks a fixture: has {sorted(kinds)}"


def test_every_contract_control_has_failing_and_passing_fixtures() -> None:
    ids = [cid for cid, _, _ in contract_rows()]
    assert len(ids) >= 38
    lacking = [cid for cid in ids
               if not (list(FIXTURES.glob(f"{cid}/fail/*/expect.yaml")) and list(FIXTURES.glob(f"{cid}/pass/*/expect.yaml")))]
    assert lacking == []


def one_target_groups(cases: list[Path]) -> list[list[Path]]:
    """The cases packed into as few targets as can hold them with no object defined twice.

    Cases reuse names, and one target that defines an object twice, differently, is bad
    input, as `kubectl apply` would keep only the last one.
    """
    from kaze_policy.inventory import object_key
    from kaze_policy.sources.discover import find_targets
    from kaze_policy.sources.load import load_target

    groups: list[tuple[list[Path], dict]] = []
    for case in cases:
        objects = {key: r.obj for spec in find_targets([str(case)]) if spec.kind == "files"
                   for r in load_target(spec).resources if (key := object_key(r)) is not None}
        group = next((g for g in groups if all(g[1].get(k, obj) == obj for k, obj in objects.items())), None)
        if group is None:
            groups.append(([], {}))
            group = groups[-1]
        group[0].append(case)
        group[1].update(objects)
    return [members for members, _ in groups]


def test_all_fixtures_as_few_targets_evaluate_without_error_on_both_engines(opa_url: str, tmp_path: Path) -> None:
    """Many cases in one target: shapes collide; no control may break."""
    import shutil

    groups = one_target_groups(fixture_cases())
    assert len(groups) < len(fixture_cases()) / 4
    paths = []
    for n, group in enumerate(groups):
        root = tmp_path / f"group-{n}"
        for case in group:
            shutil.copytree(case, root / case_id(case))
        shutil.copy(FIXTURES / "kaze-policy.yaml", root / "kaze-policy.yaml")
        paths.append(str(root))
    reports = {engine: run_scan(ScanOptions(paths=paths, engine=engine,
                                            opa_url=opa_url if engine == "opa" else None), CATALOG).to_json()
               for engine in ("embedded", "opa")}
    errors = {c["id"]: c["reason"] for c in reports["embedded"]["controls"] if c["status"] == "error"}
    assert errors == {}
    assert reports["embedded"]["controls"] == reports["opa"]["controls"]
