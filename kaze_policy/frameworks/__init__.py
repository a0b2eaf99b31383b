"""The controls of each compliance framework the catalog cites, so that an audit can group its
results by framework control and name the controls that no catalog control covers.

One list a framework, as package data (kaze_policy/frameworks/data/<name>.json), in the
framework's own order; the editions are:

- `soc2`: the AICPA Trust Services Criteria, 2017 edition with the revised points of focus of
  2022 (TSP section 100). 61 criteria: the common criteria CC1.1 to CC9.2 (33), then the
  additional criteria for availability A1.1-A1.3, confidentiality C1.1-C1.2, processing
  integrity PI1.1-PI1.5 and privacy P1.1-P8.1 (18). The 2022 revision changed points of focus
  only, not the criteria.
- `iso27001`: ISO/IEC 27001:2022, Annex A: its 93 controls, A.5.1-A.5.37 (organizational),
  A.6.1-A.6.8 (people), A.7.1-A.7.14 (physical), A.8.1-A.8.34 (technological). Amendment 1:2024
  leaves Annex A as it is.
- `nist-800-53`: NIST SP 800-53 Rev. 5, release 5.2.0 (August 2025): the 324 base controls of
  its 20 families, 24 of them withdrawn (kept, marked `withdrawn`, never counted as uncovered).
  Enhancements are not list entries: each base control carries its own, and a cited
  enhancement (SC-7(5)) counts for its base control (SC-7).
- `cis`: the CIS Kubernetes Benchmark v1.10.0 (Kubernetes 1.28), sections 1-5: its 130
  recommendations. The version the catalog's ids fit: 5.2.9 added capabilities, 5.2.11
  Windows HostProcess and 5.2.12 HostPath (v1.7.0-v1.11.x) and 5.7.1 namespaces as
  administrative boundaries (v1.7.0-v1.10.0; General Policies are 5.6 from v1.11.0 on).

Each data file names its publication (`source`) and holds the structure of the framework, its
ids and groups, not the publications' text: a report names a framework control by its id.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Iterable

from kaze_policy.errors import UsageError

# The CLI's name of each framework -> the key of METADATA custom.frameworks that cites it.
FRAMEWORKS: dict[str, str] = {
    "soc2": "soc2",
    "iso27001": "iso27001",
    "nist-800-53": "nist80053",
    "cis": "cis_kubernetes",
}

# A NIST control enhancement, as cited: its base control and its number.
_NIST_ENHANCEMENT = re.compile(r"^([A-Z]{2}-\d+)\(\d+\)$")


@dataclass(frozen=True)
class FrameworkControl:
    """One control (criterion, recommendation) of a framework, and the group it is listed under."""

    id: str
    title: str
    group: str
    group_id: str = ""
    # Withdrawn from the framework (NIST): listed, but nothing can cover it.
    withdrawn: bool = False
    # A NIST base control's enhancements (no group of their own: the base control's).
    enhancements: tuple[FrameworkControl, ...] = ()


@dataclass(frozen=True)
class Framework:
    """A framework's list, with the edition and publication it follows."""

    name: str
    metadata_key: str
    title: str
    version: str
    source: str
    controls: tuple[FrameworkControl, ...]

    def by_id(self) -> dict[str, FrameworkControl]:
        return {c.id: c for c in self.controls}


def framework_names() -> list[str]:
    """The CLI's framework names, in the order `--framework` lists them."""
    return list(FRAMEWORKS)


def framework_for_key(metadata_key: str) -> str:
    """The CLI name of the framework a METADATA custom.frameworks key cites."""
    for name, key in FRAMEWORKS.items():
        if key == metadata_key:
            return name
    raise UsageError(f"unknown framework key {metadata_key!r} (one of: {', '.join(FRAMEWORKS.values())})")


@cache
def load_framework(name: str) -> Framework:
    """The framework `name` (a CLI name, a key of FRAMEWORKS), read from the package data."""
    if name not in FRAMEWORKS:
        raise UsageError(f"unknown framework {name!r} (one of: {', '.join(FRAMEWORKS)})")
    text = resources.files("kaze_policy.frameworks").joinpath("data", f"{name}.json").read_text(encoding="utf-8")
    data = json.loads(text)
    return Framework(
        name=data["name"], metadata_key=FRAMEWORKS[name], title=data["title"], version=data["version"],
        source=data["source"], controls=tuple(_control(c, group=c["group"], group_id=c.get("group_id", ""))
                                              for c in data["controls"]),
    )


def framework_controls(name: str) -> list[FrameworkControl]:
    """The controls of framework `name` in the framework's order, withdrawn ones included."""
    return list(load_framework(name).controls)


def resolve(name: str, cited: str) -> FrameworkControl | None:
    """The list entry a control's METADATA citation counts for, or None when the framework has
    no such id. NIST enhancements count for their base control, if the base control has that
    enhancement."""
    by_id = load_framework(name).by_id()
    if cited in by_id:
        return by_id[cited]
    if name == "nist-800-53":
        base = _NIST_ENHANCEMENT.match(cited)
        if base and base.group(1) in by_id and any(e.id == cited for e in by_id[base.group(1)].enhancements):
            return by_id[base.group(1)]
    return None


def cited_control(name: str, cited: str) -> FrameworkControl | None:
    """The framework's own entry for a citation: the control itself, or for a NIST enhancement
    the enhancement (with its title), or None when the framework has no such id."""
    control = resolve(name, cited)
    if control is None or control.id == cited:
        return control
    return next(e for e in control.enhancements if e.id == cited)


def unknown_ids(name: str, cited: Iterable[str]) -> list[str]:
    """The cited ids that framework `name` does not have (a metadata error), in citation order."""
    return list(dict.fromkeys(c for c in cited if resolve(name, c) is None))


def uncovered(name: str, cited: Iterable[str]) -> list[FrameworkControl]:
    """The framework's controls (withdrawn ones left out) that no cited id counts for; a cited
    id the framework has withdrawn (a NIST enhancement) covers nothing."""
    covered = {control.id for c in cited
               if (control := resolve(name, c)) is not None and not _withdrawn(name, c)}
    return [c for c in load_framework(name).controls if not c.withdrawn and c.id not in covered]


def _withdrawn(name: str, cited: str) -> bool:
    control = cited_control(name, cited)
    return control is not None and control.withdrawn


def _control(data: dict[str, Any], group: str, group_id: str) -> FrameworkControl:
    return FrameworkControl(
        id=data["id"], title=data.get("title", ""), group=group, group_id=group_id,
        withdrawn=data.get("withdrawn") is True,
        enhancements=tuple(_control(e, group=group, group_id=group_id) for e in data.get("enhancements", ())),
    )
