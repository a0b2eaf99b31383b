"""A control's examples, taken from its fixtures: fixtures/<ID>/{fail,pass}/<case>.

Each case holds the inputs of one scan and an expect.yaml that says why it fails or passes.
The YAML documents (or whole files, for other formats) a case shares with another case of
the same control are its context (the namespaces, the workloads, a default-deny policy);
the others are what the case is about, so those are the ones shown, without their comments
(the reason says it), and the case shown is the one whose own part is the shortest.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kaze_policy.tools import PROJECT_ROOT

FIXTURES = PROJECT_ROOT / "fixtures"
OUTCOMES = ("fail", "pass")
EXPECT = "expect.yaml"
EXCERPT_LINES = 14  # per file: a screen shows the rationale and both examples
EXCERPT_FILES = 2


@dataclass(frozen=True)
class Excerpt:
    file: str  # relative to the case folder
    lines: list[str]
    more: int  # lines of the file left out


@dataclass(frozen=True)
class Example:
    outcome: str  # fail or pass
    case: Path
    reason: str
    excerpts: list[Excerpt]

    def to_json(self) -> dict[str, Any]:
        return {"outcome": self.outcome, "case": str(self.case), "reason": self.reason,
                "excerpts": [{"file": x.file, "lines": x.lines, "more": x.more} for x in self.excerpts]}


def control_examples(control_id: str, fixtures: Path = FIXTURES) -> list[Example] | None:
    """A failing and a passing example of the control; None when its fixtures are not here
    (an installed package ships no fixtures), [] for an outcome with no case."""
    folder = fixtures / control_id
    if not folder.is_dir():
        return None
    cases = {outcome: _cases(folder / outcome) for outcome in OUTCOMES}
    shared = _shared_contents(cases)
    examples = []
    for outcome in OUTCOMES:
        if cases[outcome]:
            examples.append(_example(outcome, cases[outcome], shared))
    return examples


def _cases(folder: Path) -> dict[Path, list[Path]]:
    """Each case folder with its input files (expect.yaml is not an input)."""
    if not folder.is_dir():
        return {}
    return {case: sorted(p for p in case.rglob("*") if p.is_file() and p.name != EXPECT)
            for case in sorted(folder.iterdir()) if (case / EXPECT).is_file()}


def _chunks(path: Path) -> list[tuple[str, ...]]:
    """The file's YAML documents (a file of another format is one), without comment or
    blank lines: two cases that differ only in their comments share the document."""
    chunks: list[tuple[str, ...]] = [()]
    yaml_file = path.suffix in (".yaml", ".yml")
    for line in _text(path).splitlines():
        if yaml_file and line.rstrip() == "---":
            chunks.append(())
        elif line.strip() and not line.lstrip().startswith("#"):
            chunks[-1] += (line.rstrip(),)
    return [chunk for chunk in chunks if chunk]


def _shared_contents(cases: dict[str, dict[Path, list[Path]]]) -> set[tuple[str, ...]]:
    """The documents that appear in more than one case of the control."""
    seen: dict[tuple[str, ...], int] = {}
    for by_case in cases.values():
        for files in by_case.values():
            for chunk in {chunk for f in files for chunk in _chunks(f)}:
                seen[chunk] = seen.get(chunk, 0) + 1
    return {chunk for chunk, count in seen.items() if count > 1}


def _own(files: list[Path], shared: set[tuple[str, ...]]) -> list[tuple[Path, list[str]]]:
    """Each file with its own documents, joined by `---`; all of them when nothing is its own."""
    owned = [(f, [chunk for chunk in _chunks(f) if chunk not in shared]) for f in files]
    owned = [(f, chunks) for f, chunks in owned if chunks] or [(f, _chunks(f)) for f in files]
    return [(f, _joined(chunks)) for f, chunks in owned]


def _joined(chunks: list[tuple[str, ...]]) -> list[str]:
    return [line for i, chunk in enumerate(chunks) for line in ((["---"] if i else []) + list(chunk))]


def _example(outcome: str, by_case: dict[Path, list[Path]], shared: set[tuple[str, ...]]) -> Example:
    owned = {case: _own(files, shared) for case, files in by_case.items()}
    case = min(owned, key=lambda c: (sum(len(lines) for _, lines in owned[c]), c.name))
    expect = yaml.safe_load((case / EXPECT).read_text(encoding="utf-8")) or {}
    excerpts = [Excerpt(f.relative_to(case).as_posix(), lines[:EXCERPT_LINES], max(0, len(lines) - EXCERPT_LINES))
                for f, lines in owned[case][:EXCERPT_FILES]]
    return Example(outcome, case, " ".join(str(expect.get("reason") or "").split()), excerpts)


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")
