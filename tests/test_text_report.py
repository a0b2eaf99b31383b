"""The text report, the default everywhere: failures first, one grepable line each (issue 10)."""

from __future__ import annotations

import io
import math
import os
import re
import subprocess
import sys

from kaze_policy.catalog import Control
from kaze_policy.report.text import TextReporter, use_color
from kaze_policy.results import ControlResult, Finding, ScanReport, TargetResult
from kaze_policy.sources.files import Skipped
from tests.conftest import FIXTURES, ROOT, run_cli

FAILING = FIXTURES / "KZ-TEN-05" / "fail" / "privileged-argo-rollout"
# `file:line: KZ-ID severity resource: message`, as grep, editors and CI logs read it.
FINDING_LINE = re.compile(r"^(?P<file>[^\s:]+):(?P<line>\d+): (?P<id>KZ-[A-Z]{3}-\d{2}) "
                          r"(?P<severity>low|medium|high|critical) (?P<resource>\S+): (?P<message>\S.*)$")
COLUMNS, ROWS = 80, 24


def control(id_: str = "KZ-TEN-05", severity: str = "high") -> Control:
    return Control(id=id_, title="a title", severity=severity, scopes=("iac",), package="p", file="f.rego")


def finding(target: str, name: str = "agent", waiver: dict | None = None, message: str = "is privileged") -> Finding:
    resource = {"id": f"Deployment/tenant-acme/{name}", "file": "base/workload.yaml", "line": 7}
    return Finding(resource=resource, message=message, evidence={}, target=target, waiver=waiver)


def report_of(*results: ControlResult, targets: tuple[str, ...] = ("cell",),
              skipped: tuple[Skipped, ...] = ()) -> ScanReport:
    return ScanReport(results=list(results), engine="embedded", tool_version="0", skipped=list(skipped),
                      targets=[{"name": t, "path": t, "kind": "kustomize", "resources": 3, "files": 2, "skipped": 0,
                                "config": None} for t in targets])


def screen_rows(lines: list[str]) -> int:
    """Rows the lines take on an 80-column terminal, which wraps a long line (it is not cut)."""
    return sum(max(1, math.ceil(len(line) / COLUMNS)) for line in lines)


def test_a_failing_fixture_shows_its_first_failure_on_the_first_screen() -> None:
    """The issue's `done when`: no --format, a pipe (as in CI), 80 columns."""
    result = run_cli("scan", str(FAILING.relative_to(ROOT)), "--no-progress", env={"COLUMNS": str(COLUMNS)})
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    first = next((i for i, line in enumerate(lines) if FINDING_LINE.match(line)), None)
    assert first is not None, result.stdout[:2000]
    assert screen_rows(lines[:first + 1]) <= ROWS, "\n".join(lines[:first + 1])
    ours = [FINDING_LINE.match(line) for line in lines if " KZ-TEN-05 " in line]
    assert ours and all(m and m["file"].endswith("workload.yaml") and m["severity"] == "high" for m in ours), ours
    assert all(line == line.rstrip() for line in lines), "a line ends in spaces"
    assert "\x1b[" not in result.stdout  # a pipe gets no colour


def test_failures_then_counts_then_not_applicable_then_what_was_read() -> None:
    failing = ControlResult(control(), [TargetResult("cell", "fail", findings=[finding("cell")])])
    passing = ControlResult(control("KZ-TEN-01"), [TargetResult("cell", "pass")])
    absent = ControlResult(control("KZ-AUD-01"), [])
    skipped = (Skipped("cell/notes.txt", "not a manifest"),)
    text = TextReporter().render(report_of(passing, absent, failing, skipped=skipped))
    lines = text.splitlines()
    assert lines[0] == "base/workload.yaml:7: KZ-TEN-05 high Deployment/tenant-acme/agent: is privileged"
    counts = lines.index("3 controls: 1 pass, 1 fail, 0 error, 0 waived, 1 not applicable; 1 findings, 0 waived")
    not_applicable = lines.index("Not applicable:")
    read = lines.index("Read:")
    assert 0 < counts < not_applicable < read
    assert lines[not_applicable + 1].startswith("  KZ-AUD-01: ")
    assert lines[read + 1] == "  cell (kustomize): 3 resources from 2 files, 0 skipped, configuration: none"
    assert "1 skipped: 1 not a manifest (cell/notes.txt)" in lines[read + 2:]


def test_a_finding_a_base_and_its_overlays_share_is_one_line_naming_them() -> None:
    targets = ("base", "overlays/prod", "overlays/dev")
    result = ControlResult(control(), [TargetResult(t, "fail", findings=[finding(t)]) for t in targets])
    absent = ControlResult(control("KZ-AUD-01"), [TargetResult(t, "not_applicable", reason="no Terraform")
                                                  for t in targets])
    text = TextReporter().render(report_of(result, absent, targets=targets))
    lines = [line for line in text.splitlines() if FINDING_LINE.match(line)]
    assert lines == ["base/workload.yaml:7: KZ-TEN-05 high Deployment/tenant-acme/agent: is privileged "
                     "[3 targets: base, overlays/prod, overlays/dev]"]
    assert text.count("KZ-AUD-01") == 1 and "  KZ-AUD-01: no Terraform\n" in text  # a reason they share: once


def test_a_control_that_could_not_be_evaluated_is_as_visible_as_a_failure() -> None:
    broken = ControlResult(control("KZ-SUP-01", "critical"),
                           [TargetResult("cell", "error", reason="the engine stopped: rego_type_error")])
    failing = ControlResult(control(), [TargetResult("cell", "fail", findings=[finding("cell")])])
    for reporter in (TextReporter(), TextReporter(quiet=True)):
        lines = reporter.render(report_of(failing, broken)).splitlines()
        assert lines[0] == "cell: KZ-SUP-01 critical error: could not evaluate: the engine stopped: rego_type_error"
        assert FINDING_LINE.match(lines[1])


def test_a_waived_finding_stays_visible_marked_and_counted() -> None:
    waiver = {"by": "security@kaze.io", "reason": "replaced in 1.5", "until": "2999-01-01"}
    result = ControlResult(control(), [TargetResult("cell", "waived", findings=[finding("cell", waiver=waiver)])])
    lines = TextReporter().render(report_of(result)).splitlines()
    assert "base/workload.yaml:7: KZ-TEN-05 high Deployment/tenant-acme/agent: is privileged " \
           "(waived by security@kaze.io until 2999-01-01: replaced in 1.5)" in lines
    assert "1 controls: 0 pass, 0 fail, 0 error, 1 waived, 0 not applicable; 0 findings, 1 waived" in lines
    assert TextReporter(quiet=True).render(report_of(result)) == ""  # not a failure


def test_a_long_message_is_one_line_and_what_the_input_holds_is_shown_not_obeyed() -> None:
    hostile = finding("cell", name="agent\n\x1b[2J\x1b]0;pwned\x07", message="x " * 300)
    result = ControlResult(control(), [TargetResult("cell", "fail", findings=[hostile])])
    text = TextReporter().render(report_of(result))
    first = text.splitlines()[0]
    assert FINDING_LINE.match(first) and len(first) > 600, first  # never wrapped, whatever the width
    assert "\x1b" not in text and "\x07" not in text and "agent\\x0a\\x1b[2J\\x1b]0;pwned\\x07:" in first
    assert all(line == line.rstrip() for line in text.splitlines())


def test_quiet_prints_only_the_failures() -> None:
    result = run_cli("scan", str(FAILING.relative_to(ROOT)), "--quiet", "--no-progress",
                     "--control", "KZ-TEN-05", "--control", "KZ-TEN-01")
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines and all(FINDING_LINE.match(line) for line in lines), result.stdout
    assert {FINDING_LINE.match(line)["id"] for line in lines} == {"KZ-TEN-05"}  # KZ-TEN-01 passes


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_no_color_is_honoured_when_set_to_anything_but_empty() -> None:
    assert use_color(_Tty(), {}) and use_color(_Tty(), {"NO_COLOR": ""})
    assert not use_color(_Tty(), {"NO_COLOR": "1"}) and not use_color(_Tty(), {"NO_COLOR": "false"})
    assert not use_color(io.StringIO(), {}) and not use_color(_Tty(), {"TERM": "dumb"})


def test_a_terminal_gets_colour_unless_no_color() -> None:
    """Through a real terminal (a pty), as a person sees it."""
    import pty

    def on_a_terminal(env: dict[str, str]) -> str:
        main_fd, child_fd = pty.openpty()
        child = subprocess.Popen([sys.executable, "-m", "kaze_policy.cli", "scan", str(FAILING), "--no-progress",
                                  "--control", "KZ-TEN-05"], stdout=child_fd, stderr=subprocess.DEVNULL,
                                 stdin=subprocess.DEVNULL, cwd=ROOT, env={**os.environ, "TERM": "xterm", **env})
        os.close(child_fd)
        chunks = []
        while True:
            try:
                chunk = os.read(main_fd, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        os.close(main_fd)
        assert child.wait(timeout=60) == 1
        return b"".join(chunks).decode()

    environ = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    assert "\x1b[" in on_a_terminal({**environ, "NO_COLOR": ""})
    plain = on_a_terminal({"NO_COLOR": "1"})
    assert "\x1b[" not in plain and " KZ-TEN-05 high " in plain
