"""Objects of Kubernetes' own kinds, checked against the OpenAPI schema of one pinned Kubernetes.

The API server refuses an object whose fields have the wrong type (`privileged: "true"`,
`containers: nginx`, `metadata` as a list): such an object never runs, and the controls, which
read fields by their Kubernetes type, would misjudge it. So it is bad input, refused before
anything is evaluated, on every engine.

The schemas are those `kubernetes-validate` ships (the JSON Schema form of Kubernetes' OpenAPI
document), for KUBERNETES_VERSION; pyproject.toml pins kubernetes-validate to that same version
(tests/test_openapi.py checks that they agree). Each kind's validator is compiled once, by
jsonschema-rs, from the definitions that kind reaches: validating an object costs microseconds.

Unknown fields are accepted: we use the schemas without `additionalProperties: false` (not the
`-strict` ones) because the API server, asked without a field-validation directive (as
controllers and GitOps tools apply), drops unknown fields with a warning; the object it stores
is the one without them, which is what the controls judge.
"""

from __future__ import annotations

import importlib.util
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema_rs

from kaze_policy.errors import InputError

# The Kubernetes whose API is the reference; kubernetes-validate==<this> ships its schemas.
KUBERNETES_VERSION = "1.37.0"
_SCHEMAS = f"kubernetes-json-schema/v{KUBERNETES_VERSION}-local/_definitions.json"
_GVK = "x-kubernetes-group-version-kind"


@lru_cache(maxsize=1)
def _definitions() -> dict[str, Any]:
    """Every definition of the pinned OpenAPI document, descriptions left out (smaller to compile)."""
    # The package's folder, found without importing it (its import pulls in the slow jsonschema).
    spec = importlib.util.find_spec("kubernetes_validate")
    if spec is None or not spec.submodule_search_locations:
        raise InputError(f"kubernetes-validate=={KUBERNETES_VERSION} is not installed (pip install kaze-policy)")
    path = Path(next(iter(spec.submodule_search_locations))) / _SCHEMAS
    return _without_descriptions(json.loads(path.read_bytes()))["$defs"]


def _without_descriptions(value: Any) -> Any:
    """The schemas without their `description` texts (a third of their size), keeping the
    fields named `description` (PriorityClass's, a CRD column's), whose schema is an object."""
    if isinstance(value, dict):
        return {k: _without_descriptions(v) for k, v in value.items()
                if not (k == "description" and isinstance(v, str))}
    if isinstance(value, list):
        return [_without_descriptions(v) for v in value]
    return value


@lru_cache(maxsize=1)
def _kinds() -> tuple[dict[tuple[str, str, str], str], frozenset[str]]:
    """(group, version, kind) → definition name, and the API groups Kubernetes itself serves."""
    by_gvk = {(gvk["group"], gvk["version"], gvk["kind"]): name
              for name, schema in _definitions().items() for gvk in schema.get(_GVK, [])}
    return by_gvk, frozenset(group for group, _, _ in by_gvk)


def known_kinds() -> list[tuple[str, str, str]]:
    """Every (group, version, kind) the pinned schemas describe, in their order."""
    return list(_kinds()[0])


@lru_cache(maxsize=None)
def _validator(definition: str) -> jsonschema_rs.Draft202012Validator:
    """The compiled validator of one kind, over just the definitions it reaches."""
    defs = _definitions()
    reached, todo = {}, [definition]
    while todo:
        name = todo.pop()
        if name not in reached:
            reached[name] = defs[name]
            todo.extend(_refs(defs[name]))
    return jsonschema_rs.Draft202012Validator({"$defs": reached, "$ref": f"#/$defs/{definition}"},
                                              validate_formats=False, offline=True)


def _refs(value: Any) -> list[str]:
    if isinstance(value, dict):
        found = [value["$ref"].rpartition("/")[2]] if isinstance(value.get("$ref"), str) else []
        return found + [r for v in value.values() for r in _refs(v)]
    if isinstance(value, list):
        return [r for v in value for r in _refs(v)]
    return []


def is_builtin_group(api_version: str) -> bool:
    """Whether an apiVersion names an API group that Kubernetes itself serves (core included)."""
    group, _, version = api_version.rpartition("/")
    return bool(version) and group in _kinds()[1]


def check_object(obj: dict[str, Any], file: str, line: int | None) -> None:
    """Refuse an object of a built-in API group that the pinned API server would refuse.

    Objects of other groups (custom resources) pass unchecked: their schemas are the CRDs'.
    """
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    if not isinstance(api_version, str) or not is_builtin_group(api_version):
        return
    group, _, version = api_version.rpartition("/")
    definition = _kinds()[0].get((group, version, kind))
    if definition is None:
        raise InputError(f"Kubernetes {KUBERNETES_VERSION} has no kind {kind} in {api_version}", file, line)
    validator = _validator(definition)
    if validator.is_valid(obj):
        return
    error = next(iter(validator.iter_errors(obj)))
    raise InputError(f"{kind} {_name(obj)}: {field_path(error.instance_path) or '(the object)'}: "
                     f"{_short(error.message)} (Kubernetes {KUBERNETES_VERSION} would refuse it)", file, line)


def field_path(path: Any) -> str:
    """`["spec", "containers", 0, "image"]` → `spec.containers[0].image`."""
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return text


def _name(obj: dict[str, Any]) -> str:
    metadata = obj.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    namespace = metadata.get("namespace") if isinstance(metadata, dict) else None
    return f"{namespace}/{name}" if namespace else str(name or "(unnamed)")


def _short(message: str, limit: int = 200) -> str:
    """jsonschema-rs quotes the whole offending value: keep the line readable."""
    message = " ".join(message.split())
    return message if len(message) <= limit else message[: limit - 1] + "…"
