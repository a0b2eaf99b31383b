"""Every object the cluster would hold, and only those: duplicates, typed lists, custom workloads."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from kaze_policy.sources.kubernetes import load_manifest
from tests.conftest import FIXTURES, run_cli

DENY_ALL_CASE = FIXTURES / "KZ-TEN-02" / "pass" / "single-policy-both-directions"

ALLOW_ALL = """# The same name as the deny-all: kubectl apply keeps this one.
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
  namespace: tenant-acme
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
  ingress: [{}]
  egress: [{}]
"""


def one_error_line(result) -> str:
    assert result.returncode == 2, result.stdout[:500] + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert result.stdout == ""
    return lines[0]


def test_an_object_defined_twice_is_bad_input_naming_both_places(tmp_path: Path) -> None:
    case = tmp_path / "case"
    shutil.copytree(DENY_ALL_CASE, case)
    (case / "zz-allow-all.yaml").write_text(ALLOW_ALL)
    line = one_error_line(run_cli("scan", str(case), "--config", str(FIXTURES / "kaze-policy.yaml")))
    assert f"{case / 'zz-allow-all.yaml'}:2:" in line
    assert f"{case / 'network-policies.yaml'}:3" in line
    assert "NetworkPolicy tenant-acme/default-deny" in line


def test_the_same_name_in_another_namespace_kind_or_api_group_is_another_object(tmp_path: Path) -> None:
    """Neither is an identical object declared twice (each app folder with its namespace.yaml)."""
    (tmp_path / "ns.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n")
    (tmp_path / "ns-again.yaml").write_text("# the same namespace\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n")
    (tmp_path / "a.yaml").write_text(
        "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: a}\n---\n"
        "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: b}\n---\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web, namespace: a}\n---\n"
        "apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: web, namespace: a}\n---\n"
        "apiVersion: batch/v1\nkind: Job\nmetadata: {generateName: migrate-, namespace: a}\n---\n"
        "apiVersion: batch/v1\nkind: Job\nmetadata: {generateName: migrate-, namespace: a}\n")
    result = run_cli("scan", str(tmp_path), "--format", "json")
    assert result.returncode in (0, 1, 3), result.stderr


def test_terraform_blocks_of_one_id_in_two_folders_are_not_duplicates(tmp_path: Path) -> None:
    for case in ("a", "b"):
        tf = tmp_path / case / "terraform" / "main.tf"
        tf.parent.mkdir(parents=True)
        tf.write_text('resource "aws_s3_bucket" "audit" {\n  bucket = "kaze-audit"\n}\n')
    result = run_cli("scan", str(tmp_path), "--format", "json")
    assert result.returncode in (0, 1, 3), result.stderr


POD_LIST = b"""apiVersion: v1
kind: PodList
metadata:
  resourceVersion: "42"
items:
- metadata:
    name: web
    namespace: tenant-acme
  spec:
    containers:
    - name: web
      image: nginx
- metadata:
    name: job
    namespace: tenant-acme
  spec:
    containers:
    - name: job
      image: busybox
"""


def test_items_of_a_typed_list_take_the_list_kind_and_api_version() -> None:
    resources = load_manifest(POD_LIST, "pods.yaml").resources
    assert [(r.id, r.api_version, r.origin.line) for r in resources] == [
        ("Pod/tenant-acme/web", "v1", 6), ("Pod/tenant-acme/job", "v1", 13)]


def test_items_of_a_grouped_typed_list_keep_the_group() -> None:
    data = json.dumps({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicyList", "items": [
        {"metadata": {"name": "deny", "namespace": "a"}, "spec": {"podSelector": {}}}]}).encode()
    (resource,) = load_manifest(data, "np.json").resources
    assert (resource.id, resource.api_version) == ("NetworkPolicy/a/deny", "networking.k8s.io/v1")


def test_a_privileged_pod_of_a_pod_list_fails_ten_05(tmp_path: Path) -> None:
    namespace = b"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: tenant-acme\n  labels: {kaze.io/tenant: acme}\n"
    (tmp_path / "ns.yaml").write_bytes(namespace)
    (tmp_path / "pods.yaml").write_bytes(POD_LIST.replace(b"      image: busybox\n",
                                                          b"      image: busybox\n      securityContext: {privileged: true}\n"))
    result = run_cli("scan", str(tmp_path), "--control", "KZ-TEN-05", "--format", "json")
    report = json.loads(result.stdout)
    (control,) = report["controls"]
    assert control["status"] == "fail", control
    assert {f["resource"]["id"] for f in control["findings"]} == {"Pod/tenant-acme/job"}


def test_an_item_of_a_plain_list_without_kind_is_bad_input(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Namespace\n  metadata: {name: a}\n"
                    "- metadata: {name: b}\n")
    line = one_error_line(run_cli("scan", str(path)))
    assert f"{path}:7:" in line and "no kind" in line
