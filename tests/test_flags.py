"""Choosing what to run and what fails: --control/--skip-control globs, --fail-on none,
waivers that expire or match nothing, defaults from .kaze-policy.toml, shell completion."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import FIXTURES, ROOT, run_cli

FAILING = FIXTURES / "KZ-TEN-05" / "fail" / "hostnetwork-deployment"


def _scan_json(*args: str, cwd: Path | None = None) -> tuple[subprocess.CompletedProcess, dict]:
    result = run_cli("scan", *args, "--format", "json", "--no-progress", cwd=cwd)
    return result, (json.loads(result.stdout) if result.stdout.strip() else {})


def _ids(report: dict) -> list[str]:
    return [c["id"] for c in report["controls"]]


# --- --control and --skip-control -------------------------------------------------------

def test_control_glob_selects_every_matching_control() -> None:
    result, report = _scan_json(str(FAILING), "--control", "KZ-TEN-0*")
    assert result.returncode == 1, result.stderr
    assert _ids(report) and all(i.startswith("KZ-TEN-0") for i in _ids(report))
    assert "KZ-TEN-05" in _ids(report) and "KZ-TEN-01" in _ids(report)


def test_skip_control_removes_ids_and_globs() -> None:
    result, report = _scan_json(str(FAILING), "--skip-control", "KZ-TEN-05", "--skip-control", "KZ-SUP-*")
    assert result.returncode in (0, 1), result.stderr
    ids = _ids(report)
    assert "KZ-TEN-05" not in ids and not any(i.startswith("KZ-SUP-") for i in ids)
    assert "KZ-TEN-01" in ids


def test_skipping_the_failing_control_makes_the_scan_pass() -> None:
    result, report = _scan_json(str(FAILING), "--control", "KZ-TEN-05", "--control", "KZ-TEN-01",
                                "--skip-control", "KZ-TEN-05")
    assert _ids(report) == ["KZ-TEN-01"]
    assert result.returncode == 0, result.stderr


def test_unknown_control_is_refused_before_any_input_is_read(tmp_path: Path) -> None:
    # The path does not exist: were it read first, the error would be about the path.
    for flag, value in (("--control", "KZ-NOPE-01"), ("--skip-control", "KZ-ZZZ-*")):
        result = run_cli("scan", str(tmp_path / "missing"), flag, value, "--no-progress")
        assert result.returncode == 2
        assert result.stdout == ""
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "unknown control id(s)" in lines[0] and value in lines[0], result.stderr


def test_skipping_every_control_is_refused() -> None:
    result = run_cli("scan", str(FAILING), "--control", "KZ-TEN-05", "--skip-control", "KZ-TEN-*")
    assert result.returncode == 2 and "leaves no control" in result.stderr


# --- --fail-on none ------------------------------------------------------------------------

def test_fail_on_none_reports_failures_and_exits_0() -> None:
    result, report = _scan_json(str(FAILING), "--control", "KZ-TEN-05", "--fail-on", "none")
    assert result.returncode == 0, result.stderr
    assert report["summary"]["fail"] == 1


def test_fail_on_none_still_exits_3_on_an_error() -> None:
    # A control that could not be evaluated has an unknown verdict: soft-fail must not make it a pass.
    from kaze_policy.catalog import DEFAULT_POLICY_DIR, load_catalog
    from kaze_policy.cli import exit_code
    from kaze_policy.results import ERROR, FAIL, ControlResult, ScanReport, TargetResult

    control = load_catalog(DEFAULT_POLICY_DIR).controls[0]

    def report(status: str) -> ScanReport:
        return ScanReport([ControlResult(control, [TargetResult("t", status)])], [], "embedded", "0")

    assert exit_code(report(ERROR), "none") == 3
    assert exit_code(report(FAIL), "none") == 0
    assert exit_code(report(FAIL), "low") == 1
