"""Growth guards of the sources (issue 9): each reads the same kind of input at N and 8N in one run.

A guard fails when 8 times the input takes more than 24 times as long (tests/linearity.py):
linear work grows 8 times, quadratic work 64. Inputs grow the way real ones do: more
documents in a file, more files in a folder, more paths in a Vault policy, more stages in a
Dockerfile, more resources in a kustomization.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from kaze_policy import inventory
from kaze_policy.errors import InputError
from kaze_policy.inventory import Inventory, Origin, Resource, Target
from kaze_policy.sources import load
from kaze_policy.sources.discover import find_targets
from kaze_policy.sources.dockerfile import load_dockerfile
from kaze_policy.sources.kubernetes import load_manifest
from kaze_policy.sources.kustomize import _build_with_origins, _line_in_file, _objects_of_file
from kaze_policy.sources.files import DEFAULT_MAX_FILE_BYTES
from kaze_policy.sources.load import MAX_VAULT_POLICY_BYTES, load_target
from kaze_policy.sources.openapi import check_object
from kaze_policy.sources.vault_policy import load_policy
from tests.conftest import run_cli
from tests.linearity import assert_linear

_COUNTER = itertools.count()


def _deployment(i: int) -> str:
    return (f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{i}\n  namespace: ns-{i % 50}\n"
            f"spec:\n  selector:\n    matchLabels:\n      app: app-{i}\n  template:\n    metadata:\n"
            f"      labels:\n        app: app-{i}\n    spec:\n      containers:\n      - name: main\n"
            f"        image: registry.kaze.io/app@sha256:{'ab' * 32}\n        ports:\n        - containerPort: 8080\n")


def _config_map_item(i: int) -> str:
    return f"- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: c-{i}\n    namespace: ns\n  data:\n    k: v\n"


def _folder(tmp_path: Path, n: int) -> Path:
    folder = tmp_path / f"in-{next(_COUNTER)}"
    folder.mkdir()
    return folder


def _load_folder(folder: Path) -> int:
    return sum(len(load_target(spec).resources) for spec in find_targets([str(folder)]))


def test_one_manifest_of_many_documents_loads_in_linear_time(tmp_path: Path) -> None:
    def build(n: int) -> Path:
        folder = _folder(tmp_path, n)
        (folder / "stack.yaml").write_text("---\n".join(_deployment(i) for i in range(n)))
        return folder
    assert_linear(build, _load_folder, 100)


def test_a_folder_of_many_files_loads_in_linear_time(tmp_path: Path) -> None:
    def build(n: int) -> Path:
        folder = _folder(tmp_path, n)
        for i in range(n):
            sub = folder / f"app-{i // 20}"
            sub.mkdir(exist_ok=True)
            (sub / f"deployment-{i}.yaml").write_text(_deployment(i))
        return folder
    assert_linear(build, _load_folder, 60)


def test_a_long_list_kind_loads_in_linear_time() -> None:
    # Each item's line is found in the text: counted from the start for every item, that was quadratic.
    def build(n: int) -> bytes:
        return ("apiVersion: v1\nkind: List\nitems:\n" + "".join(_config_map_item(i) for i in range(n))).encode()
    assert_linear(build, lambda data: load_manifest(data, "list.yaml"), 600)


@pytest.mark.parametrize("items", [
    pytest.param(_config_map_item, id="block-items"),
    # a block `items:` key with its items in flow style: no `- ` line in the file at all
    pytest.param(lambda i: f"  [{{apiVersion: v1, kind: ConfigMap, metadata: {{name: c-{i}, namespace: ns}}}}]\n",
                 id="flow-items-under-a-block-key"),
])
def test_many_list_documents_in_one_file_load_in_linear_time(items: Any) -> None:
    # `kubectl get … -o yaml` per namespace, concatenated: every List searched the rest of the
    # file for its items, each line counted from the start (2,400 Lists took minutes).
    def build(n: int) -> bytes:
        return "---\n".join(f"apiVersion: v1\nkind: List\nitems:\n{items(i)}" for i in range(n)).encode()
    assert_linear(build, lambda data: load_manifest(data, "lists.yaml"), 200)


def test_schema_validation_of_many_objects_is_linear() -> None:
    import yaml

    def build(n: int) -> list[dict[str, Any]]:
        one = yaml.safe_load(_deployment(0))
        return [{**one, "metadata": {"name": f"app-{i}", "namespace": "ns"}} for i in range(n)]

    def run(objects: list[dict[str, Any]]) -> None:
        for obj in objects:
            check_object(obj, "stack.yaml", 1)
    assert_linear(build, run, 5000)


def test_a_vault_policy_of_many_paths_loads_in_linear_time() -> None:
    def build(n: int) -> bytes:
        return "".join(f'path "kv/data/clients/c{i}/*" {{\n  capabilities = ["read", "list"]\n}}\n\n'
                       for i in range(n)).encode()
    assert_linear(build, lambda data: load_policy(data, "policy.hcl"), 40)


def test_a_dockerfile_of_many_stages_loads_in_linear_time() -> None:
    # Each FROM's line was counted from the start of the file, and each stage looked up in a list.
    def build(n: int) -> bytes:
        return "".join(f"FROM registry.kaze.io/base-{i}:1 AS stage-{i}\nRUN make {i}\nFROM stage-{i}\n"
                       for i in range(n)).encode()
    assert_linear(build, lambda data: load_dockerfile(data, "Dockerfile", Path(".")), 4000)


def test_a_kustomization_of_many_resources_loads_in_linear_time(tmp_path: Path, kustomize: str,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """What the scan does with a kustomization's build: parse it, trace each object to its file.

    The real kustomize builds each input once, outside the timing; the timed run replays that
    build through a stand-in `kustomize` that prints it, because kustomize itself grows faster
    than linearly (v5: 300 resources in one file 1.1 s, 2,400 resources 34 s), which is no
    growth of ours: its build has a time limit instead (RENDER_TIMEOUT_SECONDS).
    """
    def build(n: int) -> tuple[Path, Path]:
        folder = _folder(tmp_path, n)
        (folder / "deployments.yaml").write_text("---\n".join(_deployment(i) for i in range(n)))
        # a namePrefix: every object is then found in its file by a part of its name
        (folder / "kustomization.yaml").write_text("namePrefix: prod-\nresources:\n- deployments.yaml\n")
        built = tmp_path / f"built-{folder.name}.yaml"
        built.write_bytes(_build_with_origins(kustomize, folder.resolve(), str(folder), DEFAULT_MAX_FILE_BYTES))
        replay = tmp_path / f"kustomize-{folder.name}"
        replay.write_text(f"#!/bin/sh\nexec cat {built}\n")
        replay.chmod(0o755)
        return folder, replay

    def run(built: tuple[Path, Path]) -> None:
        folder, replay = built
        monkeypatch.setenv("KAZE_KUSTOMIZE", str(replay))
        _objects_of_file.cache_clear()
        resources = _load_folder(folder)
        assert resources >= 1
    assert_linear(build, run, 40)
    monkeypatch.delenv("KAZE_KUSTOMIZE")
    folder, _ = build(12)
    lines = {r.name: r.origin.line for spec in find_targets([str(folder)]) for r in load_target(spec).resources}
    assert lines == {f"prod-app-{i}": 1 + 20 * i for i in range(12)}, "each object is traced to its own line"


def test_tracing_many_renamed_objects_to_their_file_is_linear(tmp_path: Path) -> None:
    # An overlay's namePrefix renames every object: each was looked for by a scan of its file.
    def build(n: int) -> tuple[Path, int]:
        path = _folder(tmp_path, n) / "deployments.yaml"
        path.write_text("---\n".join(_deployment(i) for i in range(n)))
        return path, n

    def run(built: tuple[Path, int]) -> None:
        path, n = built
        _objects_of_file.cache_clear()
        for i in range(n):
            _line_in_file(str(path), "Deployment", f"prod-app-{i}", DEFAULT_MAX_FILE_BYTES)
    assert_linear(build, run, 300)


def test_many_resources_of_one_id_are_numbered_in_linear_time() -> None:
    # One Terraform block copied in every environment's folder: `#2`, `#3`… were found by
    # trying every number from 2 for each copy. (Made in the run: adding renames them.)
    def run(n: int) -> None:
        target = Inventory(target=Target(name="envs", path="envs", kind="files"))
        target.add(Resource(kind="aws_s3_bucket", name="logs", obj={}, origin=Origin(f"env-{i}/main.tf", 1),
                            source="terraform") for i in range(n))
        assert target.resources[-1].id == f"aws_s3_bucket/logs#{n}"
    assert_linear(lambda n: n, run, 2000, max_n=inventory.MAX_RESOURCES_PER_TARGET)


# --------------------------------------------------------------------------- limits
# Every source has a size or count limit with a one-line message (exit 2): files by
# --max-file-size, and these beyond it (README, "Limits").

def _one_line(result: Any) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def test_a_vault_policy_over_its_limit_is_bad_input(tmp_path: Path) -> None:
    policies = tmp_path / "vault" / "policies"
    policies.mkdir(parents=True)
    body = 'path "kv/data/clients/acme/*" {\n  capabilities = ["read"]\n}\n'
    (policies / "huge.hcl").write_text(body + "# padding\n" * (MAX_VAULT_POLICY_BYTES // 10))
    line = _one_line(run_cli("scan", str(tmp_path), "--format", "json", "--no-progress"))
    assert f"huge.hcl: a Vault policy of {len(body) + MAX_VAULT_POLICY_BYTES // 10 * 10} bytes, over the limit of " \
           f"{MAX_VAULT_POLICY_BYTES}" in line


def test_a_kustomize_build_over_the_size_limit_is_bad_input(tmp_path: Path, kustomize: str) -> None:
    # Eight prefixed copies of one base: every file is small, the build is not.
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "kustomization.yaml").write_text("resources:\n- cm.yaml\n")
    (tmp_path / "base" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: apps\ndata:\n"
        + "".join(f"  key-{i}: value-{i}\n" for i in range(20)))
    for copy in "abcdefgh":
        (tmp_path / copy).mkdir()
        (tmp_path / copy / "kustomization.yaml").write_text(f"namePrefix: {copy}-\nresources:\n- ../base\n")
    (tmp_path / "kustomization.yaml").write_text("resources:\n" + "".join(f"- {c}\n" for c in "abcdefgh"))
    line = _one_line(run_cli("scan", str(tmp_path), "--format", "json", "--no-progress", "--max-file-size", "3000"))
    assert line == f"kaze-policy: error: {tmp_path / 'kustomization.yaml'}: kustomize build output is over the limit of 3000 bytes " \
                   "(--max-file-size)"


def test_a_target_over_the_resource_limit_is_bad_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inventory, "MAX_RESOURCES_PER_TARGET", 5)
    (tmp_path / "stack.yaml").write_text("---\n".join(_deployment(i) for i in range(6)))
    with pytest.raises(InputError) as caught:
        _load_folder(tmp_path)
    assert str(caught.value) == (f"{tmp_path / 'stack.yaml'}:101: more than 5 resources in the target {tmp_path}, "
                                 "the limit of one target (scan its folders or kustomizations separately)")
    assert caught.value.exit_code == 2
    monkeypatch.setattr(inventory, "MAX_RESOURCES_PER_TARGET", 6)
    assert _load_folder(tmp_path) == 6


def test_a_target_over_the_file_limit_is_bad_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(load, "MAX_FILES_PER_TARGET", 3)
    for i in range(4):
        (tmp_path / f"app-{i}.yaml").write_text(_deployment(i))
    with pytest.raises(InputError) as caught:
        _load_folder(tmp_path)
    assert str(caught.value) == (f"{tmp_path}: 4 files to read, over the limit of 3 in one target "
                                 "(scan its subfolders separately, or leave some out with --exclude)")
    (tmp_path / "app-3.yaml").unlink()
    assert _load_folder(tmp_path) == 3
