"""kaze-policy.yaml: loading and validation against the JSON Schema shipped in the package."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema_rs

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


# More egress allowlist entries than a cell plausibly reviews: past this, bad input (each is
# judged on every scan and every decision, and an allowlist nobody can read is no control).
MAX_ALLOWLIST_ENTRIES = 10_000


def validate_config(value: Any, shown: str) -> None:
    """The schema, then what a schema cannot say: each tenant once, allowlists of bounded size."""
    _check_allowlist_size(value, shown)
    if not _schema_valid(value):
        problem = _schema_error(value)
        if problem is not None:
            raise InputError(f"invalid configuration at {problem}", shown)
    _check_unique_tenants(value, shown)


# What the compiled validator cannot take (a YAML date, an integer past 64 bits).
_UNTAKEN = (ValueError, TypeError, OverflowError)


@lru_cache(maxsize=1)
def _fast_validator() -> jsonschema_rs.Draft202012Validator:
    return jsonschema_rs.Draft202012Validator(config_schema(), validate_formats=True)


def _schema_valid(value: Any) -> bool:
    """The compiled (Rust) validator: jsonschema's costs 80 µs an allowlist entry, 8 s for
    100,000. It only says yes or no; jsonschema words the error."""
    try:
        return bool(_fast_validator().is_valid(value))
    except _UNTAKEN:
        return False


def _schema_error(value: Any) -> str | None:
    """`<field>: <message>` of the most relevant error, or None when there is none."""
    validator = jsonschema.Draft202012Validator(config_schema(), format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(value), key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path))))
    if errors:
        error = jsonschema.exceptions.best_match(errors)
        return f"{'/'.join(str(p) for p in error.absolute_path) or '(top level)'}: {error.message}"
    # jsonschema found nothing: the validators differ on a detail (Python's `$` matches
    # before a final newline, as in "acme\n"), and the stricter one is right.
    try:
        first = next(iter(_fast_validator().iter_errors(value)), None)
    except _UNTAKEN:
        return None
    if first is None:
        return None
    return f"{'/'.join(str(p) for p in first.instance_path) or '(top level)'}: {first.message}"


def _allowlists(value: Any) -> list[Any]:
    """Each allowlist of a parsed configuration (tenants' and verticals'), whatever its shape."""
    if not isinstance(value, dict):
        return []
    tenants = value.get("tenants") if isinstance(value.get("tenants"), list) else []
    verticals = value.get("verticals") if isinstance(value.get("verticals"), dict) else {}
    return [item.get("egress") for item in [*tenants, *verticals.values()] if isinstance(item, dict)]


def _check_allowlist_size(value: Any, shown: str) -> None:
    """Counted before the schema, so that a million entries cost a count, not a validation."""
    total = sum(len(entries) for entries in _allowlists(value) if isinstance(entries, list))
    if total > MAX_ALLOWLIST_ENTRIES:
        raise InputError(f"invalid configuration: {total} egress allowlist entries, more than the "
                         f"{MAX_ALLOWLIST_ENTRIES} kaze-policy reads; merge them into fewer, reviewed entries", shown)


def _check_unique_tenants(value: dict[str, Any], shown: str) -> None:
    """A tenant declared twice has two allowlists and two verticals: which one counts is
    anyone's guess, so the configuration is refused (the schema's uniqueItems compares whole
    entries, not names)."""
    first: dict[str, int] = {}
    for i, tenant in enumerate(value.get("tenants") or []):
        name = tenant["name"]
        if name in first:
            raise InputError(f"invalid configuration at tenants/{i}/name: tenant {name} is declared twice "
                             f"(first at tenants/{first[name]})", shown)
        first[name] = i
