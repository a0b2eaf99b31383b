"""Live probes: what a running system holds, read into the snapshots of docs/inventory.md.

Each probe reads one kind of system and returns one snapshot document (`apiVersion:
snapshot.kaze.io/v1`), the very shape a hand-written or saved snapshot file has, so that a
live scan and the scan of a saved snapshot judge the same thing. A probe never reads a
secret's value. A system that cannot be read raises ProbeFailed: its controls are then
`error`, naming what failed (exit 3), never a pass.
"""

from __future__ import annotations

from typing import Any

from kaze_policy.errors import KazePolicyError

SNAPSHOT_API = "snapshot.kaze.io/v1"


class ProbeFailed(KazePolicyError):
    """A live system could not be read: the controls of `scope` cannot be evaluated (exit 3)."""

    exit_code = 3

    def __init__(self, message: str, system: str, scope: str) -> None:
        super().__init__(message, system)
        self.scope = scope


def snapshot(kind: str, name: str, **fields: Any) -> dict[str, Any]:
    """A snapshot document of `kind`, named `name`."""
    return {"apiVersion": SNAPSHOT_API, "kind": kind, "metadata": {"name": name}, **fields}
