"""A scan stays inside the tree it was given (issue 9): kustomize keeps its default load restrictor."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_cli

SECRET = "s3cr3t-value-outside-the-tree"


def test_a_generator_cannot_read_a_file_outside_its_kustomization(tmp_path: Path, kustomize: str) -> None:
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "credentials").write_text(SECRET + "\n")
    app = tmp_path / "tree" / "app"
    app.mkdir(parents=True)
    (app / "kustomization.yaml").write_text(
        "configMapGenerator:\n- name: leaked\n  namespace: default\n  files:\n  - ../../outside/credentials\n")
    result = run_cli("scan", str(tmp_path / "tree"), "--format", "json", "--no-progress")
    assert result.returncode == 2, result.stdout[:300] + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "kustomization.yaml" in lines[0] and "is not in or below" in lines[0], result.stderr
    assert SECRET not in result.stdout + result.stderr
