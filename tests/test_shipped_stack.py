"""The shipped Kaze stack in infra/: it renders, its cells pass every control, on both engines alike.

Every kustomization that kustomize can build is judged on its own (issue 8): the bases and
the tenants of each cell too. A tenant built alone is a tenant namespace without the cell's
image policy or monitoring: those whole-cell controls are judged in the cells.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from kaze_policy.catalog import load_catalog
from kaze_policy.scan import ScanOptions, run_scan
from tests.conftest import INFRA

OVERLAYS = sorted(p for p in (INFRA / "kubernetes" / "overlays").iterdir() if p.is_dir())
KUBERNETES = INFRA / "kubernetes"
# Controls about what a whole cell holds (the admission image policy, the monitoring stack):
# a part of a cell (a kustomization a cell includes) is judged for them in its cells.
WHOLE_CELL = {"KZ-SUP-03", "KZ-AUD-03"}


def _is_cell_or_files(name: str) -> bool:
    return Path(name) == INFRA or Path(name) in OVERLAYS


@pytest.fixture(scope="module")
def reports(opa_url: str, kustomize: str) -> dict[str, dict]:
    catalog = load_catalog()
    return {engine: run_scan(ScanOptions(paths=[str(INFRA)], engine=engine,
                                         opa_url=opa_url if engine == "opa" else None), catalog).to_json()
            for engine in ("embedded", "opa")}


@pytest.mark.parametrize("overlay", OVERLAYS, ids=lambda p: p.name)
def test_overlay_renders_with_real_kustomize(overlay: Path, kustomize: str) -> None:
    done = subprocess.run([kustomize, "build", str(overlay)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_every_kustomization_but_components_is_a_target(reports: dict[str, dict]) -> None:
    kustomizations = {p.parent for p in KUBERNETES.rglob("kustomization.yaml")
                      if "kind: Component" not in p.read_text()}
    targets = {Path(t["path"]) for t in reports["embedded"]["targets"] if t["kind"] == "kustomize"}
    assert targets == kustomizations and set(OVERLAYS) < targets


def test_every_cell_passes_every_control_without_error(reports: dict[str, dict]) -> None:
    bad = {(c["id"], t["name"]): (t["status"], t["reason"]) for c in reports["embedded"]["controls"]
           for t in c["targets"] if _is_cell_or_files(t["name"]) and t["status"] in ("fail", "error")}
    assert bad == {}


def test_parts_of_a_cell_judged_alone_pass_and_leave_whole_cell_controls_to_their_cells(
        reports: dict[str, dict]) -> None:
    parts = {t["name"] for t in reports["embedded"]["targets"] if not _is_cell_or_files(t["name"])}
    assert parts, "the stack's bases and tenants are targets of their own"
    bad = {(c["id"], t["name"]): t["status"] for c in reports["embedded"]["controls"] for t in c["targets"]
           if t["name"] in parts and t["status"] in ("fail", "error")}
    assert bad == {}
    for control in reports["embedded"]["controls"]:
        for result in control["targets"]:
            if result["name"] in parts and control["id"] in WHOLE_CELL:
                assert result["status"] == "not_applicable" and "part of a cell" in result["reason"]



# The controls only a live cluster (or its snapshot) can decide: a repository holds no input
# for them, so on the stack they are not_applicable, in every target, saying what they need
# (a cell whose SBOMs are in the repository has KZ-SUP-02's scope, but no signature verdicts).
LIVE_ONLY = {
    "KZ-MTL-03": ("needs a live cluster or a cluster snapshot",),
    "KZ-SEC-02": ("needs a Vault snapshot or a live Vault",),
    "KZ-SUP-02": ("needs image signatures and SBOMs", "has no image signature verdicts"),
    "KZ-TEN-08": ("needs a live cluster or a cluster snapshot",),
}


def test_every_control_has_its_expected_status_on_the_stack(reports: dict[str, dict]) -> None:
    """Every control of the catalog passes, but the live-only ones, which do not apply."""
    statuses = {c["id"]: c["status"] for c in reports["embedded"]["controls"]}
    expected = {control.id: "not_applicable" if control.id in LIVE_ONLY else "pass"
                for control in load_catalog().controls}
    assert statuses == expected


def test_live_only_controls_say_in_every_target_what_they_need(reports: dict[str, dict]) -> None:
    targets = {t["name"] for t in reports["embedded"]["targets"]}
    for control in reports["embedded"]["controls"]:
        if control["id"] in LIVE_ONLY:
            assert {t["name"] for t in control["targets"]} == targets, control["id"]
            wrong = [(t["name"], t["status"], t["reason"]) for t in control["targets"]
                     if t["status"] != "not_applicable" or not any(r in t["reason"] for r in LIVE_ONLY[control["id"]])]
            assert wrong == [], control["id"]


def test_both_engines_agree_on_the_stack(reports: dict[str, dict]) -> None:
    embedded, opa = (json.dumps({k: v for k, v in reports[e].items() if k != "engine"}, sort_keys=True)
                     for e in ("embedded", "opa"))
    assert embedded == opa

