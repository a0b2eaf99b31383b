"""The webhook behind a real kube-apiserver: its modes and its faults.

Enforcement modes as the client sees them (a `Warning` header; a dry-run control admits and
records), the API server's `failurePolicy: Fail` with the server stopped, an injected engine
error, and a certificate rotated while the API server calls the webhook.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.cluster.apiserver import LiveCluster, apply, remove
from tests.webhook.live import CONFIG, WEBHOOK_NAME, serving
from tests.webhook.support import broken_policies, stop

pytestmark = pytest.mark.cluster


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
