"""pytest plugin of a `make mutation` run: the functions a test reached through a subprocess,
kept for the test files mapped to their module; the fastest tests first.

sitecustomize.py (beside this file) makes each subprocess of mutmut's stats run write the
functions it called into $KAZE_MUTATION_HITS; before mutmut files the test's own hits (its
pytest_runtest_teardown), this adds those of the subprocesses the test started, and keeps only
the functions of modules whose tests (tests_by_module() of tools/mutation/run.py, in the file
$KAZE_MUTATION_TESTS_BY_MODULE) include the test's file.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import pytest


def pytest_configure(config: Any) -> None:
    os.environ["KAZE_MUTATION_PARENT"] = str(os.getpid())


def pytest_collection_modifyitems(items: list[Any]) -> None:
    """With a mutant, the fastest tests first: a killed mutant stops at its first failing test."""
    mutant = os.environ.get("MUTANT_UNDER_TEST", "")
    if mutant and mutant not in ("stats", "fail", "mutant_generation"):
        _forget_cached_results()
        from mutmut.state import state
        durations = state().duration_by_test
        items.sort(key=lambda item: durations.get(item.nodeid, float("inf")))


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_teardown(item: Any, nextitem: Any):
    folder = os.environ.get("KAZE_MUTATION_HITS")
    if folder and os.environ.get("MUTANT_UNDER_TEST") == "stats":
        from mutmut.state import state
        for dump in Path(folder).glob("*.hits"):
            state()._stats.update(line for line in dump.read_text(encoding="utf-8").splitlines() if line)
            dump.unlink()
        test_file = item.nodeid.removeprefix("mutants/").split("::", 1)[0]
        state()._stats.intersection_update(f for f in state()._stats if _mapped(_module_of(f), test_file))
    yield


def _module_of(function: str) -> str:
    """The module of mutmut's name of a function (`kaze_policy.analysis.netpol.xǁ_Modelǁgrants`),
    as a path without `.py` (`kaze_policy/analysis/netpol`)."""
    return function.rpartition(".")[0].replace(".", "/")


@cache
def _mapped(module: str, test_file: str) -> bool:
    """Whether `test_file` is one of `module`'s tests (tests_by_module() of run.py; a module it
    does not name, or no file given, keeps every test).

    A test that reaches a module through the CLI (a scan runs every analyzer) is not one of its
    tests: mapped to it, each survivor of the module would run that test too, for minutes,
    where the module's own tests pin it in seconds."""
    tests = _tests_by_module().get(module)
    return tests is None or test_file in tests


@cache
def _tests_by_module() -> dict[str, list[str]]:
    path = os.environ.get("KAZE_MUTATION_TESTS_BY_MODULE")
    return json.loads(Path(path).read_text(encoding="utf-8")) if path else {}


def _forget_cached_results() -> None:
    """Empty the package's function caches (functools.lru_cache / cache) before a mutant's tests.

    mutmut forks each mutant from a process that already ran the tests: a cache filled there
    holds the original code's answers, so a mutant of a function reached only through a cached
    one would run nowhere and survive (it did, in analysis/allowlist.py)."""
    import sys

    for name, module in list(sys.modules.items()):
        if module is None or not (name == "kaze_policy" or name.startswith("kaze_policy.")):
            continue
        for value in list(vars(module).values()):
            clear = getattr(value, "cache_clear", None)
            if callable(clear):
                clear()
