"""CycloneDX JSON schema errors as one line: where, and what (sources/cyclonedx_schema.py)."""

from __future__ import annotations

from typing import Any

import pytest

from kaze_policy.sources.cyclonedx_schema import first_error

LIB = {"type": "library", "name": "a"}


def _bom(**fields: Any) -> dict[str, Any]:
    return {"bomFormat": "CycloneDX", "specVersion": "1.6", **fields}


@pytest.mark.parametrize(("document", "error"), [
    (_bom(), None),
    (_bom(components=[LIB]), None),
    (_bom(components=[]), None),
    ([], "(top level): [] is not of type 'object'"),
    # uniqueItems, taken over: the first repeat, by the indices of both items
    (_bom(components=[LIB, dict(LIB)]), "components: has non-unique elements (items 0 and 1 are equal)"),
    (_bom(components=[LIB, {**LIB, "name": "b"}, {"name": "a", "type": "library"}]),
     "components: has non-unique elements (items 0 and 2 are equal)"),
    (_bom(components=[LIB, {**LIB, "name": "b"}, dict(LIB), dict(LIB)]),
     "components: has non-unique elements (items 0 and 2 are equal)"),
    # enum, taken over: jsonschema's message
    (_bom(components=[{**LIB, "type": "librarie"}]),
     "components/0/type: 'librarie' is not one of ['application', 'framework', 'library', 'container', "
     "'platform', 'operating-system', 'device', 'device-driver', 'firmware', 'file', 'machine-learning-model', "
     "'data', 'cryptographic-asset']"),
    (_bom(components=[{**LIB, "type": True}]), "components/0/type: True is not of type 'string'"),
])
def test_the_first_schema_error_names_where_it_is(document: Any, error: str | None) -> None:
    assert first_error(document, "1.6") == error


def test_an_error_is_cut_to_500_characters() -> None:
    error = first_error(_bom(components=[{**LIB, "licenses": [{"license": {"id": "x" * 600}}]}]), "1.6")
    assert len(error) == 500 and error.startswith("components/0/licenses: [{'license': {'id': 'xxx")


@pytest.mark.parametrize(("version", "why"), [
    ("9.9", "(9, 9) is not a valid SchemaVersion"),
    # CycloneDX 1.0 and 1.1 had no JSON form
    ("1.1", "Unsupported schema_version: <SchemaVersion.V1_1: (1, 1)>"),
])
def test_a_spec_version_without_a_json_schema_is_an_error_naming_it(version: str, why: str) -> None:
    assert first_error(_bom(), version) == f"specVersion {version!r}: no CycloneDX JSON schema ({why})"
