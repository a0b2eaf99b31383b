"""Load one target into an Inventory, choosing the right source for each file.

A file is recognised by what it holds, then by its name: a JSON document with an
`apiVersion` and a `kind` is Kubernetes wherever it sits; a `terraform show -json` plan
is one whatever the order of its keys.
"""

from __future__ import annotations

import codecs
import json
from pathlib import Path
from typing import Any

from kaze_policy.errors import InputError
from kaze_policy.inventory import Inventory, Resource, Target
from kaze_policy.sources import dockerfile, kustomize, terraform, vault_policy
from kaze_policy.sources.cluster import is_snapshot
from kaze_policy.sources.discover import CONFIG_FILE, TargetSpec, is_dockerfile
from kaze_policy.sources.files import DEFAULT_MAX_FILE_BYTES, STDIN_NAME, Skipped, read_bytes, read_stdin
from kaze_policy.sources.kubernetes import load_manifest

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
NOT_OBJECTS = "not a Kubernetes object (no apiVersion)"
# Bounds of what one target may hold, beyond --max-file-size for each file (README, "Limits").
# Files: a cell's tree holds hundreds; a folder of more is no cell (a checkout of vendored
# charts, a home folder), and its scan would run for hours.
MAX_FILES_PER_TARGET = 50_000
# Vault stores a policy in one storage entry (1 MiB at most by default); real ones are a few
# KB. python-hcl2 parses some 15-50 KB/s (less on a loaded machine): 256 KiB stays under 20 s.
MAX_VAULT_POLICY_BYTES = 256 * 1024


def load_target(spec: TargetSpec, max_bytes: int = DEFAULT_MAX_FILE_BYTES, allow_remote: bool = False) -> Inventory:
    """The target's resources; what it passed over is added to `spec.skipped`."""
    inventory = Inventory(target=Target(name=spec.name, path=str(spec.path), kind=spec.kind,
                                                part=spec.included))
    if spec.kind == "kustomize":
        resources, skipped = kustomize.render(spec.path, max_bytes, allow_remote)
        inventory.add(resources)
        _skip(spec, str(kustomize.kustomization_file(spec.path) or spec.path), _not_objects(skipped))
        return inventory
    root = spec.path if spec.path.is_dir() else spec.path.parent
    if len(spec.files) > MAX_FILES_PER_TARGET:
        raise InputError(f"{len(spec.files)} files to read, over the limit of {MAX_FILES_PER_TARGET} in one target "
                         "(scan its subfolders separately, or leave some out with --exclude)", str(spec.path))
    for file in spec.files:
        if spec.stdin:
            resources, reason = load_data(read_stdin(max_bytes), STDIN_NAME)
            shown = STDIN_NAME
        else:
            resources, reason = load_file(file, root, max_bytes, explicit=spec.explicit)
            shown = str(file)
        inventory.add(resources)
        _skip(spec, shown, reason)
    return inventory


def _skip(spec: TargetSpec, path: str, reason: str | None) -> None:
    if reason:
        spec.skipped.append(Skipped(path, reason))


def load_file(file: Path, root: Path, max_bytes: int, explicit: bool = False) -> tuple[list[Resource], str | None]:
    """Resources of one file, and why (some of) it was passed over, if it was.

    A file named on the command line (`explicit`) whose name says nothing is read as a
    Kubernetes manifest, as `kubectl apply -f FILE` reads it.
    """
    name = file.name
    shown = str(file)
    if name == CONFIG_FILE:
        return [], None
    if is_dockerfile(name):
        return dockerfile.load_dockerfile(read_bytes(file, max_bytes), shown, root), None
    if name.endswith(".tf"):
        return terraform.load_hcl(_utf8(read_bytes(file, max_bytes), shown), shown, root), None
    if name.endswith(".tf.json"):
        return terraform.load_json(read_bytes(file, max_bytes), shown, root), None
    if name.endswith(".hcl"):
        data = _utf8(read_bytes(file, max_bytes), shown)
        if vault_policy.is_vault_policy(file, data.decode("utf-8")):
            if len(data) > MAX_VAULT_POLICY_BYTES:
                raise InputError(f"a Vault policy of {len(data)} bytes, over the limit of {MAX_VAULT_POLICY_BYTES}", shown)
            return vault_policy.load_policy(data, shown), None
        return [], "HCL that is neither Terraform (*.tf) nor a Vault policy (no `path` block)"
    if name.endswith(".json") and "vault" in file.parts and file.parent.name in ("roles", "keys"):
        data = read_bytes(file, max_bytes)
        value = _json_or_none(data)
        if not _is_kubernetes(value):
            if file.parent.name == "keys":
                return vault_policy.load_keys_file(data, shown), None
            return vault_policy.load_role_file(data, shown), None
        return _manifest(data, shown)
    if name.endswith(MANIFEST_SUFFIXES) or explicit:
        return load_data(read_bytes(file, max_bytes), shown)
    return [], None


def load_data(data: bytes, shown: str) -> tuple[list[Resource], str | None]:
    """A stream that is either a `terraform show -json` document or Kubernetes manifests."""
    if data.removeprefix(codecs.BOM_UTF8).lstrip()[:1] == b"{":
        value = _json_or_none(data)  # json.loads of bytes skips a UTF-8 byte-order mark itself
        if is_snapshot(value):
            # Its objects are a cluster's, judged by the cluster's controls: a target of its own.
            raise InputError("a cluster snapshot is scanned on its own: give its file as a path of its own", shown)
        if terraform.is_plan_json(value) and not _is_kubernetes(value):
            return terraform.load_plan(value, shown), None
    return _manifest(data, shown)


def _manifest(data: bytes, shown: str) -> tuple[list[Resource], str | None]:
    manifest = load_manifest(data, shown)
    if not manifest.resources and not manifest.skipped:
        return [], "no document in it (empty, or only comments)"
    return manifest.resources, _not_objects(manifest.skipped)


def _not_objects(count: int) -> str | None:
    if count == 0:
        return None
    return NOT_OBJECTS if count == 1 else f"{count} documents: {NOT_OBJECTS}"


def _is_kubernetes(value: Any) -> bool:
    return isinstance(value, dict) and "apiVersion" in value and "kind" in value


def _json_or_none(data: bytes) -> Any:
    # A document that is not JSON is no plan: the manifest reader reports what is wrong with it.
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        return None


def _utf8(data: bytes, file: str) -> bytes:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InputError(f"invalid UTF-8 (byte {err.start})", file, data.count(b"\n", 0, err.start) + 1) from None
    return data
