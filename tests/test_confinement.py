"""A scan stays inside the tree it was given (issue 9): kustomize keeps its default load restrictor."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli

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


def _fake_kustomize(tmp_path: Path) -> tuple[Path, Path]:
    """A stand-in kustomize that records being started: the test proves it is never run."""
    marker = tmp_path / "kustomize-was-run"
    fake = tmp_path / "kustomize"
    fake.write_text(f"#!/bin/sh\ntouch {marker}\necho 'kustomize: no network here' >&2\nexit 1\n")
    fake.chmod(0o755)
    return fake, marker


@pytest.mark.parametrize("entry", [
    "https://github.com/kubernetes-sigs/kustomize//examples/helloWorld?ref=v5.7.1",
    "github.com/kubernetes-sigs/kustomize/examples/multibases?ref=v5.7.1",
    "git@github.com:example/deploy.git//base",
    "https://raw.githubusercontent.com/example/deploy/main/pod.yaml",
])
def test_a_remote_base_is_refused_before_kustomize_runs(tmp_path: Path, entry: str) -> None:
    fake, marker = _fake_kustomize(tmp_path)
    base = tmp_path / "tree" / "base"
    base.mkdir(parents=True)
    (base / "kustomization.yaml").write_text(f"resources:\n- {entry}\n")
    overlay = tmp_path / "tree" / "prod"
    overlay.mkdir()
    (overlay / "kustomization.yaml").write_text("resources:\n- ../base\n")
    result = subprocess.run([sys.executable, "-m", "kaze_policy.cli", "scan", str(tmp_path / "tree"), "--no-progress"],
                            capture_output=True, text=True, cwd=ROOT, timeout=60,
                            env={**os.environ, "KAZE_KUSTOMIZE": str(fake)})
    assert result.returncode == 2, result.stdout[:300] + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(base / "kustomization.yaml") in lines[0], result.stderr
    assert entry in lines[0] and "--allow-remote" in lines[0]
    assert not marker.exists(), "kustomize was started for a remote base"


def test_allow_remote_lets_kustomize_fetch(tmp_path: Path) -> None:
    fake, marker = _fake_kustomize(tmp_path)
    app = tmp_path / "tree"
    app.mkdir()
    (app / "kustomization.yaml").write_text("resources:\n- https://github.com/example/deploy//base?ref=v1\n")
    result = subprocess.run([sys.executable, "-m", "kaze_policy.cli", "scan", str(app), "--allow-remote",
                             "--no-progress"], capture_output=True, text=True, cwd=ROOT, timeout=60,
                            env={**os.environ, "KAZE_KUSTOMIZE": str(fake)})
    assert marker.exists(), result.stderr
    assert result.returncode == 2 and "kustomize build failed" in result.stderr, result.stderr


@pytest.mark.parametrize("forged", ["/etc/hostname", "/dev/zero", "../../outside/credentials"])
def test_an_origin_written_by_the_kustomization_is_not_trusted_outside_it(tmp_path: Path, forged: str,
                                                                          kustomize: str) -> None:
    from kaze_policy.sources.kustomize import render
    app = tmp_path / "tree" / "app"
    app.mkdir(parents=True)
    (app / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: forged\n  namespace: default\n"
                                 "data:\n  a: b\n")
    (app / "kustomization.yaml").write_text(
        "resources:\n- cm.yaml\npatches:\n- patch: |\n    apiVersion: v1\n    kind: ConfigMap\n    metadata:\n"
        "      name: forged\n      namespace: default\n      annotations:\n"
        f"        config.kubernetes.io/origin: 'path: {forged}'\n")
    resources, _ = render(app, 10**6)
    assert [Path(r.origin.file).resolve() for r in resources] == [(app / "kustomization.yaml").resolve()]


# Reports: written whole or not at all, with the usual mode, `-` for stdout (issue 9).

def _scan_to(tmp_path: Path, *outputs: str) -> subprocess.CompletedProcess:
    (tmp_path / "ns.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: plain\n")
    args = [a for out in outputs for a in ("--format", "json", "--output", out)]
    return run_cli("scan", str(tmp_path / "ns.yaml"), "--control", "KZ-TEN-01", "--no-progress", *args)


def test_an_unwritable_output_is_bad_usage_in_one_line(tmp_path: Path) -> None:
    result = _scan_to(tmp_path, "/proc/version/report.json")
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "/proc/version/report.json" in lines[0] and "cannot write" in lines[0], result.stderr


def test_a_report_has_the_usual_mode_and_dash_is_stdout(tmp_path: Path) -> None:
    report = tmp_path / "out" / "report.json"
    result = _scan_to(tmp_path, str(report))
    assert result.returncode in (0, 1), result.stderr
    assert report.stat().st_mode & 0o777 == 0o666 & ~_current_umask()
    assert not [p for p in report.parent.iterdir() if p != report], "a temporary file was left behind"
    dashed = _scan_to(tmp_path, "-")
    assert dashed.returncode in (0, 1) and json.loads(dashed.stdout)["summary"], dashed.stderr
    assert not (ROOT / "-").exists()


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_a_link_out_of_the_scanned_tree_is_skipped_not_read(tmp_path: Path) -> None:
    outside = tmp_path / "outside" / "credentials.yaml"
    outside.parent.mkdir()
    outside.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ci-credentials, namespace: kaze}\n")
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: mine, namespace: kaze}\n")
    (tree / "inside.yaml").symlink_to(tree / "cm.yaml")
    (tree / "leak.yaml").symlink_to(outside)
    result = run_cli("scan", str(tree), "--format", "json", "--control", "KZ-TEN-01", timeout=60)
    assert result.returncode in (0, 1), result.stderr
    report = json.loads(result.stdout)
    assert {"path": str(tree / "leak.yaml"), "reason": "a symbolic link out of the tree: not followed"} \
        in report["skipped"]
    assert "ci-credentials" not in result.stdout
    assert not any(entry["path"] == str(tree / "inside.yaml") for entry in report["skipped"])
