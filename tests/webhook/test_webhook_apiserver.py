"""The webhook behind a real kube-apiserver, registered with the shipped ValidatingWebhookConfiguration.

An API server of its own (a webhook that refuses what it judges would disturb the other live
tests): infra's webhook (its rules, failurePolicy, selectors) is registered with
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

import base64
import copy
import json
import re
import threading
import time
from contextlib import contextmanager
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
from tests.cluster.apiserver import (
    RESTRICTED_CONTEXT, RESTRICTED_USER, LiveCluster, api_client, apply, case_objects, crds_for, remove,
    running_cluster)
from tests.conftest import FIXTURES, INFRA, require_tool
from tests.webhook.support import Webhook, broken_policies, running_webhook, stop

pytestmark = pytest.mark.cluster

WEBHOOK_MANIFEST = INFRA / "kubernetes" / "base" / "kaze-policy" / "webhook.yaml"
RBAC_MANIFEST = INFRA / "kubernetes" / "base" / "kaze-policy" / "rbac.yaml"
CONFIG = FIXTURES / "kaze-policy.yaml"
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
WEBHOOK_NAME = "validate.kaze-policy.kaze.io"
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
def cluster() -> Iterator[LiveCluster]:
    etcd, apiserver = require_tool("etcd"), require_tool("kube-apiserver")
    with running_cluster(etcd, apiserver) as live:
        _grant_reader(live)
        yield live


def _grant_reader(cluster: LiveCluster) -> None:
    """The shipped reader ClusterRole, bound to the test's restricted user (and nothing else)."""
    (role,) = [d for d in yaml.safe_load_all(RBAC_MANIFEST.read_text())
               if d and d["kind"] == "ClusterRole" and d["metadata"]["name"] == "kaze-policy-reader"]
    binding = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
               "metadata": {"name": "kaze-policy-reader-test"},
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role["metadata"]["name"]},
               "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": RESTRICTED_USER}]}
    apply(cluster.kubeconfig, [role, binding])


def _registration(url: str, ca: Path) -> dict[str, Any]:
    """infra's ValidatingWebhookConfiguration, its service replaced by the test server's URL."""
    manifest = yaml.safe_load(WEBHOOK_MANIFEST.read_text())
    registration = copy.deepcopy(manifest)
    registration["metadata"].pop("annotations", None)  # cert-manager's CA injection: the test gives the CA
    for hook in registration["webhooks"]:
        hook["clientConfig"] = {"url": f"{url}/validate", "caBundle": base64.b64encode(ca.read_bytes()).decode()}
    return registration


@contextmanager
def serving(cluster: LiveCluster, folder: Path, *args: str, config: Path = CONFIG) -> Iterator[Webhook]:
    """`kaze-policy serve` watching the cluster as the reader role, registered as infra registers it."""
    with running_webhook(folder, "--kubeconfig", str(cluster.kubeconfig), "--context", RESTRICTED_CONTEXT,
                         "--config", str(config), "--workers", "2", *args) as server:
        status = server.get("/readyz")[1]
        assert status["cannot_evaluate"] == {}, status
        apply(cluster.kubeconfig, [_registration(server.url, server.pki.ca)])
        try:
            _wait_called(cluster, server)
            yield server
        finally:
            _unregister(cluster)


@pytest.fixture(scope="module")
def webhook(cluster: LiveCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Webhook]:
    with serving(cluster, tmp_path_factory.mktemp("webhook-live")) as server:
        yield server


def _wait_called(cluster: LiveCluster, server: Webhook) -> None:
    """The API server takes a new webhook configuration within a second or so: until it calls this server."""
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException

    api = api_client(cluster.kubeconfig)
    try:
        core = client.CoreV1Api(api)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                core.create_namespace({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "probe"}},
                                      dry_run="All")
            except ApiException as err:
                if err.status != 403:
                    raise
            if any(e["name"] == "probe" for e in server.decisions()):
                return
            time.sleep(0.2)
        raise AssertionError("the API server never called the webhook")
    finally:
        api.close()


def _unregister(cluster: LiveCluster) -> None:
    from kubernetes import client
    api = api_client(cluster.kubeconfig)
    try:
        client.AdmissionregistrationV1Api(api).delete_validating_webhook_configuration("kaze-policy")
    finally:
        api.close()


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


# ----------------------------------------------------------------------------- modes and faults

def _token(cluster: LiveCluster) -> str:
    config = yaml.safe_load(cluster.kubeconfig.read_text())
    (user,) = [u for u in config["users"] if u["name"] == "admin"]
    return str(user["user"]["token"])


def _post(cluster: LiveCluster, obj: dict[str, Any], dry_run: bool = False) -> tuple[int, list[str], dict[str, Any]]:
    """POST an object to the API server as kubectl does: status, the Warning headers, the body."""
    import ssl
    import urllib.error
    import urllib.request

    kind = obj["kind"].lower() + "s"
    namespace = obj["metadata"].get("namespace")
    prefix = "/api/v1" if obj["apiVersion"] == "v1" else f"/apis/{obj['apiVersion']}"
    path = f"{prefix}/namespaces/{namespace}/{kind}" if namespace else f"{prefix}/{kind}"
    request = urllib.request.Request(cluster.server + path + ("?dryRun=All" if dry_run else ""),
                                     data=json.dumps(obj).encode(), method="POST",
                                     headers={"Authorization": f"Bearer {_token(cluster)}",
                                              "Content-Type": "application/json"})
    context = ssl.create_default_context(cafile=str(cluster.ca_file))
    try:
        with urllib.request.urlopen(request, context=context, timeout=30) as answer:
            return answer.status, answer.headers.get_all("Warning") or [], json.loads(answer.read())
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get_all("Warning") or [], json.loads(err.read())


def _namespace(name: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "labels": labels or {},
                         "annotations": {"linkerd.io/inject": "enabled",
                                         "config.linkerd.io/default-inbound-policy": "all-authenticated"}}}


TENANT = _namespace("tenant-acme", {"kaze.io/tenant": "acme", "pod-security.kubernetes.io/enforce": "restricted"})
# A shared-plane namespace: KZ-TEN-05 judges its pods, and no Pod Security label refuses them
# before the webhook is asked (as it would in a tenant's namespace).
SHARED = _namespace("kaze-agent-runtime", {"kaze.io/plane": "shared"})
# No controller manager runs: the service account every pod names is created by hand.
DEFAULT_ACCOUNT = {"apiVersion": "v1", "kind": "ServiceAccount",
                   "metadata": {"name": "default", "namespace": "kaze-agent-runtime"}}


def _capable_pod(name: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "kaze-agent-runtime", "labels": labels or {},
                         "annotations": {"linkerd.io/inject": "enabled"}},
            "spec": {"automountServiceAccountToken": False, "containers": [{
                "name": "agent", "image": "registry.kaze.io/kaze/agent@sha256:" + "a" * 64,
                "securityContext": {"capabilities": {"add": ["SYS_ADMIN"]}}}]}}


def _config_with(folder: Path, admission: dict[str, Any]) -> Path:
    config = yaml.safe_load(CONFIG.read_text())
    config["admission"] = admission
    path = folder / "kaze-policy.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_warn_mode_warns_the_client_and_dryrun_admits_and_records(cluster: LiveCluster, tmp_path: Path) -> None:
    config = _config_with(tmp_path, {"enforcement": {"KZ-TEN-01": "warn", "KZ-TEN-05": "dryrun"}})
    with serving(cluster, tmp_path / "server", config=config) as server:
        status, warnings, _ = _post(cluster, _namespace("unlabelled"), dry_run=True)
        assert status == 201
        assert any("KZ-TEN-01" in w and "unlabelled" in w for w in warnings), warnings
        status, _, answer = _post(cluster, TENANT, dry_run=True)
        assert status == 201, answer
        (created,) = [e for e in server.decisions() if e["name"] == "tenant-acme"]
        assert created["dryRun"] is True and created["allowed"] is True


def test_a_dryrun_control_admits_what_it_would_deny_and_records_it(cluster: LiveCluster, tmp_path: Path) -> None:
    config = _config_with(tmp_path, {"enforcement": {"KZ-TEN-05": "dryrun"}})
    apply(cluster.kubeconfig, [SHARED, DEFAULT_ACCOUNT])
    try:
        with serving(cluster, tmp_path / "server", config=config) as server:
            status, warnings, answer = _post(cluster, _capable_pod("recorded"), dry_run=True)
            assert status == 201, answer
            assert not any("KZ-TEN-05" in w for w in warnings)
            (entry,) = [e for e in server.decisions() if e["name"] == "recorded"]
            assert {(v["control"], v["mode"], v["denied"]) for v in entry["violations"]} == {("KZ-TEN-05", "dryrun", False)}
    finally:
        remove(cluster, [SHARED, DEFAULT_ACCOUNT])


def test_with_the_webhook_stopped_nothing_it_judges_is_created(cluster: LiveCluster, tmp_path: Path) -> None:
    with serving(cluster, tmp_path) as server:
        stop(server.process)
        status, _, answer = _post(cluster, TENANT, dry_run=True)
        assert status == 500 and f'failed calling webhook "{WEBHOOK_NAME}"' in answer["message"], answer
        # What it does not judge is untouched (kube-system is left out of the registration).
        assert _post(cluster, {"apiVersion": "v1", "kind": "ConfigMap",
                               "metadata": {"name": "untouched", "namespace": "kube-system"}}, dry_run=True)[0] == 201


def test_an_engine_error_denies_the_request(cluster: LiveCluster, tmp_path: Path) -> None:
    apply(cluster.kubeconfig, [SHARED, DEFAULT_ACCOUNT])
    try:
        with serving(cluster, tmp_path, "--policies", str(broken_policies(tmp_path))):
            status, _, answer = _post(cluster, _capable_pod("boom", {"boom": "yes"}), dry_run=True)
            assert status in (403, 500), answer
            assert "kaze-policy could not evaluate the policy for Pod kaze-agent-runtime/boom" in answer["message"]
    finally:
        remove(cluster, [SHARED, DEFAULT_ACCOUNT])


def test_a_certificate_rotated_mid_run_drops_no_request(cluster: LiveCluster, tmp_path: Path) -> None:
    with serving(cluster, tmp_path) as server:
        outcomes: list[tuple[int, Any]] = []
        stop_load = threading.Event()

        def load() -> None:
            n = 0
            while not stop_load.is_set():
                n += 1
                status, _, answer = _post(cluster, _namespace(f"rotation-{n}", {"kaze.io/plane": "shared"}),
                                          dry_run=True)
                outcomes.append((status, answer.get("message")))

        worker = threading.Thread(target=load)
        worker.start()
        try:
            time.sleep(1.0)
            server.pki.issue(server.pki.cert, server.pki.key)
            deadline = time.monotonic() + 10
            while "reloaded" not in server.stderr.read_text() and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(1.5)  # new connections from the API server, on the new certificate
        finally:
            stop_load.set()
            worker.join()
        assert "reloaded" in server.stderr.read_text()
        assert len(outcomes) > 10 and {status for status, _ in outcomes} == {201}, outcomes[:3]
