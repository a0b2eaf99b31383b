"""A failing fixture of each per-object control, created on the real API server: the live scan
finds on its objects exactly what the scan of its files finds (issue 12).

The fixture's objects are what the API server made of them (defaults filled, fields dropped
that it does not know): a control that reads a field the server rewrites would judge the live
object otherwise than its file. Each fixture is removed after its test, its namespaces
finalized by hand (no controller manager runs to do it), so the server is left as found.
"""

from __future__ import annotations


import pytest

from kaze_policy.catalog import load_catalog
from kaze_policy.results import ScanReport
from kaze_policy.scan import ScanOptions, run_scan
from kaze_policy.sources.discover import find_targets, nearest_config
from kaze_policy.sources.kubernetes import CLUSTER_SCOPED_KINDS
from kaze_policy.sources.load import load_target
from kaze_policy.sources.openapi import is_builtin_group
from tests.cluster.apiserver import LiveCluster, apply, case_objects, crds_for, remove
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


@pytest.mark.parametrize(("control", "case"), sorted(CASES.items()))
def test_a_failing_fixture_created_on_the_server_fails_live_on_the_same_objects(
        live_cluster: LiveCluster, control: str, case: str) -> None:
    folder = FIXTURES / control / "fail" / case
    objects = case_objects(folder)
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
        remove(live_cluster, created)
    expected = _finding_ids(files, control)
    assert expected, f"{folder} does not fail {control}"
    # The server's own objects (its namespaces, say) may fail the control too: only the
    # fixture's objects are compared.
    assert _finding_ids(live, control) & fixture_ids == expected
