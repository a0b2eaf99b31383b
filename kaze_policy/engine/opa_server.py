"""Start a local OPA server from the pinned binary, on a free loopback port."""

from __future__ import annotations

import socket
import subprocess
import time
from dataclasses import dataclass

import requests

from kaze_policy.errors import EngineError
from kaze_policy.tools import find_tool

START_TIMEOUT_SECONDS = 20.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class OpaServer:
    process: subprocess.Popen
    url: str

    @classmethod
    def start(cls) -> "OpaServer":
        binary = find_tool("opa")
        if binary is None:
            raise EngineError("opa is not installed: run `make tools`, or give --opa-url")
        port = free_port()
        process = subprocess.Popen(
            [binary, "run", "--server", "--addr", f"127.0.0.1:{port}", "--log-level", "error",
             "--disable-telemetry"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        server = cls(process, f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if process.poll() is not None:
                err = process.stderr.read().decode("utf-8", "replace").strip()  # stderr is a pipe
                raise EngineError(f"opa server exited at start: {err}")
            try:
                if requests.get(f"{server.url}/health", timeout=0.5).status_code == 200:
                    return server
            except requests.RequestException:
                time.sleep(0.05)
        server.stop()
        raise EngineError(f"opa server did not become healthy in {START_TIMEOUT_SECONDS:.0f} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
