"""Load one target into an Inventory, choosing the right source for each file."""

from __future__ import annotations

import json
from pathlib import Path

from kaze_policy.errors import InputError
from kaze_policy.inventory import Inventory, Resource, Target
from kaze_policy.sources import dockerfile, kustomize, terraform, vault_policy
from kaze_policy.sources.discover import CONFIG_FILE, TargetSpec
from kaze_policy.sources.files import DEFAULT_MAX_FILE_BYTES, read_bytes
from kaze_policy.sources.kubernetes import load_manifest

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")


def load_target(spec: TargetSpec, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> Inventory:
    inventory = Inventory(target=Target(name=spec.name, path=str(spec.path), kind=spec.kind))
    if spec.kind == "kustomize":
        resources, skipped = kustomize.render(spec.path, max_bytes)
        inventory.add(resources)
        inventory.skipped.extend([str(spec.path)] * skipped)
        return inventory
    root = spec.path if spec.path.is_dir() else spec.path.parent
    for file in spec.files:
        resources, skipped = load_file(file, root, max_bytes)
        inventory.add(resources)
        inventory.skipped.extend([str(file)] * skipped)
    return inventory


def load_file(file: Path, root: Path, max_bytes: int) -> tuple[list[Resource], int]:
    """Resources of one file and how many of its documents were not objects (skipped)."""
    name = file.name
    shown = str(file)
    if name == CONFIG_FILE:
        return [], 0
    if name == "Dockerfile" or name.endswith(".Dockerfile") or name.startswith("Dockerfile."):
        return dockerfile.load_dockerfile(read_bytes(file, max_bytes), shown, root), 0
    if file.suffix == ".tf":
        return terraform.load_hcl(_utf8(read_bytes(file, max_bytes), shown), shown, root), 0
    if file.suffix == ".hcl":
        data = _utf8(read_bytes(file, max_bytes), shown)
        if vault_policy.is_vault_policy(file, data.decode("utf-8")):
            return vault_policy.load_policy(data, shown), 0
        return [], 1
    if file.suffix == ".json" and "vault" in file.parts and file.parent.name in ("roles", "keys"):
        data = read_bytes(file, max_bytes)
        if file.parent.name == "keys":
            return vault_policy.load_keys_file(data, shown), 0
        return vault_policy.load_role_file(data, shown), 0
    if file.suffix in MANIFEST_SUFFIXES:
        data = read_bytes(file, max_bytes)
        if file.suffix == ".json":
            plan = _plan_or_none(data)
            if plan is not None:
                return terraform.load_plan(plan, shown), 0
        manifest = load_manifest(data, shown)
        return manifest.resources, manifest.skipped
    return [], 0


def _utf8(data: bytes, file: str) -> bytes:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InputError(f"invalid UTF-8 (byte {err.start})", file, data.count(b"\n", 0, err.start) + 1) from None
    return data


def _plan_or_none(data: bytes) -> dict | None:
    if b'"format_version"' not in data[:4096]:
        return None
    try:
        value = json.loads(data)
    except (ValueError, RecursionError):
        return None
    return value if terraform.is_plan_json(value) else None
