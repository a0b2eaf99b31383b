"""`kaze-policy waive`: one waiver added to kaze-policy.yaml, and nothing else of the file changed.

A configuration is a reviewed file: its comments, key order, quoting, indentation and blank
lines are its authors', and a pull request that adds a waiver must show exactly that waiver.
So the file is not dumped again (no YAML library writes back every byte it read: flow
spacing, long lines, odd indentation change). ruamel.yaml's round-trip composer reads it,
keeping where every node starts and ends, and the new entry is written as text at the end of
the `waivers` sequence (or as a new `waivers` key at the end of the document), in the style of
the entries already there. The result is then read again by the scan's own loader: it must be
the old configuration plus this one waiver, and valid against the configuration schema, or
nothing is written. The file is replaced atomically (a temporary file, then a rename).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from kaze_policy.config import MAX_CONFIG_BYTES, load_config, validate_config
from kaze_policy.errors import InputError, UsageError
from kaze_policy.sources.files import read_bytes
from kaze_policy.sources.yaml_stream import load_stream

WAIVERS = "waivers"
# The keys of a new entry, in the order the README documents them (an existing entry's order wins).
KEY_ORDER = ("control", "resource", "reason", "until", "by")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# A string written without quotes only when it is plainly text: letters, digits, a few marks,
# single spaces. Anything else (`:`, `#`, a leading `*`, a flow indicator) is double-quoted.
_PLAIN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_./@+()-]*(?: [A-Za-z0-9_./@+()-]+)*$")
_FLOW_UNSAFE = frozenset(",[]{}")
_BOM = "\ufeff"
# What YAML 1.1 takes as a line break besides \n and \r: a value holding one is refused.
_LINE_BREAKS = frozenset("\x85\u2028\u2029")


@dataclass(frozen=True)
class NewWaiver:
    """What the command line asks for (checked by `check_request`)."""

    control: str
    resource: str
    reason: str
    until: str
    by: str

    def entry(self) -> dict[str, str]:
        return {"control": self.control, "resource": self.resource, "reason": self.reason,
                "until": self.until, "by": self.by}


def check_request(waiver: NewWaiver, known: Iterable[str], today: dt.date) -> NewWaiver:
    """The waiver with its control id in the catalog's spelling; bad usage (exit 2) otherwise."""
    control = waiver.control.strip().upper()
    if control not in set(known):
        raise UsageError(f"unknown control id {waiver.control} (`kaze-policy controls` lists them)")
    for name, value in (("RESOURCE", waiver.resource), ("--reason", waiver.reason), ("--by", waiver.by)):
        if not value.strip():
            raise UsageError(f"{name} is blank: a waiver names what it waives, why and who decided")
        if any(c in _LINE_BREAKS or (ord(c) < 32 and c != "\t") or c == "\x7f" for c in value):
            raise UsageError(f"{name} holds a control character: one line of text")
    until = _date(waiver.until)
    if until < today:
        raise UsageError(f"--until {waiver.until} is in the past: a waiver must still hold today ({today})")
    return NewWaiver(control, waiver.resource.strip(), waiver.reason.strip(), waiver.until, waiver.by.strip())


def _date(text: str) -> dt.date:
    if not _DATE.match(text):
        raise UsageError(f"--until {text}: not a date of the form YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--until {text}: no such day") from None


def add_waiver(path: Path, waiver: NewWaiver) -> None:
    """Add the (checked) waiver to the configuration at `path`, in place, atomically."""
    real = path.resolve()  # a link stays a link: the file it names is the one rewritten
    old_value = load_config(real)  # not YAML, or invalid: bad input, and the file is untouched
    _refuse_duplicate(old_value, waiver, str(path))
    raw = read_bytes(real, MAX_CONFIG_BYTES)
    text = _text(raw, str(path))
    new_text = insert_waiver(text, waiver.entry(), str(path))
    _check_result(new_text, old_value, waiver.entry(), str(path))
    _replace(real, new_text.encode("utf-8"), str(path))


def _text(raw: bytes, shown: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("waive edits UTF-8 files only; this one is not (convert it, or add the waiver by hand)",
                         shown) from None


def _refuse_duplicate(config: dict[str, Any], waiver: NewWaiver, shown: str) -> None:
    """One waiver per control and resource: a second would only shadow or be shadowed by the first."""
    for index, existing in enumerate(config.get(WAIVERS) or []):
        if existing.get("control") == waiver.control and (existing.get("resource") or "*") == waiver.resource:
            raise UsageError(f"{waiver.control} {waiver.resource} is already waived (waivers/{index}, by "
                             f"{existing.get('by')} until {existing.get('until')}): edit that entry instead", shown)


def insert_waiver(text: str, entry: dict[str, str], shown: str) -> str:
    """The configuration's text with the entry added, every other byte kept."""
    bom = _BOM if text.startswith(_BOM) else ""
    body = text[len(bom):]
    root = _compose(body, shown)
    newline = "\r\n" if "\r\n" in body else "\n"
    waivers = _value_of(root, WAIVERS)
    if waivers is None:
        edit = _new_key(body, root, entry, newline)
    elif getattr(waivers, "flow_style", False):
        edit = _into_flow_sequence(waivers, entry, _is_json(body), body)
    else:
        edit = _after_last_item(body, waivers, entry, newline)
    at, inserted = edit
    return bom + body[:at] + inserted + body[at:]


def _compose(text: str, shown: str) -> Any:
    """The document's node tree (round-trip: every node with its start and end in the text)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError
    from ruamel.yaml.nodes import MappingNode

    try:
        root = YAML(typ="rt", pure=True).compose(text)
    except YAMLError as err:
        raise InputError(f"cannot edit this file: {' '.join(str(err).split())}", shown) from None
    if not isinstance(root, MappingNode):
        raise InputError("a configuration is a mapping", shown)
    return root


def _value_of(mapping: Any, key: str) -> Any:
    for key_node, value in mapping.value:
        if getattr(key_node, "value", None) == key:
            return value
    return None


def _is_json(text: str) -> bool:
    return text.lstrip().startswith("{")


# --- where the entry goes, and how it is written ---------------------------------------------

Edit = tuple[int, str]  # the index in the text, and what is inserted there


def _after_last_item(text: str, waivers: Any, entry: dict[str, str], newline: str) -> Edit:
    """A block sequence: a new item after the last one, at the same indentation, in its style."""
    items = waivers.value
    last = items[-1]
    dash = waivers.start_mark.column  # a block sequence starts at its first dash
    mappings = [item for item in items if _is_block_mapping(item)]
    column = mappings[0].start_mark.column if mappings else dash + 2
    keys = _key_order(last)
    if getattr(last, "flow_style", False):
        lines = [" " * dash + "- " + _flow_mapping(entry, keys, json_style=False)]
    else:
        lines = _block_mapping(entry, keys, dash, column)
    return _end_of_line(text, _end(text, last)), newline + newline.join(lines)


def _new_key(text: str, root: Any, entry: dict[str, str], newline: str) -> Edit:
    """No `waivers` yet: a new key after the document's last one, its sequence indented as the
    file indents its other block sequences."""
    if getattr(root, "flow_style", False):
        json_style = _is_json(text)
        key = json.dumps(WAIVERS) if json_style else WAIVERS
        close = root.end_mark.index - 1  # the mapping's closing brace
        separator = ", " if root.value else ""
        return close, f"{separator}{key}: [{_flow_mapping(entry, KEY_ORDER, json_style)}]"
    column = root.start_mark.column
    dash, content = _sequence_geometry(root, column)
    lines = [" " * column + f"{WAIVERS}:", *_block_mapping(entry, KEY_ORDER, dash, content)]
    return _end_of_line(text, _end(text, root)), newline + newline.join(lines)


def _into_flow_sequence(waivers: Any, entry: dict[str, str], json_style: bool, text: str) -> Edit:
    """`waivers: []` or `waivers: [{…}]`: the entry before the closing bracket."""
    keys = _key_order(waivers.value[-1]) if waivers.value else KEY_ORDER
    written = _flow_mapping(entry, keys, json_style)
    if not waivers.value:
        return waivers.end_mark.index - 1, written
    return _end(text, waivers.value[-1]), ", " + written


def _sequence_geometry(root: Any, column: int) -> tuple[int, int]:
    """(dash column, content column) of a new block sequence under a key at `column`: as the
    file's first block sequence of mappings is indented, relative to its key; else two spaces."""
    for _key, value in root.value:
        if _is_block_sequence(value) and _is_block_mapping(value.value[0]):
            dash = value.start_mark.column
            return column + dash - root.start_mark.column, column + value.value[0].start_mark.column - \
                root.start_mark.column
    return column + 2, column + 4


def _is_block_mapping(node: Any) -> bool:
    from ruamel.yaml.nodes import MappingNode
    return isinstance(node, MappingNode) and not node.flow_style and bool(node.value)


def _is_block_sequence(node: Any) -> bool:
    from ruamel.yaml.nodes import SequenceNode
    return isinstance(node, SequenceNode) and not node.flow_style and bool(node.value)


def _key_order(item: Any) -> tuple[str, ...]:
    """The keys in the order an existing entry writes them (the documented order for the rest)."""
    from ruamel.yaml.nodes import MappingNode
    order = list(dict.fromkeys(k.value for k, _ in item.value if k.value in KEY_ORDER)) \
        if isinstance(item, MappingNode) else []
    for n, key in enumerate(KEY_ORDER):  # a key the entry lacks goes after the one it follows in KEY_ORDER
        if key not in order:
            before = [order.index(k) for k in KEY_ORDER[:n] if k in order]
            order.insert(max(before) + 1 if before else 0, key)
    return tuple(order)


def _end(text: str, node: Any) -> int:
    """The index just past the node's last character (its last scalar, or its closing bracket)."""
    from ruamel.yaml.nodes import ScalarNode
    if isinstance(node, ScalarNode):
        if node.style in ("|", ">"):
            # A block scalar ends after its line breaks: back to its last character.
            return len(text[:node.end_mark.index].rstrip())
        return node.end_mark.index
    if getattr(node, "flow_style", False) or not node.value:
        return node.end_mark.index
    last = node.value[-1]
    return _end(text, last[1] if isinstance(last, tuple) else last)


def _end_of_line(text: str, index: int) -> int:
    """Where the line that holds `index` ends (its line break, or the end of the text)."""
    breaks = [i for i in (text.find("\n", index), text.find("\r", index)) if i >= 0]
    return min(breaks) if breaks else len(text)


def _block_mapping(entry: dict[str, str], keys: tuple[str, ...], dash: int, column: int) -> list[str]:
    gap = " " * max(1, column - dash - 1)
    lines = []
    for n, key in enumerate(keys):
        head = " " * dash + "-" + gap if n == 0 else " " * column
        lines.append(f"{head}{key}: {_scalar(entry[key], flow=False)}")
    return lines


def _flow_mapping(entry: dict[str, str], keys: tuple[str, ...], json_style: bool) -> str:
    if json_style:
        return "{" + ", ".join(f"{json.dumps(k)}: {json.dumps(entry[k], ensure_ascii=False)}" for k in keys) + "}"
    return "{" + ", ".join(f"{k}: {_scalar(entry[k], flow=True)}" for k in keys) + "}"


def _scalar(value: str, flow: bool) -> str:
    """The value plain when the scan's loader reads it back as this very string, else double-quoted."""
    if _PLAIN.match(value) and not (flow and _FLOW_UNSAFE & set(value)) and _reads_as(value):
        return value
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def _reads_as(value: str) -> bool:
    """kubectl's YAML 1.1 reads `yes`, `on`, `0644`, `1e3` as no string: those are quoted."""
    try:
        documents = load_stream(f"v: {value}\n".encode(), "(value)")
    except InputError:
        return False
    return bool(documents) and documents[0].value == {"v": value}


# --- the result, checked and written ---------------------------------------------------------

def _check_result(new_text: str, old_value: dict[str, Any], entry: dict[str, str], shown: str) -> None:
    """The new text must read as the old configuration plus the entry, and be valid."""
    try:
        documents = load_stream(new_text.encode("utf-8"), shown)
    except InputError as err:
        raise InputError(f"cannot add the waiver without rewriting the file ({err.message}); add it by hand",
                         shown) from None
    new_value = documents[0].value if len(documents) == 1 else None
    expected = {**old_value, WAIVERS: [*(old_value.get(WAIVERS) or []), entry]}
    if new_value != expected:
        raise InputError("cannot add the waiver without rewriting the file (its layout is unusual); add it by hand",
                         shown)
    validate_config(new_value, shown)


def _replace(path: Path, data: bytes, shown: str) -> None:
    """A temporary file beside the configuration, then a rename: a failed write leaves it whole.
    The file keeps its mode (a configuration is often read by other users, or kept private)."""
    try:
        mode = path.stat().st_mode & 0o7777
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as err:
        raise UsageError(f"cannot write the configuration: {err.strerror or err}", shown) from None
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        raise UsageError(f"cannot write the configuration: {err.strerror or err}", shown) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
