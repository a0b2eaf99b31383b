"""evaluate.py through its public functions: each status with its exact reason, findings, waivers, workers.

The controls are a small catalog of this file's own (the shipped rules are tests/test_fixtures.py's
business), evaluated by the embedded engine on a target loaded as `scan` loads it. In process and
cheap: these tests pin what tests/test_fail_closed.py proves through the CLI, and the rest.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from pathlib import Path
from typing import Any

import pytest

from kaze_policy.catalog import Control, load_catalog
from kaze_policy.engine import create_engine
from kaze_policy.engine.base import Engine
from kaze_policy.evaluate import PART_OF_A_CELL, Waivers, default_workers, evaluate_target, merge
from kaze_policy.inventory import Inventory
from kaze_policy.results import ControlResult, TargetResult
from kaze_policy.scan import ScanOptions, load_inventories

TODAY = dt.date(2030, 6, 15)
NS = "tenant-acme"


def module(cid: str, body: str, scopes: str = "[iac]", kinds: str = "", whole_cell: bool = False) -> str:
    meta = ["# METADATA", f"# title: {cid}", "# custom:", f"#   id: {cid}", "#   severity: high", f"#   scopes: {scopes}"]
    meta += [f"#   kinds: {kinds}"] if kinds else []
    meta += ["#   whole_cell: true"] if whole_cell else []
    package = "test.c" + cid[-2:]
    return "\n".join([*meta, f"package {package}", "", "import rego.v1", "", body, ""])


NEVER = 'violation contains "never" if false'
POLICIES = {
    # Per object: every ConfigMap fails, with its name in the message and evidence.
    "KZ-TST-01": module("KZ-TST-01", 'violation contains {"msg": sprintf("ConfigMap %s", [input.object.metadata.name]), '
                                     '"evidence": {"name": input.object.metadata.name}} if input.object.kind == "ConfigMap"',
                        kinds="[ConfigMap]"),
    "KZ-TST-02": module("KZ-TST-02", 'errors contains "b: unreadable"\n\nerrors contains "a: missing"\n\n'
                                     'violation contains "found" if true'),
    "KZ-TST-03": module("KZ-TST-03", 'not_applicable := "no cell mode"\n\nundecided := "needs cell.mode"\n\n'
                                     'violation contains "found" if true'),
    "KZ-TST-04": module("KZ-TST-04", f'not_applicable := "no cell mode"\n\n{NEVER}'),
    "KZ-TST-05": module("KZ-TST-05", f'undecided := "needs cell.mode"\n\n{NEVER}'),
    # Whole target: a plain string, a dict naming a resource, one naming none, one without msg.
    "KZ-TST-06": module("KZ-TST-06", 'undecided := "needs cell.mode"\n\nviolation contains "a plain string" if true\n\n'
                                     f'violation contains {{"msg": "named", "resource": "ConfigMap/{NS}/alpha", '
                                     '"evidence": [1]} if true\n\n'
                                     'violation contains {"msg": "gone", "resource": "ConfigMap/x/gone"} if true\n\n'
                                     'violation contains {"evidence": "no msg"} if true'),
    "KZ-TST-07": module("KZ-TST-07", NEVER, scopes="[vault, supply-chain]"),
    "KZ-TST-08": module("KZ-TST-08", NEVER, scopes="[cluster, admission]"),
    "KZ-TST-09": module("KZ-TST-09", 'violation contains "whole cell" if true', whole_cell=True),
    # The controls that judge pods judge custom workloads too.
    "KZ-TST-10": module("KZ-TST-10", 'violation contains {"msg": input.object.kind} if true',
                        kinds="[Pod, Deployment]"),
    "KZ-TST-11": module("KZ-TST-11", NEVER),
    # not_applicable that is not a string, undecided that is not a string: neither counts.
    "KZ-TST-12": module("KZ-TST-12", 'not_applicable := true\n\nundecided := 1\n\nerrors := []\n\n' + NEVER),
    # A misnamed rule: no `violation`, whole target or per object.
    "KZ-TST-13": module("KZ-TST-13", 'violations contains "typo" if true'),
    "KZ-TST-14": module("KZ-TST-14", 'violations contains "typo" if true', kinds="[ConfigMap]"),
    # Per object, of a kind that runs no pods: every object it is given fails.
    "KZ-TST-15": module("KZ-TST-15", 'violation contains {"msg": input.object.kind} if true', kinds="[ConfigMap]"),
}
CONFIG_MAPS = "".join(f"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {n}, namespace: {NS}}}\n"
                      for n in ("beta", "alpha", "gamma"))
ROLLOUT = (f"---\napiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {{name: ro, namespace: {NS}}}\n"
           "spec:\n  template:\n    spec:\n      containers: [{name: c, image: i}]\n")
DEPLOYMENT = (f"---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web, namespace: {NS}}}\n"
              "spec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n"
              "    spec:\n      containers: [{name: c, image: i}]\n")
CONFIG = "apiVersion: kaze.io/v1\nkind: KazePolicyConfig\n"


def unplaced(n: int) -> str:
    """n objects with containers at two places: the scan cannot place their pods."""
    return "".join(f"---\napiVersion: ray.io/v1\nkind: RayCluster\nmetadata: {{name: r{i}, namespace: {NS}}}\n"
                   "spec:\n  a: {template: {spec: {containers: [{name: c}]}}}\n"
                   "  b: {template: {spec: {containers: [{name: c}]}}}\n" for i in range(n))


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("policies")
    for cid, text in POLICIES.items():
        (folder / f"{cid}.rego").write_text(text)
    return load_catalog(folder)


@pytest.fixture(scope="module")
def engine(catalog):
    with create_engine("embedded") as own:
        own.load_policies(catalog.policy_files)
        yield own


def inventory(folder: Path, manifests: str, config: str = CONFIG) -> Inventory:
    folder.mkdir(exist_ok=True)
    (folder / "kaze-policy.yaml").write_text(config)
    (folder / "stack.yaml").write_text(manifests)
    [loaded] = load_inventories(ScanOptions(paths=[str(folder)])).inventories
    return loaded


def controls(catalog, *ids: str) -> list[Control]:
    known = catalog.by_id()
    return [known[i] for i in ids]


def shown(result: TargetResult) -> tuple:
    """Status, reason, undecided, and each finding's resource, message, evidence and waiver."""
    return (result.status, result.reason, result.undecided,
            [(f.resource["id"], f.message, f.evidence, f.waiver) for f in result.findings])


def test_each_outcome_of_a_control_with_its_exact_reason(catalog, engine, tmp_path: Path) -> None:
    inv = inventory(tmp_path / "cell", CONFIG_MAPS)
    ids = [f"KZ-TST-{n:02}" for n in (1, 2, 3, 4, 5, 7, 8, 9, 11, 12, 13, 14)]
    results = evaluate_target(engine, controls(catalog, *ids), inv, today=TODAY)
    assert {cid: shown(r) for cid, r in results.items()} == {
        "KZ-TST-01": ("fail", "", False, [
            (f"ConfigMap/{NS}/{n}", f"ConfigMap {n}", {"name": n}, None) for n in ("alpha", "beta", "gamma")]),
        "KZ-TST-02": ("error", "a: missing; b: unreadable", False, []),
        "KZ-TST-03": ("not_applicable", "no cell mode", True, []),
        "KZ-TST-04": ("not_applicable", "no cell mode", False, []),
        "KZ-TST-05": ("not_applicable", "needs cell.mode", True, []),
        "KZ-TST-07": ("not_applicable", "needs a Vault snapshot or a live Vault or image signatures and SBOMs "
                                        "(a supply-chain snapshot); the target has none", False, []),
        "KZ-TST-08": ("not_applicable", "needs a live cluster or a cluster snapshot or an admission request; "
                                        "the target has none", False, []),
        "KZ-TST-09": ("fail", "", False, [(None, "whole cell", None, None)]),
        "KZ-TST-11": ("pass", "", False, []),
        "KZ-TST-12": ("pass", "", False, []),
        "KZ-TST-13": ("error", "data.test.c13.violation is not defined", False, []),
        "KZ-TST-14": ("error", "data.test.c14.violation is not defined", False, []),
    }
    assert {r.target for r in results.values()} == {inv.target.name}


def test_a_target_without_iac_needs_infrastructure_as_code(catalog, engine, tmp_path: Path) -> None:
    inv = inventory(tmp_path / "cell", CONFIG_MAPS)
    inv.scopes = {"vault"}
    result = evaluate_target(engine, controls(catalog, "KZ-TST-11"), inv, today=TODAY)["KZ-TST-11"]
    assert shown(result) == ("not_applicable", "needs infrastructure-as-code files; the target has none", False, [])


def test_a_whole_cell_control_on_a_part_of_a_cell_is_left_to_the_cells(catalog, engine, tmp_path: Path) -> None:
    inv = inventory(tmp_path / "cell", CONFIG_MAPS)
    inv.target = dataclasses.replace(inv.target, part=True)
    results = evaluate_target(engine, controls(catalog, "KZ-TST-09", "KZ-TST-11"), inv, today=TODAY)
    assert shown(results["KZ-TST-09"]) == ("not_applicable", PART_OF_A_CELL, False, [])
    assert shown(results["KZ-TST-11"]) == ("pass", "", False, [])
    assert {r.target for r in results.values()} == {inv.target.name}


def test_findings_of_a_whole_target_rule_name_their_resource_or_none(catalog, engine, tmp_path: Path) -> None:
    inv = inventory(tmp_path / "cell", CONFIG_MAPS)
    result = evaluate_target(engine, controls(catalog, "KZ-TST-06"), inv, today=TODAY)["KZ-TST-06"]
    assert (result.status, result.reason, result.undecided) == ("fail", "needs cell.mode", True)
    alpha = inv.by_id()[f"ConfigMap/{NS}/alpha"]
    nowhere = {"kind": None, "namespace": None, "name": None, "file": None, "line": None}
    assert [(f.resource, f.message, f.evidence, f.target) for f in result.findings] == [
        ({"id": alpha.id, "kind": "ConfigMap", "namespace": NS, "name": "alpha", "file": alpha.origin.file,
          "line": alpha.origin.line}, "named", [1], inv.target.name),
        ({"id": "ConfigMap/x/gone", **nowhere}, "gone", None, inv.target.name),
        ({"id": None, **nowhere}, "", "no msg", inv.target.name),
        ({"id": None, **nowhere}, "a plain string", None, inv.target.name),
    ]


def test_the_controls_that_judge_pods_judge_custom_workloads_too(catalog, engine, tmp_path: Path) -> None:
    inv = inventory(tmp_path / "cell", CONFIG_MAPS + ROLLOUT + DEPLOYMENT)
    results = evaluate_target(engine, controls(catalog, "KZ-TST-10", "KZ-TST-15"), inv, today=TODAY)
    assert [(f.resource["id"], f.message) for f in results["KZ-TST-10"].findings] == [
        (f"Deployment/{NS}/web", "Deployment"), (f"Rollout/{NS}/ro", "Rollout")]
    # A control of other kinds is not given the custom workloads.
    assert [f.message for f in results["KZ-TST-15"].findings] == ["ConfigMap"] * 3


@pytest.mark.parametrize("count, more", [(1, ""), (5, ""), (6, " and 1 more"), (7, " and 2 more")])
def test_pods_the_scan_cannot_place_make_the_pod_controls_errors(catalog, engine, tmp_path: Path, count: int,
                                                                 more: str) -> None:
    inv = inventory(tmp_path / "cell", CONFIG_MAPS + unplaced(count))
    results = evaluate_target(engine, controls(catalog, "KZ-TST-10", "KZ-TST-01"), inv, today=TODAY)
    shown_ids = "; ".join(f"RayCluster/{NS}/r{i} (containers at spec.a.template.spec.containers, "
                          "spec.b.template.spec.containers)" for i in range(min(count, 5)))
    assert shown(results["KZ-TST-10"]) == (
        "error", f"cannot find the pod template of {shown_ids}{more}: its pods are not judged; name the kind's "
                 "template in kaze-policy.yaml podTemplates (apiGroup, kind, path)", False, [])
    assert results["KZ-TST-01"].status == "fail"  # a control that judges no pods is judged as ever
    assert {r.target for r in results.values()} == {inv.target.name}


# --- waivers -------------------------------------------------------------------------------------

def waiver(resource: str | None, until: Any, control: Any = "KZ-TST-01", by: str = "sec") -> dict[str, Any]:
    out = {"control": control, "reason": "why", "by": by, "until": until}
    if resource is not None:
        out["resource"] = resource
    return out


ALPHA, BETA, GAMMA = (f"ConfigMap/{NS}/{n}" for n in ("alpha", "beta", "gamma"))


def test_the_first_live_waiver_in_configuration_order_applies(tmp_path: Path) -> None:
    waivers = Waivers([
        waiver("ConfigMap/*", "2030-06-14", by="expired glob"),   # expired: the next one applies
        waiver(ALPHA, "not a date", by="bad date"),              # no date: never applies
        waiver(ALPHA, "2030-06-15", by="exact"),
        waiver("*", "2099-01-01", by="star"),
        "not a waiver",
        waiver(ALPHA, "2099-01-01", control=None, by="no control"),
    ], "cell/kaze-policy.yaml")
    assert waivers.match("KZ-TST-01", ALPHA, TODAY) == {"by": "exact", "reason": "why", "until": "2030-06-15"}
    assert waivers.match("KZ-TST-01", BETA, TODAY) == {"by": "star", "reason": "why", "until": "2099-01-01"}
    assert waivers.match("KZ-TST-02", ALPHA, TODAY) is None
    waivers.judged("KZ-TST-01")
    assert waivers.outcomes(TODAY) == [
        {"config": "cell/kaze-policy.yaml", "index": 0, "control": "KZ-TST-01", "resource": "ConfigMap/*",
         "by": "expired glob", "reason": "why", "until": "2030-06-14", "status": "expired", "findings": 2},
        {"config": "cell/kaze-policy.yaml", "index": 1, "control": "KZ-TST-01", "resource": ALPHA,
         "by": "bad date", "reason": "why", "until": "not a date", "status": "unused", "findings": 0},
        {"config": "cell/kaze-policy.yaml", "index": 2, "control": "KZ-TST-01", "resource": ALPHA,
         "by": "exact", "reason": "why", "until": "2030-06-15", "status": "applied", "findings": 1},
        {"config": "cell/kaze-policy.yaml", "index": 3, "control": "KZ-TST-01", "resource": "*",
         "by": "star", "reason": "why", "until": "2099-01-01", "status": "applied", "findings": 1},
        {"config": "cell/kaze-policy.yaml", "index": 4, "control": None, "resource": ALPHA,
         "by": "no control", "reason": "why", "until": "2099-01-01", "status": "not_evaluated", "findings": 0},
    ]


def test_a_waiver_without_a_resource_waives_every_resource_of_its_control() -> None:
    # (A waiver that names no control before them waives nothing, and hides none of them.)
    waivers = Waivers([waiver(ALPHA, "2099-01-01", control=7), waiver(None, "2099-01-01"),
                       waiver("", "2099-01-01", control="KZ-TST-02")])
    assert waivers.match("KZ-TST-01", GAMMA, TODAY) == {"by": "sec", "reason": "why", "until": "2099-01-01"}
    assert waivers.match("KZ-TST-02", GAMMA, TODAY) == {"by": "sec", "reason": "why", "until": "2099-01-01"}
    assert [(o["resource"], o["status"], o["findings"], o["config"]) for o in waivers.outcomes(TODAY)] == [
        (ALPHA, "not_evaluated", 0, None), ("*", "applied", 1, None), ("*", "applied", 1, None)]


def test_a_glob_waiver_waives_only_what_its_pattern_matches() -> None:
    waivers = Waivers([waiver(f"ConfigMap/{NS}/[ab]*", "2099-01-01"), waiver(f"ConfigMap/{NS}/g?mma", "2099-01-01")])
    assert [bool(waivers.match("KZ-TST-01", rid, TODAY)) for rid in (ALPHA, BETA, GAMMA, "ConfigMap/x/alpha")] == [
        True, True, True, False]
    assert [o["findings"] for o in waivers.outcomes(TODAY)] == [2, 1]


def test_an_expired_waiver_counts_each_finding_it_would_have_waived() -> None:
    waivers = Waivers([waiver(ALPHA, "2030-06-14"), waiver(BETA, "2030-06-14")])
    for _ in range(3):
        assert waivers.match("KZ-TST-01", ALPHA, TODAY) is None
    assert [(o["status"], o["findings"]) for o in waivers.outcomes(TODAY)] == [("expired", 3), ("expired", 0)]
    # The day the waiver still held, it applied.
    assert waivers.match("KZ-TST-01", ALPHA, dt.date(2030, 6, 14)) is not None


def test_the_target_s_own_waivers_apply_when_none_are_given(catalog, engine, tmp_path: Path) -> None:
    config = CONFIG + f"waivers:\n- {{control: KZ-TST-01, resource: {ALPHA}, reason: why, by: sec, until: 2099-01-01}}\n"
    inv = inventory(tmp_path / "cell", CONFIG_MAPS, config)
    result = evaluate_target(engine, controls(catalog, "KZ-TST-01"), inv, today=TODAY)["KZ-TST-01"]
    assert [(f.resource["id"], f.waiver) for f in result.findings] == [
        (ALPHA, {"by": "sec", "reason": "why", "until": "2099-01-01"}), (BETA, None), (GAMMA, None)]
    assert result.status == "fail"


def test_every_finding_waived_is_waived_and_keeps_the_undecided_flag(catalog, engine, tmp_path: Path) -> None:
    inv = inventory(tmp_path / "cell", CONFIG_MAPS)
    waivers = Waivers([waiver("*", "2099-01-01"), waiver("*", "2099-01-01", control="KZ-TST-06")])
    results = evaluate_target(engine, controls(catalog, "KZ-TST-01", "KZ-TST-06", "KZ-TST-02"), inv, today=TODAY,
                              waivers=waivers)
    assert [(r.status, r.reason, r.undecided) for r in results.values()] == [
        ("waived", "every finding is waived", False), ("waived", "every finding is waived", True),
        ("error", "a: missing; b: unreadable", False)]
    assert [len(r.findings) for r in results.values()] == [3, 4, 0]
    assert all(f.waiver for r in results.values() for f in r.findings)
    assert {r.target for r in results.values()} == {inv.target.name}
    # Judged: the controls evaluated; an error is not (a waiver of it is "not_evaluated").
    errored = Waivers([waiver("*", "2099-01-01", control="KZ-TST-02"), waiver("*", "2099-01-01", control="KZ-TST-11")])
    evaluate_target(engine, controls(catalog, "KZ-TST-02", "KZ-TST-11"), inv, today=TODAY, waivers=errored)
    assert [o["status"] for o in errored.outcomes(TODAY)] == ["not_evaluated", "unused"]


def test_today_is_the_default_day_of_the_waivers(catalog, engine, tmp_path: Path) -> None:
    today = dt.date.today()
    inv = inventory(tmp_path / "cell", CONFIG_MAPS)
    waivers = Waivers([waiver(ALPHA, today.isoformat()), waiver(BETA, (today - dt.timedelta(days=1)).isoformat())])
    result = evaluate_target(engine, controls(catalog, "KZ-TST-01"), inv, waivers=waivers)["KZ-TST-01"]
    assert [bool(f.waiver) for f in result.findings] == [True, False, False]


# --- workers -------------------------------------------------------------------------------------

class Recording(Engine):
    """An engine that delegates to another, and records its copies, closes and threads."""

    name = "recording"

    def __init__(self, inner: Any, log: dict[str, list], copyable: bool = True) -> None:
        self.inner, self.log = inner, log
        if copyable:
            self.copy = self._copy

    def load_policies(self, files) -> None:
        self.inner.load_policies(files)

    def set_data(self, data) -> None:
        self.inner.set_data(data)

    def query(self, expression: str, input_value: Any = None) -> Any:
        self.log["threads"].append(threading.get_ident())
        return self.inner.query(expression, input_value)

    def _copy(self) -> "Recording":
        self.log["copies"].append(1)
        return Recording(self.inner.copy(), self.log)

    def close(self) -> None:
        self.log["closed"].append(1)


def run_with(engine, catalog, inv, ids, workers: int, copyable: bool = True) -> tuple[dict, dict[str, list]]:
    log: dict[str, list] = {"threads": [], "copies": [], "closed": [], "told": []}
    results = evaluate_target(Recording(engine, log, copyable), controls(catalog, *ids), inv, today=TODAY,
                              on_control=lambda c: log["told"].append(c.id), workers=workers)
    return results, log


def test_workers_share_the_controls_and_each_copy_is_closed(catalog, engine, tmp_path: Path) -> None:
    inv = inventory(tmp_path / "cell", CONFIG_MAPS)
    ids = ("KZ-TST-01", "KZ-TST-02", "KZ-TST-03", "KZ-TST-05", "KZ-TST-06", "KZ-TST-11")
    alone, log = run_with(engine, catalog, inv, ids, workers=1)
    assert (log["copies"], set(log["threads"]), sorted(log["told"])) == ([], {threading.get_ident()}, sorted(ids))
    for workers, some in ((3, ids), (2, ids), (2, ids[:2])):
        shared, log = run_with(engine, catalog, inv, some, workers=workers)
        assert (len(log["copies"]), len(log["closed"]), sorted(log["told"])) == (workers - 1, workers - 1, sorted(some))
        assert threading.get_ident() not in log["threads"]
        assert {cid: shown(r) for cid, r in shared.items()} == {cid: shown(alone[cid]) for cid in some}


def test_one_control_or_an_engine_without_copies_runs_in_the_calling_thread(catalog, engine, tmp_path: Path) -> None:
    inv = inventory(tmp_path / "cell", CONFIG_MAPS)
    for ids, copyable in ((("KZ-TST-01",), True), (("KZ-TST-01", "KZ-TST-11"), False)):
        results, log = run_with(engine, catalog, inv, ids, workers=4, copyable=copyable)
        assert (log["copies"], set(log["threads"]), sorted(results)) == ([], {threading.get_ident()}, sorted(ids))


@pytest.mark.parametrize("cores, workers", [(None, 1), (1, 1), (2, 2), (4, 4), (64, 4)])
def test_default_workers_is_one_per_core_up_to_four(monkeypatch, cores, workers) -> None:
    monkeypatch.setattr("os.cpu_count", lambda: cores)
    assert default_workers() == workers


def test_merge_gathers_each_control_s_results_in_target_order(catalog) -> None:
    one, two = controls(catalog, "KZ-TST-01", "KZ-TST-02")
    first = {one.id: TargetResult("a", "pass"), two.id: TargetResult("a", "fail")}
    second = {one.id: TargetResult("b", "error")}
    assert merge([one, two], [first, second]) == [
        ControlResult(one, [TargetResult("a", "pass"), TargetResult("b", "error")]),
        ControlResult(two, [TargetResult("a", "fail")])]
