"""Shared fixtures: the CLI in a subprocess, the reference tools, and one OPA server per session."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest
from hypothesis import HealthCheck, settings

from kaze_policy.tools import find_tool

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
INFRA = ROOT / "infra"
IN_CI = os.environ.get("CI") == "true"

# CI runs every property test the same way each time: derandomized, with no example database
# (a failure found elsewhere must not change which examples CI draws). A test's own settings
# object, made when its module is imported, starts from this profile. Recent Hypothesis loads
# a profile like it by itself when CI is set; pyproject.toml admits versions that do not.
settings.register_profile("kaze-ci", derandomize=True, database=None, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
if IN_CI:
    settings.load_profile("kaze-ci")
# The catalog's contract and the corpora live beside the checkout, not in it.
SHARED = ROOT.parent / "shared"


def require_tool(name: str) -> str:
    """The tool's path; skip (or, in CI, fail) with the way to get it when it is missing."""
    path = find_tool(name)
    if path:
        return path
    message = f"{name} is not installed: run `make tools` to build it into .tools/bin"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def require_input(path: Path) -> Path:
    """`path`, an input beside the checkout; skip without it, but fail in CI (CI=true, read
    at each call): there a test that skips for want of its input would pass by skipping."""
    if path.exists():
        return path
    message = f"{path} is not beside the checkout"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def contract_rows(contract: Path = SHARED / "CONTROLS.md") -> list[tuple[str, str, str]]:
    """(id, severity, scopes) of every control of the catalog's contract (CONTROLS.md)."""
    import re
    require_input(contract)
    return re.findall(r"^\| (KZ-[A-Z]{3}-\d{2}) \| (\w+) \| ([a-z, -]+) \|", contract.read_text(), re.M)


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 120,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """The CLI in a subprocess; `env` adds to (or, with "", blanks) the current environment."""
    return subprocess.run([sys.executable, "-m", "kaze_policy.cli", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, timeout=timeout, env={**os.environ, **env} if env else None)


@pytest.fixture
def kaze():
    return run_cli


@pytest.fixture(scope="session")
def opa_url() -> Iterator[str]:
    require_tool("opa")
    from kaze_policy.engine.opa_server import OpaServer
    server = OpaServer.start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def kustomize() -> str:
    return require_tool("kustomize")
