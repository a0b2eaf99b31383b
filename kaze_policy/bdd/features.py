"""The features an audit runs: where they are, what their tags mean, and whether they cover
the catalog (every control in exactly one scenario, tagged with the frameworks its METADATA
cites), so that no control is audited in silence or left out."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from kaze_policy.catalog import Catalog

PACKAGED_FEATURES_DIR = (Path(__file__).parent.parent / "features").resolve()
DEFAULT_FEATURES_DIR = Path(os.environ.get("KAZE_FEATURES_DIR") or PACKAGED_FEATURES_DIR)

CONTROL_TAG = re.compile(r"KZ-[A-Z]{3}-\d{2}")
# A framework reference as a tag: its prefix, and the METADATA key it stands for.
FRAMEWORK_TAGS = {"SOC2-": "soc2", "ISO27001-": "iso27001", "NIST-800-53-": "nist80053", "CIS-": "cis_kubernetes"}


class FeaturesError(Exception):
    """The features cannot be read, or do not match the catalog (one line each)."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class ScenarioSpec:
    name: str
    line: int
    tags: tuple[str, ...]

    @property
    def controls(self) -> list[str]:
        return [t for t in self.tags if CONTROL_TAG.fullmatch(t)]

    @property
    def framework_refs(self) -> dict[str, set[str]]:
        refs: dict[str, set[str]] = {}
        for tag in self.tags:
            for prefix, key in FRAMEWORK_TAGS.items():
                if tag.startswith(prefix):
                    refs.setdefault(key, set()).add(tag[len(prefix):])
        return refs


@dataclass(frozen=True)
class FeatureSpec:
    name: str
    path: Path
    # The path as reports show it, as pytest-bdd does: the features folder's name, then the
    # path in it (features/tenancy.feature).
    file: str
    line: int
    description: str
    tags: tuple[str, ...]
    scenarios: tuple[ScenarioSpec, ...]


def read_features(folder: Path) -> list[FeatureSpec]:
    """Every *.feature of the folder, parsed as pytest-bdd parses it, in file order."""
    from pytest_bdd.exceptions import GherkinParseError
    from pytest_bdd.parser import FeatureParser

    if not folder.is_dir():
        raise FeaturesError([f"{folder}: no such folder of features"])
    folder = folder.resolve()
    specs, problems = [], []
    for path in sorted(folder.rglob("*.feature")):
        try:
            feature = FeatureParser(str(folder), path.relative_to(folder).as_posix()).parse()
        except (GherkinParseError, OSError, UnicodeDecodeError) as err:
            problems.append(f"{path}: {' '.join(str(err).split())}")
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        scenarios = tuple(ScenarioSpec(s.name, s.line_number, _tags_above(lines, s.line_number, s.tags))
                          for s in feature.scenarios.values())
        specs.append(FeatureSpec(feature.name, path, feature.rel_filename, feature.line_number, feature.description.strip(),
                                 _tags_above(lines, feature.line_number, feature.tags), scenarios))
    if problems:
        raise FeaturesError(problems)
    if not specs:
        raise FeaturesError([f"{folder}: no *.feature file"])
    return specs


def _tags_above(lines: list[str], line: int, tags: set[str]) -> tuple[str, ...]:
    """The tags as written (pytest-bdd keeps them as a set): from the tag lines just above
    the keyword's line, in their order; the set decides what they are."""
    written: list[str] = []
    index = line - 2
    while index >= 0 and lines[index].lstrip().startswith("@"):
        written = [t.lstrip("@") for t in lines[index].split("#")[0].split()] + written
        index -= 1
    ordered = [t for t in dict.fromkeys(written) if t in tags]
    return tuple(ordered + sorted(tags - set(ordered)))


def coverage_problems(features: list[FeatureSpec], catalog: Catalog) -> list[str]:
    """What keeps the features from auditing the catalog, one line each: a control no
    scenario covers, a control covered twice, a scenario with no control or one the catalog
    lacks, and framework tags that differ from the control's METADATA."""
    controls = {c.id: c for c in catalog.controls}
    problems, seen = [], {}
    for feature in features:
        for scenario in feature.scenarios:
            where = f"{feature.path}:{scenario.line}: scenario {scenario.name!r}"
            if len(scenario.controls) != 1:
                problems.append(f"{where} must name exactly one control (a @KZ-XXX-NN tag), "
                                f"it names {len(scenario.controls)}")
                continue
            control_id = scenario.controls[0]
            control = controls.get(control_id)
            if control is None:
                problems.append(f"{where} names {control_id}, which the catalog does not hold")
                continue
            if control_id in seen:
                problems.append(f"{where} covers {control_id}, which {seen[control_id]} covers already")
            seen[control_id] = where
            problems += _framework_problems(where, control_id, scenario.framework_refs, control.frameworks)
    problems += [f"{c.id} ({c.title}): no scenario of the features covers it" for c in catalog.controls
                 if c.id not in seen]
    return problems


def _framework_problems(where: str, control_id: str, tagged: dict[str, set[str]],
                        cited: dict[str, list[str]]) -> list[str]:
    problems = []
    for prefix, key in FRAMEWORK_TAGS.items():
        want, got = {str(x) for x in cited.get(key, [])}, tagged.get(key, set())
        if want - got:
            problems.append(f"{where} lacks the tags {', '.join(prefix + x for x in sorted(want - got))} "
                            f"that {control_id}'s METADATA cites")
        if got - want:
            problems.append(f"{where} has the tags {', '.join(prefix + x for x in sorted(got - want))} "
                            f"that {control_id}'s METADATA does not cite")
    return problems
