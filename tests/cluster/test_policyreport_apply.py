"""`audit --apply-reports` against the real kube-apiserver: Kyverno's Policy Report CRDs
(.tools/crds, from `make tools`) installed, the audit's reports applied and read back, a report
the server refuses, stale reports deleted, credentials that may not write, and a cluster without
the CRDs.

The session's API server is shared (tests/cluster/conftest.py) and may hold the shipped
admission webhook with no server behind it, which refuses every new namespace but its own
and kube-system's: the reports go to `default`, which every server has, and the fixture's
workload is audited as if written there. The CRDs are removed after, and every report with them.
"""

from __future__ import annotations

import json
import secrets
from typing import Any, Iterator

import pytest

from kaze_policy.report.policyreport import API_VERSION, CLUSTER_REPORT, GROUP, VERSION, policy_reports, report_name
from kaze_policy.report.policyreport_apply import CrdsMissing, apply_reports
from kaze_policy.catalog import load_catalog
from kaze_policy.results import FAIL, PASS, ControlResult, Finding, ScanReport, TargetResult
from kaze_policy.sources.cluster import ReadOptions
from tests.cluster.apiserver import RESTRICTED_CONTEXT, LiveCluster, api_client, apply, remove
from tests.conftest import run_cli
from tests.report_cases import FAILING_CASE
from tests.test_policyreport import require_crds

pytestmark = pytest.mark.cluster

NAMESPACE = "default"
# A namespace no server of the tests holds: the server refuses a report in it.
ABSENT = f"kaze-absent-{secrets.token_hex(3)}"


def _served(cluster: LiveCluster) -> bool:
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException

    api = api_client(cluster.kubeconfig)
    try:
        return GROUP in {g.name for g in client.ApisApi(api).get_api_versions().groups}
    except ApiException:
        return False
    finally:
        api.close()


def _get(cluster: LiveCluster, namespace: str | None, name: str) -> dict[str, Any] | None:
    """A report as the server holds it; None when it has none of that name."""
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException

    api = api_client(cluster.kubeconfig)
    objects = client.CustomObjectsApi(api)
    try:
        if namespace is None:
            return objects.get_cluster_custom_object(GROUP, VERSION, "clusterpolicyreports", name)
        return objects.get_namespaced_custom_object(GROUP, VERSION, namespace, "policyreports", name)
    except ApiException as err:
        if err.status == 404:
            return None
        raise
    finally:
        api.close()


def _report(namespace: str | None) -> ScanReport:
    """One control failing on one Deployment of `namespace` (None: every control passes)."""
    control = load_catalog().controls[0]
    findings = [] if namespace is None else [Finding(
        resource={"id": f"Deployment/{namespace}/app", "kind": "Deployment", "namespace": namespace, "name": "app",
                  "file": "cell/app.yaml", "line": 1}, message="app fails", evidence=None, target="cell")]
    result = TargetResult("cell", FAIL if findings else PASS, findings=findings)
    return ScanReport(results=[ControlResult(control, [result])], targets=[], engine="embedded", tool_version="test")


def test_without_the_crds_nothing_is_applied(live_cluster: LiveCluster) -> None:
    if _served(live_cluster):
        pytest.skip(f"this API server already serves {GROUP}")
    with pytest.raises(CrdsMissing) as refused:
        apply_reports(policy_reports(_report(NAMESPACE)), ReadOptions(live_cluster.kubeconfig))
    assert refused.value.exit_code == 3
    assert "does not serve wgpolicyk8s.io/v1alpha2" in str(refused.value) and "\n" not in str(refused.value)


@pytest.fixture(scope="module")
def installed(live_cluster: LiveCluster) -> Iterator[None]:
    """Kyverno's CRDs, created and established for this module's tests, deleted after."""
    crds = list(require_crds().values())
    ours = not _served(live_cluster)
    if ours:
        apply(live_cluster.kubeconfig, crds)
    try:
        yield
    finally:
        if ours:
            remove(live_cluster, crds)


@pytest.fixture(scope="module")
def audited(live_cluster: LiveCluster, installed: None, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The failing fixture audited twice over, its tenant namespace renamed: `default`, and a
    namespace the server lacks."""
    folder = tmp_path_factory.mktemp("policyreports")
    files = {name: (FAILING_CASE / name).read_text() for name in ("namespaces.yaml", "workload.yaml")}
    assert "name: tenant-acme" in files["namespaces.yaml"] and "namespace: tenant-acme" in files["workload.yaml"]
    for name, namespace in (("default", NAMESPACE), ("absent", ABSENT)):
        (folder / name).mkdir()
        for file, text in files.items():
            text = text.replace("name: tenant-acme", f"name: {namespace}")
            (folder / name / file).write_text(text.replace("namespace: tenant-acme", f"namespace: {namespace}"))
    done = run_cli("audit", str(folder / "default"), str(folder / "absent"), "--kubeconfig",
                   str(live_cluster.kubeconfig), "--apply-reports", "--out", str(folder / "out"), "--no-progress",
                   timeout=600)
    return done, folder


def test_one_line_per_report_and_exit_3_for_the_one_refused(audited: Any) -> None:
    done, folder = audited
    assert done.returncode == 3, done.stderr
    lines = done.stderr.splitlines()
    refused = [line for line in lines if "refused" in line]
    assert len(refused) == 1, lines
    assert refused[0].startswith(f"kaze-policy: error: the API server refused to apply PolicyReport {ABSENT}/"
                                 f"{report_name(ABSENT)}: HTTP 404: "), refused
    assert f'namespaces "{ABSENT}" not found' in refused[0]
    assert f"kaze-policy: applied PolicyReport {NAMESPACE}/{report_name(NAMESPACE)}" in lines
    assert f"kaze-policy: applied ClusterPolicyReport {CLUSTER_REPORT}" in lines
    # The audit's own reports were written before anything was applied.
    assert (folder / "out" / "manifest.json").is_file()


def test_the_namespace_report_reads_back_with_its_results_and_summary(live_cluster: LiveCluster,
                                                                      audited: Any) -> None:
    done, folder = audited
    held = _get(live_cluster, NAMESPACE, report_name(NAMESPACE))
    assert held is not None, done.stderr
    assert held["apiVersion"] == API_VERSION and held["metadata"]["labels"]["app.kubernetes.io/managed-by"] == \
        "kaze-policy"
    (failed,) = [r for r in held["results"] if r["policy"] == "KZ-TEN-05"]
    assert failed["result"] == "fail" and "NET_ADMIN" in failed["message"] and failed["source"] == "kaze-policy"
    assert failed["resources"] == [{"apiVersion": "batch/v1", "kind": "Job", "name": "vpn-probe",
                                    "namespace": NAMESPACE}]
    assert failed["properties"]["location"].startswith(str(folder / "default" / "workload.yaml") + ":")
    assert held["summary"] == {key: sum(1 for r in held["results"] if r["result"] == key)
                               for key in ("pass", "fail", "warn", "error", "skip")}
    assert held["summary"]["fail"] >= 1
    # The cluster report holds each control's own verdict, as the audit's JSON report has it.
    audit = json.loads((folder / "out" / "audit.json").read_text())
    cluster = _get(live_cluster, None, CLUSTER_REPORT)
    assert cluster is not None
    passed = [c["id"] for c in audit["controls"] if c["status"] == "pass"]
    assert [r["policy"] for r in cluster["results"] if r["result"] == "pass"] == passed


def test_a_later_apply_updates_and_deletes_what_it_no_longer_writes(live_cluster: LiveCluster,
                                                                    audited: Any) -> None:
    options = ReadOptions(live_cluster.kubeconfig)
    first = apply_reports(policy_reports(_report(NAMESPACE)), options)
    assert all(o.error is None for o in first), [o.line() for o in first]
    assert _get(live_cluster, NAMESPACE, report_name(NAMESPACE))["summary"]["fail"] == 1  # replaced, not added to
    second = apply_reports(policy_reports(_report(None)), options)
    assert [o.line() for o in second] == [
        f"applied ClusterPolicyReport {CLUSTER_REPORT}",
        f"deleted (no finding there any more) PolicyReport {NAMESPACE}/{report_name(NAMESPACE)}"]
    assert _get(live_cluster, NAMESPACE, report_name(NAMESPACE)) is None
    assert _get(live_cluster, None, CLUSTER_REPORT)["summary"] == {"pass": 1, "fail": 0, "warn": 0, "error": 0,
                                                                   "skip": 0}


def test_credentials_that_may_not_write_are_refused_report_by_report(live_cluster: LiveCluster,
                                                                     installed: None) -> None:
    outcomes = apply_reports(policy_reports(_report(NAMESPACE)),
                             ReadOptions(live_cluster.kubeconfig, RESTRICTED_CONTEXT))
    assert outcomes and all(o.error is not None and "HTTP 403" in o.error for o in outcomes), \
        [o.line() for o in outcomes]
    assert {o.action for o in outcomes} == {"apply", "list"}
    assert all("\n" not in o.line() for o in outcomes)
