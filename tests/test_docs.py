"""The repository is its own documentation: every control's `reference` links to a heading of
a file in it, and no file cites a document that lies beside the checkout."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from kaze_policy.catalog import load_catalog
from tests.conftest import ROOT

CATALOG = load_catalog()
# Names of documents outside the repository: the shared folder beside the checkout and the
# architecture text the requirements were first taken from (`../shared-sboms`, a name the
# tests give a folder, is none of them).
OUTSIDE = re.compile(rb"\.\./shared(?![\w-])|shared/reference|kaze-infrastructure-and-deployment|DESIGN\.md")
# Files that may name the shared folder, and why: this test spells the names out, and the
# suite's optional cross-checks read the catalog's contract and a CycloneDX corpus from it
# (skipped where it is absent). They read it; they do not send a reader there.
MAY_NAME_OUTSIDE = {"tests/test_docs.py", "tests/conftest.py", "tests/test_catalog.py", "tests/test_sbom.py"}


def _anchor(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading: lower case, punctuation dropped, spaces to -."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    text = path.read_text(encoding="utf-8")
    return {_anchor(m) for m in re.findall(r"^#{1,6} (.+)$", text, re.M)}


@pytest.mark.parametrize("control", CATALOG.controls, ids=lambda c: c.id)
def test_reference_names_a_heading_in_the_repository(control) -> None:
    links = [link.strip() for link in control.reference.split(";")]
    assert links and all(links), f"{control.id}: no reference"
    for link in links:
        file, _, anchor = link.partition("#")
        target = ROOT / file
        assert target.is_file() and target.resolve().is_relative_to(ROOT), f"{control.id}: {file} not in the repository"
        assert anchor in _anchors(target), f"{control.id}: {file} has no heading #{anchor}"


def test_no_file_cites_a_document_outside_the_repository() -> None:
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    citing = []
    for name in filter(None, listed):
        path = ROOT / name
        if name in MAY_NAME_OUTSIDE or path.is_symlink() or not path.is_file():
            continue
        citing += [f"{name}: {m.group().decode()}" for m in OUTSIDE.finditer(path.read_bytes())]
    assert citing == []
