"""The CI formats: GitHub Actions workflow commands (`--format github`) and GitLab's Code
Quality report (`--format gitlab`): escaping, severity mapping, fingerprints, required fields."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from kaze_policy.catalog import Control, load_catalog
from kaze_policy.fingerprint import finding_fingerprint
from kaze_policy.report import FORMATS, reporter_for
from kaze_policy.report.github import command, escape_data, escape_property
from kaze_policy.results import ERROR, FAIL, ControlResult, Finding, ScanReport, TargetResult
from tests.conftest import ROOT, run_cli
from tests.report_cases import FAILING_CASE

CONTROL = replace(load_catalog().by_id()["KZ-TEN-05"], severity="high")
# A workflow command as the runner reads it: `::name props::data`, props `k=v` split on `,`.
COMMAND = re.compile(r"^::(?P<name>[a-z]+)(?: (?P<props>[^:]*))?::(?P<data>.*)$")
HOSTILE = "first line\nsecond ::warning::injected\r100% of a:b, c,d"

# What GitLab's documentation requires of each entry of a Code Quality report (docs.gitlab.com,
# ci/testing/code_quality, "Code Quality report format"): an array of objects with these fields.
GITLAB_SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["description", "check_name", "fingerprint", "severity", "location"],
        "properties": {
            "description": {"type": "string", "minLength": 1},
            "check_name": {"type": "string", "minLength": 1},
            "fingerprint": {"type": "string", "minLength": 1},
            "severity": {"enum": ["info", "minor", "major", "critical", "blocker"]},
            "location": {
                "type": "object", "required": ["path", "lines"],
                "properties": {
                    "path": {"type": "string", "minLength": 1, "not": {"pattern": "^(/|\\./|[A-Za-z]:)"}},
                    "lines": {"type": "object", "required": ["begin"],
                              "properties": {"begin": {"type": "integer", "minimum": 1}}},
                },
            },
        },
    },
}


def _finding(name: str = "app", message: str = "container main adds NET_ADMIN", file: str = "infra/app.yaml",
             line: int = 10, column: int | None = 9, path: list[Any] | None = None) -> Finding:
    return Finding(resource={"id": f"Deployment/ns/{name}", "kind": "Deployment", "namespace": "ns", "name": name,
                             "file": file, "line": line - 4},
                   message=message, evidence={"field_path": path or ["spec", "containers", 0]}, target="infra",
                   location={"file": file, "line": line, "column": column})


def _report(*results: ControlResult) -> ScanReport:
    return ScanReport(results=list(results), engine="embedded", tool_version="test",
                      targets=[{"name": "infra", "path": "infra", "kind": "files", "resources": 1, "skipped": 0,
                                "config": None, "scopes": ["iac"]}])


def _failed(findings: list[Finding], control: Control = CONTROL) -> ControlResult:
    return ControlResult(control, [TargetResult("infra", FAIL, "", findings)])


def _unescape(text: str, prop: bool) -> str:
    """The runner's reading of an escaped value (actions/runner, ActionCommand.cs)."""
    pairs = [("%0D", "\r"), ("%0A", "\n")] + ([("%3A", ":"), ("%2C", ",")] if prop else []) + [("%25", "%")]
    for escaped, raw in pairs:
        text = text.replace(escaped, raw)
    return text


def _parse(line: str) -> tuple[str, dict[str, str], str]:
    match = COMMAND.match(line)
    assert match, f"not a workflow command: {line!r}"
    props = dict(p.split("=", 1) for p in (match["props"] or "").split(",") if p)
    return match["name"], {k: _unescape(v, True) for k, v in props.items()}, _unescape(match["data"], False)


def _github(report: ScanReport) -> list[str]:
    return reporter_for("github").render(report).splitlines()


def _gitlab(report: ScanReport) -> list[dict[str, Any]]:
    return json.loads(reporter_for("gitlab").render(report))


# --------------------------------------------------------------------------- github

def test_escaping_follows_the_toolkit() -> None:
    assert escape_data("a%b\r\nc:d,e") == "a%25b%0D%0Ac:d,e"
    assert escape_property("a%b\r\nc:d,e") == "a%25b%0D%0Ac%3Ad%2Ce"
    assert escape_data("%0A") == "%250A"  # an escape already in the text is not read as one
    assert command("error", "m", file="a:b,c%.yaml", line=3, col=None, title="x\ny") == \
        "::error file=a%3Ab%2Cc%25.yaml,line=3,title=x%0Ay::m"


def test_a_hostile_message_stays_one_annotation_and_reads_back_whole() -> None:
    finding = _finding(message=HOSTILE, file="infra/we:ird,name%.yaml")
    lines = _github(_report(_failed([finding])))
    assert len(lines) == 2  # the annotation and the summary: the newline started no command
    name, props, data = _parse(lines[0])
    assert (name, data) == ("error", HOSTILE)
    assert props == {"file": "infra/we:ird,name%.yaml", "line": "10", "col": "9",
                     "title": f"KZ-TEN-05 {CONTROL.title}"}


def test_other_control_characters_are_shown_not_sent() -> None:
    (line, _) = _github(_report(_failed([_finding(message="red \x1b[31m bell \x07")])))
    assert "\x1b" not in line and "\x07" not in line
    assert line.endswith("::red \\x1b[31m bell \\x07")


@pytest.mark.parametrize(("severity", "level", "gitlab"), [
    ("critical", "error", "blocker"), ("high", "error", "critical"),
    ("medium", "warning", "major"), ("low", "notice", "minor")])
def test_severity_maps_to_level_and_gitlab_severity(severity: str, level: str, gitlab: str) -> None:
    report = _report(_failed([_finding()], replace(CONTROL, severity=severity)))
    assert _github(report)[0].startswith(f"::{level} file=infra/app.yaml,line=10,col=9,title=KZ-TEN-05 ")
    assert _gitlab(report)[0]["severity"] == gitlab


def test_a_control_not_evaluated_is_an_error_without_a_file_and_the_summary_comes_last() -> None:
    broken = ControlResult(replace(CONTROL, id="KZ-TEN-02", severity="low"),
                           [TargetResult("infra", ERROR, "engine: policy failed to compile")])
    lines = _github(_report(_failed([_finding()], replace(CONTROL, severity="medium")), broken))
    name, props, data = _parse(lines[0])
    assert name == "error" and "file" not in props and props["title"].startswith("KZ-TEN-02 ")
    assert data == "KZ-TEN-02 could not be evaluated on infra: engine: policy failed to compile"
    assert lines[1].startswith("::warning file=")
    assert lines[-1] == "kaze-policy: 2 controls: 0 pass, 1 fail, 1 error, 0 waived, 0 not applicable; " \
                        "1 findings (0 error, 1 warning, 0 notice), 0 waived"


def test_a_failure_without_findings_is_annotated_with_its_reason() -> None:
    result = ControlResult(CONTROL, [TargetResult("infra", FAIL, "no quota in tenant-acme")])
    name, props, data = _parse(_github(_report(result))[0])
    assert (name, data) == ("error", "no quota in tenant-acme") and "file" not in props


def test_a_path_below_the_working_folder_is_named_relative(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    report = _report(_failed([_finding(file=str(tmp_path / "infra" / "app.yaml"))]))
    assert _parse(_github(report)[0])[1]["file"] == "infra/app.yaml"
    assert _gitlab(report)[0]["location"]["path"] == "infra/app.yaml"


# --------------------------------------------------------------------------- gitlab

def test_gitlab_report_has_gitlab_s_required_fields() -> None:
    broken = ControlResult(replace(CONTROL, id="KZ-TEN-02"), [TargetResult("infra", ERROR, "engine down")])
    issues = _gitlab(_report(_failed([_finding(), _finding("db", column=None)]), broken))
    jsonschema.Draft202012Validator(GITLAB_SCHEMA).validate(issues)
    assert [i["check_name"] for i in issues] == ["KZ-TEN-05", "KZ-TEN-05", "KZ-TEN-02"]
    assert issues[2]["severity"] == "blocker" and issues[2]["location"] == {"path": "infra", "lines": {"begin": 1}}


def test_gitlab_schema_catches_a_broken_entry() -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(GITLAB_SCHEMA).validate(
            [{"description": "x", "check_name": "KZ", "fingerprint": "f", "severity": "high",
              "location": {"path": "/abs.yaml", "lines": {"begin": 0}}}])


def test_gitlab_fingerprints_are_the_findings_and_unique() -> None:
    findings = [_finding("a"), _finding("b"), _finding("a", path=["spec", "containers", 1]),
                _finding("a", message="container main adds SYS_ADMIN"),
                # Alike in all the fingerprint reads, in two files (one patch, two overlays).
                _finding("twin", file="overlays/x/app.yaml"), _finding("twin", file="overlays/y/app.yaml")]
    issues = _gitlab(_report(_failed(findings)))
    fingerprints = [i["fingerprint"] for i in issues]
    assert len(set(fingerprints)) == len(findings)
    assert fingerprints[:5] == [finding_fingerprint("KZ-TEN-05", f) for f in findings[:5]]
    assert all(re.fullmatch(r"[0-9a-f]{64}", f) for f in fingerprints)


def test_gitlab_fingerprints_stay_when_lines_move_and_text_is_rewrapped() -> None:
    before = [_finding("a"), _finding("b", message="adds  NET_ADMIN\n  to main"),
              _finding("twin", file="o/x.yaml"), _finding("twin", file="o/y.yaml")]
    after = [_finding("a", line=15, column=13), _finding("b", line=99, column=None, message="adds NET_ADMIN to main"),
             _finding("twin", file="o/x.yaml", line=40), _finding("twin", file="o/y.yaml", line=2)]
    fingerprints = [[i["fingerprint"] for i in _gitlab(_report(_failed(f)))] for f in (before, after)]
    assert fingerprints[0] == fingerprints[1]
    assert fingerprints[0] != [i["fingerprint"] for i in _gitlab(_report(_failed(before, replace(CONTROL, id="KZ-X"))))]


# --------------------------------------------------------------------------- the command line

def test_both_formats_are_registered_and_run_from_the_command_line(tmp_path: Path) -> None:
    assert {"github", "gitlab"} <= set(FORMATS)
    case = FAILING_CASE.relative_to(ROOT).as_posix()
    result = run_cli("scan", case, "--control", "KZ-TEN-05", "--format", "gitlab",
                     "--output", str(tmp_path / "gl-code-quality.json"), "--format", "github")
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"::error file={case}/workload.yaml,line=") and "title=KZ-TEN-05 " in lines[0]
    assert lines[-1].startswith("kaze-policy: 1 controls: 0 pass, 1 fail")
    issues = json.loads((tmp_path / "gl-code-quality.json").read_text())
    jsonschema.Draft202012Validator(GITLAB_SCHEMA).validate(issues)
    assert issues[0]["location"]["path"] == f"{case}/workload.yaml"
