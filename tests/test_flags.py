"""Choosing what to run and what fails: --control/--skip-control globs, --fail-on none,
waivers that expire or match nothing, defaults from .kaze-policy.toml, shell completion."""

from __future__ import annotations

import json
import os
import re
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


# --- waivers ----------------------------------------------------------------------------------

AGENT = "Deployment/tenant-acme/agent"


def _waived_case(tmp_path: Path, waivers: list[dict[str, str]]) -> Path:
    """The failing hostNetwork case, with the fixtures' configuration and these waivers."""
    case = tmp_path / "case"
    shutil.copytree(FAILING, case, ignore=shutil.ignore_patterns("expect.yaml"))
    config = (FIXTURES / "kaze-policy.yaml").read_text()
    config += "\nwaivers:\n" + "".join(
        "  - {" + ", ".join(f"{k}: {json.dumps(v)}" for k, v in w.items()) + "}\n" for w in waivers)
    (case / "kaze-policy.yaml").write_text(config)
    return case


def _waiver(resource: str, until: str, control: str = "KZ-TEN-05") -> dict[str, str]:
    return {"control": control, "resource": resource, "reason": "migration", "by": "sec-team", "until": until}


def test_an_expired_waiver_no_longer_waives_and_is_reported_expired(tmp_path: Path) -> None:
    case = _waived_case(tmp_path, [_waiver(AGENT, "2020-01-01")])
    result, report = _scan_json(str(case), "--control", "KZ-TEN-05")
    assert result.returncode == 1, result.stderr
    assert [f["resource"]["id"] for f in report["controls"][0]["findings"]] == [AGENT]
    assert [(w["status"], w["findings"]) for w in report["waivers"]] == [("expired", 1)]
    text = run_cli("scan", str(case), "--control", "KZ-TEN-05", "--format", "text").stdout
    assert "expired on 2020-01-01" in text


def test_waiver_outcomes_applied_unused_and_not_evaluated(tmp_path: Path) -> None:
    case = _waived_case(tmp_path, [
        _waiver(AGENT, "2099-01-01"),
        _waiver("Deployment/tenant-acme/gone", "2099-01-01"),
        _waiver("*", "2099-01-01", control="KZ-EGR-03"),
    ])
    result, report = _scan_json(str(case), "--control", "KZ-TEN-05")
    assert result.returncode == 0, result.stderr
    assert [(w["status"], w["findings"]) for w in report["waivers"]] == [
        ("applied", 1), ("unused", 0), ("not_evaluated", 0)]
    assert report["summary"]["waived"] == 1 and report["summary"]["waived_findings"] == 1
    text = run_cli("scan", str(case), "--control", "KZ-TEN-05", "--format", "text").stdout
    assert re.search(r"; \d+ findings, 1 waived$", text, re.MULTILINE), text
    assert "Deployment/tenant-acme/gone" in text and "matches no finding" in text


def test_waived_findings_stay_visible_in_sarif_and_junit(tmp_path: Path) -> None:
    case = _waived_case(tmp_path, [_waiver(AGENT, "2099-01-01")])
    out = tmp_path / "out"
    result = run_cli("scan", str(case), "--control", "KZ-TEN-05", "--no-progress",
                     "--format", "sarif", "--output", str(out / "r.sarif"),
                     "--format", "junit", "--output", str(out / "r.xml"))
    assert result.returncode == 0, result.stderr
    sarif = json.loads((out / "r.sarif").read_text())["runs"][0]["results"]
    assert len(sarif) == 1 and sarif[0]["ruleId"] == "KZ-TEN-05"
    assert sarif[0]["suppressions"][0]["status"] == "accepted"
    assert "migration" in sarif[0]["suppressions"][0]["justification"]
    junit = (out / "r.xml").read_text()
    assert f"waived: {AGENT}" in junit and "sec-team" in junit


# --- defaults from .kaze-policy.toml or pyproject.toml ----------------------------------------

def _repo(tmp_path: Path) -> Path:
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    return tmp_path / "repo"


def _scan_in(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return run_cli("scan", str(FAILING), "--format", "json", "--no-progress", *args, cwd=cwd)


def test_defaults_file_sets_the_flags_and_the_command_line_wins(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    (repo / ".kaze-policy.toml").write_text('fail-on = "none"\ncontrol = ["KZ-TEN-05"]\n')
    soft = _scan_in(repo)
    assert soft.returncode == 0, soft.stderr
    assert [c["id"] for c in json.loads(soft.stdout)["controls"]] == ["KZ-TEN-05"]
    assert _scan_in(repo, "--fail-on", "low").returncode == 1


def test_pyproject_table_is_found_from_a_subfolder(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    (repo / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.kaze-policy]\n'
                                         'control = ["KZ-TEN-05"]\nfail-on = "none"\n')
    (repo / "deploy").mkdir()
    result = _scan_in(repo / "deploy")
    assert result.returncode == 0, result.stderr
    assert [c["id"] for c in json.loads(result.stdout)["controls"]] == ["KZ-TEN-05"]


def test_a_defaults_file_above_the_repository_is_not_read(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    (tmp_path / ".kaze-policy.toml").write_text('fail-on = "none"\ncontrol = ["KZ-TEN-05"]\n')
    result = _scan_in(repo, "--control", "KZ-TEN-05")
    assert result.returncode == 1, result.stderr


def test_outside_a_repository_only_the_current_folder_is_read(tmp_path: Path) -> None:
    from kaze_policy.cli import scan
    from kaze_policy.defaults import scan_defaults

    (tmp_path / ".kaze-policy.toml").write_text('fail-on = "none"\n')
    (tmp_path / "sub").mkdir()
    assert scan_defaults(scan, tmp_path / "sub") == {}
    assert scan_defaults(scan, tmp_path) == {"fail_on": "none"}


def test_a_bad_defaults_file_is_one_line_naming_it(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    (repo / ".kaze-policy.toml").write_text('fail_on = "none"\n')
    result = _scan_in(repo)
    assert result.returncode == 2 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and ".kaze-policy.toml: unknown key 'fail_on'" in lines[0], result.stderr


def test_each_wrong_key_or_type_is_bad_input_naming_the_file(tmp_path: Path) -> None:
    from kaze_policy.cli import scan
    from kaze_policy.defaults import scan_defaults
    from kaze_policy.errors import InputError

    repo = _repo(tmp_path)
    for text, problem in (("fail-on = 3\n", "fail-on: expected a string"),
                          ('control = "KZ-TEN-05"\n', "control: expected a list"),
                          ('allow-remote = "yes"\n', "allow-remote: expected true or false"),
                          ("max-file-size = 0\n", "max-file-size:"),
                          ('fail-on = "nope"\n', "fail-on:"),
                          ('paths = ["."]\n', "unknown key 'paths'"),
                          ("fail-on = [\n", "invalid TOML")):
        (repo / ".kaze-policy.toml").write_text(text)
        try:
            scan_defaults(scan, repo)
        except InputError as err:
            assert err.file and err.file.endswith(".kaze-policy.toml") and problem in str(err), (text, err)
        else:
            raise AssertionError(f"accepted: {text!r}")
    (repo / ".kaze-policy.toml").write_text('max-file-size = 1000\nexclude = ["vendor"]\nprogress = false\n')
    assert scan_defaults(scan, repo) == {"max_file_size": 1000, "exclude": ["vendor"], "progress": False}


# --- shell completion ---------------------------------------------------------------------------

def _complete(**env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kaze_policy.cli"], capture_output=True, text=True,
                          cwd=ROOT, timeout=30, env={**os.environ, **env})


def test_bash_completion_script_is_produced_and_completes_the_scan_flags() -> None:
    script = _complete(_KAZE_POLICY_COMPLETE="bash_source")
    assert script.returncode == 0, script.stderr
    assert "_kaze_policy_completion()" in script.stdout and "complete -o nosort -F" in script.stdout
    words = _complete(_KAZE_POLICY_COMPLETE="bash_complete", COMP_WORDS="kaze-policy scan --skip-c",
                      COMP_CWORD="2")
    assert "--skip-control" in words.stdout, words.stdout + words.stderr


def test_show_completion_prints_the_same_script_as_clicks_variable() -> None:
    for shell in ("bash", "zsh", "fish"):
        shown = run_cli("--show-completion", shell)
        assert shown.returncode == 0, shown.stderr
        assert shown.stdout == _complete(_KAZE_POLICY_COMPLETE=f"{shell}_source").stdout
    assert run_cli("--show-completion", "powershell").returncode == 2
