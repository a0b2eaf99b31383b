"""kaze-policy.yaml: loading and validation against the JSON Schema shipped in the package."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from kaze_policy.errors import InputError
from kaze_policy.sources.files import read_bytes
from kaze_policy.sources.yaml_stream import load_stream

# A configuration of thousands of tenants and allowlist entries is well under a megabyte.
MAX_CONFIG_BYTES = 4 * 1024 * 1024


@lru_cache(maxsize=1)
def config_schema() -> dict[str, Any]:
    return json.loads(resources.files("kaze_policy.schemas").joinpath("config.schema.json").read_text())


def load_config(path: Path) -> dict[str, Any]:
    """Parse and validate one kaze-policy.yaml; an invalid file names the bad field.

    It is read as manifests are (kubectl's YAML: go-yaml v2's scalars, duplicate keys refused),
    with their bounds: the alias budget that stops a billion laughs, a depth limit; and a
    size limit of its own. Every value is plain JSON: no dates, bytes or sets."""
    shown = str(path)
    try:
        size = path.stat().st_size
    except OSError:
        size = 0  # read_bytes says why it cannot be read
    if size > MAX_CONFIG_BYTES:
        raise InputError(f"a configuration is at most {MAX_CONFIG_BYTES} bytes, this file has {size}", shown)
    data = read_bytes(path, MAX_CONFIG_BYTES)
    documents = load_stream(data, shown)
    if len(documents) > 1:
        raise InputError("a configuration is one YAML document, this file holds several", shown,
                         documents[1].line)
    value = documents[0].value if documents else None
    validate_config(value, shown)
    return value


def validate_config(value: Any, shown: str) -> None:
    validator = jsonschema.Draft202012Validator(config_schema(), format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(value), key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path))))
    if errors:
        error = jsonschema.exceptions.best_match(errors)
        field = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        raise InputError(f"invalid configuration at {field}: {error.message}", shown)
