"""The webhook behind a real kube-apiserver, registered with the shipped ValidatingWebhookConfiguration.

An API server of its own (tests/webhook/live.py: a webhook that refuses what it judges would
disturb the other live tests): infra's webhook (its rules, failurePolicy, selectors) is registered with
`clientConfig.url` pointing at `kaze-policy serve` on a loopback port and the test CA as
`caBundle`. The server reads its context (list and watch) with the credentials of the
shipped `kaze-policy-reader` ClusterRole, bound to a user with no other grant: a kind that
role cannot read would make controls unevaluable, and their requests denied.

Each case's objects are created through the API server with the official client, context
first (CRDs, Namespaces, the policies a workload's verdict may read), then the rest. What the
scan finds in the case's files, object by object, is what the API server must refuse, with
exactly those control ids in its error; everything else is created.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

from kaze_policy.catalog import load_catalog
from kaze_policy.inventory import WORKLOAD_KINDS
from kaze_policy.scan import ScanOptions, run_scan
from kaze_policy.sources.discover import nearest_config
from kaze_policy.sources.kubernetes import CLUSTER_SCOPED_KINDS
from kaze_policy.sources.openapi import is_builtin_group
from kaze_policy.webhook.serve import CONTEXT_KINDS
from tests.cluster.apiserver import LiveCluster, api_client, apply, case_objects, crds_for, remove
from tests.conftest import FIXTURES
from tests.webhook.live import CONFIG, WEBHOOK_MANIFEST, WEBHOOK_NAME, serving
from tests.webhook.support import Webhook

pytestmark = pytest.mark.cluster

ADMISSION_CONTROLS = sorted(c.id for c in load_catalog().controls if "admission" in c.scopes and c.per_object)
# One failing case per control (KZ-SEC-04: a workload; a Secret is left to its controllers at
# admission, while a repository may hold none), and every passing case made of manifests.
FAILING = {
    "KZ-EGR-02": "any-ipv4-with-except",
    "KZ-MTL-01": "cronjob-opts-out",
    "KZ-MTL-02": "istio-exclude-outbound-ports",
    "KZ-SEC-04": "credential-in-env",
    "KZ-SUP-01": "digest-from-untrusted-registry",
    "KZ-TEN-01": "missing-tenancy-label",
    "KZ-TEN-05": "added-capability-job",
    "KZ-TEN-07": "serviceaccount-of-other-tenant",
}
# Kinds whose objects other objects' verdicts read: created, and seen by the webhook, first.
CONTEXT_FIRST = ("CustomResourceDefinition", "Namespace")
# Namespaces the registration leaves out (its namespaceSelector): the API server never asks about them.
UNASKED = {value for hook in yaml.safe_load(WEBHOOK_MANIFEST.read_text())["webhooks"]
           for expression in hook["namespaceSelector"]["matchExpressions"]
           if expression["key"] == "kubernetes.io/metadata.name" and expression["operator"] == "NotIn"
           for value in expression["values"]}
DENIED = re.compile(r"\[(KZ-[A-Z]{3}-\d{2})\]")


def _cases() -> list[tuple[str, str, str]]:
    cases = [(control, "fail", case) for control, case in FAILING.items()]
    for control in ADMISSION_CONTROLS:
        for folder in sorted((FIXTURES / control / "pass").iterdir()):
            if case_objects(folder) and nearest_config(folder) == CONFIG:
                cases.append((control, "pass", folder.name))
    return cases


def test_the_failing_cases_cover_every_admission_control() -> None:
    assert sorted(FAILING) == ADMISSION_CONTROLS
    assert all(nearest_config(FIXTURES / c / "fail" / case) == CONFIG for c, case in FAILING.items())


@pytest.fixture(scope="module")
def webhook(cluster: LiveCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Webhook]:
    with serving(cluster, tmp_path_factory.mktemp("webhook-live")) as server:
        yield server


def _expected_denials(folder: Path) -> dict[str, set[str]]:
    """Resource id → the admission controls the scan of the case's files finds on it."""
    report = run_scan(ScanOptions(paths=[str(folder)], controls=ADMISSION_CONTROLS, workers=1), load_catalog())
    expected: dict[str, set[str]] = {}
    for result in report.results:
        for target in result.targets:
            for finding in target.findings:
                expected.setdefault(str(finding.resource["id"]), set()).add(result.control.id)
    return expected


def _id(obj: dict[str, Any]) -> str:
    metadata = obj["metadata"]
    return f"{obj['kind']}/{metadata['namespace']}/{metadata['name']}" if metadata.get("namespace") \
        else f"{obj['kind']}/{metadata['name']}"


def _create(cluster: LiveCluster, obj: dict[str, Any]) -> tuple[str, set[str]]:
    """Create one object: ("created", ∅), ("denied", the control ids of the webhook's refusal),
    or ("refused", ∅) when the API server itself refused it before asking the webhook (a pod
    whose service account does not exist, a privileged container the server disallows). A
    Namespace the server already has (kube-system) is updated to the case's."""
    from kubernetes import dynamic
    from kubernetes.client.exceptions import ApiException

    api = api_client(cluster.kubeconfig)
    try:
        resource = dynamic.DynamicClient(api).resources.get(api_version=obj["apiVersion"], kind=obj["kind"])
        namespace = obj["metadata"].get("namespace") or ("default" if resource.namespaced else None)
        try:
            resource.create(body=obj, namespace=namespace)
        except ApiException as err:
            message = json.loads(err.body)["message"]
            if err.status == 409 and obj["kind"] == "Namespace":
                current = resource.get(name=obj["metadata"]["name"]).to_dict()
                resource.replace(body={**obj, "metadata": {**obj["metadata"],
                                                          "resourceVersion": current["metadata"]["resourceVersion"]}})
                return "updated", set()
            if WEBHOOK_NAME not in message:
                return "refused", set()
            assert err.status == 403 and f'admission webhook "{WEBHOOK_NAME}" denied' in message, message
            return "denied", set(DENIED.findall(message))
        return "created", set()
    finally:
        api.close()


def _wait_context(webhook: Webhook, cluster: LiveCluster, kinds: set[str]) -> None:
    """Until the webhook's context holds as many objects of `kinds` as the API server does."""
    from kubernetes import dynamic

    api = api_client(cluster.kubeconfig)
    try:
        dyn = dynamic.DynamicClient(api)
        held = {}
        for kind in kinds:
            found = [r for r in dyn.resources.search(kind=kind) if "/" not in r.name]
            held[kind] = sum(len(r.get().items) for r in found[:1])
    finally:
        api.close()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        objects = webhook.get("/readyz")[1]["context"]["objects"]
        if all(objects.get(kind, 0) == count for kind, count in held.items()):
            return
        time.sleep(0.05)
    raise AssertionError(f"the webhook's context never caught up: {objects} for {held}")


@pytest.mark.parametrize(("control", "verdict", "case"), _cases())
def test_the_api_server_refuses_what_the_scan_fails_and_creates_the_rest(
        cluster: LiveCluster, webhook: Webhook, control: str, verdict: str, case: str) -> None:
    folder = FIXTURES / control / verdict / case
    objects = case_objects(folder)
    expected = _expected_denials(folder)
    if verdict == "fail":
        assert any(control in controls for controls in expected.values()), f"{folder} does not fail {control}"
    crds = crds_for(objects, is_builtin_group, CLUSTER_SCOPED_KINDS.__contains__)
    first = [o for o in objects if o["kind"] in CONTEXT_FIRST]
    # Service accounts and the like before the pods that name them (the API server checks).
    rest = sorted((o for o in objects if o["kind"] not in CONTEXT_FIRST), key=lambda o: o["kind"] in WORKLOAD_KINDS)
    refused: dict[str, set[str]] = {}
    created: list[dict[str, Any]] = []
    unjudged: set[str] = set()  # refused by the API server before it asked the webhook
    try:
        apply(cluster.kubeconfig, crds)
        for tier in (first, rest):
            for obj in tier:
                outcome, ids = _create(cluster, obj)
                if outcome == "created":
                    created.append(obj)
                elif outcome == "denied":
                    refused[_id(obj)] = ids
                elif outcome == "refused":
                    unjudged.add(_id(obj))
            _wait_context(webhook, cluster, {o["kind"] for o in tier if o["kind"] in CONTEXT_KINDS})
    finally:
        remove(cluster, crds + created)
    asked = {_id(o) for o in objects if _namespace_of(o) not in UNASKED} - unjudged
    assert len(unjudged) < len(objects), "the API server refused every object of the case itself"
    assert refused == {rid: ids for rid, ids in expected.items() if rid in asked}


def _namespace_of(obj: dict[str, Any]) -> str | None:
    return obj["metadata"]["name"] if obj["kind"] == "Namespace" else obj["metadata"].get("namespace")
