"""Vault/OpenBao policy HCL files and auth-role JSON files as resources."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import hcl2
from hcl2.utils import SerializationOptions

from kaze_policy.errors import InputError
from kaze_policy.inventory import Origin, Resource

_OPTIONS = SerializationOptions(strip_string_quotes=True, explicit_blocks=False, with_comments=False)


def is_vault_policy(path: Path, text: str) -> bool:
    return "vault" in path.parts or text.lstrip().startswith("path ") or '\npath "' in text


def load_policy(data: bytes, file: str) -> list[Resource]:
    text = data.decode("utf-8")
    try:
        parsed = hcl2.loads(text, serialization_options=_OPTIONS)
    except Exception as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise InputError(f"not a valid Vault policy ({first})", file) from None
    paths: dict[str, Any] = {}
    for entry in parsed.get("path") or []:
        for path, body in (entry or {}).items():
            paths[str(path)] = body
    name = Path(file).stem
    return [Resource(kind="VaultPolicy", name=name, obj={"policy": text, "paths": paths},
                     origin=Origin(file, 1), source="vault-policy", api_version="vault")]


def load_role(value: Any, file: str) -> list[Resource]:
    if not isinstance(value, dict):
        raise InputError("a Vault auth role must be a JSON object", file)
    name = str(value.get("name") or value.get("role_name") or Path(file).stem)
    return [Resource(kind="VaultAuthRole", name=name, obj=value, origin=Origin(file, 1),
                     source="vault-policy", api_version="vault")]


def load_keys_file(data: bytes, file: str) -> list[Resource]:
    """A file of transit keys (`{"keys": [{"path", "auto_rotate_period", …}]}`): kind VaultTransitKeys."""
    try:
        value = json.loads(data)
    except ValueError as err:
        raise InputError(f"not valid JSON ({err})", file) from None
    if not isinstance(value, dict) or not isinstance(value.get("keys"), list):
        raise InputError("a Vault transit keys file must be an object with a `keys` list", file)
    return [Resource(kind="VaultTransitKeys", name=Path(file).stem, obj=value, origin=Origin(file, 1),
                     source="vault-policy", api_version="vault")]


def load_role_file(data: bytes, file: str) -> list[Resource]:
    try:
        value = json.loads(data)
    except ValueError as err:
        raise InputError(f"not valid JSON ({err})", file) from None
    return load_role(value, file)
