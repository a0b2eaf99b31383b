"""Terraform: HCL files through python-hcl2, `*.tf.json` files, and `terraform show -json` plans."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import hcl2
from hcl2.utils import SerializationOptions

from kaze_policy.errors import InputError
from kaze_policy.inventory import Origin, Resource

_OPTIONS = SerializationOptions(strip_string_quotes=True, explicit_blocks=False, with_comments=False)
_LABELLED = {"resource": 2, "data": 2, "provider": 1, "module": 1, "variable": 1, "output": 1}


def load_hcl(data: bytes, file: str, root: Path) -> list[Resource]:
    text = data.decode("utf-8")
    try:
        parsed = hcl2.loads(text, serialization_options=_OPTIONS)
    except Exception as err:  # python-hcl2 raises lark errors of many types
        line = getattr(err, "line", None)
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise InputError(f"not valid HCL ({first})", file, line if isinstance(line, int) else None) from None
    return _resources(_blocks(parsed), file, root, lambda block_type, labels: _block_line(text, block_type, labels))


def load_json(data: bytes, file: str, root: Path) -> list[Resource]:
    """A `*.tf.json` file: Terraform's JSON syntax, read into the same shape as HCL.

    Expressions are `"${…}"` strings in both; a nested block is an object or a list of
    objects (the lib reads both); `"//"` keys are comments.
    """
    try:
        parsed = json.loads(data)
    except (ValueError, RecursionError) as err:
        line = getattr(err, "lineno", None)
        raise InputError(f"not valid JSON ({getattr(err, 'msg', err)})", file, line) from None
    if not isinstance(parsed, dict):
        raise InputError("a Terraform JSON file must hold an object", file, 1)
    text = data.decode("utf-8", "replace")
    blocks = [(block_type, labels, _uncommented(body)) for block_type, labels, body in
              _blocks({k: v if isinstance(v, list) else [v] for k, v in parsed.items()})]
    return _resources(blocks, file, root, lambda block_type, labels: _json_line(text, labels))


def _resources(blocks: Iterable[tuple[str, list[str], dict[str, Any]]], file: str, root: Path,
               line_of: Callable[[str, list[str]], int | None]) -> list[Resource]:
    module_dir = _module_dir(Path(file), root)
    resources = []
    for block_type, labels, body in blocks:
        kind, name = _kind_and_name(block_type, labels)
        obj = dict(body)
        if block_type == "data":
            obj["type"] = labels[0]
        rid = f"terraform/{module_dir}/{kind}.{name}" if module_dir else f"terraform/{kind}.{name}"
        resources.append(Resource(kind=kind, name=name, obj=obj, origin=Origin(file, line_of(block_type, labels)),
                                  source="terraform", api_version="terraform", id=rid))
    return resources


def _blocks(parsed: dict[str, Any]) -> Iterator[tuple[str, list[str], dict[str, Any]]]:
    for block_type, depth in _LABELLED.items():
        for entry in parsed.get(block_type) or []:
            yield from _walk_labels(block_type, entry, depth, [])


def _walk_labels(block_type: str, node: Any, depth: int, labels: list[str]) -> Iterator[tuple[str, list[str], dict[str, Any]]]:
    if isinstance(node, list):  # JSON syntax: a list of objects at any level means each of them
        for child in node:
            yield from _walk_labels(block_type, child, depth, labels)
        return
    if depth == 0:
        if isinstance(node, dict):
            yield block_type, labels, node
        return
    if isinstance(node, dict):
        for label, child in node.items():
            if label != "//":
                yield from _walk_labels(block_type, child, depth - 1, labels + [str(label)])


def _uncommented(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _uncommented(v) for k, v in value.items() if k != "//"}
    if isinstance(value, list):
        return [_uncommented(v) for v in value]
    return value


def _json_line(text: str, labels: list[str]) -> int | None:
    """The line of the innermost label's key, looked for after the outer ones (best effort)."""
    offset = 0
    for label in labels:
        found = text.find(json.dumps(label), offset)
        if found < 0:
            return None
        offset = found
    return text.count("\n", 0, offset) + 1


def _kind_and_name(block_type: str, labels: list[str]) -> tuple[str, str]:
    if block_type == "resource":
        return labels[0], labels[1]
    if block_type == "data":
        return "terraform_data", f"{labels[0]}.{labels[1]}"
    return f"terraform_{block_type}", labels[0]


def _block_line(text: str, block_type: str, labels: list[str]) -> int | None:
    quoted = r"\s+".join(r'"?' + re.escape(label) + r'"?' for label in labels)
    match = re.search(rf"^[ \t]*{block_type}\s+{quoted}\s*\{{", text, re.M)
    return text.count("\n", 0, match.start()) + 1 if match else None


def _module_dir(file: Path, root: Path) -> str:
    try:
        rel = file.parent.resolve().relative_to(root.resolve())
    except ValueError:
        rel = Path(file.parent.name)
    parts = [p for p in rel.parts if p not in (".",)]
    if "terraform" in parts:
        parts = parts[parts.index("terraform") + 1:]
    return "/".join(parts)


def is_plan_json(value: Any) -> bool:
    """A `terraform show -json` document: a format_version and planned or current values."""
    return isinstance(value, dict) and isinstance(value.get("format_version"), str) and (
        isinstance(value.get("planned_values"), dict) or isinstance(value.get("values"), dict))


def load_plan(plan: dict[str, Any], file: str) -> list[Resource]:
    """Resources of a `terraform show -json` document (a plan or a state)."""
    values = plan.get("planned_values") or plan.get("values") or {}
    resources = []
    for res in _plan_resources(values.get("root_module") or {}):
        mode = res.get("mode", "managed")
        kind = res.get("type", "unknown") if mode == "managed" else "terraform_data"
        obj = dict(res.get("values") or {})
        if mode != "managed":
            obj["type"] = res.get("type")
        address = str(res.get("address", res.get("name", "unknown")))
        resources.append(Resource(kind=kind, name=str(res.get("name", address)), obj=obj,
                                  origin=Origin(file, None), source="terraform",
                                  api_version="terraform", id=f"terraform/{address}"))
    return resources


def _plan_resources(module: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from module.get("resources") or []
    for child in module.get("child_modules") or []:
        yield from _plan_resources(child)
