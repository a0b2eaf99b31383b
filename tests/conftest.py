"""Shared fixtures: the CLI in a subprocess, the reference tools, and one OPA server per session."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from kaze_policy.tools import find_tool

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
INFRA = ROOT / "infra"
IN_CI = os.environ.get("CI") == "true"


def require_tool(name: str) -> str:
    """The tool's path; skip (or, in CI, fail) with the way to get it when it is missing."""
    path = find_tool(name)
    if path:
        return path
    message = f"{name} is not installed: run `make tools` to build it into .tools/bin"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def contract_rows() -> list[tuple[str, str, str]]:
    """(id, severity, scopes) of every control of ../shared/CONTROLS.md, the catalog's contract."""
    import re
    contract = ROOT.parent / "shared" / "CONTROLS.md"
    if not contract.is_file():
        pytest.skip(f"{contract} is not beside the checkout")
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
