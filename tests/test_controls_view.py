"""`kaze-policy controls`: the catalog at 80 columns, and one control in full with its examples."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kaze_policy.catalog import load_catalog
from kaze_policy.examples import control_examples
from kaze_policy.report.catalog_text import control_card
from tests.conftest import ROOT, run_cli

CATALOG = load_catalog()


def controls_at(columns: str | None, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    if columns is not None:
        env["COLUMNS"] = columns
    return subprocess.run([sys.executable, "-m", "kaze_policy.cli", "controls", *args], capture_output=True,
                          text=True, cwd=ROOT, env=env, timeout=60)


@pytest.mark.parametrize("columns", ["80", None], ids=["COLUMNS=80", "pipe"])
def test_the_list_fits_80_columns_without_splitting_a_word(columns: str | None) -> None:
    result = controls_at(columns)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert not [line for line in lines if line != line.rstrip()], "trailing spaces"
    words = set(re.split(r"[\s│┃|]+", result.stdout))
    for control in CATALOG.controls:
        assert control.id in words and control.severity in words
        assert set(control.scopes) <= words, control.id
        split = [w for w in control.title.split() if w not in words]
        assert split == [], f"{control.id}: words split across lines: {split}"


def test_one_control_in_full() -> None:
    result = controls_at("80", "KZ-TEN-03")
    assert result.returncode == 0, result.stderr
    control = CATALOG.by_id()["KZ-TEN-03"]
    text = " ".join(result.stdout.split())
    for part in (control.title, control.description, control.remediation, "Scopes: iac, cluster"):
        assert " ".join(part.split()) in text
    for name, ids in control.frameworks.items():
        assert f"{name}: {' '.join(ids)}" in text
    fail = re.search(r"^Failing example: fail/(\S+)$", result.stdout, re.M)
    passing = re.search(r"^Passing example: pass/(\S+)$", result.stdout, re.M)
    assert fail and passing, result.stdout
    # The excerpt is the case's own input: a NetworkPolicy of that very case.
    case = ROOT / "fixtures" / "KZ-TEN-03" / "fail" / fail.group(1)
    excerpt = result.stdout[fail.end():passing.start()]
    assert "--- network-policies.yaml" in excerpt and "kind: NetworkPolicy" in excerpt
    after = excerpt.split("--- network-policies.yaml\n", 1)[1]
    shown = [line.strip() for line in after.splitlines()[:6] if not line.startswith("  …")]
    assert all(line in (case / "network-policies.yaml").read_text() for line in shown), shown
    assert max(len(line) for line in result.stdout.splitlines() if not line.startswith("    ")) <= 80


def test_one_control_as_json() -> None:
    result = run_cli("controls", "KZ-SUP-06", "--format", "json")
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["id"] == "KZ-SUP-06" and shown["description"] and shown["remediation"]
    assert [e["outcome"] for e in shown["examples"]] == ["fail", "pass"]
    assert any(line.startswith("FROM ") for line in shown["examples"][0]["excerpts"][0]["lines"])


def test_an_unknown_id_is_one_line_and_exit_2() -> None:
    result = run_cli("controls", "KZ-TEN-99")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "KZ-TEN-99" in result.stderr


def test_without_fixtures_the_card_says_so_in_one_line(tmp_path: Path) -> None:
    control = CATALOG.by_id()["KZ-TEN-03"]
    examples = control_examples(control.id, tmp_path)
    assert examples is None
    card = control_card(control, examples, 80)
    assert [line for line in card.splitlines() if "fixtures" in line] == [
        "Examples: no fixtures/KZ-TEN-03 here (they are in the source repository, not in an installed package)."]
    assert "Remediation" in card


def test_every_control_has_a_failing_and_a_passing_example_with_an_excerpt() -> None:
    for control in CATALOG.controls:
        examples = control_examples(control.id)
        assert examples is not None and [e.outcome for e in examples] == ["fail", "pass"], control.id
        for example in examples:
            assert example.reason, f"{example.case}: expect.yaml gives no reason"
            assert example.excerpts and all(x.lines for x in example.excerpts), example.case
