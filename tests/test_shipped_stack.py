"""The shipped Kaze stack in infra/: it renders, it passes every control, on both engines alike."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from kaze_policy.catalog import load_catalog
from kaze_policy.scan import ScanOptions, run_scan
from tests.conftest import INFRA

OVERLAYS = sorted(p for p in (INFRA / "kubernetes" / "overlays").iterdir() if p.is_dir())


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


def test_every_overlay_is_a_target(reports: dict[str, dict]) -> None:
    names = {Path(t["path"]).name for t in reports["embedded"]["targets"] if t["kind"] == "kustomize"}
    assert names == {p.name for p in OVERLAYS}


def test_stack_passes_every_control_without_error(reports: dict[str, dict]) -> None:
    report = reports["embedded"]
    bad = {c["id"]: (c["status"], c["reason"], [f["message"] for f in c["findings"][:3]])
           for c in report["controls"] if c["status"] in ("fail", "error")}
    assert bad == {}


def test_live_scope_controls_say_why_they_do_not_apply(reports: dict[str, dict]) -> None:
    for control in reports["embedded"]["controls"]:
        if control["status"] == "not_applicable":
            assert control["reason"], control["id"]


def test_both_engines_agree_on_the_stack(reports: dict[str, dict]) -> None:
    embedded, opa = (json.dumps({k: v for k, v in reports[e].items() if k != "engine"}, sort_keys=True)
                     for e in ("embedded", "opa"))
    assert embedded == opa

