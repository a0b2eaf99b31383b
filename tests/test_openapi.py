"""Objects the API server would refuse are bad input, before any evaluation, on both engines."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

import pytest

from kaze_policy.errors import InputError
from kaze_policy.sources.openapi import KUBERNETES_VERSION, check_object, field_path, is_builtin_group
from tests.conftest import require_tool, run_cli

NAMESPACE = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: tenant-acme\n  labels: {kaze.io/tenant: acme}\n---\n"


def pod(spec: str, metadata: str = "  name: web\n  namespace: tenant-acme\n") -> str:
    return f"apiVersion: v1\nkind: Pod\nmetadata:\n{metadata}spec:\n{spec}"


CONTAINER = "  containers:\n  - name: web\n    image: nginx\n"
MALFORMED = {
    "privileged-as-string": (pod("  containers:\n  - name: web\n    image: nginx\n"
                                 "    securityContext: {privileged: \"true\"}\n"),
                             "spec.containers[0].securityContext.privileged"),
    "security-context-as-list": (pod("  containers:\n  - name: web\n    image: nginx\n"
                                     "    securityContext: [{privileged: true}]\n"),
                                 "spec.containers[0].securityContext"),
    "volumes-as-map": (pod(CONTAINER + "  volumes: {host: {hostPath: {path: /}}}\n"), "spec.volumes"),
    "metadata-as-list": (pod(CONTAINER, metadata="  - name: web\n"), "metadata"),
    "containers-as-string": (pod("  containers: nginx\n"), "spec.containers"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_an_object_kubernetes_would_refuse_is_bad_input_naming_file_line_and_field(tmp_path: Path, case: str) -> None:
    text, field = MALFORMED[case]
    path = tmp_path / "pod.yaml"
    path.write_text(NAMESPACE + text)
    result = run_cli("scan", str(path), "--format", "json")
    assert result.returncode == 2, result.stdout[:300] + result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert f"{path}:7: Pod " in line and f": {field}: " in line and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_the_opa_engine_refuses_containers_as_a_string_too(tmp_path: Path) -> None:
    require_tool("opa")
    path = tmp_path / "pod.yaml"
    path.write_text(NAMESPACE + pod("  containers: nginx\n"))
    result = run_cli("scan", str(path), "--engine", "opa", "--format", "json")
    assert result.returncode == 2, result.stdout[:300] + result.stderr
    assert f"{path}:7:" in result.stderr and "spec.containers" in result.stderr


def test_a_kind_the_pinned_kubernetes_does_not_serve_is_bad_input(tmp_path: Path) -> None:
    path = tmp_path / "old.yaml"
    path.write_text("apiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata: {name: open}\nspec: {privileged: true}\n")
    result = run_cli("scan", str(path))
    assert result.returncode == 2 and f"{path}:1:" in result.stderr and "no kind PodSecurityPolicy" in result.stderr


def test_unknown_fields_are_dropped_as_the_api_server_drops_them_not_refused(tmp_path: Path) -> None:
    path = tmp_path / "pod.yaml"
    path.write_text(NAMESPACE + pod("  containers:\n  - name: web\n    image: nginx\n    privilegd: true\n"))
    result = run_cli("scan", str(path), "--control", "KZ-TEN-05", "--format", "json")
    assert result.returncode == 0, result.stderr


def test_custom_resources_are_not_checked_against_builtin_schemas(tmp_path: Path) -> None:
    path = tmp_path / "cr.yaml"
    path.write_text("apiVersion: apps.example.com/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {replicas: many}\n")
    assert run_cli("scan", str(path), "--control", "KZ-TEN-05").returncode == 0


def test_the_schemas_are_those_of_the_pinned_kubernetes() -> None:
    assert version("kubernetes-validate") == KUBERNETES_VERSION
    pyproject = (Path(__file__).resolve().parent.parent / "pyproject.toml").read_text()
    assert f'"kubernetes-validate=={KUBERNETES_VERSION}"' in pyproject


def test_field_paths_read_as_kubectl_explains_them() -> None:
    assert field_path(["spec", "containers", 0, "securityContext"]) == "spec.containers[0].securityContext"
    assert field_path([]) == ""


# check_object in process: what is refused, and the message that names the object and field
POD_SPEC_AS_LIST = {"containers": "nginx"}


@pytest.mark.parametrize("obj, message", [
    ({"apiVersion": "apps/v1", "kind": "Widget"}, f"Kubernetes {KUBERNETES_VERSION} has no kind Widget in apps/v1"),
    ({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "ns"}, "spec": POD_SPEC_AS_LIST},
     f'Pod ns/web: spec.containers: "nginx" is not of type "array" (Kubernetes {KUBERNETES_VERSION} would refuse it)'),
    ({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"}, "spec": POD_SPEC_AS_LIST},
     f'Pod web: spec.containers: "nginx" is not of type "array" (Kubernetes {KUBERNETES_VERSION} would refuse it)'),
    ({"apiVersion": "v1", "kind": "Pod", "spec": POD_SPEC_AS_LIST},
     f'Pod (unnamed): spec.containers: "nginx" is not of type "array" (Kubernetes {KUBERNETES_VERSION} would refuse it)'),
    ({"apiVersion": "v1", "kind": "Pod", "metadata": ["web"], "spec": {"containers": []}},
     f'Pod (unnamed): metadata: ["web"] is not of types "null", "object" (Kubernetes {KUBERNETES_VERSION} would refuse it)'),
    ({"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview", "metadata": {"name": "r"}},
     f'SubjectAccessReview r: (the object): "spec" is a required property (Kubernetes {KUBERNETES_VERSION} would refuse it)'),
    # a field named `description` is a field like any other (schemas lose only their texts)
    ({"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": "p"}, "value": 1,
      "description": 5},
     f'PriorityClass p: description: 5 is not of types "null", "string" (Kubernetes {KUBERNETES_VERSION} would refuse it)'),
])
def test_check_object_names_the_object_and_field_kubernetes_would_refuse(obj: dict, message: str) -> None:
    with pytest.raises(InputError) as err:
        check_object(obj, "f.yaml", 3)
    assert (err.value.file, err.value.line, err.value.message) == ("f.yaml", 3, message)


def test_check_object_shows_a_long_value_on_one_line_cut_to_200_characters() -> None:
    obj = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"}, "spec": {"containers": "x   y " * 60}}
    with pytest.raises(InputError) as err:
        check_object(obj, "f.yaml", 3)
    shown = err.value.message.removeprefix("Pod web: spec.containers: ").removesuffix(
        f" (Kubernetes {KUBERNETES_VERSION} would refuse it)")
    assert len(shown) == 200 and shown.endswith("…") and shown.startswith('"x y x y') and "  " not in shown


@pytest.mark.parametrize(("extra", "cut"), [(0, False), (1, True)], ids=["200-characters-shown-whole", "201-cut"])
def test_check_object_cuts_a_value_only_past_200_characters(extra: int, cut: bool) -> None:
    def shown(value: str) -> str:
        obj = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"}, "spec": {"containers": value}}
        with pytest.raises(InputError) as err:
            check_object(obj, "f.yaml", 3)
        return err.value.message.removeprefix("Pod web: spec.containers: ").removesuffix(
            f" (Kubernetes {KUBERNETES_VERSION} would refuse it)")
    around_value = len(shown(""))  # the quotes and "is not of type" around the value
    text = shown("x" * (200 - around_value + extra))
    assert (len(text), text.endswith("…")) == ((200, True) if cut else (200, False))


@pytest.mark.parametrize("obj", [
    {"apiVersion": "example.com/v1", "kind": "Pod", "spec": 5},  # a custom resource: its CRD's schema
    {"apiVersion": 1, "kind": "Pod", "spec": 5},
    {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "w"}, "spec": {"containers": [{"name": "a", "image": "b"}]}},
])
def test_check_object_passes_custom_resources_and_valid_objects(obj: dict) -> None:
    check_object(obj, "f.yaml", 3)


@pytest.mark.parametrize("api_version, builtin", [
    ("v1", True), ("apps/v1", True), ("networking.k8s.io/v1", True), ("example.com/v1", False), ("", False),
    ("apps/", False),
])
def test_builtin_groups_are_those_kubernetes_serves(api_version: str, builtin: bool) -> None:
    assert is_builtin_group(api_version) is builtin
