"""CycloneDX JSON validation: cyclonedx-python-lib's schema, with `uniqueItems` in linear time.

jsonschema checks `uniqueItems` by comparing every pair of items when they cannot be sorted,
and objects never can: an SBOM of 5,000 components took 14 s to validate, 20,000 took 222 s.
The validator here is cyclonedx-python-lib's own (its schema, its registry of the SPDX, JSF
and cryptography schemas, its format checker) with that one keyword taken over (and `enum`, for speed): each item
becomes a hashable key that is equal exactly when JSON Schema calls two values equal (1 and
1.0 are, true and 1 are not, objects whatever the order of their keys), and a set finds the
first repeat. Every other keyword is jsonschema's.
"""

from __future__ import annotations

from contextvars import ContextVar
from functools import lru_cache
from typing import Any, Hashable, Iterator

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from jsonschema import validators
from jsonschema.exceptions import ValidationError
from jsonschema.protocols import Validator

# The keys of the arrays and objects of the document being validated, by id: nested arrays
# under `uniqueItems` (components in components) are reduced once, not once per level.
_KEYS: ContextVar[dict[int, Hashable]] = ContextVar("cyclonedx_json_keys")


def first_error(document: Any, version: str) -> str | None:
    """The first schema error of a parsed CycloneDX JSON document, as the lib finds it, or None."""
    try:
        validator = _validator(version)
    except (ValueError, NotImplementedError) as err:  # an unknown version, or one without a JSON form
        return f"specVersion {version!r}: no CycloneDX JSON schema ({err})"
    token = _KEYS.set({})
    try:
        error = next(validator.iter_errors(document), None)
    finally:
        _KEYS.reset(token)
    if error is None:
        return None
    where = "/".join(str(part) for part in error.absolute_path) or "(top level)"
    return f"{where}: {error.message}"[:500]


@lru_cache(maxsize=16)
def _validator(version: str) -> Validator:
    lib = JsonStrictValidator(SchemaVersion.from_version(version))._validator  # noqa: SLF001 (its schema and registry)
    linear = validators.extend(type(lib), {"uniqueItems": _unique_items, "enum": _enum})
    return linear(lib.schema, registry=lib._registry, format_checker=lib.format_checker)  # noqa: SLF001


def _unique_items(validator: Validator, unique: bool, instance: Any, schema: dict[str, Any]) -> Iterator[ValidationError]:
    if not unique or not validator.is_type(instance, "array") or len(instance) < 2:
        return
    keys = _KEYS.get(None)
    seen: dict[Hashable, int] = {}
    for index, item in enumerate(instance):
        first = seen.setdefault(json_key(item, keys), index)
        if first != index:
            yield ValidationError(f"has non-unique elements (items {first} and {index} are equal)")
            return


# The keys of each `enum` of the schema, by the id of its list (kept alive with it): the SPDX
# licence enum has 700 ids, compared one by one by jsonschema for every licence of every component.
_ENUM_KEYS: dict[int, tuple[list[Any], frozenset[Hashable]]] = {}


def _enum(validator: Validator, enums: list[Any], instance: Any, schema: dict[str, Any]) -> Iterator[ValidationError]:
    cached = _ENUM_KEYS.get(id(enums))
    if cached is None or cached[0] is not enums:
        cached = _ENUM_KEYS[id(enums)] = (enums, frozenset(json_key(each) for each in enums))
    if json_key(instance, _KEYS.get(None)) not in cached[1]:
        yield ValidationError(f"{instance!r} is not one of {enums!r}")


def json_key(value: Any, memo: dict[int, Hashable] | None = None) -> Hashable:
    """A key equal for two JSON values exactly when JSON Schema holds them equal.

    Numbers and strings are their own keys (1 == 1.0 in Python as in JSON Schema, and a
    number never equals a string); booleans, arrays and objects are tagged, so that true is
    not 1 and an array is not an object.
    """
    if isinstance(value, bool):
        return ("bool", value)
    if not isinstance(value, (list, dict)):
        return value
    memo = {} if memo is None else memo
    found = memo.get(id(value))
    if found is None:
        if isinstance(value, list):
            found = ("array", tuple(json_key(item, memo) for item in value))
        else:
            found = ("object", frozenset((name, json_key(item, memo)) for name, item in value.items()))
        memo[id(value)] = found
    return found
