"""Baselines: the findings accepted on the day a team adopts the gate, so that CI fails only on new ones.

`kaze-policy baseline create PATH… -o baseline.json` records each failing finding of a scan
(control, resource id, fingerprint, and the message and file, for the reader); `kaze-policy
scan --baseline baseline.json` then marks each finding `unchanged` (in the baseline) or `new`,
fails (exit 1) only on new ones, and lists the baseline's findings found no more as fixed.

A finding matches by control, resource id and fingerprint (kaze_policy/fingerprint.py: what
the finding is, never the line it is on), so moving an object down a file, re-indenting it or
splitting a file keeps it matched; changing what is wrong with it (another container, another
port) makes it new. The baseline changes no verdict: a control whose findings are all in the
baseline still fails in every report (an audit must see it), only the gate lets it pass.
Waived findings are not recorded: when a waiver expires, its finding must fail again.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Iterable

from kaze_policy.errors import InputError
from kaze_policy.fingerprint import finding_fingerprint
from kaze_policy.results import ERROR, FAIL, PASS, WAIVED, ControlResult, Finding, ScanReport
from kaze_policy.sources.files import read_bytes

KIND = "KazePolicyBaseline"
VERSION = 1
UNCHANGED, NEW = "unchanged", "new"
# A baseline of a large estate holds thousands of findings, a few hundred bytes each.
MAX_BASELINE_BYTES = 64 * 1024 * 1024

Key = tuple[str, str, str]  # control, resource id, fingerprint


def finding_key(control_id: str, finding: Finding) -> Key:
    return control_id, str(finding.resource.get("id")), finding_fingerprint(control_id, finding)


# --- create ----------------------------------------------------------------------------------

def baseline_document(report: ScanReport) -> dict[str, Any]:
    """The baseline of a scan: its failing findings (not the waived ones), sorted, each once."""
    entries: dict[Key, dict[str, Any]] = {}
    for result in report.results:
        for finding in result.findings:  # grouped: a finding a base and its overlays share is one
            key = finding_key(result.control.id, finding)
            entries.setdefault(key, {"control": key[0], "resource": key[1], "fingerprint": key[2],
                                     "message": finding.message, "file": finding.place.get("file")})
    return {"kind": KIND, "version": VERSION, "findings": [entries[key] for key in sorted(entries)]}


def baseline_text(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def unevaluated(report: ScanReport) -> list[str]:
    """The controls that could not be evaluated: a baseline without their findings would let
    them fail as new the day they can be (so none is written)."""
    return [r.control.id for r in report.results if r.status == ERROR]


# --- read ------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def baseline_schema() -> dict[str, Any]:
    return json.loads(resources.files("kaze_policy.schemas").joinpath("baseline.schema.json").read_text())


def read_baseline(path: Path) -> list[dict[str, Any]]:
    """The findings of a baseline file, or bad input (exit 2) in one line naming what is wrong."""
    import jsonschema

    shown = str(path)
    if not path.is_file():
        raise InputError("no such baseline file", shown)
    data = read_bytes(path, MAX_BASELINE_BYTES)
    try:
        value = json.loads(data)
    except (ValueError, RecursionError) as err:
        where = f" at line {err.lineno}" if isinstance(err, json.JSONDecodeError) else ""
        raise InputError(f"not a kaze-policy baseline: not JSON{where} "
                         "(write one with `kaze-policy baseline create`)", shown) from None
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(baseline_schema()).iter_errors(value))
    if error is not None:
        at = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        raise InputError(f"not a kaze-policy baseline: {at}: {' '.join(error.message.split())[:200]}", shown)
    return value["findings"]


# --- compare ---------------------------------------------------------------------------------

def apply_baseline(report: ScanReport, entries: list[dict[str, Any]], shown: str) -> None:
    """Mark every finding of the report unchanged or new, and record what was fixed."""
    accepted = {(e["control"], e["resource"], e["fingerprint"]): e for e in entries}
    seen: set[Key] = set()
    counts = {UNCHANGED: 0, NEW: 0}
    for result in report.results:
        for finding in _target_findings(result):
            key = finding_key(result.control.id, finding)
            finding.baseline = UNCHANGED if key in accepted else NEW
            seen.add(key)
        _regroup(result)
        for finding in result.findings:  # counted once per finding, as reported
            counts[finding.baseline or NEW] += 1
    # Fixed: gone from a control that was judged (not one skipped, not applicable or in error).
    judged = {r.control.id for r in report.results if r.status in (PASS, FAIL, WAIVED)}
    fixed = [entry for key, entry in accepted.items() if key not in seen and key[0] in judged]
    report.baseline = {"file": shown, "findings": len(accepted), UNCHANGED: counts[UNCHANGED], NEW: counts[NEW],
                       "fixed": fixed}


def _target_findings(result: ControlResult) -> Iterable[Finding]:
    return (finding for target in result.targets for finding in target.findings)


def _regroup(result: ControlResult) -> None:
    """The grouped lists are copies made on first use: made again, with the marks."""
    for grouped in ("findings", "waived_findings"):
        result.__dict__.pop(grouped, None)


def gate_passes(result: ControlResult) -> bool:
    """A failing control whose every failing finding is in the baseline does not fail the gate.
    (A failure with no finding at all is never excused.)"""
    return bool(result.findings) and all(f.baseline == UNCHANGED for f in result.findings)
