"""pytest plugin of a `make mutation` run: the functions a test reached through a subprocess;
the fastest tests first.

sitecustomize.py (beside this file) makes each subprocess of mutmut's stats run write the
functions it called into $KAZE_MUTATION_HITS; before mutmut files the test's own hits (its
pytest_runtest_teardown), this adds those of the subprocesses the test started.
"""

from __future__ import annotations

import os
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
    yield


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
