"""The progress of a scan: each real phase (reading, rendering, analysing, evaluating) with
its count, on stderr, and only when stderr is a terminal."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kaze_policy.catalog import load_catalog
from kaze_policy.scan import PHASES, ScanOptions, run_scan
from tests.conftest import ROOT, run_cli

CASE = ROOT / "fixtures" / "KZ-TEN-03" / "fail" / "ingress-rule-without-from"


def test_the_callback_is_told_each_phase_with_its_count(tmp_path: Path, kustomize: str) -> None:
    app, plain = tmp_path / "app", tmp_path / "plain"
    app.mkdir(), plain.mkdir()
    namespace = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {}\n  labels: {{kaze.io/plane: shared}}\n"
    (app / "ns.yaml").write_text(namespace.format("app"))
    (app / "kustomization.yaml").write_text("resources:\n- ns.yaml\n")
    for name in ("a", "b", "c"):
        (plain / f"{name}.yaml").write_text(namespace.format(name))
    calls: list[tuple[str, int, int]] = []
    run_scan(ScanOptions(paths=[str(app), str(plain)], controls=["KZ-TEN-01", "KZ-TEN-02"]), load_catalog(),
             lambda phase, done, total: calls.append((phase, done, total)))
    last = {phase: (done, total) for phase, done, total in calls}
    assert last == {"reading": (3, 3), "rendering": (1, 1), "analysing": (2, 2), "evaluating": (4, 4)}
    assert [p for p in dict.fromkeys(phase for phase, _, _ in calls)] == list(PHASES)
    for phase in PHASES:
        counts = [done for p, done, _ in calls if p == phase]
        assert counts[0] == 0 and counts == sorted(counts), phase  # from nothing, never backwards
    assert calls.index(("evaluating", 0, 4)) > calls.index(("analysing", 2, 2)), "evaluation starts after loading"


def test_on_a_terminal_stderr_shows_the_phases_with_counts() -> None:
    master, slave = pty.openpty()
    try:
        scan = subprocess.Popen([sys.executable, "-m", "kaze_policy.cli", "scan", str(CASE), "--control",
                                 "KZ-TEN-03", "--format", "json"], stdout=subprocess.PIPE, stderr=slave, cwd=ROOT,
                                env=dict(os.environ, COLUMNS="100", TERM="xterm"))
    finally:
        os.close(slave)
    shown = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the scan closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    os.close(master)
    scan.communicate(timeout=60)
    assert scan.returncode == 1
    text = shown.decode(errors="replace")
    assert re.search(r"reading files\s.*4/4", text), text
    assert re.search(r"analysing targets\s.*1/1", text), text
    assert re.search(r"evaluating checks\s.*1/1", text), text


@pytest.mark.parametrize("flag", [[], ["--progress"]], ids=["default", "--progress"])
def test_on_a_pipe_stderr_stays_empty(flag: list[str]) -> None:
    result = run_cli("scan", str(CASE), "--control", "KZ-TEN-03", "--format", "json", *flag)
    assert result.returncode == 1 and result.stderr == ""
