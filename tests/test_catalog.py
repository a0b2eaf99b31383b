"""The catalog: controls from METADATA; malformed catalogs are load-time errors (exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kaze_policy.catalog import load_catalog
from kaze_policy.errors import CatalogError
from tests.conftest import contract_rows, run_cli

HEADER = """# METADATA
# title: A control
# custom:
#   id: {id}
#   severity: high
#   scopes: [iac]
package kaze.test.{pkg}

import rego.v1

violation contains v if {{
	false
	v := {{}}
}}
"""


def write_policy(folder: Path, pkg: str, cid: str) -> None:
    (folder / f"{pkg}.rego").write_text(HEADER.format(id=cid, pkg=pkg))


def test_shipped_catalog_loads() -> None:
    ids = [c.id for c in load_catalog().controls]
    assert ids == sorted(ids) and len(ids) == len(set(ids))


@pytest.mark.parametrize(("cid", "message"), [("KZ-TENANT-1", "not of the form"), ("kz-ten-01", "not of the form")])
def test_bad_id_is_rejected(tmp_path: Path, cid: str, message: str) -> None:
    write_policy(tmp_path, "a", cid)
    with pytest.raises(CatalogError, match=message):
        load_catalog(tmp_path)


def test_duplicate_id_is_rejected(tmp_path: Path) -> None:
    write_policy(tmp_path, "a", "KZ-TEN-01")
    write_policy(tmp_path, "b", "KZ-TEN-01")
    with pytest.raises(CatalogError, match="duplicate control id KZ-TEN-01"):
        load_catalog(tmp_path)


def test_package_without_id_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "x.rego").write_text("package kaze.test.x\n\nimport rego.v1\n\nviolation := set()\n")
    with pytest.raises(CatalogError, match="no control id"):
        load_catalog(tmp_path)


def test_cli_reports_catalog_errors_with_exit_2(tmp_path: Path) -> None:
    write_policy(tmp_path, "a", "KZ-X-1")
    result = run_cli("controls", "--policies", str(tmp_path))
    assert result.returncode == 2 and "a.rego" in result.stderr and "Traceback" not in result.stderr


def test_catalog_matches_the_contract_of_controls_md() -> None:
    """Every id of ../shared/CONTROLS.md exists, with the severity and scopes it states."""
    rows = contract_rows()
    assert len(rows) >= 38
    catalog = load_catalog().by_id()
    missing = [cid for cid, _, _ in rows if cid not in catalog]
    assert missing == [], f"controls of CONTROLS.md not in rego/: {missing}"
    for cid, severity, scopes in rows:
        control = catalog[cid]
        assert control.severity == severity, cid
        assert set(control.scopes) == {s.strip() for s in scopes.split(",")}, cid


def test_every_control_has_a_rationale_and_a_remediation() -> None:
    """`controls ID` shows both: the METADATA description (why) and custom.remediation (how to fix)."""
    for control in load_catalog().controls:
        assert len(control.description.split()) >= 15, f"{control.id}: no rationale (METADATA description)"
        assert len(control.remediation.split()) >= 8, f"{control.id}: no remediation (custom.remediation)"


@pytest.mark.parametrize("ci, outcome", [("true", pytest.fail.Exception), ("", pytest.skip.Exception)])
def test_a_missing_contract_fails_in_ci_and_only_skips_elsewhere(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                                ci: str, outcome: type[BaseException]) -> None:
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="not beside the checkout"):
        contract_rows(tmp_path / "CONTROLS.md")


def test_a_helper_comes_after_the_helpers_it_imports(tmp_path: Path) -> None:
    """An OPA server compiles each upload against what it already has: a library that calls
    another's function must be uploaded after it, whatever their names."""
    from kaze_policy.catalog import policy_files

    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "alerts.rego").write_text("package kaze.lib.alerts\n\nimport rego.v1\n\nimport data.kaze.lib.zones\n\n"
                                     "near(x) := zones.zone(x)\n")
    (lib / "zones.rego").write_text("package kaze.lib.zones\n\nimport rego.v1\n\nzone(x) := x\n")
    (tmp_path / "family").mkdir()
    (tmp_path / "family" / "control.rego").write_text("package kaze.family.control\n")
    assert [p.name for p in policy_files(tmp_path)] == ["zones.rego", "alerts.rego", "control.rego"]
