"""A live read in process, against the real kube-apiserver: discovery, pages, Secrets as
metadata, a 403, refused credentials, in-cluster credentials. Quick, and indifferent to what
else the server holds (`make mutation` runs them against one server for a whole run): each
test reads what it made, by names of its own, and removes it after.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from kaze_policy.sources.cluster import ApiResource, ClusterUnreachable, ReadOptions, ClusterClient, discover, read_cluster
from tests.cluster.apiserver import RESTRICTED_CONTEXT, LiveCluster, api_client

pytestmark = pytest.mark.cluster

# The overlay's admission webhooks (test_cluster_scan.py, no backend here) leave kube-system alone.
NAMESPACE = "kube-system"


def test_discovery_finds_each_kind_once_in_the_preferred_version_and_only_what_can_be_listed(
        live_cluster: LiveCluster) -> None:
    client = ClusterClient(ReadOptions(live_cluster.kubeconfig))
    try:
        found = discover(client, frozenset({"Namespace", "Pod", "HorizontalPodAutoscaler", "ClusterRole",
                                            "Binding", "Scale", "TokenRequest", "NoSuchKind"}))
    finally:
        client.close()
    # Binding can only be created; Scale and TokenRequest are subresources (deployments/scale);
    # HorizontalPodAutoscaler is served in autoscaling/v2 (preferred) and v1.
    assert found == [ApiResource("", "v1", "namespaces", "Namespace", False),
                     ApiResource("", "v1", "pods", "Pod", True),
                     ApiResource("autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", True),
                     ApiResource("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", False)]


@pytest.fixture
def made(live_cluster: LiveCluster) -> Iterator[str]:
    """Five ConfigMaps and a Secret in kube-system, their names starting with the prefix yielded."""
    from kubernetes import client

    prefix = f"kaze-read-{secrets.token_hex(4)}-"
    api = api_client(live_cluster.kubeconfig)
    core = client.CoreV1Api(api)
    label = f"kaze.io/test={prefix[:-1]}"
    try:
        for i in range(5):
            core.create_namespaced_config_map(NAMESPACE, {"metadata": {"name": f"{prefix}{i}",
                                                                       "labels": {"kaze.io/test": prefix[:-1]}},
                                                          "data": {"k": str(i)}})
        core.create_namespaced_secret(NAMESPACE, {"metadata": {"name": f"{prefix}secret",
                                                               "labels": {"kaze.io/test": prefix[:-1]}},
                                                  "stringData": {"token": "s3cr3t-value"}})
        yield prefix
    finally:
        core.delete_collection_namespaced_config_map(NAMESPACE, label_selector=label)
        core.delete_collection_namespaced_secret(NAMESPACE, label_selector=label)
        api.close()


def test_every_page_is_read_and_secrets_only_as_metadata(live_cluster: LiveCluster, made: str) -> None:
    read = read_cluster(ReadOptions(live_cluster.kubeconfig, page_size=2), frozenset({"ConfigMap", "Secret"}))
    mine = {r.name: r for r in read.inventory.resources if r.name.startswith(made)}
    assert sorted(mine) == [f"{made}{i}" for i in range(5)] + [f"{made}secret"]
    config_map, secret = mine[f"{made}3"], mine[f"{made}secret"]
    assert (config_map.id, config_map.api_version, config_map.source) == (
        f"ConfigMap/{NAMESPACE}/{made}3", "v1", "cluster")
    assert config_map.origin.file == f"{live_cluster.server}/api/v1/namespaces/{NAMESPACE}/configmaps/{made}3"
    assert config_map.obj["data"] == {"k": "3"} and "managedFields" not in config_map.obj["metadata"]
    assert (config_map.obj["apiVersion"], config_map.obj["kind"]) == ("v1", "ConfigMap")
    assert set(secret.obj) == {"apiVersion", "kind", "metadata"} and "s3cr3t" not in repr(secret.obj)
    assert (secret.obj["kind"], secret.id) == ("Secret", f"Secret/{NAMESPACE}/{made}secret")
    assert read.forbidden == {} and read.server_version.startswith("v1.")
    assert read.identity == "context admin (user admin)"


def test_a_kind_the_credentials_may_not_list_is_recorded_with_the_permission(live_cluster: LiveCluster) -> None:
    read = read_cluster(ReadOptions(live_cluster.kubeconfig, context=RESTRICTED_CONTEXT),
                        frozenset({"ConfigMap", "NetworkPolicy"}))
    assert read.inventory.resources == []
    assert sorted(read.forbidden) == ["ConfigMap", "NetworkPolicy"]
    assert read.forbidden["ConfigMap"].startswith('list configmaps (HTTP 403: configmaps is forbidden: '
                                                  'User "kaze-restricted" cannot list')
    assert read.forbidden["NetworkPolicy"].startswith("list networkpolicies.networking.k8s.io (HTTP 403: ")
    assert read.identity == "context restricted (user restricted)"


def test_credentials_the_server_refuses_stop_the_read(live_cluster: LiveCluster, tmp_path: Path) -> None:
    config = yaml.safe_load(live_cluster.kubeconfig.read_text())
    for user in config["users"]:
        user["user"]["token"] = "not-a-token"
    wrong = tmp_path / "kubeconfig"
    wrong.write_text(yaml.safe_dump(config))
    with pytest.raises(ClusterUnreachable) as raised:
        read_cluster(ReadOptions(wrong), frozenset({"Namespace"}))
    assert raised.value.message == "the API server refused the credentials (HTTP 401) on GET /version"
    assert raised.value.file == live_cluster.server


def test_in_cluster_credentials_read_the_cluster(live_cluster: LiveCluster, monkeypatch: pytest.MonkeyPatch,
                                                 tmp_path: Path) -> None:
    """As in a pod: the service host and port from the environment, the token and CA from the
    service-account files (here the admin's token, at paths the test chooses)."""
    from kubernetes.config import incluster_config

    config = yaml.safe_load(live_cluster.kubeconfig.read_text())
    token = tmp_path / "token"
    token.write_text(next(u["user"]["token"] for u in config["users"] if u["name"] == "admin"))
    host, port = live_cluster.server.removeprefix("https://").rsplit(":", 1)
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", host)
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", port)
    monkeypatch.setattr(incluster_config, "SERVICE_TOKEN_FILENAME", str(token))
    monkeypatch.setattr(incluster_config, "SERVICE_CERT_FILENAME", str(live_cluster.ca_file))
    read = read_cluster(ReadOptions(None), frozenset({"Namespace"}))
    assert read.identity == "in-cluster service account"
    assert {"default", "kube-system"} <= {r.name for r in read.inventory.resources}
