"""The frameworks' control lists (kaze_policy/frameworks): complete for their edition, in the
framework's order, and holding every id the catalog's METADATA cites."""

from __future__ import annotations

import json
import re
from collections import Counter
from importlib import resources

import pytest

from kaze_policy.catalog import load_catalog
from kaze_policy.frameworks import (
    FRAMEWORKS, FrameworkControl, cited_control, framework_controls, framework_for_key, load_framework,
    resolve, unknown_ids, uncovered,
)
from kaze_policy.errors import UsageError

NAMES = list(FRAMEWORKS)
NIST_FAMILIES = ["AC", "AT", "AU", "CA", "CM", "CP", "IA", "IR", "MA", "MP", "PE", "PL", "PM", "PS", "PT",
                 "RA", "SA", "SC", "SI", "SR"]
SOC2_CATEGORIES = ["CC", "A", "C", "PI", "P"]


def _order_key(name: str, cid: str) -> tuple:
    """Where `cid` stands in the framework's own order."""
    if name == "soc2":
        m = re.fullmatch(r"(CC|A|C|PI|P)(\d+)\.(\d+)", cid)
        assert m, cid
        return SOC2_CATEGORIES.index(m.group(1)), int(m.group(2)), int(m.group(3))
    if name == "iso27001":
        m = re.fullmatch(r"A\.(\d+)\.(\d+)", cid)
        assert m, cid
        return int(m.group(1)), int(m.group(2))
    if name == "nist-800-53":
        m = re.fullmatch(r"([A-Z]{2})-(\d+)(?:\((\d+)\))?", cid)
        assert m, cid
        return NIST_FAMILIES.index(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    assert re.fullmatch(r"\d+(\.\d+)+", cid), cid
    return tuple(int(p) for p in cid.split("."))


def _cited() -> dict[str, dict[str, list[str]]]:
    """Framework CLI name -> cited id -> the catalog controls citing it."""
    cited: dict[str, dict[str, list[str]]] = {name: {} for name in NAMES}
    for control in load_catalog().controls:
        for key, ids in control.frameworks.items():
            name = framework_for_key(key)
            for cid in ids:
                cited[name].setdefault(cid, []).append(control.id)
    return cited


def test_metadata_keys_are_the_frameworks() -> None:
    keys = {key for c in load_catalog().controls for key in c.frameworks}
    assert keys <= set(FRAMEWORKS.values()), f"METADATA cites frameworks with no list: {sorted(keys - set(FRAMEWORKS.values()))}"
    assert FRAMEWORKS == {"soc2": "soc2", "iso27001": "iso27001", "nist-800-53": "nist80053", "cis": "cis_kubernetes"}


@pytest.mark.parametrize("name", NAMES)
def test_every_cited_id_is_in_its_framework(name: str) -> None:
    cited = _cited()[name]
    assert cited, f"no control cites {name}"
    unknown = unknown_ids(name, cited)
    assert not unknown, f"{name} ({load_framework(name).version}) has no " + "; ".join(
        f"{cid} (cited by {', '.join(cited[cid])})" for cid in unknown)


@pytest.mark.parametrize("name", NAMES)
def test_no_cited_id_is_withdrawn(name: str) -> None:
    cited = _cited()[name]
    withdrawn = [cid for cid in cited if (c := cited_control(name, cid)) is not None and c.withdrawn]
    assert not withdrawn, f"{name}: cited ids withdrawn from the framework: " + "; ".join(
        f"{cid} (cited by {', '.join(cited[cid])})" for cid in withdrawn)


@pytest.mark.parametrize("name", NAMES)
def test_list_is_well_formed(name: str) -> None:
    raw = json.loads(resources.files("kaze_policy.frameworks").joinpath("data", f"{name}.json").read_text(encoding="utf-8"))
    assert raw["name"] == name
    assert all(isinstance(raw[k], str) and raw[k].strip() for k in ("title", "version", "source"))
    controls = framework_controls(name)
    assert controls, f"{name}: empty list"
    assert all(isinstance(c, FrameworkControl) and c.id and c.group.strip() and c.group_id
               for c in controls)
    duplicates = [cid for cid, n in Counter(c.id for c in controls).items() if n > 1]
    assert not duplicates, f"{name}: ids listed twice: {duplicates}"
    keys = [_order_key(name, c.id) for c in controls]
    assert keys == sorted(keys), f"{name}: not in the framework's order"
    # A group's controls stand together, and the group is named the same way throughout.
    groups = [c.group_id for c in controls]
    assert [g for i, g in enumerate(groups) if i == 0 or g != groups[i - 1]] == list(dict.fromkeys(groups))
    assert len({(c.group_id, c.group) for c in controls}) == len(set(groups))


def test_soc2_has_every_trust_services_criterion() -> None:
    fw = load_framework("soc2")
    assert "2017" in fw.version and "2022" in fw.version
    per_group = {"CC1": 5, "CC2": 3, "CC3": 4, "CC4": 2, "CC5": 3, "CC6": 8, "CC7": 5, "CC8": 1, "CC9": 2,
                 "A1": 3, "C1": 2, "PI1": 5, "P1": 1, "P2": 1, "P3": 2, "P4": 3, "P5": 2, "P6": 7, "P7": 1, "P8": 1}
    expected = [f"{g}.{n}" for g, count in per_group.items() for n in range(1, count + 1)]
    assert [c.id for c in fw.controls] == expected
    assert len(expected) == 61 and sum(1 for c in expected if c.startswith("CC")) == 33


def test_iso27001_has_the_93_annex_a_controls() -> None:
    fw = load_framework("iso27001")
    assert fw.version == "2022"
    expected = [f"A.{s}.{n}" for s, count in ((5, 37), (6, 8), (7, 14), (8, 34)) for n in range(1, count + 1)]
    assert [c.id for c in fw.controls] == expected and len(expected) == 93
    assert {c.group_id: c.group for c in fw.controls} == {
        "A.5": "Organizational controls", "A.6": "People controls", "A.7": "Physical controls",
        "A.8": "Technological controls"}


def test_nist_800_53_has_every_base_control() -> None:
    fw = load_framework("nist-800-53")
    assert "5.2.0" in fw.version
    controls = fw.controls
    assert all("(" not in c.id for c in controls), "enhancements are not list entries"
    assert [c.group_id for c in controls] == sorted((c.group_id for c in controls), key=NIST_FAMILIES.index)
    assert list(dict.fromkeys(c.group_id for c in controls)) == NIST_FAMILIES
    # Withdrawn controls keep their number: each family is numbered 1..n without a gap.
    per_family = Counter(c.group_id for c in controls)
    for family, count in per_family.items():
        assert [c.id for c in controls if c.group_id == family] == [f"{family}-{n}" for n in range(1, count + 1)]
    assert per_family == {"AC": 25, "AT": 6, "AU": 16, "CA": 9, "CM": 14, "CP": 13, "IA": 13, "IR": 10, "MA": 7,
                          "MP": 8, "PE": 23, "PL": 11, "PM": 32, "PS": 9, "PT": 8, "RA": 10, "SA": 24, "SC": 51,
                          "SI": 23, "SR": 12}
    assert len(controls) == 324
    withdrawn = sorted(c.id for c in controls if c.withdrawn)
    assert withdrawn == sorted(["AC-13", "AC-15", "AT-5", "AU-15", "CA-4", "CP-5", "IR-10", "PE-7", "PL-3", "PL-5",
                                "PL-6", "RA-4", "SA-6", "SA-7", "SA-12", "SA-13", "SA-14", "SA-18", "SA-19", "SC-9",
                                "SC-14", "SC-19", "SC-33", "SI-9"])
    enhancements = [e for c in controls for e in c.enhancements]
    assert len(enhancements) == 872 and len({e.id for e in enhancements}) == 872
    for c in controls:
        assert [e.id for e in c.enhancements] == [f"{c.id}({n})" for n in range(1, len(c.enhancements) + 1)]
    by_id = fw.by_id()
    assert "IA-13" in by_id and not by_id["IA-13"].withdrawn
    assert by_id["SC-7"].group == "System and Communications Protection"


def test_cis_kubernetes_is_v1_10_with_every_recommendation() -> None:
    fw = load_framework("cis")
    assert fw.version == "v1.10.0"
    per_group = Counter(c.group_id for c in fw.controls)
    assert per_group == {"1.1": 21, "1.2": 29, "1.3": 7, "1.4": 2, "2": 7, "3.1": 3, "3.2": 2, "4.1": 10, "4.2": 13,
                         "4.3": 1, "5.1": 13, "5.2": 13, "5.3": 2, "5.4": 2, "5.5": 1, "5.7": 4}
    assert len(fw.controls) == 130
    for c in fw.controls:
        prefix = c.group_id + "."
        assert c.id.startswith(prefix) and c.id[len(prefix):].isdigit(), c.id
    for group in per_group:
        ids = [c.id for c in fw.controls if c.group_id == group]
        assert ids == [f"{group}.{n}" for n in range(1, len(ids) + 1)]


def test_nist_enhancements_count_for_their_base_control() -> None:
    assert resolve("nist-800-53", "SC-7(5)") == load_framework("nist-800-53").by_id()["SC-7"]
    enhancement = cited_control("nist-800-53", "SC-7(5)")
    assert enhancement is not None and enhancement.id == "SC-7(5)" and enhancement.group_id == "SC"
    assert resolve("nist-800-53", "SC-7(99)") is None
    assert resolve("nist-800-53", "SC-99") is None
    assert resolve("iso27001", "A.8.35") is None and resolve("cis", "5.6.1") is None


def test_uncovered_leaves_out_cited_and_withdrawn_controls() -> None:
    left = uncovered("nist-800-53", ["SC-7(5)", "AC-4"])
    ids = {c.id for c in left}
    assert "SC-7" not in ids and "AC-4" not in ids and "AC-13" not in ids and "AC-2" in ids
    assert len(left) == 324 - 24 - 2
    assert len(uncovered("iso27001", [])) == 93
    # SC-7(1) is withdrawn: citing it covers nothing.
    assert "SC-7" in {c.id for c in uncovered("nist-800-53", ["SC-7(1)"])}


def test_unknown_framework_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown framework"):
        framework_controls("pci-dss")
    with pytest.raises(UsageError, match="unknown framework key"):
        framework_for_key("pci")
