"""The wheel works outside the checkout: built by maturin, installed into a new virtual
environment in a temporary folder, it scans a fixture there with the verdict of the checkout.

No network: the new environment has no system site-packages and gets the wheel alone
(`--no-index --no-deps`); its third-party dependencies come from the shared environment's
site-packages through a .pth line. A path line of a .pth does not run the .pth files of the
folder it adds, so the shared environment's editable install (kaze_policy.pth -> the checkout)
stays out: the test checks that kaze_policy and its catalog are imported from the new
environment. What this proves: the wheel's own files (code, native extension, the Rego catalog,
schemas, data) are enough, and `pip check` finds its declared dependencies satisfied; what it
does not: that those dependencies resolve from PyPI.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, ROOT

CASE = FIXTURES / "KZ-SUP-01" / "fail" / "implicit-docker-hub"


def _run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None, timeout: float = 600,
         ) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def _clean_env() -> dict[str, str]:
    """The environment of a user outside the checkout: none of our variables, no PYTHONPATH."""
    return {k: v for k, v in os.environ.items() if not k.startswith("KAZE_") and k != "PYTHONPATH"}


def _build_wheel(out: Path) -> Path:
    """The wheel, built by maturin over native/target.

    With the interpreter and compatibility that pip's editable install (`make venv`) used,
    cargo finds its build warm: one second instead of a full build (49 s to minutes)."""
    assert shutil.which("cargo") is not None, "cargo is needed to build the wheel (make venv needs it too)"
    built = _run(sys.executable, "-m", "maturin", "build", "--release", "--locked", "--offline",
                 "--interpreter", sys.executable, "--compatibility", "off", "-o", out, cwd=ROOT)
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = out.glob("kaze_policy-*.whl")
    return wheel


def _install(wheel: Path, venv: Path) -> Path:
    """A new environment holding the wheel; its Python."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    installed = _run(sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-index",
                     "--no-deps", wheel, cwd=venv)
    assert installed.returncode == 0, installed.stderr
    site = _run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=venv).stdout.strip()
    (Path(site) / "shared-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


def _scan(command: list[str | Path], target: Path, env: dict[str, str]) -> tuple[int, dict]:
    done = _run(*command, "scan", target.name, "--format", "json", "--no-progress", cwd=target.parent, env=env)
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, json.loads(done.stdout)


def test_installed_wheel_scans_outside_the_checkout(tmp_path: Path) -> None:
    wheel = _build_wheel(tmp_path / "dist")
    python = _install(wheel, tmp_path / "venv")
    env = _clean_env()

    where = _run(python, "-c", "import kaze_policy, kaze_policy.catalog as c; "
                 "print(kaze_policy.__file__); print(c.DEFAULT_POLICY_DIR)", cwd=tmp_path, env=env)
    assert where.returncode == 0, where.stderr
    module, policies = where.stdout.split()
    assert Path(module).is_relative_to(tmp_path / "venv"), module
    assert Path(policies).is_relative_to(tmp_path / "venv") and Path(policies).is_dir(), policies
    checked = _run(sys.executable, "-m", "pip", "--python", python, "check", cwd=tmp_path, env=env)
    assert checked.returncode == 0, checked.stdout + checked.stderr

    # A scan from a folder outside the repository: the case and the configuration above it.
    work = tmp_path / "work"
    shutil.copytree(CASE, work / "case")
    shutil.copy(FIXTURES / "kaze-policy.yaml", work)
    installed = _scan([tmp_path / "venv" / "bin" / "kaze-policy"], work / "case", env)
    checkout = _scan([sys.executable, "-m", "kaze_policy.cli"], work / "case", {**env, "PYTHONPATH": str(ROOT)})

    assert installed[0] == 1 and installed[1]["summary"]["error"] == 0
    assert installed == checkout

    # The audit, from the wheel's own features and framework lists.
    audited = _run(tmp_path / "venv" / "bin" / "kaze-policy", "audit", "case", "--out", "out", "--framework", "cis",
                   "--no-progress", cwd=work, env=env)
    assert audited.returncode == 1, audited.stderr
    audit = json.loads((work / "out" / "audit.json").read_text())
    assert sum(len(f["scenarios"]) for f in audit["features"]) == len(installed[1]["controls"])
    assert audit["frameworks"][0]["name"] == "cis" and audit["frameworks"][0]["uncovered"]
