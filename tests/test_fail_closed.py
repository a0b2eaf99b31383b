"""What `scan` does when a control cannot be judged, does not apply, or is waived: never a false pass.

Each case runs the CLI (the public contract) on a small catalog of its own (--policies), whose
controls report an error, lack their `violation` rule, need a scope the target has not, or fail
on every ConfigMap, so that the verdict depends on evaluate.py alone and not on the shipped rules.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import run_cli

CONFIG = "apiVersion: kaze.io/v1\nkind: KazePolicyConfig\nregistries: [registry.kaze.io/kaze]\n"
CONFIG_MAPS = "".join(
    f"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}, namespace: tenant-acme}}\ndata: {{a: b}}\n"
    for name in ("alpha", "beta", "gamma"))
ALPHA, BETA, GAMMA = (f"ConfigMap/tenant-acme/{name}" for name in ("alpha", "beta", "gamma"))


def control(cid: str, package: str, body: str, scopes: str = "[iac, cluster]", kinds: str = "") -> str:
    """A policy module with the catalog's METADATA."""
    meta = ["# METADATA", f"# title: {cid} under test", "# custom:", f"#   id: {cid}", "#   severity: high",
            f"#   scopes: {scopes}"]
    if kinds:
        meta.append(f"#   kinds: {kinds}")
    return "\n".join([*meta, f"package {package}", "", "import rego.v1", "", body, ""])


# Every ConfigMap fails (per object, as the shipped per-kind controls are).
EVERY_CONFIG_MAP = control("KZ-TST-01", "test.every_config_map",
                           'violation contains {"msg": "a ConfigMap"} if input.object.kind == "ConfigMap"',
                           kinds="[ConfigMap]")
# A control that knows it cannot judge the target (as KZ-MTL-03 without its runtime evidence).
CANNOT_JUDGE = control("KZ-TST-02", "test.cannot_judge", 'errors contains "the evidence is unreadable"\n\n'
                       'violation contains {"msg": "never"} if false')
# A control whose rule is misnamed: no `violation` at all.
NO_VIOLATION_RULE = control("KZ-TST-03", "test.no_violation_rule", 'violations contains "a typo" if true')
NO_VIOLATION_RULE_PER_OBJECT = control("KZ-TST-04", "test.no_violation_rule_per_object",
                                       'violations contains "a typo" if true', kinds="[ConfigMap]")
# A Vault control: the target, manifests alone, has no Vault to judge; were it judged, it would pass.
NEEDS_VAULT = control("KZ-TST-05", "test.needs_vault", 'violation contains "never" if false', scopes="[vault]")


def scan(tmp_path: Path, policy: str, control_id: str, waivers: str = "") -> tuple[subprocess.CompletedProcess, dict]:
    """`scan --format json` of three ConfigMaps (and `waivers`) with a catalog of `policy` alone."""
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "control.rego").write_text(policy)
    (tmp_path / "cell").mkdir()
    (tmp_path / "cell" / "kaze-policy.yaml").write_text(CONFIG + waivers)
    (tmp_path / "cell" / "config-maps.yaml").write_text(CONFIG_MAPS)
    result = run_cli("scan", str(tmp_path / "cell"), "--policies", str(tmp_path / "policies"),
                     "--control", control_id, "--format", "json", "--no-progress")
    assert result.stdout, result.stderr
    return result, json.loads(result.stdout)["controls"][0]


def waiver(resource: str, until: dt.date, cid: str = "KZ-TST-01") -> str:
    return (f"  - {{control: {cid}, resource: {json.dumps(resource)}, reason: migration, by: sec-team, "
            f"until: {until.isoformat()}}}\n")


FAR = dt.date(2099, 1, 1)


def waived_ids(result: dict) -> list[tuple[str, bool]]:
    """Each finding's resource, and whether it is waived (the report lists the waived apart)."""
    return sorted([(f["resource"]["id"], False) for f in result["findings"]]
                  + [(f["resource"]["id"], True) for f in result["waived"]])


@pytest.mark.parametrize(("policy", "control_id", "reason"), [
    (CANNOT_JUDGE, "KZ-TST-02", "the evidence is unreadable"),
    (NO_VIOLATION_RULE, "KZ-TST-03", "test.no_violation_rule.violation is not defined"),
    (NO_VIOLATION_RULE_PER_OBJECT, "KZ-TST-04", "violation is not defined"),
], ids=["control-reports-errors", "no-violation-rule", "per-object-without-violation-rule"])
def test_a_control_that_cannot_judge_is_an_error_not_a_pass(tmp_path: Path, policy: str, control_id: str,
                                                            reason: str) -> None:
    result, judged = scan(tmp_path, policy, control_id)
    assert (result.returncode, judged["status"]) == (3, "error"), result.stderr
    assert reason in judged["targets"][0]["reason"]


def test_a_control_whose_scope_the_target_lacks_is_not_applicable_not_a_pass(tmp_path: Path) -> None:
    result, judged = scan(tmp_path, NEEDS_VAULT, "KZ-TST-05")
    assert (result.returncode, judged["status"]) == (0, "not_applicable"), result.stderr
    assert judged["targets"][0]["reason"] == "needs a Vault snapshot or a live Vault; the target has none"


def test_a_waiver_waives_only_the_resources_its_id_or_glob_names(tmp_path: Path) -> None:
    _, judged = scan(tmp_path, EVERY_CONFIG_MAP, "KZ-TST-01",
                     "waivers:\n" + waiver(ALPHA, FAR) + waiver("ConfigMap/tenant-acme/g*", FAR))
    assert waived_ids(judged) == [(ALPHA, True), (BETA, False), (GAMMA, True)]


def test_one_waived_finding_leaves_the_control_failed_while_another_is_not_waived(tmp_path: Path) -> None:
    result, judged = scan(tmp_path, EVERY_CONFIG_MAP, "KZ-TST-01", "waivers:\n" + waiver(ALPHA, FAR))
    assert (result.returncode, judged["status"]) == (1, "fail"), result.stderr


def test_a_waiver_still_waives_on_its_until_date_and_not_the_day_after(tmp_path: Path) -> None:
    today = dt.date.today()
    result, judged = scan(tmp_path, EVERY_CONFIG_MAP, "KZ-TST-01", "waivers:\n" + waiver(ALPHA, today)
                          + waiver(BETA, today - dt.timedelta(days=1)) + waiver(GAMMA, FAR))
    assert waived_ids(judged) == [(ALPHA, True), (BETA, False), (GAMMA, True)]
    assert (result.returncode, judged["status"]) == (1, "fail"), result.stderr
