"""`--format policyreport`: every document against the official CRDs' schemas (Kyverno's
wgpolicyk8s.io/v1alpha2 PolicyReport and ClusterPolicyReport, which `make tools` copies to
.tools/crds), and how our verdicts map onto the API's results."""

from __future__ import annotations

import copy
import datetime as dt
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from kaze_policy.catalog import load_catalog
from kaze_policy.report import FORMATS, reporter_for
from kaze_policy.report.policyreport import (CLUSTER_REPORT, PolicyReportReporter, _api_version, policy_reports,
                                             report_name)
from kaze_policy.results import ERROR, FAIL, NOT_APPLICABLE, PASS, WAIVED, ControlResult, Finding, ScanReport, \
    TargetResult
from kaze_policy.scan import ScanOptions, run_scan
from tests.conftest import IN_CI, INFRA, ROOT, run_cli
from tests.report_cases import FAILING_CASE, failing_report

CRDS = ROOT / ".tools" / "crds"
CRD_FILES = {"PolicyReport": "wgpolicyk8s.io_policyreports.yaml",
             "ClusterPolicyReport": "wgpolicyk8s.io_clusterpolicyreports.yaml"}
AT = dt.datetime(2026, 12, 7, 12, 30, 15, 250000, tzinfo=dt.timezone.utc)
HOSTILE = "line one\n---\nkind: Secret\n'quoted' \"double\" {flow: [x]} # not a comment \u2028 & *anchor !!python/object"
# metadata is only `type: object` in the CRDs: the API server checks it as it checks any object's.
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_INT_BOUNDS = {"int32": (-2 ** 31, 2 ** 31 - 1), "int64": (-2 ** 63, 2 ** 63 - 1)}


def require_crds() -> dict[str, dict[str, Any]]:
    """The CRDs by kind; skip without them, but fail in CI (CI=true), where `make tools` made them."""
    missing = [name for name in CRD_FILES.values() if not (CRDS / name).is_file()]
    if missing:
        message = f"{', '.join(missing)} not in {CRDS}: run `make tools` (or `make policyreport-crds`)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return {kind: yaml.safe_load((CRDS / name).read_text()) for kind, name in CRD_FILES.items()}


def structural(schema: Any) -> Any:
    """A CRD's structural schema as JSON Schema, strict where the API server is: a field the
    schema does not name is pruned on the server (silently lost), so here it is an error;
    int32 and int64 get their bounds."""
    if isinstance(schema, list):
        return [structural(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: structural(value) for key, value in schema.items() if not key.startswith("x-kubernetes-")}
    if "properties" in schema and "additionalProperties" not in schema \
            and not schema.get("x-kubernetes-preserve-unknown-fields"):
        out["additionalProperties"] = False
    if schema.get("format") in _INT_BOUNDS:
        out["minimum"], out["maximum"] = _INT_BOUNDS[schema["format"]]
    return out


@pytest.fixture(scope="module")
def crds() -> dict[str, dict[str, Any]]:
    return require_crds()


@pytest.fixture(scope="module")
def validators(crds: dict[str, dict[str, Any]]) -> dict[str, jsonschema.Draft202012Validator]:
    out = {}
    for kind, crd in crds.items():
        (version,) = [v for v in crd["spec"]["versions"] if v["name"] == "v1alpha2"]
        schema = structural(version["schema"]["openAPIV3Schema"])
        jsonschema.Draft202012Validator.check_schema(schema)
        out[kind] = jsonschema.Draft202012Validator(schema)
    return out


def check(documents: list[dict[str, Any]], crds: dict[str, dict[str, Any]],
          validators: dict[str, jsonschema.Draft202012Validator]) -> None:
    """Each document: a kind the CRDs define, in their group and version, namespaced as its CRD
    says, with names the API server takes, valid against its CRD's schema."""
    for document in documents:
        kind = document["kind"]
        spec = crds[kind]["spec"]
        assert document["apiVersion"] == f"{spec['group']}/v1alpha2"
        metadata = document["metadata"]
        assert (spec["scope"] == "Namespaced") == ("namespace" in metadata), document["metadata"]
        assert len(metadata["name"]) <= 253 and DNS_SUBDOMAIN.match(metadata["name"])
        assert "namespace" not in metadata or DNS_LABEL.match(metadata["namespace"])
        assert metadata["labels"] == {"app.kubernetes.io/managed-by": "kaze-policy"}
        errors = sorted(validators[kind].iter_errors(document), key=str)
        assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]
        summary = {key: sum(1 for r in document["results"] if r["result"] == key) for key in document["summary"]}
        assert summary == document["summary"]


def render(report: ScanReport) -> list[dict[str, Any]]:
    """The YAML stream as `kubectl apply -f` reads it: every document, none empty."""
    return list(yaml.safe_load_all(PolicyReportReporter(clock=lambda: AT).render(report)))


def test_the_format_is_registered() -> None:
    assert "policyreport" in FORMATS and isinstance(reporter_for("policyreport"), PolicyReportReporter)


def test_a_failing_fixture_gives_a_namespace_report_valid_against_the_crd(crds, validators) -> None:
    report = failing_report()
    documents = render(report)
    check(documents, crds, validators)
    assert [(d["kind"], d["metadata"]["name"]) for d in documents] == [
        ("ClusterPolicyReport", CLUSTER_REPORT), ("PolicyReport", report_name("tenant-acme"))]
    namespaced = documents[1]
    assert namespaced["metadata"]["namespace"] == "tenant-acme"
    (failed,) = [r for r in namespaced["results"] if r["policy"] == "KZ-TEN-05"]
    control = load_catalog().by_id()["KZ-TEN-05"]
    assert failed["result"] == "fail" and failed["severity"] == control.severity and failed["scored"] is True
    assert failed["rule"] == control.package.rsplit(".", 1)[-1] and failed["category"] == "tenancy"
    assert failed["source"] == "kaze-policy" and "NET_ADMIN" in failed["message"]
    assert failed["resources"] == [{"apiVersion": "batch/v1", "kind": "Job", "name": "vpn-probe",
                                    "namespace": "tenant-acme"}]
    assert re.fullmatch(re.escape(str(FAILING_CASE / "workload.yaml")) + r":\d+", failed["properties"]["location"])
    assert failed["properties"]["resource"] == "Job/tenant-acme/vpn-probe"
    assert failed["timestamp"] == {"seconds": int(AT.timestamp()), "nanos": 250_000_000}
    # Every finding is a fail result in the report of its resource's namespace.
    expected = sorted((f.resource.get("namespace") or "", r.control.id) for r in report.results for f in r.findings)
    assert sorted((d["metadata"].get("namespace", ""), r["policy"]) for d in documents for r in d["results"]
                  if r["result"] == "fail") == expected


def test_the_shipped_stack_gives_reports_valid_against_the_crds(crds, validators, kustomize: str) -> None:
    report = run_scan(ScanOptions(paths=[str(INFRA.relative_to(ROOT))]), load_catalog())
    documents = render(report)
    check(documents, crds, validators)
    cluster = documents[0]
    passed = [r.control.id for r in report.results if r.status == PASS]
    assert passed and [r["policy"] for r in cluster["results"] if r["result"] == "pass"] == passed
    assert cluster["summary"]["fail"] == 0 and cluster["summary"]["error"] == 0


def _mixed() -> ScanReport:
    """Real controls, one of each status: a failure (and a waived finding beside it), a control
    all of whose findings are waived, one in error, one not applicable, one that passed."""
    controls = load_catalog().controls[:5]
    waiver = {"by": "security@kaze.io", "reason": "replaced in 1.5", "until": "2999-01-01"}

    def finding(name: str, namespace: str | None = "tenant-acme", waived: bool = False,
                kind: str = "Deployment") -> Finding:
        return Finding(resource={"id": f"{kind}/{namespace}/{name}" if namespace else f"{kind}/{name}",
                                 "kind": kind, "name": name, "namespace": namespace,
                                 "file": "cell/workload.yaml", "line": 7},
                       message=f"{name} fails", evidence=None, target="cell", waiver=waiver if waived else None)

    results = [
        ControlResult(controls[0], [TargetResult("cell", FAIL, findings=[
            finding("agent"), finding("old", waived=True), finding("tenant-beta", None, kind="Namespace")])]),
        ControlResult(controls[1], [TargetResult("cell", WAIVED, findings=[finding("legacy", "edge", True)])]),
        ControlResult(controls[2], [TargetResult("cell", ERROR, "kustomize is not installed")]),
        ControlResult(controls[3], [TargetResult("cell", NOT_APPLICABLE, "no Terraform in the target")]),
        ControlResult(controls[4], [TargetResult("cell", PASS)]),
    ]
    return ScanReport(results=results, targets=[{"name": "cell", "path": "cell", "kind": "files"}],
                      engine="embedded", tool_version="test", taken="2026-12-07T12:00:00+00:00")


def test_each_verdict_maps_to_a_result(crds, validators) -> None:
    report = _mixed()
    documents = render(report)
    check(documents, crds, validators)
    by_name = {(d["metadata"].get("namespace"), d["metadata"]["name"]): d for d in documents}
    assert list(by_name) == [(None, CLUSTER_REPORT), ("edge", "kaze-policy-edge"),
                             ("tenant-acme", "kaze-policy-tenant-acme")]
    ids = [r.control.id for r in report.results]
    results = {ns: [(r["policy"], r["result"]) for r in d["results"]] for (ns, _), d in by_name.items()}
    # The cluster-scoped finding, and each control's own verdict but failing: in the cluster report.
    assert results[None] == [(ids[0], "fail"), (ids[2], "error"), (ids[3], "skip"), (ids[4], "pass")]
    assert results["tenant-acme"] == [(ids[0], "fail"), (ids[0], "skip")]
    assert results["edge"] == [(ids[1], "skip")]
    assert by_name[(None, CLUSTER_REPORT)]["summary"] == {"pass": 1, "fail": 1, "warn": 0, "error": 1, "skip": 1}
    waived = by_name[("tenant-acme", "kaze-policy-tenant-acme")]["results"][1]
    assert {"waived": "true", "waiver.reason": "replaced in 1.5", "waiver.by": "security@kaze.io",
            "waiver.until": "2999-01-01"}.items() <= waived["properties"].items()
    cluster = by_name[(None, CLUSTER_REPORT)]["results"]
    assert cluster[0]["resources"] == [{"apiVersion": "v1", "kind": "Namespace", "name": "tenant-beta"}]
    assert "kustomize is not installed" in cluster[1]["message"] and "resources" not in cluster[1]
    assert cluster[2]["properties"]["status"] == NOT_APPLICABLE and "no Terraform" in cluster[2]["message"]
    # An audit's results carry the time it read its targets, not the clock's.
    assert cluster[3]["timestamp"] == {"seconds": int(dt.datetime.fromisoformat(report.taken).timestamp()),
                                       "nanos": 0}


def test_frameworks_are_a_property(crds, validators) -> None:
    report = _mixed()
    control = report.results[4].control
    (passed,) = [r for r in render(report)[0]["results"] if r["result"] == "pass"]
    for framework, refs in control.frameworks.items():
        assert f"{framework}: {', '.join(refs)}" in passed["properties"]["frameworks"]


def test_hostile_text_stays_one_string_in_one_document(crds, validators) -> None:
    documents = render(failing_report(HOSTILE))
    check(documents, crds, validators)
    assert len(documents) == 2
    assert {r["message"] for r in documents[1]["results"]} == {HOSTILE}


def test_api_versions_of_live_objects_come_from_their_path() -> None:
    server = "https://127.0.0.1:6443"
    assert _api_version("Deployment", f"{server}/apis/apps/v1/namespaces/a/deployments/b") == "apps/v1"
    assert _api_version("Pod", f"{server}/api/v1/namespaces/a/pods/b") == "v1"
    assert _api_version("Widget", "cell.json#/apis/example.io/v2/widgets/w") == "example.io/v2"
    # A file's: Kubernetes' preferred version of a built-in kind; a custom kind's is not guessed.
    assert _api_version("CronJob", "cell/jobs.yaml") == "batch/v1"
    assert _api_version("HorizontalPodAutoscaler", "cell/hpa.yaml") == "autoscaling/v2"
    assert _api_version("Widget", "cell/apis/example.io/v2/widgets/w") is None


def test_the_conversion_refuses_what_the_api_server_would_drop_or_refuse(crds, validators) -> None:
    (document,) = [d for d in render(failing_report()) if d["kind"] == "PolicyReport"]
    for change in (lambda d: d["results"][0].update(result="warning"),
                   lambda d: d["results"][0].update(severity="moderate"),
                   lambda d: d["results"][0].update(evidence={"x": 1}),  # unknown: pruned by the server
                   lambda d: d["results"][0]["properties"].update(line=7),  # properties are strings
                   lambda d: d["results"][0]["timestamp"].update(nanos=2 ** 40),
                   lambda d: d["summary"].update(fail="1")):
        broken = copy.deepcopy(document)
        change(broken)
        assert list(validators["PolicyReport"].iter_errors(broken)), broken["results"][0]


def test_scan_writes_the_stream(tmp_path: Path) -> None:
    out = tmp_path / "reports.yaml"
    done = run_cli("scan", str(FAILING_CASE), "--format", "policyreport", "--output", str(out), "--no-progress")
    assert done.returncode == 1, done.stderr
    documents = list(yaml.safe_load_all(out.read_text()))
    assert [d["kind"] for d in documents] == ["ClusterPolicyReport", "PolicyReport"]


def test_apply_reports_needs_a_cluster(tmp_path: Path) -> None:
    done = run_cli("audit", str(FAILING_CASE), "--apply-reports", "--out", str(tmp_path), "--no-progress")
    assert done.returncode == 2
    assert done.stderr.strip() == ("kaze-policy: error: --apply-reports writes to a cluster: "
                                   "give --kubeconfig FILE or --in-cluster")
