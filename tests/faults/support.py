"""What the fault tests share: the CLI in a subprocess with one fault planted in it, a small
cell to scan, and the checks every fault ends with (an exit code, one line, no traceback).

A fault is planted by a few lines of Python run in the CLI's own process before its `main`
(a function wrapped so that it kills a server at the chosen moment, or a file write that
fails half-way): the rest of the run is the real command against the real systems.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.conftest import ROOT
from tests.test_exit_codes import one_line  # noqa: F401 (the fault tests check the same one line)

_PATCHED_CLI = """
import sys
exec(sys.argv[1])
from kaze_policy.cli import main
main(args=sys.argv[2:], prog_name="kaze-policy")
"""

# A cell that many controls judge: a tenant namespace with its network policy and a
# workload pinned by digest, and a configuration naming the registry.
DIGEST = "sha256:" + "0" * 64
CONFIG = "apiVersion: kaze.io/v1\nkind: KazePolicyConfig\nregistries: [registry.kaze.io/kaze]\n"
STACK = f"""apiVersion: v1
kind: Namespace
metadata:
  name: tenant-acme
  labels: {{kaze.io/tenant: acme, pod-security.kubernetes.io/enforce: restricted}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: default-deny, namespace: tenant-acme}}
spec: {{podSelector: {{}}, policyTypes: [Ingress, Egress]}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: agent, namespace: tenant-acme}}
spec:
  selector: {{matchLabels: {{app: agent}}}}
  template:
    metadata: {{labels: {{app: agent}}}}
    spec:
      containers:
      - name: agent
        image: registry.kaze.io/kaze/agent@{DIGEST}
        securityContext: {{privileged: true}}
"""


def write_cell(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "kaze-policy.yaml").write_text(CONFIG)
    (folder / "stack.yaml").write_text(STACK)
    return folder


def patched_cli(patch: str, *args: str, env: dict[str, str] | None = None, timeout: float = 120,
                cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`kaze-policy ARGS` with `patch` (Python) run first in its process."""
    return subprocess.run([sys.executable, "-c", _PATCHED_CLI, patch, *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, timeout=timeout,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})


def report(result: subprocess.CompletedProcess[str], code: int | tuple[int, ...]) -> dict[str, Any]:
    """The JSON report on stdout of a run that ended with `code` (or one of them), with nothing
    on stderr but what a person should read (never a traceback)."""
    assert result.returncode in (code if isinstance(code, tuple) else (code,)), \
        f"exit {result.returncode}\n{result.stderr[-3000:]}"
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert result.stdout, result.stderr[-3000:]
    return json.loads(result.stdout)


def statuses(document: dict[str, Any]) -> dict[str, str]:
    return {c["id"]: c["status"] for c in document["controls"]}


def error_reasons(document: dict[str, Any], ids: set[str] | None = None) -> list[str]:
    """The reason of every target that could not be evaluated, of the controls `ids` (default all)."""
    return [t["reason"] for c in document["controls"] if ids is None or c["id"] in ids
            for t in c["targets"] if t["status"] == "error"]
