"""Terraform: HCL files through python-hcl2, `*.tf.json` files, and `terraform show -json` plans."""

from __future__ import annotations

import bisect
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
    lines = _block_lines(text)
    return _resources(_blocks(parsed), file, root, lambda block_type, labels: lines.get((block_type, *labels)))


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
    keys = _JsonKeys(data.decode("utf-8", "replace"))
    blocks = [(block_type, labels, _uncommented(body)) for block_type, labels, body in
              _blocks({k: v if isinstance(v, list) else [v] for k, v in parsed.items()})]
    return _resources(blocks, file, root, lambda block_type, labels: keys.line_of(labels))


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


def _kind_and_name(block_type: str, labels: list[str]) -> tuple[str, str]:
    if block_type == "resource":
        return labels[0], labels[1]
    if block_type == "data":
        return "terraform_data", f"{labels[0]}.{labels[1]}"
    return f"terraform_{block_type}", labels[0]


# A block header on one line, as HCL requires it: the block type, its labels (quoted or bare), `{`.
_HEADER = re.compile(r'^[ \t]*(' + "|".join(_LABELLED) + r')((?:[ \t]+(?:"(?:[^"\\\n]|\\.)*"|[\w-]+))*)[ \t]*\{', re.M)
_LABEL = re.compile(r'"((?:[^"\\\n]|\\.)*)"|([\w-]+)')
_ESCAPED = re.compile(r'\\(["\\])')


def _block_lines(text: str) -> dict[tuple[str, ...], int]:
    """The line of the first header of each (block type, *labels), in one pass over the text.

    Searching the text from its start for every block cost time in the square of the blocks
    (4,000 blocks: 5-9 s); lines are counted as the headers are met, once.
    """
    lines: dict[tuple[str, ...], int] = {}
    line, counted = 1, 0
    for match in _HEADER.finditer(text):
        line += text.count("\n", counted, match.start())
        counted = match.start()
        labels = tuple(bare or _ESCAPED.sub(r"\1", quoted) for quoted, bare in _LABEL.findall(match.group(2)))
        lines.setdefault((match.group(1), *labels), line)
    return lines


class _JsonKeys:
    """Where each object key of a JSON text is, to find a block's line by its labels.

    The text's strings are met in order (a string cannot hold an unescaped quote, so the scan
    never loses step); a string followed by `:` is a key. One pass, then a bisection per label.
    """

    _STRING = re.compile(r'"([^"\\]*(?:\\.[^"\\]*)*)"(\s*:)?', re.S)

    def __init__(self, text: str) -> None:
        self._at: dict[str, tuple[list[int], list[int]]] = {}  # key: its offsets, and their lines
        line, counted = 1, 0
        for match in self._STRING.finditer(text):
            if match.group(2):
                line += text.count("\n", counted, match.start())
                counted = match.start()
                offsets, lines = self._at.setdefault(self._decoded(match.group(1)), ([], []))
                offsets.append(match.start())
                lines.append(line)

    @staticmethod
    def _decoded(raw: str) -> str:
        if "\\" not in raw:
            return raw
        try:
            return json.loads(f'"{raw}"')
        except ValueError:
            return raw

    def line_of(self, labels: list[str]) -> int | None:
        """The line of the innermost label's key, looked for after the outer ones (best effort)."""
        offset, line = 0, None
        for label in labels:
            offsets, lines = self._at.get(label, ([], []))
            index = bisect.bisect_left(offsets, offset)
            if index == len(offsets):
                return None
            offset, line = offsets[index], lines[index]
        return line


def _module_dir(file: Path, root: Path) -> str:
    try:
        rel = file.parent.resolve().relative_to(root.resolve())
    except ValueError:
        rel = Path(file.parent.name)
    parts = list(rel.parts)  # a Path holds no "." part: Path("a/./b").parts is ("a", "b")
    if "terraform" in parts:
        parts = parts[parts.index("terraform") + 1:]
    return "/".join(parts)


def is_plan_json(value: Any) -> bool:
    """A `terraform show -json` document: a format_version and planned or current values.

    Values of the wrong type still make it one: it is then a plan that cannot be read (bad
    input), not a file of some other kind to pass over.
    """
    return isinstance(value, dict) and isinstance(value.get("format_version"), str) and (
        "planned_values" in value or "values" in value)


def load_plan(plan: dict[str, Any], file: str) -> list[Resource]:
    """Resources of a `terraform show -json` document (a plan or a state)."""
    _check_shape(plan, _PLAN, file)
    values = plan.get("planned_values") or plan.get("values") or {}
    resources = []
    for res in _plan_resources(values.get("root_module") or {}):
        mode = res.get("mode") or "managed"
        kind = (res.get("type") or "unknown") if mode == "managed" else "terraform_data"
        obj = dict(res.get("values") or {})
        if mode != "managed":
            obj["type"] = res.get("type")
        address = res.get("address") or res.get("name") or "unknown"
        resources.append(Resource(kind=kind, name=res.get("name") or address, obj=obj,
                                  origin=Origin(file), source="terraform",  # a plan has no lines
                                  api_version="terraform", id=f"terraform/{address}"))
    return resources


def _plan_resources(root: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The resources of a module and of its child modules, depth first (without recursion)."""
    pending = [root]
    while pending:
        module = pending.pop()
        yield from (res for res in module.get("resources") or [] if res is not None)
        pending.extend(reversed([child for child in module.get("child_modules") or [] if child is not None]))


# The fields of `terraform show -json` with the JSON type terraform-json (the Go library that
# Terraform's consumers decode it with) gives them: a field of another type fails its decoding,
# so a plan holding one is bad input. A dict is an object with these fields (others are free),
# a one-item list an array of that, a type a value of it; null is accepted anywhere, as in Go.
_Shape = Any
_CHANGE: _Shape = {"actions": [str], "generated_config": str, "replace_paths": list, "importing": dict}
_RESOURCE_CHANGE: _Shape = {"address": str, "previous_address": str, "module_address": str, "mode": str,
                            "type": str, "name": str, "provider_name": str, "deposed": str, "change": _CHANGE}
_STATE_RESOURCE: _Shape = {"address": str, "mode": str, "type": str, "name": str, "provider_name": str,
                           "schema_version": int, "values": dict, "depends_on": [str], "tainted": bool}
_MODULE: _Shape = {"resources": [_STATE_RESOURCE], "address": str}
_MODULE["child_modules"] = [_MODULE]
_STATE_VALUES: _Shape = {"outputs": dict, "root_module": _MODULE}
_PLAN: _Shape = {
    "format_version": str, "terraform_version": str, "variables": dict, "planned_values": _STATE_VALUES,
    "values": _STATE_VALUES, "resource_drift": [_RESOURCE_CHANGE], "resource_changes": [_RESOURCE_CHANGE],
    "output_changes": dict, "configuration": dict, "complete": bool, "timestamp": str,
    "prior_state": {"format_version": str, "terraform_version": str, "values": _STATE_VALUES},
}
_JSON_TYPES = {dict: "an object", list: "an array", str: "a string", int: "an integer of at least 0", bool: "a boolean"}


def _check_shape(document: Any, shape: _Shape, file: str) -> None:
    """Bad input at a field whose JSON type is not the one of its shape (in one pass)."""
    pending: list[tuple[Any, _Shape, str]] = [(document, shape, "")]
    while pending:
        value, expected, path = pending.pop()
        if value is None:
            continue
        if isinstance(expected, dict):
            _expect(value, dict, path, file)
            pending.extend((value[key], inner, f"{path}.{key}" if path else key)
                           for key, inner in expected.items() if key in value)
        elif isinstance(expected, list):
            _expect(value, list, path, file)
            pending.extend((item, expected[0], f"{path}[{index}]") for index, item in enumerate(value))
        else:
            _expect(value, expected, path, file)


def _expect(value: Any, expected: type, path: str, file: str) -> None:
    if isinstance(value, bool) != (expected is bool) or not isinstance(value, expected) or (
            expected is int and value < 0):
            raise InputError(f"not a Terraform plan as terraform show -json writes it: {path} is "
                         f"{_json_type(value)}, where it is {_JSON_TYPES[expected]}", file)


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a negative number" if value < 0 else "a number"
    for python, name in _JSON_TYPES.items():
        if isinstance(value, python):
            return name
    return type(value).__name__
