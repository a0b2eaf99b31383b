"""The Vault probe inside a pod: no VAULT_TOKEN, a Kubernetes login with the pod's service
account, as infra's audit CronJob runs it (VAULT_AUTH_ROLE, VAULT_K8S_TOKEN_PATH).

Real parts end to end: OpenBao's kubernetes auth method, configured with the test API server,
reviews a service-account token that API server issued (TokenRequest, audience `vault`) for
the ServiceAccount infra's role binds; the probe then reads with the role's policy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from kaze_policy.probes import ProbeFailed
from kaze_policy.probes.vault import probe_vault
from tests.analysis.openbao import require_bao, running_openbao
from tests.cluster.apiserver import LiveCluster, api_client, apply, remove
from tests.probes.systems import VAULT, load_infra_vault

pytestmark = [pytest.mark.needs_bao, pytest.mark.cluster]

ROLE = json.loads((VAULT / "roles" / "kaze-policy-audit.json").read_text())
(NAMESPACE,) = ROLE["bound_service_account_namespaces"]
(ACCOUNT,) = ROLE["bound_service_account_names"]


def _admin_token(cluster: LiveCluster) -> str:
    (user,) = [u for u in yaml.safe_load(cluster.kubeconfig.read_text())["users"] if u["name"] == "admin"]
    return str(user["user"]["token"])


def _service_account_token(cluster: LiveCluster, audience: str) -> str:
    from kubernetes import client

    api = api_client(cluster.kubeconfig)
    try:
        request = {"spec": {"audiences": [audience], "expirationSeconds": 600}}
        answer = client.CoreV1Api(api).create_namespaced_service_account_token(ACCOUNT, NAMESPACE, request)
        return str(answer.status.token)
    finally:
        api.close()


def test_the_probe_logs_in_with_the_pod_service_account(live_cluster: LiveCluster, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    objects = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}},
               {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": ACCOUNT, "namespace": NAMESPACE}}]
    apply(live_cluster.kubeconfig, objects)
    try:
        with running_openbao(require_bao()) as server:
            load_infra_vault(server)
            server.request("POST", "auth/kubernetes/config", {
                "kubernetes_host": live_cluster.server, "kubernetes_ca_cert": live_cluster.ca_file.read_text(),
                "token_reviewer_jwt": _admin_token(live_cluster), "disable_local_ca_jwt": True})
            token_file = tmp_path / "token"
            token_file.write_text(_service_account_token(live_cluster, ROLE["audience"]))
            monkeypatch.delenv("VAULT_TOKEN", raising=False)
            monkeypatch.setenv("VAULT_AUTH_ROLE", ROLE["name"])
            monkeypatch.setenv("VAULT_K8S_TOKEN_PATH", str(token_file))
            document = probe_vault(server.address)
            assert "kaze-policy-audit" in document["policies"] and document["authRoles"]
            # A token for another audience is refused by the role: one line saying so.
            token_file.write_text(_service_account_token(live_cluster, "not-vault"))
            with pytest.raises(ProbeFailed, match="refused|may not"):
                probe_vault(server.address)
    finally:
        remove(live_cluster, objects)


