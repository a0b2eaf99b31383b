"""The webhook's manifests in infra/ match the server: its arguments (read by the CLI's own
parser), ports, probes, certificate and configuration mounts, the registration's settings and
rules, the exempt namespaces of every cell's configuration, and the reader role's grants."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kaze_policy.catalog import load_catalog
from kaze_policy.cli import main
from kaze_policy.config import load_config
from kaze_policy.inventory import KNOWN_POD_TEMPLATES
from kaze_policy.webhook.serve import CONTEXT_KINDS
from kaze_policy.webhook.settings import admission_settings
from tests.conftest import INFRA

BASE = INFRA / "kubernetes" / "base" / "kaze-policy"
# Where the API server serves each kind the admission controls judge (group, plural).
RESOURCES = {
    "Namespace": ("", "namespaces"), "Pod": ("", "pods"), "ReplicationController": ("", "replicationcontrollers"),
    "Secret": ("", "secrets"), "ConfigMap": ("", "configmaps"), "PersistentVolume": ("", "persistentvolumes"),
    "PersistentVolumeClaim": ("", "persistentvolumeclaims"),
    "Deployment": ("apps", "deployments"), "StatefulSet": ("apps", "statefulsets"),
    "DaemonSet": ("apps", "daemonsets"), "ReplicaSet": ("apps", "replicasets"),
    "Job": ("batch", "jobs"), "CronJob": ("batch", "cronjobs"),
    "NetworkPolicy": ("networking.k8s.io", "networkpolicies"),
    "CiliumNetworkPolicy": ("cilium.io", "ciliumnetworkpolicies"),
    "RoleBinding": ("rbac.authorization.k8s.io", "rolebindings"),
    "Server": ("policy.linkerd.io", "servers"), "PeerAuthentication": ("security.istio.io", "peerauthentications"),
}


def _documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def _one(path: Path, kind: str, name: str | None = None) -> dict[str, Any]:
    (found,) = [d for d in _documents(path) if d["kind"] == kind and name in (None, d["metadata"]["name"])]
    return found


def _plural(key: str) -> tuple[str, str]:
    group, _, kind = key.partition("/")
    lower = kind.lower()
    return group, lower[:-1] + "ies" if lower.endswith("y") else lower + ("es" if lower.endswith("s") else "s")


@pytest.fixture(scope="module")
def container() -> dict[str, Any]:
    (found,) = _one(BASE / "deployment.yaml", "Deployment")["spec"]["template"]["spec"]["containers"]
    return found


@pytest.fixture(scope="module")
def serve_params(container: dict[str, Any]) -> dict[str, Any]:
    """The container's arguments as `kaze-policy serve` parses them."""
    assert container["args"][0] == "serve"
    context = main.commands["serve"].make_context("serve", list(container["args"][1:]))
    return context.params


def test_the_deployment_runs_serve_as_the_cluster_needs(container: dict[str, Any], serve_params: dict[str, Any]) -> None:
    spec = _one(BASE / "deployment.yaml", "Deployment")["spec"]["template"]["spec"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"https": serve_params["port"], "metrics": serve_params["metrics_port"]}
    assert serve_params["in_cluster"] is True
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "https", "scheme": "HTTPS"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "https", "scheme": "HTTPS"}
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in spec["volumes"]}
    certificate = _one(BASE / "certificate.yaml", "Certificate")
    for file in (serve_params["cert"], serve_params["key"]):
        assert volumes[mounts[str(Path(file).parent)]]["secret"]["secretName"] == certificate["spec"]["secretName"]
    assert {Path(serve_params["cert"]).name, Path(serve_params["key"]).name} == {"tls.crt", "tls.key"}
    assert volumes[mounts[str(serve_params["config"])]]["configMap"]["name"] == "kaze-policy-config"


def test_the_registration_calls_the_service_and_fails_closed() -> None:
    service = _one(BASE / "deployment.yaml", "Service")
    (hook,) = yaml.safe_load((BASE / "webhook.yaml").read_text())["webhooks"]
    target = hook["clientConfig"]["service"]
    assert (target["name"], target["namespace"], target["path"]) == (
        service["metadata"]["name"], service["metadata"]["namespace"], "/validate")
    assert [p["targetPort"] for p in service["spec"]["ports"] if p["port"] == target["port"]] == ["https"]
    assert hook["failurePolicy"] == "Fail" and hook["sideEffects"] == "None"
    assert hook["admissionReviewVersions"] == ["v1"]


def _cell_configs() -> list[Path]:
    return [BASE / "kaze-policy.yaml", *sorted((INFRA / "kubernetes" / "overlays").glob("*/kaze-policy.yaml")),
            INFRA / "kaze-policy.yaml"]


@pytest.mark.parametrize("config", _cell_configs(), ids=lambda p: str(p.relative_to(INFRA)))
def test_each_cell_exempts_what_the_registration_leaves_out_and_decides_in_time(config: Path) -> None:
    (hook,) = yaml.safe_load((BASE / "webhook.yaml").read_text())["webhooks"]
    (expression,) = hook["namespaceSelector"]["matchExpressions"]
    assert (expression["key"], expression["operator"]) == ("kubernetes.io/metadata.name", "NotIn")
    settings = admission_settings(load_config(config))
    assert set(expression["values"]) == settings.exempt_namespaces
    # The server answers within its budget; the API server waits timeoutSeconds for it.
    assert settings.budget_seconds < hook["timeoutSeconds"]


def test_the_rules_are_every_kind_the_admission_controls_judge() -> None:
    (hook,) = yaml.safe_load((BASE / "webhook.yaml").read_text())["webhooks"]
    registered = set()
    for rule in hook["rules"]:
        assert rule["operations"] == ["CREATE", "UPDATE"]
        registered |= {(group, resource) for group in rule["apiGroups"] for resource in rule["resources"]}
    judged = {kind for c in load_catalog().controls if "admission" in c.scopes and c.per_object
              for kind in c.kinds if kind[:1].isupper()}  # lower case: Terraform's types
    expected = {RESOURCES[kind] for kind in judged} | {_plural(key) for key in KNOWN_POD_TEMPLATES}
    assert registered - {("", "pods/ephemeralcontainers")} == expected


def test_the_reader_role_lists_and_watches_the_context() -> None:
    role = _one(BASE / "rbac.yaml", "ClusterRole", "kaze-policy-reader")
    granted = {(group, resource) for rule in role["rules"] if {"list", "watch"} <= set(rule["verbs"])
               for group in rule["apiGroups"] for resource in rule["resources"]}
    assert {RESOURCES[kind] for kind in CONTEXT_KINDS} <= granted


def test_the_nightly_audit_runs_a_command_the_cli_takes() -> None:
    """infra's audit CronJob: its arguments parse as the live scan they mean, with the probes'
    environment (a Kubernetes login to Vault with the audit role)."""
    cronjob = _one(BASE / "audit-cronjob.yaml", "CronJob")
    (container,) = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    command, *args = container["args"]
    params = main.commands[command].make_context(command, list(args)).params
    assert params["in_cluster"] is True and params["vault_addr"] and params["tls_probes"] == ("auto",)
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    assert any(str(params["config"]).startswith(path) for path in mounts)
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["VAULT_AUTH_ROLE"] == "kaze-policy-audit" and env["VAULT_K8S_TOKEN_PATH"].startswith(
        tuple(mounts))
