"""Locating the reference tools (opa, kustomize): `.tools/bin` of the checkout, then PATH."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def find_tool(name: str) -> str | None:
    override = os.environ.get(f"KAZE_{name.upper()}")
    if override:
        return override
    local = PROJECT_ROOT / ".tools" / "bin" / name
    if local.is_file() and os.access(local, os.X_OK):
        return str(local)
    return shutil.which(name)
