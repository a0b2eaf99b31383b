"""The hostile corpus (issue 9): every fixtures/bad-input/<case>/ gives its exit code and its one
line, within a memory and a time limit, opening nothing outside its copy and starting no program
but kustomize (the format is in fixtures/bad-input/README.md, the guard in tests/corpus_guard.py).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import FIXTURES, ROOT

BAD_INPUT = FIXTURES / "bad-input"
GUARD = Path(__file__).with_name("corpus_guard.py")
MEMORY_LIMIT = 512 * 1024 * 1024  # RLIMIT_DATA of the CLI and of the kustomize it starts
TIME_LIMIT = 30.0  # seconds for one case; a case takes 1-2 s
WORKERS = min(2, os.cpu_count() or 1)  # cases run two at a time: most of a case is the CLI starting
CASE_KEYS = {"why", "args", "exit", "stderr", "stdout", "env"}


@dataclass
class Outcome:
    exit: int
    stdout: str
    stderr: str
    violations: list[str]
    memory_limit: int
    before: set[str]  # the files of the copy before the scan, and after
    after: set[str]
    timed_out: bool = False


def cases() -> list[Path]:
    return sorted(p.parent for p in BAD_INPUT.glob("*/case.yaml"))


def load_case(case: Path) -> dict[str, Any]:
    spec = yaml.safe_load((case / "case.yaml").read_text(encoding="utf-8"))
    assert isinstance(spec, dict) and not set(spec) - CASE_KEYS, f"{case}/case.yaml: keys {sorted(CASE_KEYS)} only"
    assert spec.get("why") and isinstance(spec.get("args"), list) and isinstance(spec.get("exit"), int), \
        f"{case}/case.yaml needs why, args and exit"
    return spec


def files_of(folder: Path) -> set[str]:
    found = set()
    for here, dirs, files in os.walk(folder):
        found.update(os.path.relpath(os.path.join(here, name), folder) for name in dirs + files)
    return found


def run_case(case: Path, spec: dict[str, Any], scratch: Path) -> Outcome:
    """Copy the case, run its generate.py, then the CLI in the guard, from inside the copy."""
    copy, tmp, report = scratch / "case", scratch / "tmp", scratch / "guard.json"
    shutil.copytree(case, copy, symlinks=True, ignore=shutil.ignore_patterns("case.yaml", "generate.py"))
    tmp.mkdir()
    if (case / "generate.py").exists():
        subprocess.run([sys.executable, str(case / "generate.py")], cwd=copy, check=True, timeout=60)
    before = files_of(copy)
    env = {**os.environ, **{k: str(v) for k, v in (spec.get("env") or {}).items()},
           "PYTHONPATH": str(ROOT), "TMPDIR": str(tmp), "KAZE_GUARD_ALLOW": os.pathsep.join([str(copy), str(tmp)]),
           "KAZE_GUARD_MEMORY": str(MEMORY_LIMIT), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("KAZE_DEBUG", None)
    child = subprocess.Popen([sys.executable, str(GUARD), str(report), *map(str, spec["args"])], cwd=copy, env=env,
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             start_new_session=True)
    try:
        out, err = child.communicate(timeout=TIME_LIMIT)
        timed_out = False
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)  # kustomize too: it is in the child's session
        out, err = child.communicate()
        timed_out = True
    guard = json.loads(report.read_text()) if report.exists() else {"violations": ["no guard report"], "memory_limit": 0}
    return Outcome(child.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"),
                   guard["violations"], guard["memory_limit"], before, files_of(copy), timed_out)


def check(spec: dict[str, Any], outcome: Outcome) -> None:
    """What every case must show: its exit code and line, no traceback, nothing outside, no report."""
    assert not outcome.timed_out, f"still running after {TIME_LIMIT} s"
    shown = f"exit {outcome.exit}\nstderr: {outcome.stderr[-2000:]}\nstdout: {outcome.stdout[:500]}"
    assert outcome.violations == [], f"opened or started outside the case: {outcome.violations}"
    assert outcome.memory_limit == MEMORY_LIMIT
    assert "Traceback" not in outcome.stderr, shown
    assert outcome.exit == spec["exit"], shown
    lines = outcome.stderr.splitlines()
    if spec.get("stderr") is None:
        assert lines == [], shown
    else:
        assert len(lines) == 1 and spec["stderr"] in lines[0], shown
    if spec.get("stdout") is not None:
        assert spec["stdout"] in outcome.stdout, shown
    if outcome.exit >= 2:
        assert outcome.stdout == "", "a report on stdout after an error"
        assert outcome.after == outcome.before, f"left behind: {sorted(outcome.after - outcome.before)}"


@pytest.fixture(scope="session")
def corpus_outcomes(request: pytest.FixtureRequest,
                    tmp_path_factory: pytest.TempPathFactory) -> dict[Path, Outcome | BaseException]:
    """The outcome (or the error) of every selected case, WORKERS cases at a time."""
    selected = sorted({item.callspec.params["case"] for item in request.session.items
                       if item.originalname == "test_hostile_case" and hasattr(item, "callspec")})

    def outcome(case: Path) -> Outcome | BaseException:
        try:
            return run_case(case, load_case(case), tmp_path_factory.mktemp(case.name))
        except BaseException as err:  # noqa: BLE001 - reported by the case's own test
            return err

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return dict(zip(selected, pool.map(outcome, selected)))


@pytest.mark.parametrize("case", cases(), ids=lambda case: case.name)
def test_hostile_case(case: Path, corpus_outcomes: dict[Path, Outcome | BaseException]) -> None:
    outcome = corpus_outcomes[case]
    if isinstance(outcome, BaseException):
        raise outcome
    check(load_case(case), outcome)


def test_the_readme_lists_every_case_and_only_those() -> None:
    """The README's table is the list of holes the corpus proves closed: a case dropped from
    the folder, or added without saying which hole it proves, fails here."""
    listed = re.findall(r"^\| ([a-z0-9-]+) \|", (BAD_INPUT / "README.md").read_text(), re.MULTILINE)
    assert len(listed) == len(set(listed)), "a case is listed twice"
    assert set(listed) - {"case"} == {case.name for case in cases()}


# The guard itself: a case that does leave its copy must be caught, else the corpus proves nothing.

def _case(tmp_path: Path, files: dict[str, str], spec: dict[str, Any]) -> Path:
    case = tmp_path / "built-case"
    case.mkdir()
    for name, text in files.items():
        (case / name).write_text(text)
    (case / "case.yaml").write_text(yaml.safe_dump(spec))
    return case


NAMESPACE = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: plain\n"


def test_the_guard_catches_a_file_opened_outside_the_case(tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text(NAMESPACE)
    spec = {"why": "opens a file outside", "args": ["scan", str(outside), "--control", "KZ-TEN-01", "--format", "json"],
            "exit": 0}
    outcome = run_case(_case(tmp_path, {"ns.yaml": NAMESPACE}, spec), spec, tmp_path / "run")
    assert f"open: {outside}" in outcome.violations, outcome.violations
    with pytest.raises(AssertionError, match="outside the case"):
        check(spec, outcome)


def test_the_guard_catches_a_program_other_than_kustomize(tmp_path: Path) -> None:
    # The opa engine starts its server: here /bin/false, which fails at once (exit 3).
    spec = {"why": "starts a program", "args": ["scan", "ns.yaml", "--engine", "opa", "--control", "KZ-TEN-01"],
            "exit": 3, "stderr": "opa server exited at start", "env": {"KAZE_OPA": "/bin/false"}}
    outcome = run_case(_case(tmp_path, {"ns.yaml": NAMESPACE}, spec), spec, tmp_path / "run")
    assert "subprocess.Popen: /bin/false" in outcome.violations, outcome.violations
    with pytest.raises(AssertionError, match="outside the case"):
        check(spec, outcome)


def test_the_guard_catches_a_connection(tmp_path: Path) -> None:
    spec = {"why": "connects", "args": ["scan", "ns.yaml", "--engine", "opa", "--opa-url", "http://127.0.0.1:9",
                                        "--control", "KZ-TEN-01"], "exit": 3}
    outcome = run_case(_case(tmp_path, {"ns.yaml": NAMESPACE}, spec), spec, tmp_path / "run")
    assert any(v.startswith("socket.connect: ") for v in outcome.violations), outcome.violations


def test_a_clean_scan_passes_the_guard(tmp_path: Path) -> None:
    """The other side: a plain scan, kustomize included, opens nothing it should not."""
    spec = {"why": "a clean scan", "args": ["scan", ".", "--control", "KZ-TEN-01", "--format", "json"],
            "exit": 1, "stdout": '"kind": "kustomize"'}  # KZ-TEN-01 fails on a Namespace without its labels
    case = _case(tmp_path, {"ns.yaml": NAMESPACE, "kustomization.yaml": "resources:\n- ns.yaml\n"}, spec)
    check(spec, run_case(case, spec, tmp_path / "run"))
