"""The webhook behind a real kube-apiserver: one API server per test module, the reader role
granted, and `serving()`: `kaze-policy serve` registered with infra's ValidatingWebhookConfiguration.

A registration refuses what it judges in every namespace it does not leave out: the modules
that register one run on an API server of their own (tests/webhook/conftest.py), never on the
session's shared one.
"""

from __future__ import annotations

import base64
import copy
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from tests.cluster.apiserver import RESTRICTED_CONTEXT, RESTRICTED_USER, LiveCluster, api_client, apply
from tests.conftest import FIXTURES, INFRA
from tests.webhook.support import Webhook, running_webhook

WEBHOOK_MANIFEST = INFRA / "kubernetes" / "base" / "kaze-policy" / "webhook.yaml"
RBAC_MANIFEST = INFRA / "kubernetes" / "base" / "kaze-policy" / "rbac.yaml"
CONFIG = FIXTURES / "kaze-policy.yaml"
WEBHOOK_NAME = "validate.kaze-policy.kaze.io"


def grant_reader(cluster: LiveCluster) -> None:
    """The shipped reader ClusterRole, bound to the test's restricted user (and nothing else)."""
    (role,) = [d for d in yaml.safe_load_all(RBAC_MANIFEST.read_text())
               if d and d["kind"] == "ClusterRole" and d["metadata"]["name"] == "kaze-policy-reader"]
    binding = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
               "metadata": {"name": "kaze-policy-reader-test"},
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role["metadata"]["name"]},
               "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": RESTRICTED_USER}]}
    apply(cluster.kubeconfig, [role, binding])


def registration(url: str, ca: Path) -> dict[str, Any]:
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
        apply(cluster.kubeconfig, [registration(server.url, server.pki.ca)])
        try:
            wait_called(cluster, server)
            yield server
        finally:
            unregister(cluster)


def wait_called(cluster: LiveCluster, server: Webhook) -> None:
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


def unregister(cluster: LiveCluster) -> None:
    from kubernetes import client
    api = api_client(cluster.kubeconfig)
    try:
        client.AdmissionregistrationV1Api(api).delete_validating_webhook_configuration("kaze-policy")
    finally:
        api.close()
