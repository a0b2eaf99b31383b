"""The pre-commit hook: changed files map to the targets that hold them, and pre-commit itself
installs the hook of .pre-commit-hooks.yaml and runs it on a commit of a small cell.

What the end-to-end test exercises and what it does not: pre-commit (the real program) clones
a hook repository holding this checkout's .pre-commit-hooks.yaml unchanged, makes its Python
environment and runs `pip install .` there, then runs the hook's entry on the changed file,
with the hook's args, and reports its verdict. Two things differ from a team's install, to
stay fast and offline: `pip install .` installs the wheel maturin built from this checkout
(the hook repository's build backend hands it over, instead of compiling the Rust extension
again, minutes with a cold cargo), and the wheel's dependencies come from the shared
environment through a .pth line, as in tests/test_wheel.py, not from the package index.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from kaze_policy.precommit import outermost, target_of, targets_for
from tests.conftest import FIXTURES, IN_CI, ROOT, run_cli

PASSING = FIXTURES / "KZ-TEN-06" / "pass" / "quota-and-limits"
# The same cell with globex's LimitRange gone: a change to quotas.yaml alone. That file alone
# names no tenant namespace, so scanned alone it passes; its target (the cell) fails.
FAILING = FIXTURES / "KZ-TEN-06" / "fail" / "missing-limitrange"


# The mapping -------------------------------------------------------------------------------

def _tree(tmp: Path) -> Path:
    """repo/ with an overlay (kustomization), a component, a configured cell and a plain folder."""
    repo = tmp / "repo"
    (repo / ".git").mkdir(parents=True)
    files = {
        "overlays/prod/kustomization.yaml": "resources: [deploy.yaml]\n",
        "overlays/prod/deploy.yaml": "",
        "overlays/prod/patches/p.yaml": "",
        "components/extra/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n",
        "components/extra/x.yaml": "",
        "cells/eu/kaze-policy.yaml": "",
        "cells/eu/net/policy.yaml": "",
        "plain/Dockerfile": "",
    }
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    return repo


def test_a_file_maps_to_its_kustomization_else_its_configured_cell_else_its_folder(tmp_path: Path) -> None:
    repo = _tree(tmp_path)
    assert target_of(repo / "overlays/prod/patches/p.yaml", repo) == repo / "overlays/prod"
    assert target_of(repo / "cells/eu/net/policy.yaml", repo) == repo / "cells/eu"
    assert target_of(repo / "plain/Dockerfile", repo) == repo / "plain"
    # A Component is judged inside the kustomizations that use it, never alone.
    assert target_of(repo / "components/extra/x.yaml", repo) == repo / "components/extra"
    (repo / "kaze-policy.yaml").write_text("")
    assert target_of(repo / "components/extra/x.yaml", repo) == repo
    # A deleted file (and folder) maps from the nearest folder that is still there.
    assert target_of(repo / "cells/eu/gone/old.yaml", repo) == repo / "cells/eu"


def test_nothing_above_the_repository_root_is_a_target(tmp_path: Path) -> None:
    repo = _tree(tmp_path)
    (tmp_path / "kaze-policy.yaml").write_text("")  # outside the repository: nobody's choice here
    assert target_of(repo / "plain/Dockerfile", repo) == repo / "plain"


def test_targets_inside_another_target_are_scanned_by_it(tmp_path: Path) -> None:
    repo = _tree(tmp_path)
    assert outermost([repo / "a/b", repo / "a", repo / "c", repo / "a"]) == [repo / "a", repo / "c"]
    assert targets_for(["overlays/prod/deploy.yaml", "overlays/prod/patches/p.yaml", "plain/Dockerfile"],
                       repo) == [repo / "overlays/prod", repo / "plain"]


def test_the_command_prints_the_targets_relative_to_the_repository(tmp_path: Path) -> None:
    repo = _tree(tmp_path)
    done = run_cli("precommit", "--print-targets", "cells/eu/net/policy.yaml", "overlays/prod/deploy.yaml",
                   cwd=repo)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["cells/eu", "overlays/prod"]


def test_the_command_scans_the_target_not_the_file(tmp_path: Path) -> None:
    cell = _cell(tmp_path / "repo", FAILING)
    (cell.parent / ".git").mkdir()  # the repository's root, as pre-commit runs the hook there
    lone = run_cli("scan", "cell/quotas.yaml", "--control", "KZ-TEN-06", "--format", "json", cwd=cell.parent)
    assert lone.returncode == 0, "the lone file was expected to pass: " + lone.stdout[-1500:] + lone.stderr
    hooked = run_cli("precommit", "--control", "KZ-TEN-06", "cell/quotas.yaml", cwd=cell.parent)
    assert hooked.returncode == 1, hooked.stdout[-1500:] + hooked.stderr
    assert "KZ-TEN-06" in hooked.stdout and "tenant-globex" in hooked.stdout
    assert "scanning cell" in hooked.stderr


def test_the_repository_defaults_apply_and_the_hook_args_win(tmp_path: Path) -> None:
    cell = _cell(tmp_path / "repo", FAILING)
    (cell.parent / ".git").mkdir()
    (cell.parent / ".kaze-policy.toml").write_text('fail-on = "none"\ncontrol = ["KZ-TEN-06"]\n')
    relaxed = run_cli("precommit", "cell/quotas.yaml", cwd=cell.parent)
    assert relaxed.returncode == 0 and "KZ-TEN-06" in relaxed.stdout, relaxed.stdout[-1500:] + relaxed.stderr
    strict = run_cli("precommit", "--fail-on", "medium", "cell/quotas.yaml", cwd=cell.parent)
    assert strict.returncode == 1, strict.stdout[-1500:] + strict.stderr


# pre-commit, end to end ----------------------------------------------------------------------

def _cell(repo: Path, case: Path) -> Path:
    """repo/cell: the case's manifests and the fixtures' configuration (the cell's tenants)."""
    cell = repo / "cell"
    cell.mkdir(parents=True, exist_ok=True)
    for name in ("namespaces.yaml", "quotas.yaml"):
        shutil.copy(case / name, cell / name)
    shutil.copy(FIXTURES / "kaze-policy.yaml", cell / "kaze-policy.yaml")
    return cell


def _git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", "-c", "user.name=kaze", "-c", "user.email=kaze@example.invalid",
                    "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", *args],
                   cwd=cwd, check=True, capture_output=True, timeout=60)


# The hook repository's build backend: `pip install .` gets the prebuilt wheel of this checkout.
_BACKEND = '''"""Hands pip the wheel in wheel/ as the build of this folder."""
import shutil
from pathlib import Path

WHEEL = next((Path(__file__).parent / "wheel").glob("*.whl"))


def get_requires_for_build_wheel(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    shutil.copy(WHEEL, wheel_directory)
    return WHEEL.name
'''


def _hook_repository(where: Path, wheel: Path) -> str:
    """A git repository with this checkout's .pre-commit-hooks.yaml and its wheel; its commit."""
    (where / "wheel").mkdir(parents=True)
    shutil.copy(ROOT / ".pre-commit-hooks.yaml", where / ".pre-commit-hooks.yaml")
    shutil.copy(wheel, where / "wheel" / wheel.name)
    (where / "prebuilt.py").write_text(_BACKEND)
    (where / "pyproject.toml").write_text('[build-system]\nrequires = []\nbuild-backend = "prebuilt"\n'
                                          'backend-path = ["."]\n')
    _git("init", "-q", cwd=where)
    _git("add", "-A", cwd=where)
    _git("commit", "-q", "-m", "hooks", cwd=where)
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=where, capture_output=True, text=True,
                          check=True).stdout.strip()


def _project(where: Path, hooks: Path, rev: str) -> Path:
    """The team's repository: the passing cell, committed, with a .pre-commit-config.yaml."""
    cell = _cell(where, PASSING)
    (where / ".pre-commit-config.yaml").write_text(json.dumps({"repos": [{
        "repo": str(hooks), "rev": rev,
        "hooks": [{"id": "kaze-policy", "args": ["--control", "KZ-TEN-06"]}]}]}, indent=2))
    _git("init", "-q", cwd=where)
    _git("add", "-A", cwd=where)
    _git("commit", "-q", "-m", "cell", cwd=where)
    return cell


def _pre_commit(*args: str, cwd: Path, home: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KAZE_", "PIP_", "VIRTUALENV_"))
           and k != "PYTHONPATH"}
    env |= {"PRE_COMMIT_HOME": str(home / "cache"), "VIRTUALENV_OVERRIDE_APP_DATA": str(home / "venv-data"),
            "PIP_NO_INDEX": "1", "PIP_NO_DEPS": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "PRE_COMMIT_COLOR": "never"}
    return subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def _share_dependencies(home: Path) -> Path:
    """The hook environment's site-packages gets the shared environment's on a .pth line."""
    (site,) = (home / "cache").glob("repo*/py_env-*/lib/python3*/site-packages")
    (site / "shared-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return site


def test_pre_commit_runs_the_hook_on_the_cell_of_the_changed_file(tmp_path: Path) -> None:
    if importlib.util.find_spec("pre_commit") is None:
        message = "pre-commit is not installed: pip install -e '.[test]' (make venv)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    from tests.test_wheel import _build_wheel

    wheel = _build_wheel(tmp_path / "dist")
    hooks = tmp_path / "hooks"
    rev = _hook_repository(hooks, wheel)
    project = tmp_path / "project"
    cell = _project(project, hooks, rev)

    installed = _pre_commit("install-hooks", cwd=project, home=tmp_path)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    site = _share_dependencies(tmp_path)
    python = site.parents[2] / "bin" / "python"
    where = subprocess.run([str(python), "-c", "import kaze_policy; print(kaze_policy.__file__)"], cwd=project,
                           capture_output=True, text=True, timeout=60)
    assert Path(where.stdout.strip()).is_relative_to(site), where.stdout + where.stderr  # the wheel, not the checkout

    # A clean change: globex may run more pods.
    quotas = cell / "quotas.yaml"
    quotas.write_text(quotas.read_text().replace("pods: '50'", "pods: '60'"))
    _git("add", "-A", cwd=project)
    clean = _pre_commit("run", "kaze-policy", "--files", "cell/quotas.yaml", cwd=project, home=tmp_path)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "Passed" in clean.stdout

    # A change that drops globex's LimitRange: only the cell shows the tenant it leaves unbounded.
    shutil.copy(FAILING / "quotas.yaml", quotas)
    _git("add", "-A", cwd=project)
    failed = _pre_commit("run", "kaze-policy", "--files", "cell/quotas.yaml", cwd=project, home=tmp_path)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "Failed" in failed.stdout and "KZ-TEN-06" in failed.stdout and "tenant-globex" in failed.stdout
    assert "scanning cell" in failed.stdout
