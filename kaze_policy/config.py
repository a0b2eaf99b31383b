"""kaze-policy.yaml: loading and validation against the JSON Schema shipped in the package."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from kaze_policy.errors import InputError
from kaze_policy.sources.files import read_bytes


@lru_cache(maxsize=1)
def config_schema() -> dict[str, Any]:
    return json.loads(resources.files("kaze_policy.schemas").joinpath("config.schema.json").read_text())


def load_config(path: Path) -> dict[str, Any]:
    """Parse and validate one kaze-policy.yaml; an invalid file names the bad field."""
    shown = str(path)
    data = read_bytes(path)
    try:
        value = yaml.safe_load(data)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        raise InputError(f"not valid YAML ({getattr(err, 'problem', err)})", shown,
                         mark.line + 1 if mark else None) from None
    validate_config(value, shown)
    return value


def validate_config(value: Any, shown: str) -> None:
    validator = jsonschema.Draft202012Validator(config_schema(), format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(value), key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path))))
    if errors:
        error = jsonschema.exceptions.best_match(errors)
        field = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        raise InputError(f"invalid configuration at {field}: {error.message}", shown)
