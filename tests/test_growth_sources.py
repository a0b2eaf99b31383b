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

from kaze_policy.sources.discover import find_targets
from kaze_policy.sources.dockerfile import load_dockerfile
from kaze_policy.sources.kubernetes import load_manifest
from kaze_policy.sources.kustomize import _build_with_origins, _line_in_file, _objects_of_file
from kaze_policy.sources.files import DEFAULT_MAX_FILE_BYTES
from kaze_policy.sources.load import load_target
from kaze_policy.sources.openapi import check_object
from kaze_policy.sources.vault_policy import load_policy
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
    assert_linear(build, lambda data: load_manifest(data, "list.yaml"), 300)


def test_many_list_documents_in_one_file_load_in_linear_time() -> None:
    # `kubectl get … -o yaml` per namespace, concatenated: every List searched the rest of the
    # file for its items, each line counted from the start (2,400 Lists took minutes).
    def build(n: int) -> bytes:
        return "---\n".join(f"apiVersion: v1\nkind: List\nitems:\n{_config_map_item(i)}" for i in range(n)).encode()
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
        built.write_bytes(_build_with_origins(kustomize, folder.resolve(), str(folder)))
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
