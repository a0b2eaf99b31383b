"""`scan --kubeconfig` against the real kube-apiserver: what a live read of an applied overlay
gives equals what the scan of its files gives; pages, a 403, an unreachable server and one that stops mid-read.

One API server for the session (tests/cluster/conftest.py); the overlay is applied once, and
the tests that add objects remove them after.
"""

from __future__ import annotations

import json
import socket
import subprocess
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

from dataclasses import dataclass

import pytest
import yaml

from kaze_policy.catalog import load_catalog
from kaze_policy.scan import ScanOptions, run_scan
from kaze_policy.sources import cluster as cluster_source
from kaze_policy.sources.cluster import CLUSTER_SCOPE, ReadOptions, kinds_to_read, read_cluster
from kaze_policy.sources.kubernetes import CLUSTER_SCOPED_KINDS
from kaze_policy.sources.openapi import is_builtin_group
from tests.cluster.apiserver import (RESTRICTED_CONTEXT, RESTRICTED_USER, LiveCluster, api_client, apply, crds_for,
                                     running_cluster)
from tests.conftest import INFRA, ROOT, require_tool, run_cli

pytestmark = pytest.mark.cluster

# The largest overlay of the shipped stack (agency cells hold the most objects).
OVERLAY = INFRA / "kubernetes" / "overlays" / "agency-aws"
CONFIG = INFRA / "kaze-policy.yaml"


def _report(result: subprocess.CompletedProcess) -> dict[str, Any]:
    assert result.stdout, result.stderr
    return json.loads(result.stdout)


def _verdicts(report: dict[str, Any]) -> dict[str, tuple[str, list[str]]]:
    """Control id → (status, the resource ids of its findings)."""
    return {c["id"]: (c["status"], sorted(f["resource"]["id"] for f in c["findings"])) for c in report["controls"]}


def _cluster_scoped(report: dict[str, Any]) -> set[str]:
    return {c["id"] for c in report["controls"] if "cluster" in c["scopes"]}


@dataclass
class Applied:
    objects: list[dict[str, Any]]
    # What the API server made itself before anything was applied (its namespaces, the
    # `kubernetes` Service, the bootstrap roles and bindings): no file of the overlay holds it.
    server_made: frozenset[str]


def apply_overlay(cluster: LiveCluster, kustomize: str, overlay: Path) -> Applied:
    """The overlay, rendered by kustomize and created on the API server (CRDs for its custom kinds first)."""
    rendered = subprocess.run([kustomize, "build", str(overlay)], capture_output=True, text=True, check=True,
                              timeout=120).stdout
    objects = [o for o in yaml.safe_load_all(rendered) if o]
    before = read_cluster(ReadOptions(cluster.kubeconfig), kinds_to_read(load_catalog().controls))
    apply(cluster.kubeconfig, crds_for(objects, is_builtin_group, CLUSTER_SCOPED_KINDS.__contains__) + objects)
    return Applied(objects, frozenset(r.id for r in before.inventory.resources))


@pytest.fixture(scope="module")
def applied(live_cluster: LiveCluster, kustomize: str) -> Applied:
    return apply_overlay(live_cluster, kustomize, OVERLAY)


def live_scan(cluster: LiveCluster, *args: str, config: Path = CONFIG) -> subprocess.CompletedProcess:
    return run_cli("scan", "--kubeconfig", str(cluster.kubeconfig), "--config", str(config), "--root", str(INFRA),
                   "--format", "json", "--no-progress", *args)


def test_live_scan_of_an_applied_overlay_gives_the_verdicts_of_its_files(live_cluster: LiveCluster,
                                                                        applied: Applied) -> None:
    assert_live_verdicts_are_the_files(live_cluster, applied, OVERLAY)


def test_the_features_run_against_the_live_cluster(live_cluster: LiveCluster, applied: Applied,
                                                   tmp_path: Path) -> None:
    """`audit --kubeconfig`: each scenario has the verdict the live scan gives its control."""
    audited = run_cli("audit", "--kubeconfig", str(live_cluster.kubeconfig), "--config", str(CONFIG), "--root",
                      str(INFRA), "--out", str(tmp_path), "--no-progress")
    live = live_scan(live_cluster)
    assert audited.returncode == live.returncode, audited.stderr
    audit = json.loads((tmp_path / "audit.json").read_text())
    assert audit["targets"][0]["kind"] == "cluster"
    scenarios = {s["controls"][0]: s["status"] for f in audit["features"] for s in f["scenarios"]}
    assert scenarios == {cid: status for cid, (status, _) in _verdicts(_report(live)).items()}


@pytest.mark.parametrize("overlay", sorted(o.name for o in OVERLAY.parent.iterdir() if o != OVERLAY))
def test_each_other_overlay_applied_to_a_fresh_server_gives_the_verdicts_of_its_files(kustomize: str,
                                                                                     overlay: str) -> None:
    """The other overlays of infra/ too, each on an API server of its own (they share names)."""
    with running_cluster(require_tool("etcd"), require_tool("kube-apiserver")) as cluster:
        applied = apply_overlay(cluster, kustomize, OVERLAY.parent / overlay)
        assert_live_verdicts_are_the_files(cluster, applied, OVERLAY.parent / overlay)


def assert_live_verdicts_are_the_files(live_cluster: LiveCluster, applied: Applied, overlay: Path) -> None:
    """Control by control, the live findings on the overlay's objects are the file scan's
    findings; the API server's own objects (its system namespaces carry no tenant or plane
    label, its controllers' bootstrap bindings are broad) add findings no file can hold,
    and the live verdict is then `fail` (docs/cluster.md). The cell's configuration is its
    overlay's, as the file scan finds it."""
    started = time.monotonic()
    live = live_scan(live_cluster, config=overlay / "kaze-policy.yaml")
    seconds = time.monotonic() - started
    files = run_cli("scan", str(overlay), "--root", str(INFRA), "--format", "json", "--no-progress")
    live_report, file_report = _report(live), _report(files)
    print(f"API server ready in {live_cluster.start_seconds:.1f} s; live scan of {len(applied.objects)} applied "
          f"objects of {overlay.name}: {seconds:.1f} s")
    assert live_report["targets"][0]["kind"] == "cluster"
    assert live_report["targets"][0]["resources"] >= len(applied.objects)
    cluster_controls = _cluster_scoped(live_report)
    assert len(cluster_controls) >= 20
    live_verdicts, file_verdicts = _verdicts(live_report), _verdicts(file_report)
    for cid in sorted(cluster_controls):
        (live_status, live_ids), (file_status, file_ids) = live_verdicts[cid], file_verdicts[cid]
        own = [rid for rid in live_ids if rid not in applied.server_made]
        assert own == file_ids, cid
        expected = "fail" if len(own) < len(live_ids) else file_status
        assert live_status == expected, (cid, live_verdicts[cid], file_verdicts[cid])
    # The controls of files only are not applicable to a cluster, and say why; but the SBOMs
    # a cell's configuration ships are read with it (the supply-chain scope), and judged
    # against the images the cluster runs as against those of the files.
    for control in live_report["controls"]:
        if control["id"] not in cluster_controls:
            assert control["status"] == "not_applicable" or "supply-chain" in control["scopes"], control
            if control["status"] != "not_applicable":
                assert live_verdicts[control["id"]] == file_verdicts[control["id"]], control["id"]


def test_a_list_longer_than_a_page_is_read_whole(live_cluster: LiveCluster) -> None:
    from kubernetes import client

    api = api_client(live_cluster.kubeconfig)
    core = client.CoreV1Api(api)
    label = "kaze.io/test=pages"
    # kube-system: the shipped webhook registration, applied by another test of this session
    # with no server behind it, leaves that namespace out (it would refuse them elsewhere).
    try:
        for i in range(25):
            core.create_namespaced_config_map("kube-system", {"metadata": {"name": f"page-{i:02d}",
                                                                            "labels": {"kaze.io/test": "pages"}}})
        read = read_cluster(ReadOptions(live_cluster.kubeconfig, page_size=4), frozenset({"ConfigMap"}))
    finally:
        core.delete_collection_namespaced_config_map("kube-system", label_selector=label)
        api.close()
    names = sorted(r.name for r in read.inventory.resources if r.name.startswith("page-"))
    assert names == [f"page-{i:02d}" for i in range(25)]
    assert all(r.origin.file == f"{live_cluster.server}/api/v1/namespaces/kube-system/configmaps/{r.name}"
               and r.origin.line is None for r in read.inventory.resources if r.name.startswith("page-"))


def _everything_but_network_policies(api: Any) -> list[dict[str, Any]]:
    """Read rules on every API group the server serves, less `networkpolicies`."""
    from kubernetes import client

    groups = [g.name for g in client.ApisApi(api).get_api_versions().groups if g.name != "networking.k8s.io"]
    verbs = ["get", "list", "watch"]
    return [{"apiGroups": ["", *groups], "resources": ["*"], "verbs": verbs},
            {"apiGroups": ["networking.k8s.io"], "resources": ["ingresses", "ingressclasses"], "verbs": verbs}]


def test_a_kind_the_credentials_may_not_list_makes_the_controls_that_need_it_errors(
        live_cluster: LiveCluster, applied: Applied) -> None:
    from kubernetes import client

    api = api_client(live_cluster.kubeconfig)
    rbac = client.RbacAuthorizationV1Api(api)
    name = "kaze-test-restricted"
    try:
        rbac.create_cluster_role({"metadata": {"name": name}, "rules": _everything_but_network_policies(api)})
        rbac.create_cluster_role_binding({"metadata": {"name": name},
                                          "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                                                      "name": name},
                                          "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User",
                                                        "name": RESTRICTED_USER}]})
        result = live_scan(live_cluster, "--context", RESTRICTED_CONTEXT)
    finally:
        rbac.delete_cluster_role_binding(name)
        rbac.delete_cluster_role(name)
        api.close()
    assert result.returncode == 3, result.stderr
    verdicts = {c["id"]: c for c in _report(result)["controls"]}
    # KZ-EGR-02 judges NetworkPolicies one by one: it could not see them.
    assert verdicts["KZ-EGR-02"]["status"] == "error"
    assert "list networkpolicies.networking.k8s.io" in verdicts["KZ-EGR-02"]["reason"]
    # Cross-resource controls read everything: the reachability of KZ-TEN-02 needs the policies too.
    assert verdicts["KZ-TEN-02"]["status"] == "error"
    # A per-object control whose kinds were all read is judged as usual.
    assert verdicts["KZ-SUP-01"]["status"] == "pass"


def test_a_snapshot_gives_the_verdicts_of_the_live_scan(live_cluster: LiveCluster, applied: list[dict[str, Any]],
                                                        tmp_path: Path) -> None:
    from kubernetes import client

    snapshot = tmp_path / "cell.json"
    api = api_client(live_cluster.kubeconfig)
    core = client.CoreV1Api(api)
    # kube-system: the overlay's admission webhooks (no backend here) leave it alone.
    core.create_namespaced_secret("kube-system", {"metadata": {"name": "kaze-test-token"},
                                                  "stringData": {"token": "s3cr3t-value"}})
    try:
        taken = run_cli("snapshot", "--kubeconfig", str(live_cluster.kubeconfig), "-o", str(snapshot))
        live = live_scan(live_cluster)
    finally:
        core.delete_namespaced_secret("kaze-test-token", "kube-system")
        api.close()
    assert taken.returncode == 0, taken.stderr
    text = snapshot.read_text()
    document = json.loads(text)
    assert document["header"]["server"] == live_cluster.server
    assert document["header"]["serverVersion"].startswith("v1.37.")
    assert document["header"]["identity"] == "context admin (user admin)"
    secrets = [item["object"] for item in document["items"] if item["object"]["kind"] == "Secret"]
    assert [s["metadata"]["name"] for s in secrets] == ["kaze-test-token"]
    assert "s3cr3t-value" not in text and "czNjcjN0LXZhbHVl" not in text  # the value, nor its base64
    from_file = run_cli("scan", str(snapshot), "--config", str(CONFIG), "--root", str(INFRA), "--format", "json")
    assert _verdicts(_report(from_file)) == _verdicts(_report(live))
    assert from_file.returncode == live.returncode


def _bind_to_restricted(api: Any, role: str) -> str:
    from kubernetes import client

    name = f"kaze-test-{role}"
    client.RbacAuthorizationV1Api(api).create_cluster_role_binding({
        "metadata": {"name": name},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": RESTRICTED_USER}]})
    return name


def test_the_shipped_audit_role_is_all_a_live_scan_needs(live_cluster: LiveCluster, applied: Applied) -> None:
    """infra's ClusterRole kaze-policy-audit (what the in-cluster audit runs with), bound to a
    user who holds nothing else, reads everything the admin's scan reads: the same verdicts.
    Without it, every cluster control is an error."""
    from kubernetes import client

    without = live_scan(live_cluster, "--context", RESTRICTED_CONTEXT)
    api = api_client(live_cluster.kubeconfig)
    binding = _bind_to_restricted(api, "kaze-policy-audit")
    try:
        restricted = live_scan(live_cluster, "--context", RESTRICTED_CONTEXT)
        admin = live_scan(live_cluster)
    finally:
        client.RbacAuthorizationV1Api(api).delete_cluster_role_binding(binding)
        api.close()
    assert _verdicts(_report(restricted)) == _verdicts(_report(admin))
    assert restricted.returncode == admin.returncode != 3
    assert without.returncode == 3
    for control in _report(without)["controls"]:
        if "cluster" in control["scopes"]:
            assert control["status"] == "error" and "HTTP 403" in control["reason"], control


def test_every_applied_object_of_a_kind_the_controls_read_is_read_back(live_cluster: LiveCluster,
                                                                       applied: Applied) -> None:
    """Whatever version of its group serves it (AlertmanagerConfig: v1alpha1 beside v1)."""
    from kaze_policy.inventory import resource_id

    kinds = kinds_to_read(load_catalog().controls)
    read = read_cluster(ReadOptions(live_cluster.kubeconfig), kinds)
    ids = {r.id for r in read.inventory.resources}
    wanted = {resource_id(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"])
              for o in applied.objects if o["kind"] in kinds}
    assert wanted - ids == set()
    assert {"AlertmanagerConfig", "CiliumNetworkPolicy", "Cluster", "Server"} <= {r.kind for r in read.inventory.resources}
    assert read.forbidden == {}



class _Cut:
    """A TCP relay to the API server that can be cut: to the client, the server stops (its
    connections drop, its port refuses) in the middle of whatever it was reading."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                near, _ = self.listener.accept()
            except OSError:
                return  # cut
            far = socket.create_connection(self.upstream)
            self.sockets += [near, far]
            for source, sink in ((near, far), (far, near)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass

    def cut(self) -> None:
        for sock in [self.listener, *self.sockets]:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()


def test_a_server_that_stops_in_the_middle_of_the_read_makes_every_cluster_control_an_error(
        live_cluster: LiveCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No verdict from half a cluster: the kinds read before the server stopped judge nothing."""
    url = urllib.parse.urlsplit(live_cluster.server)
    relay = _Cut((url.hostname, url.port))
    config = yaml.safe_load(live_cluster.kubeconfig.read_text())
    for entry in config["clusters"]:
        entry["cluster"]["server"] = f"https://127.0.0.1:{relay.port}"
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump(config))
    listed: list[str] = []
    list_kind = cluster_source._list

    def list_then_stop(client: Any, api: Any, page_size: int) -> list[dict[str, Any]]:
        objects = list_kind(client, api, page_size)
        listed.append(api.kind)
        relay.cut()  # after the first kind: the rest of the read meets a stopped server
        return objects

    monkeypatch.setattr(cluster_source, "_list", list_then_stop)
    try:
        report = run_scan(ScanOptions(paths=[], kubeconfig=kubeconfig, config=CONFIG, workers=1), load_catalog())
    finally:
        relay.cut()
    assert len(listed) == 1
    judged = [r for r in report.results if CLUSTER_SCOPE in r.control.scopes]
    assert judged and {r.status for r in judged} == {"error"}
    assert all("cannot read the API server" in t.reason and not t.findings for r in judged for t in r.targets)


def test_an_api_group_whose_discovery_fails_makes_only_the_controls_that_may_need_it_errors(
        live_cluster: LiveCluster, tmp_path: Path) -> None:
    """An aggregated API whose backend is missing (metrics-server down): the API server lists
    its group and answers 503 to its discovery. A control whose kinds were all found is judged;
    one that needs a kind no group served (it could be in that group) is an error saying so."""
    from kubernetes import client

    api = api_client(live_cluster.kubeconfig)
    registration = client.ApiregistrationV1Api(api)
    registration.create_api_service({
        "apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService", "metadata": {"name": "v1beta1.metrics.k8s.io"},
        "spec": {"group": "metrics.k8s.io", "version": "v1beta1", "groupPriorityMinimum": 100, "versionPriority": 100,
                 "service": {"namespace": "kube-system", "name": "metrics-server"}}})
    try:
        report = run_scan(ScanOptions(paths=[], kubeconfig=live_cluster.kubeconfig, config=CONFIG, workers=1),
                          load_catalog())
        saved = run_cli("snapshot", "--kubeconfig", str(live_cluster.kubeconfig), "-o", str(tmp_path / "cell.json"))
    finally:
        registration.delete_api_service("v1beta1.metrics.k8s.io")
        api.close()
    # The snapshot is written, says what is unknown, and exits 3; its scan gives the same error.
    assert saved.returncode == 3 and "unknown whether the cluster holds" in saved.stderr, saved.stderr
    undiscovered = json.loads((tmp_path / "cell.json").read_text())["header"]["undiscovered"]
    assert "PeerAuthentication" in undiscovered
    from_file = _report(run_cli("scan", str(tmp_path / "cell.json"), "--config", str(CONFIG), "--format", "json",
                                "--control", "KZ-TEN-03", "--no-progress"))
    assert from_file["controls"][0]["status"] == "error"
    assert "cannot tell whether the cluster holds" in from_file["controls"][0]["reason"]
    statuses = {r.control.id: r for r in report.results}
    assert statuses["KZ-TEN-01"].status in ("pass", "fail")  # it reads Namespaces, which were found
    cross = statuses["KZ-TEN-03"]  # a cross-resource control reads every kind
    assert cross.status == "error"
    assert "cannot tell whether the cluster holds" in cross.reason and "PeerAuthentication" in cross.reason
    assert "metrics.k8s.io/v1beta1 (HTTP 503 on GET /apis/metrics.k8s.io/v1beta1" in cross.reason
