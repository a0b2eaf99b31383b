"""Honest exit codes (issue 9): one line on stderr, never a traceback but with --debug.

2 for bad input or usage (a file name that is not UTF-8, a KAZE_KUSTOMIZE that is not a
program, a FIFO that kustomize would wait on), 3 for what stopped the scanner itself.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli

NAMESPACE = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n"


def one_line(result: subprocess.CompletedProcess, code: int, *words: str) -> str:
    """The one stderr line of a failed run, checked for its exit code and its words."""
    shown = f"exit {result.returncode}\n{result.stderr[-3000:]}"
    assert result.returncode == code, shown
    assert "Traceback" not in result.stderr, shown
    lines = result.stderr.splitlines()
    assert len(lines) == 1, shown
    assert all(word in lines[0] for word in words), shown
    return lines[0]


# An internal error: the CLI with one module function replaced by a failing one.

FAULTY_CLI = """
import sys
import importlib
module, name, error = sys.argv[1:4]
def fail(*args, **kwargs):
    raise eval(error)
setattr(importlib.import_module(module), name, fail)
from kaze_policy.cli import main
main(args=sys.argv[4:], prog_name="kaze-policy")
"""


def faulty_cli(module: str, name: str, error: str, *args: str, cwd: Path,
               env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", FAULTY_CLI, module, name, error, *args], capture_output=True,
                          text=True, cwd=cwd, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})


def test_an_internal_error_is_one_line_and_exit_3(tmp_path: Path) -> None:
    (tmp_path / "ns.yaml").write_text(NAMESPACE.format(name="a"))
    result = faulty_cli("kaze_policy.scan", "run_scan", "KeyError('first\\nsecond')", "scan", "ns.yaml",
                        "--format", "json", cwd=tmp_path)
    line = one_line(result, 3, "internal error: KeyError", "run with --debug for the traceback")
    assert result.stdout == "" and line.startswith("kaze-policy: ")


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    (tmp_path / "ns.yaml").write_text(NAMESPACE.format(name="a"))
    for debug_args, env in ((["--debug"], {}), ([], {"KAZE_DEBUG": "1"})):
        result = faulty_cli("kaze_policy.scan", "run_scan", "KeyError('boom')", *debug_args, "scan", "ns.yaml",
                            cwd=tmp_path, env=env)
        assert result.returncode != 0 and "Traceback" in result.stderr and "KeyError: 'boom'" in result.stderr


def test_memory_error_is_one_line_naming_the_file_being_read(tmp_path: Path) -> None:
    (tmp_path / "big.yaml").write_text(NAMESPACE.format(name="a"))
    result = faulty_cli("kaze_policy.sources.load", "load_manifest", "MemoryError()", "scan", "big.yaml",
                        "--format", "json", cwd=tmp_path)
    one_line(result, 3, "out of memory", "big.yaml", "--debug")


def test_a_usage_error_is_one_line() -> None:
    one_line(run_cli("scan", "--no-such-option", "x"), 2, "No such option", "--help")
    one_line(run_cli("--no-such-option"), 2, "No such option")
    alone = run_cli()  # the command alone shows its help, as click has it
    assert "Usage:" in alone.stdout + alone.stderr and "kaze-policy: error" not in alone.stderr


# KAZE_KUSTOMIZE that is not a program: the environment is at fault, exit 2.

def _kustomize_target(tmp_path: Path) -> Path:
    app = tmp_path / "app"
    app.mkdir()
    (app / "ns.yaml").write_text(NAMESPACE.format(name="a"))
    (app / "kustomization.yaml").write_text("resources:\n- ns.yaml\n")
    return app


def _not_a_program(tmp_path: Path, kind: str) -> Path:
    path = tmp_path / f"kustomize-{kind}"
    if kind == "folder":
        path.mkdir()
    elif kind == "not-executable":
        path.write_text("#!/bin/sh\necho\n")
    elif kind == "no-shebang":
        path.write_text("apiVersion: v1\n")
        path.chmod(0o755)
    return path  # "missing": nothing there


@pytest.mark.parametrize("kind, why", [("folder", "a folder"), ("not-executable", "not executable"),
                                       ("no-shebang", "not a program"), ("missing", "no such file")])
def test_a_kustomize_that_is_not_a_program_is_bad_usage(tmp_path: Path, kind: str, why: str) -> None:
    fake = _not_a_program(tmp_path, kind)
    result = subprocess.run([sys.executable, "-m", "kaze_policy.cli", "scan", str(_kustomize_target(tmp_path)),
                             "--format", "json", "--no-progress"], capture_output=True, text=True, cwd=ROOT,
                            timeout=60, env={**os.environ, "KAZE_KUSTOMIZE": str(fake)})
    one_line(result, 2, str(fake), "KAZE_KUSTOMIZE", why)


# File names that are not UTF-8: bad input, the name shown with its bytes escaped.

def _non_utf8(tmp_path: Path) -> tuple[Path, bytes]:
    folder = tmp_path / "manifests"
    folder.mkdir()
    (folder / "ns.yaml").write_text(NAMESPACE.format(name="a"))
    name = os.fsencode(folder) + b"/\xff.yaml"
    with open(name, "wb") as handle:
        handle.write(NAMESPACE.format(name="b").encode())
    return folder, name


def test_a_file_name_that_is_not_utf8_in_a_folder_is_bad_input(tmp_path: Path) -> None:
    folder, _ = _non_utf8(tmp_path)
    one_line(run_cli("scan", str(folder), "--format", "json", "--no-progress"), 2,
             f"{folder}/\\xff.yaml: ", "not UTF-8")


def test_a_file_name_that_is_not_utf8_on_the_command_line_is_bad_input(tmp_path: Path) -> None:
    folder, name = _non_utf8(tmp_path)
    result = subprocess.run([sys.executable, "-m", "kaze_policy.cli", "scan", name, "--format", "json"],
                            capture_output=True, text=True, cwd=ROOT, timeout=60)
    one_line(result, 2, f"{folder}/\\xff.yaml: ", "not UTF-8")


def test_an_excluded_file_name_that_is_not_utf8_is_reported_escaped(tmp_path: Path) -> None:
    folder, _ = _non_utf8(tmp_path)
    result = subprocess.run([sys.executable, "-m", "kaze_policy.cli", "scan", str(folder), "--exclude", b"\xff.yaml",
                             "--control", "KZ-TEN-01", "--format", "json", "--no-progress"],
                            capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode in (0, 1), result.stderr
    skipped = json.loads(result.stdout)["skipped"]
    assert skipped == [{"path": f"{folder}/\\xff.yaml", "reason": "excluded by --exclude '\\xff.yaml'"}]


# Special files that kustomize would open: refused before it runs, never waited on.

def test_a_fifo_in_a_kustomization_is_bad_input_without_waiting(tmp_path: Path, kustomize: str) -> None:
    app = _kustomize_target(tmp_path)
    os.mkfifo(app / "pipe.yaml")
    (app / "kustomization.yaml").write_text("resources:\n- ns.yaml\n- pipe.yaml\n")
    result = run_cli("scan", str(app), "--format", "json", "--no-progress", timeout=30)
    one_line(result, 2, str(app / "pipe.yaml"), "a FIFO", "kustomization")


@pytest.mark.skipif(os.geteuid() != 0, reason="making a device node takes root")
def test_a_device_in_a_kustomization_is_bad_input(tmp_path: Path, kustomize: str) -> None:
    # A link to /dev/zero is refused by kustomize's load restrictor (outside the tree); a
    # device node inside the tree is not, and kustomize would read it until memory runs out.
    app = _kustomize_target(tmp_path)
    (app / "sub").mkdir()
    os.mknod(app / "sub" / "zero", stat.S_IFCHR | 0o644, os.makedev(1, 5))  # /dev/zero's numbers
    (app / "kustomization.yaml").write_text(
        "resources:\n- ns.yaml\nconfigMapGenerator:\n- name: z\n  files:\n  - sub/zero\n")
    result = run_cli("scan", str(app), "--format", "json", "--no-progress", timeout=30)
    one_line(result, 2, str(app / "sub" / "zero"), "a character device", "kustomization")
