"""`scan --kubeconfig` without a server to read: an unreachable one, a kubeconfig that is not one.

No API server is needed (these run without `make tools`): nothing answers on the port given.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from tests.cluster.apiserver import free_port
from tests.conftest import run_cli


def _kubeconfig(path: Path, server: str) -> Path:
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "c",
        "clusters": [{"name": "c", "cluster": {"server": server}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}]}))
    return path


def test_an_unreachable_server_makes_every_cluster_control_an_error(tmp_path: Path) -> None:
    server = f"https://127.0.0.1:{free_port()}"
    result = run_cli("scan", "--kubeconfig", str(_kubeconfig(tmp_path / "kubeconfig", server)), "--format", "json",
                     cwd=tmp_path)
    assert result.returncode == 3, result.stderr
    controls = json.loads(result.stdout)["controls"]
    for control in controls:
        if "cluster" in control["scopes"]:
            assert control["status"] == "error", control
            assert "cannot read the API server" in control["reason"]
            assert [t["name"] for t in control["targets"]] == [server]
        else:
            assert control["status"] == "not_applicable", control
    assert any("cluster" in c["scopes"] for c in controls)


def test_a_kubeconfig_that_is_not_one_is_bad_input(tmp_path: Path) -> None:
    bad = tmp_path / "kubeconfig"
    bad.write_text("apiVersion: v1\nkind: Config\nclusters: []\n")
    result = run_cli("scan", "--kubeconfig", str(bad), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and str(bad) in result.stderr and "Traceback" not in result.stderr


def test_a_context_the_kubeconfig_lacks_is_bad_input(tmp_path: Path) -> None:
    config = _kubeconfig(tmp_path / "kubeconfig", "https://127.0.0.1:1")
    result = run_cli("scan", "--kubeconfig", str(config), "--context", "elsewhere", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "elsewhere" in result.stderr


def test_in_cluster_outside_a_pod_is_bad_usage(tmp_path: Path) -> None:
    result = run_cli("scan", "--in-cluster", cwd=tmp_path, env={"KUBERNETES_SERVICE_HOST": "", "KUBERNETES_SERVICE_PORT": ""})
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "--in-cluster" in result.stderr
