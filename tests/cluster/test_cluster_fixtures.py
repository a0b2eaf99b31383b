"""A failing fixture of each per-object control, created on the real API server: the live scan
finds on its objects exactly what the scan of its files finds (issue 12).

The fixture's objects are what the API server made of them (defaults filled, fields dropped
that it does not know): a control that reads a field the server rewrites would judge the live
object otherwise than its file. Each fixture is removed after its test, its namespaces
finalized by hand (no controller manager runs to do it), so the server is left as found.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kaze_policy.catalog import load_catalog
from kaze_policy.results import ScanReport
from kaze_policy.scan import ScanOptions, run_scan
from kaze_policy.sources.discover import find_targets, nearest_config
from kaze_policy.sources.kubernetes import CLUSTER_SCOPED_KINDS
from kaze_policy.sources.load import load_target
from kaze_policy.sources.openapi import is_builtin_group
from tests.cluster.apiserver import LiveCluster, api_client, apply, crds_for
from tests.conftest import ROOT

pytestmark = pytest.mark.cluster

FIXTURES = ROOT / "fixtures"
# The first failing case of each control that judges one object at a time (scopes admission
# and cluster). KZ-SUP-02 is left out: it judges signature verifications, not cluster objects.
CASES = {
    "KZ-EGR-02": "any-ipv4-with-except",
    "KZ-MTL-01": "cronjob-opts-out",
    "KZ-MTL-02": "istio-exclude-outbound-ports",
    "KZ-SUP-01": "digest-from-untrusted-registry",
    "KZ-TEN-01": "missing-tenancy-label",
    "KZ-TEN-05": "added-capability-job",
    "KZ-TEN-07": "serviceaccount-of-other-tenant",
}


def test_the_cases_are_every_per_object_control_but_the_signature_one() -> None:
    per_object = {c.id for c in load_catalog().controls if {"admission", "cluster"} <= set(c.scopes)}
    assert per_object - set(CASES) == {"KZ-SUP-02"}
    assert all((FIXTURES / cid / "fail" / case).is_dir() for cid, case in CASES.items())


def _finding_ids(report: ScanReport, control: str) -> set[str]:
    (result,) = [r for r in report.results if r.control.id == control]
    return {f.resource["id"] for f in result.findings}


def _objects(case: Path) -> list[dict[str, Any]]:
    return [obj for file in sorted(case.glob("*.yaml")) if file.name != "expect.yaml"
            for obj in yaml.safe_load_all(file.read_text()) if obj]


def _remove(cluster: LiveCluster, objects: list[dict[str, Any]]) -> None:
    """Delete what was created. A namespace deleted stays Terminating until its finalizers are
    emptied and it is deleted again, which the namespace controller would do: done here."""
    from kubernetes import client, dynamic
    from kubernetes.client.exceptions import ApiException

    api = api_client(cluster.kubeconfig)
    try:
        dyn = dynamic.DynamicClient(api)
        core = client.CoreV1Api(api)
        for obj in sorted(objects, key=lambda o: o["kind"] in ("Namespace", "CustomResourceDefinition")):
            name = obj["metadata"]["name"]
            try:
                resource = dyn.resources.get(api_version=obj["apiVersion"], kind=obj["kind"])
                namespace = obj["metadata"].get("namespace") or ("default" if resource.namespaced else None)
                resource.delete(name=name, namespace=namespace)
                if obj["kind"] == "Namespace":
                    core.replace_namespace_finalize(name, {"metadata": {"name": name}, "spec": {"finalizers": []}})
                    resource.delete(name=name)
                    with pytest.raises(ApiException, match="404"):
                        core.read_namespace(name)  # gone, not Terminating
            except ApiException as err:
                if err.status != 404:
                    raise
    finally:
        api.close()


@pytest.mark.parametrize(("control", "case"), sorted(CASES.items()))
def test_a_failing_fixture_created_on_the_server_fails_live_on_the_same_objects(
        live_cluster: LiveCluster, control: str, case: str) -> None:
    folder = FIXTURES / control / "fail" / case
    objects = _objects(folder)
    created = crds_for(objects, is_builtin_group, CLUSTER_SCOPED_KINDS.__contains__) + objects
    (spec,) = find_targets([str(folder)])
    fixture_ids = {r.id for r in load_target(spec).resources}
    catalog = load_catalog()
    files = run_scan(ScanOptions(paths=[str(folder)], controls=[control], workers=1), catalog)
    try:
        apply(live_cluster.kubeconfig, created)
        live = run_scan(ScanOptions(paths=[], kubeconfig=live_cluster.kubeconfig, config=nearest_config(folder),
                                    controls=[control], workers=1), catalog)
    finally:
        _remove(live_cluster, created)
    expected = _finding_ids(files, control)
    assert expected, f"{folder} does not fail {control}"
    # The server's own objects (its namespaces, say) may fail the control too: only the
    # fixture's objects are compared.
    assert _finding_ids(live, control) & fixture_ids == expected
