"""Every object the cluster would hold, and only those: duplicates, typed lists, custom workloads."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from kaze_policy.errors import InputError
from kaze_policy.inventory import Origin
from kaze_policy.sources.kubernetes import load_manifest
from tests.conftest import FIXTURES, require_tool, run_cli

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
    resources = load_manifest(POD_LIST, "pods.yaml", source="cluster").resources
    assert [(r.id, r.api_version, r.origin, r.source) for r in resources] == [
        ("Pod/tenant-acme/web", "v1", Origin("pods.yaml", 6), "cluster"),
        ("Pod/tenant-acme/job", "v1", Origin("pods.yaml", 13), "cluster")]


def test_items_of_a_list_after_blank_lines_or_a_lone_dash_keep_their_own_lines() -> None:
    data = (b"---\napiVersion: v1\nkind: List\nitems:\n\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n"
            b"\n\n-\n  apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: b}\n---\napiVersion: v1\nkind: List\n"
            b"items:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: c}\n")
    assert [(r.id, r.origin.line) for r in load_manifest(data, "lists.yaml").resources] == [
        ("ConfigMap/default/a", 6), ("ConfigMap/default/b", 11), ("ConfigMap/default/c", 19)]


def test_list_item_lines_are_read_after_the_items_key_at_the_first_items_indent() -> None:
    """A sequence before `items:`, a sequence document after the List, and more items than the
    old look-ahead window (50 matches an item): each item keeps its own line."""
    items = "".join(f"  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {{name: c{i}}}\n" for i in range(60))
    data = ("apiVersion: v1\nkind: List\nextra:\n- x\nitems:\n" + items + "---\n- a\n- b\n").encode()
    resources = load_manifest(data, "lists.yaml").resources
    assert [r.origin.line for r in resources] == [6 + 3 * i for i in range(60)]


def test_items_of_a_list_in_flow_style_take_its_line_not_those_of_the_next_list() -> None:
    data = (b"{apiVersion: v1, kind: List, items: [{apiVersion: v1, kind: ConfigMap, metadata: {name: a}}]}\n"
            b"---\napiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: b}\n")
    assert [r.origin.line for r in load_manifest(data, "lists.yaml").resources] == [1, 6]


@pytest.mark.parametrize(("item", "kind"), [
    pytest.param("{metadata: {name: a}}", "Pod", id="neither-field"),
    pytest.param("{kind: '', apiVersion: '', metadata: {name: a}}", "Pod", id="both-empty"),
    pytest.param("{kind: 5, metadata: {name: a}}", "Pod", id="a-kind-that-is-not-a-string"),
    pytest.param("{apiVersion: v1, metadata: {name: a}}", None, id="an-apiversion-without-kind"),
])
def test_an_item_of_a_typed_list_takes_the_lists_kind_only_without_kind_and_apiversion(item: str,
                                                                                     kind: str | None) -> None:
    """As apimachinery's list decoder: an item whose kind and apiVersion are both empty strings
    (absent, or not strings) takes them from the list; any other item without a kind is refused."""
    data = f"apiVersion: v1\nkind: PodList\nitems:\n- {item}\n".encode()
    if kind is None:
        with pytest.raises(InputError, match="no kind or no apiVersion"):
            load_manifest(data, "pods.yaml")
    else:
        (resource,) = load_manifest(data, "pods.yaml").resources
        assert (resource.kind, resource.api_version) == (kind, "v1")


def test_items_of_a_grouped_typed_list_keep_the_group() -> None:
    data = json.dumps({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicyList", "items": [
        {"metadata": {"name": "deny", "namespace": "a"}, "spec": {"podSelector": {}}}]}).encode()
    (resource,) = load_manifest(data, "np.json").resources
    assert (resource.id, resource.api_version) == ("NetworkPolicy/a/deny", "networking.k8s.io/v1")


@pytest.mark.parametrize("header", [
    pytest.param(b"apiVersion: v1\nkind: PodList\n", id="a-pod-list"),
    # kubectl applies the items of any document with `items`, not the document
    pytest.param(b"apiVersion: v1\nkind: Pod\n", id="the-items-of-a-pod"),
])
def test_a_privileged_pod_of_a_pod_list_fails_ten_05(tmp_path: Path, header: bytes) -> None:
    namespace = b"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: tenant-acme\n  labels: {kaze.io/tenant: acme}\n"
    (tmp_path / "ns.yaml").write_bytes(namespace)
    pods = header + POD_LIST.removeprefix(b"apiVersion: v1\nkind: PodList\n")
    (tmp_path / "pods.yaml").write_bytes(pods.replace(b"      image: busybox\n",
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


TENANT_NAMESPACE = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: tenant-acme\n  labels: {kaze.io/tenant: acme}\n"
PRIVILEGED_POD = ("metadata: {{labels: {{app: web}}}}\n{indent}spec:\n{indent}  containers:\n{indent}  - name: web\n"
                  "{indent}    image: nginx\n{indent}    securityContext: {{privileged: true}}\n")


def template(indent: str) -> str:
    return indent + PRIVILEGED_POD.format(indent=indent)


CUSTOM_WORKLOADS = {
    "Rollout/tenant-acme/web": "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: web, namespace: tenant-acme}\n"
                               "spec:\n  strategy: {canary: {}}\n  template:\n" + template("    "),
    "CloneSet/tenant-acme/web": "apiVersion: apps.kruise.io/v1alpha1\nkind: CloneSet\nmetadata: {name: web, namespace: tenant-acme}\n"
                                "spec:\n  template:\n" + template("    "),
    "ScaledJob/tenant-acme/web": "apiVersion: keda.sh/v1alpha1\nkind: ScaledJob\nmetadata: {name: web, namespace: tenant-acme}\n"
                                 "spec:\n  jobTargetRef:\n    template:\n" + template("      "),
    "Service/tenant-acme/web": "apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: web, namespace: tenant-acme}\n"
                               "spec:\n  template:\n" + template("    "),
    "Runner/tenant-acme/web": "apiVersion: ci.example.com/v1\nkind: Runner\nmetadata: {name: web, namespace: tenant-acme}\n"
                              "spec:\n  worker:\n    template:\n" + template("      "),
}


def ten_05(folder: Path, *args: str) -> tuple[int, dict]:
    result = run_cli("scan", str(folder), "--control", "KZ-TEN-05", "--format", "json", *args)
    assert result.returncode != 2, result.stderr
    (control,) = json.loads(result.stdout)["controls"]
    return result.returncode, control


def test_privileged_custom_workloads_fail_ten_05(tmp_path: Path) -> None:
    (tmp_path / "ns.yaml").write_text(TENANT_NAMESPACE)
    (tmp_path / "workloads.yaml").write_text("---\n".join(CUSTOM_WORKLOADS.values()))
    (tmp_path / "zz-service.yaml").write_text(  # a core Service of the same name runs no pod
        "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: tenant-acme}\nspec:\n  ports: [{port: 80}]\n")
    code, control = ten_05(tmp_path)
    assert (code, control["status"]) == (1, "fail"), control
    assert {f["resource"]["id"] for f in control["findings"]} == set(CUSTOM_WORKLOADS)
    assert all("runs container web privileged" in f["message"] for f in control["findings"])


def test_the_configuration_names_where_a_custom_kind_keeps_its_pods(tmp_path: Path) -> None:
    (tmp_path / "ns.yaml").write_text(TENANT_NAMESPACE)
    (tmp_path / "batch.yaml").write_text("apiVersion: batch.example.com/v1\nkind: Pipeline\n"
                                         "metadata: {name: build, namespace: tenant-acme}\n"
                                         "spec:\n  runner:\n" + template("    "))
    code, control = ten_05(tmp_path)
    assert (code, control["status"]) == (3, "error"), control
    assert "Pipeline/tenant-acme/build (containers at spec.runner.spec.containers)" in control["reason"]
    config = tmp_path / "kaze-policy.yaml"
    config.write_text("apiVersion: kaze.io/v1\nkind: KazePolicyConfig\ncell: {name: c, mode: agency, cloud: aws}\n"
                      "podTemplates:\n- {apiGroup: batch.example.com, kind: Pipeline, path: spec.runner}\n")
    code, control = ten_05(tmp_path, "--config", str(config))
    assert (code, control["status"]) == (1, "fail"), control
    assert [f["resource"]["id"] for f in control["findings"]] == ["Pipeline/tenant-acme/build"]


def test_containers_the_scan_cannot_place_are_not_evaluated_never_passed(tmp_path: Path) -> None:
    (tmp_path / "ns.yaml").write_text(TENANT_NAMESPACE)
    (tmp_path / "ray.yaml").write_text(  # two pod templates, one in a list: no single place to judge
        "apiVersion: ray.io/v1\nkind: RayCluster\nmetadata: {name: ray, namespace: tenant-acme}\nspec:\n"
        "  headGroupSpec:\n    template:\n" + template("      ") +
        "  workerGroupSpecs:\n  - groupName: w\n    template:\n" + template("      "))
    code, control = ten_05(tmp_path)
    assert (code, control["status"]) == (3, "error"), control
    assert "RayCluster/tenant-acme/ray" in control["reason"]
    assert "spec.workerGroupSpecs[0].template.spec.containers" in control["reason"]


def test_snapshots_and_objects_without_containers_need_no_pod_template(tmp_path: Path) -> None:
    (tmp_path / "ns.yaml").write_text(TENANT_NAMESPACE)
    (tmp_path / "cr.yaml").write_text("apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\n"
                                      "metadata: {name: m, namespace: tenant-acme}\nspec: {endpoints: [{port: web}]}\n")
    code, control = ten_05(tmp_path)
    assert (code, control["status"]) == (0, "pass"), control


def test_an_object_with_only_a_generate_name_is_named_by_its_prefix() -> None:
    """`generateName` is the name the API server completes: the findings must point at it."""
    data = b"apiVersion: batch/v1\nkind: Job\nmetadata: {generateName: migrate-, namespace: a}\nspec: {template: {spec: {containers: []}}}\n"
    (resource,) = load_manifest(data, "job.yaml").resources
    assert (resource.id, resource.name, resource.namespace) == ("Job/a/migrate-", "migrate-", "a")


def test_a_cilium_clusterwide_network_policy_is_cluster_scoped() -> None:
    """Cilium's CRD declares it `scope: Cluster`: no namespace, whatever its metadata says."""
    data = (b"apiVersion: cilium.io/v2\nkind: CiliumClusterwideNetworkPolicy\nmetadata: {name: deny-world, namespace: kube-system}\n"
            b"spec: {endpointSelector: {}}\n")
    (resource,) = load_manifest(data, "ccnp.yaml").resources
    assert (resource.id, resource.namespace) == ("CiliumClusterwideNetworkPolicy/deny-world", None)


POD = "{apiVersion: v1, kind: Pod, metadata: {name: %s}}"
# Lists as kubectl's builder flattens them (apimachinery's unstructured decoder, then
# cli-runtime's FlattenListVisitor); the judge is `.tools/bin/yaml2json -batch -objects`. Each
# object is valid for its kind's schema, which the judge does not check (the API server does).
LIST_STREAMS = {
    "plain-list": "apiVersion: v1\nkind: List\nitems:\n- " + POD % "a" + "\n",
    "items-under-another-kind-hide-nothing": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n"
                                             "items:\n- " + POD % "hidden" + "\n",
    "items-null-is-a-list-of-nothing": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nitems: null\n",
    "items-a-mapping": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nitems: {}\n",
    "items-a-number": "apiVersion: example.com/v1\nkind: WidgetList\nitems: 3\n",
    "item-of-another-kind-takes-it-whole": "apiVersion: v1\nkind: ConfigMap\nitems:\n- {metadata: {name: x}}\n",
    "typed-list": "apiVersion: v1\nkind: PodList\nitems:\n- {metadata: {name: p}}\n",
    "list-kind-without-items": "apiVersion: example.com/v1\nkind: WidgetList\nmetadata: {name: wl}\n",
    "list-in-a-list": "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: List, items: [" + POD % "n" + "]}\n",
    "item-with-null-items": "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: c},"
                            " items: null}\n",
    "item-with-mapping-items": "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: c},"
                               " items: {}}\n",
    "item-a-number": "apiVersion: v1\nkind: List\nitems:\n- 3\n",
    "item-null": "apiVersion: v1\nkind: List\nitems:\n- null\n",
    "item-without-apiversion": "apiVersion: v1\nkind: List\nitems:\n- {kind: Pod, metadata: {name: x}}\n",
    "item-kind-and-apiversion-empty": "apiVersion: v1\nkind: PodList\nitems:\n- {kind: '', apiVersion: '', metadata: {name: x}}\n",
    "item-kind-a-number": "apiVersion: v1\nkind: PodList\nitems:\n- {kind: 3, metadata: {name: x}}\n",
    "list-without-kind": "apiVersion: v1\nitems:\n- " + POD % "x" + "\n",
    "list-kind-a-number": "apiVersion: v1\nkind: 3\nitems:\n- " + POD % "x" + "\n",
    "list-without-apiversion": "kind: List\nitems:\n- " + POD % "x" + "\n",
    "typed-list-without-apiversion": "kind: PodList\nitems:\n- {metadata: {name: y}}\n",
    "list-apiversion-a-number": "apiVersion: 3\nkind: List\nitems:\n- {metadata: {name: z}}\n",
    "empty-list": "apiVersion: v1\nkind: List\nitems: []\n",
    "metadata-before-kind": "metadata: {name: q}\nkind: List\napiVersion: v1\nitems:\n- " + POD % "x" + "\n",
}


def _objects(stream: str) -> list[tuple[str, str, str]] | str:
    """Our reading of a stream: (apiVersion, kind, name) of each object, or "refused"."""
    try:
        resources = load_manifest(stream.encode(), "l.yaml").resources
    except InputError:
        return "refused"
    return [(r.api_version, r.kind, r.obj.get("metadata", {}).get("name")) for r in resources]


@pytest.mark.parametrize("document", [
    pytest.param("kind: Pod\nmetadata: {name: p}\n", id="a-kind-without-items"),
    pytest.param("items:\n- " + POD % "p" + "\n", id="items-without-kind"),
    pytest.param("kind: Menu\nitems: {soup: 3}\n", id="a-kind-with-items-that-are-no-list"),
])
def test_a_document_without_apiversion_that_is_no_list_is_not_an_object(document: str) -> None:
    """Without apiVersion only a list with a kind is read (kubectl applies its items); any other
    document is some other tool's YAML, counted as skipped."""
    loaded = load_manifest(document.encode(), "other.yaml")
    assert (loaded.resources, loaded.skipped) == ([], 1)


def test_an_item_the_schema_refuses_is_bad_input_at_its_line() -> None:
    data = b"apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: p}\n  spec: {containers: nginx}\n"
    with pytest.raises(InputError) as err:
        load_manifest(data, "l.yaml")
    assert (err.value.file, err.value.line) == ("l.yaml", 4)


def test_lists_are_flattened_as_kubectl_flattens_them() -> None:
    """A document with `items` is a list whatever its kind, as kubectl reads it: a workload
    hidden in the items of a Deployment is what kubectl applies, so it is what is judged."""
    judged = subprocess.run([require_tool("yaml2json"), "-batch", "-objects"], input=json.dumps(list(LIST_STREAMS.values())),
                            capture_output=True, text=True, check=True, timeout=60)
    expected = {name: "refused" if "error" in answer else [
        (doc.get("apiVersion"), doc.get("kind"), doc.get("metadata", {}).get("name")) for doc in answer.get("docs", [])]
        for name, answer in zip(LIST_STREAMS, json.loads(judged.stdout))}
    assert {name: _objects(stream) for name, stream in LIST_STREAMS.items()} == expected
    assert expected["items-under-another-kind-hide-nothing"] == [("v1", "Pod", "hidden")]
