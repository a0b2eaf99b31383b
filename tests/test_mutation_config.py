"""`make mutation`'s configuration (tools/mutation/run.py) names what exists; no mutant is run here."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from tests.conftest import ROOT

RUNNER = ROOT / "tools" / "mutation" / "run.py"


def runner():
    spec = importlib.util.spec_from_file_location("mutation_run", RUNNER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_target_and_test_file_the_mutation_run_names_exists() -> None:
    run = runner()
    named = [*run.DEFAULT_TARGETS, *run.TESTS_BY_TARGET]
    named += [f for files in run.TESTS_BY_TARGET.values() for f in files]
    assert [p for p in named if not (ROOT / p).exists()] == []
    assert sorted(p.name for p in run.HOOKS.glob("*.py")) == ["kaze_mutation_hits.py", "sitecustomize.py"]


def test_every_module_of_the_default_targets_has_tests_to_run_its_mutants() -> None:
    run = runner()
    modules = [p.relative_to(ROOT).as_posix() for target in run.DEFAULT_TARGETS
               for p in ([ROOT / target] if target.endswith(".py") else (ROOT / target).rglob("*.py"))
               if p.name != "__init__.py"]
    assert [m for m in modules if not run.tests_for([m])] == []


def test_the_make_target_runs_the_mutation_runner() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^mutation:.*\n\t\$\(PY\) tools/mutation/run\.py ", makefile, re.M)
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    assert ".mutation/" in ignored and "reports/" in ignored


def test_an_unknown_target_is_refused(capsys) -> None:
    assert runner().main(["kaze_policy/nowhere.py"]) == 2
    assert "kaze_policy/nowhere.py is not a file or folder under kaze_policy/" in capsys.readouterr().err
