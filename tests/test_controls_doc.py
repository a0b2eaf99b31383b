"""docs/controls.md: generated from the catalog, committed, and the target of every SARIF helpUri."""

from __future__ import annotations

import difflib
import json
import re
from urllib.parse import unquote

import pytest

from kaze_policy.catalog import load_catalog
from kaze_policy.report.controls_doc import controls_markdown
from kaze_policy.report.sarif import SarifReporter
from kaze_policy.results import ControlResult, ScanReport
from tests.conftest import ROOT

CATALOG = load_catalog()
DOC = ROOT / "docs" / "controls.md"
DOC_URL = "https://github.com/kaze-platform/kaze-policy/blob/main/docs/controls.md#"


def _outside_fences(markdown: str) -> str:
    """The page without its fenced code: a `# comment` in a fixture is no heading."""
    return re.sub(r"^(`{3,})\w*$.*?^\1$", "", markdown, flags=re.M | re.S)


def _github_anchors(markdown: str) -> set[str]:
    """The anchors GitHub gives the page's headings (github-slugger): the rendered text (escapes
    undone) in lower case, all but letters, digits, `_`, `-` and spaces dropped, spaces as `-`,
    and `-1`, `-2` … after a repeated one."""
    anchors: set[str] = set()
    for heading in re.findall(r"^#{1,6} (.+)$", _outside_fences(markdown), re.M):
        rendered = re.sub(r"\\(.)", r"\1", heading).strip().lower()
        slug = re.sub(r"[^\w\- ]", "", rendered).replace(" ", "-")
        unique, n = slug, 0
        while unique in anchors:
            n += 1
            unique = f"{slug}-{n}"
        anchors.add(unique)
    return anchors


def test_committed_page_is_a_fresh_generation() -> None:
    fresh = controls_markdown(CATALOG)
    committed = DOC.read_text(encoding="utf-8") if DOC.is_file() else ""
    if committed != fresh:
        diff = "".join(list(difflib.unified_diff(committed.splitlines(True), fresh.splitlines(True),
                                                 "docs/controls.md (committed)", "generated"))[:40])
        pytest.fail(f"docs/controls.md differs from the catalog and fixtures: run `make docs`\n{diff}", pytrace=False)


def test_every_sarif_help_uri_names_a_heading_of_the_page() -> None:
    report = ScanReport(results=[ControlResult(c) for c in CATALOG.controls], targets=[], engine="embedded",
                        tool_version="test")
    rules = json.loads(SarifReporter().render(report))["runs"][0]["tool"]["driver"]["rules"]
    anchors = _github_anchors(DOC.read_text(encoding="utf-8"))
    assert len(rules) == len(CATALOG.controls)
    for rule in rules:
        assert rule["helpUri"].startswith(DOC_URL), rule["helpUri"]
        assert unquote(rule["helpUri"].removeprefix(DOC_URL)) in anchors, f"{rule['id']}: no such heading"


def test_each_control_has_its_section_with_both_examples() -> None:
    page = _outside_fences(controls_markdown(CATALOG))
    sections = re.split(r"^## ", page, flags=re.M)[1:]
    by_id = {section.split(":", 1)[0]: section for section in sections}
    assert list(by_id) == sorted(c.id for c in CATALOG.controls)
    for control in CATALOG.controls:
        section = by_id[control.id]
        assert f"- **Severity:** {control.severity}" in section
        for outcome in ("fail", "pass"):
            first = sorted(p.name for p in (ROOT / "fixtures" / control.id / outcome).iterdir()
                           if (p / "expect.yaml").is_file())[0]
            assert f"fixtures/{control.id}/{outcome}/{first}" in section, f"{control.id}: no {outcome} example"


def test_families_are_headings_in_id_order() -> None:
    page = _outside_fences(controls_markdown(CATALOG))
    families = re.findall(r"^# .+ \((KZ-[A-Z]{3})\)$", page, re.M)
    assert families == sorted({c.id.rsplit("-", 1)[0] for c in CATALOG.controls})
