"""The mutation suite: every mutation of the shipped stack must be caught by the control it names.

The kill rate over all mutations is printed (run with -s, or see the captured output); a
mutation whose control is not written yet counts as not caught.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kaze_policy.catalog import load_catalog
from tests.conftest import INFRA
from tests.mutation.harness import MaterializedStack, render_report, run_mutations
from tests.mutation.mutations import MUTATIONS


def test_at_least_three_mutations_per_family() -> None:
    families: dict[str, int] = {}
    for mutation in MUTATIONS:
        families[mutation.family] = families.get(mutation.family, 0) + 1
    assert set(families) == {"TEN", "EGR", "MTL", "SUP", "SOD", "SEC", "AUD", "POR"}
    thin = {f: n for f, n in families.items() if n < 3}
    assert thin == {}, f"families with fewer than three mutations: {thin}"


def test_mutations_are_caught(tmp_path: Path, kustomize: str, capsys: pytest.CaptureFixture[str]) -> None:
    catalog = load_catalog()
    stack = MaterializedStack(INFRA, tmp_path / "stack")
    outcomes = run_mutations(stack, MUTATIONS, catalog, tmp_path / "mutants")
    report = render_report(outcomes)
    with capsys.disabled():
        print("\n" + report)
    missed = [o.mutation.name for o in outcomes if not o.killed]
    assert missed == [], report
