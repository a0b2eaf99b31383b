"""go-yaml v2's decoder (the one sigs.k8s.io/yaml, and so kubectl, uses) over libyaml's events.

It reads one YAML document as kubectl does, rule by rule from go-yaml v2's decode.go and
resolve.go and sigs.k8s.io/yaml's conversion to JSON: YAML 1.1 scalars, explicit tags, merge
keys applied in order (a later key wins, merged or not), anchors bound to the last definition
so far, non-string keys made strings, NaN and infinities refused, integral floats written as
integers, `!!binary` decoded and `!!timestamp` checked as go-yaml does. Beyond kubectl it
refuses duplicate keys (kubectl keeps one silently), float keys other than small integers,
and aliases that expand beyond a budget in bytes and nodes (see AliasBudget).
It is the slow path of yaml_stream: it builds Python objects node by node.
"""

from __future__ import annotations

import binascii
import codecs
import decimal
import math
import re
from dataclasses import dataclass
from typing import Any, Iterator

import yaml

MAX_DEPTH = 64
# What aliases may repeat in one file, at least (a larger file may repeat its own size): the
# billion-laughs defence counts nodes, and bytes, since one 1 MB scalar repeated 3,000 times
# is 3 GB in a handful of nodes. kubectl (go-yaml v2) only bounds the share of aliased nodes.
MIN_ALIAS_NODES = 100_000
MIN_ALIAS_BYTES = 4 * 1024 * 1024
INT64_MIN, INT64_MAX, UINT64_MAX = -(1 << 63), (1 << 63) - 1, (1 << 64) - 1

# `\/` in a double-quoted scalar: libyaml takes it (YAML 1.2), go-yaml v2 refuses it
_SLASH_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\/")
_STR = "tag:yaml.org,2002:str"
_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_NULL = "tag:yaml.org,2002:null"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_BINARY = "tag:yaml.org,2002:binary"
_MERGE = "tag:yaml.org,2002:merge"
_RESOLVABLE = frozenset({"", _STR, _BOOL, _INT, _FLOAT, _NULL, _TIMESTAMP})



class Refused(ValueError):
    """A document kubectl refuses, or one we refuse rather than misread; line is 0-based
    within the decoded text, when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


class DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


class AliasBudget:
    """What the aliases of one file may expand to, shared by its documents: nodes, and bytes
    of the scalars they repeat. Aliases may at most double what a file costs to read:
    max(100,000, size / 2) nodes and max(4 MiB, size) bytes (a file of `size` bytes holds
    at most about size / 2 nodes and size bytes of text). Per file, not per document, so
    that 100,000 small documents do not each get a whole budget."""

    def __init__(self, max_nodes: int, max_bytes: int) -> None:
        self.max_nodes, self.max_bytes = max_nodes, max_bytes
        self.nodes = self.bytes = 0

    @classmethod
    def for_size(cls, size: int) -> "AliasBudget":
        return cls(max(MIN_ALIAS_NODES, size // 2), max(MIN_ALIAS_BYTES, size))

    def spend(self, node: "_Node") -> None:
        """Count one node decoded again through an alias."""
        self.nodes += 1
        if self.nodes > self.max_nodes:
            raise Refused(f"aliases expand to more than {self.max_nodes} nodes in this file (a YAML bomb?)")
        if node.kind == "scalar" and node.value:
            text = node.value
            self.bytes += len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))
            if self.bytes > self.max_bytes:
                raise Refused(f"aliases expand to more than {self.max_bytes} bytes in this file (a YAML bomb?)")


def decode_document(text: bytes, budget: AliasBudget | None = None) -> Any:
    """The JSON value kubectl makes of the first document of `text` (None if there is
    none), or Refused / DuplicateKey. Aliases spend `budget` (that of the file the document
    is part of; by default one for `text` alone)."""
    return _GoYamlDecoder(budget or AliasBudget.for_size(len(text))).decode(text)


def json_number(value: float) -> float | int:
    """What Go's json.Marshal writes for a float64, read back: below 1e21 an integral
    value is written as its shortest digits padded with zeros, an integer."""
    if value.is_integer() and abs(value) < 1e21:
        return int(value) if abs(value) < 2**53 else int(decimal.Decimal(repr(value)))
    return value


@dataclass(eq=False)
class _Node:
    kind: str  # "scalar", "mapping", "sequence" or "alias"
    line: int  # 0-based, within the chunk
    tag: str = ""
    value: str = ""
    implicit: bool = False  # go-yaml's flag: a plain scalar, or one tagged with `!`
    children: list["_Node"] | None = None
    target: "_Node | None" = None


class _GoYamlDecoder:
    """go-yaml v2's decoder into interface{} (decode.go, resolve.go), then sigs.k8s.io/yaml's
    conversion to JSON. Only the first document of the text counts, as in yaml.Unmarshal."""

    def __init__(self, budget: AliasBudget) -> None:
        self.budget = budget
        self.anchors: dict[str, _Node] = {}
        self.decode_count = 0
        self.alias_count = 0
        self.alias_depth = 0
        self.expanding: set[int] = set()
        self.source: str | None = None  # the text, when it may hold a `\/` escape


    def decode(self, text: bytes) -> Any:
        root = self._compose(text)
        if root is None:
            return None
        return _to_json_value(self._unmarshal(root, 0), 0)

    # composing: events to nodes, aliases bound to the last anchor of that name so far
    def _compose(self, text: bytes) -> _Node | None:
        events = yaml.parse(text, Loader=yaml.CSafeLoader)
        if b"\\/" in text:
            self.source = text.decode("utf-8")
        try:
            for event in events:
                if isinstance(event, yaml.DocumentStartEvent):
                    root = self._node(events, next(events), 0)
                    next(events)  # its end: go-yaml expects it, so an error after a scalar root refuses
                    return root
                if isinstance(event, yaml.StreamEndEvent):
                    return None
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None)
            why = (str(getattr(err, "problem", None) or err).strip().splitlines() or [""])[0]  # one line
            raise Refused(f"not valid YAML ({why})", mark.line if mark else None) from None
        finally:
            events.close()
        return None

    def _node(self, events: Iterator[yaml.Event], event: yaml.Event, depth: int) -> _Node:
        line = event.start_mark.line
        if depth > MAX_DEPTH:
            raise Refused(f"document nested deeper than {MAX_DEPTH} levels", line)
        if isinstance(event, yaml.AliasEvent):
            target = self.anchors.get(event.anchor)
            if target is None:
                raise Refused(f"unknown anchor {event.anchor!r} referenced", line)
            return _Node("alias", line, value=event.anchor, target=target)
        if isinstance(event, yaml.ScalarEvent):
            if event.style == '"' and self.source is not None and _SLASH_ESCAPE.search(
                    self.source, event.start_mark.index, event.end_mark.index):
                raise Refused("not valid YAML (found unknown escape character)", line)
            node = _Node("scalar", line, tag=event.tag or "", value=event.value,
                         implicit=bool(event.implicit[0]))
            self._anchor(event, node)
            return node
        kind = "mapping" if isinstance(event, yaml.MappingStartEvent) else "sequence"
        end = yaml.MappingEndEvent if kind == "mapping" else yaml.SequenceEndEvent
        node = _Node(kind, line, tag=event.tag or "", children=[])
        self._anchor(event, node)
        for child in events:
            if isinstance(child, end):
                break
            node.children.append(self._node(events, child, depth + 1))
        return node

    def _anchor(self, event: yaml.NodeEvent, node: _Node) -> None:
        if event.anchor is not None:
            self.anchors[event.anchor] = node

    # decoding, in go-yaml's order: (good, value)
    def _unmarshal(self, node: _Node, depth: int, into: dict[Any, Any] | None = None) -> Any:
        self.decode_count += 1
        if self.alias_depth > 0:
            self.alias_count += 1
            self.budget.spend(node)
        if (self.alias_count > 100 and self.decode_count > 1000
                and self.alias_count / self.decode_count > _allowed_alias_ratio(self.decode_count)):
            raise Refused("document contains excessive aliasing")
        if depth > MAX_DEPTH:
            raise Refused(f"document nested deeper than {MAX_DEPTH} levels", node.line)
        if node.kind == "alias":
            return self._alias(node, depth, into)
        if node.kind == "scalar":
            return _scalar(node)
        if node.kind == "sequence":
            return [self._unmarshal(child, depth + 1) for child in node.children or ()]
        return self._mapping(node, depth, {} if into is None else into)

    def _alias(self, node: _Node, depth: int, into: dict[Any, Any] | None) -> Any:
        if id(node) in self.expanding:
            raise Refused(f"anchor {node.value!r} value contains itself", node.line)
        self.expanding.add(id(node))
        self.alias_depth += 1
        try:
            assert node.target is not None
            return self._unmarshal(node.target, depth, into)
        finally:
            self.alias_depth -= 1
            self.expanding.discard(id(node))

    def _mapping(self, node: _Node, depth: int, out: dict[Any, Any]) -> dict[Any, Any]:
        children = node.children or []
        explicit: set[Any] = set()
        for key_node, value_node in zip(children[::2], children[1::2]):
            if _is_merge(key_node):
                self._merge(value_node, depth, out)
                continue
            key = self._unmarshal(key_node, depth + 1)
            if isinstance(key, (dict, list)):
                raise Refused("a mapping or a sequence as a mapping key", key_node.line)
            identity = (type(key), key)
            if identity in explicit:
                raise DuplicateKey(str(key))
            explicit.add(identity)
            value = self._unmarshal(value_node, depth + 1)
            out.pop(identity, None)  # Go stores the new key too: -0.0 replaces 0.0
            out[identity] = value
        return out

    def _merge(self, node: _Node, depth: int, out: dict[Any, Any]) -> None:
        if node.kind == "mapping" or node.kind == "alias" and _target(node).kind == "mapping":
            self._unmarshal(node, depth + 1, out)
        elif node.kind == "sequence":
            for child in reversed(node.children or []):  # earlier maps take precedence
                if child.kind != "mapping" and not (child.kind == "alias" and _target(child).kind == "mapping"):
                    raise Refused("map merge requires map or sequence of maps as the value", child.line)
                self._unmarshal(child, depth + 1, out)
        else:
            raise Refused("map merge requires map or sequence of maps as the value", node.line)


def _target(node: _Node) -> _Node:
    assert node.target is not None
    return node.target


def _allowed_alias_ratio(decode_count: int) -> float:
    low, high = 400_000, 4_000_000
    if decode_count <= low:
        return 0.99
    if decode_count >= high:
        return 0.10
    return 0.99 - 0.89 * ((decode_count - low) / (high - low))


def _is_merge(node: _Node) -> bool:
    return node.kind == "scalar" and node.value == "<<" and (node.implicit or node.tag == _MERGE)


_BOOLS = {**dict.fromkeys(("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"), True),
          **dict.fromkeys(("n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"), False)}
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_SPECIAL_FLOATS = {**dict.fromkeys((".nan", ".NaN", ".NAN"), math.nan),
                   **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), math.inf),
                   **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), -math.inf)}
_YAML_STYLE_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z")
_GO_FLOAT = re.compile(r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?\Z")


def _scalar(node: _Node) -> Any:
    """go-yaml v2's decoder.scalar into interface{}."""
    if node.tag == "" and not node.implicit:
        return node.value
    tag, value = _resolve(node.tag, node.value, node.line)
    if tag == _BINARY:
        return _binary(value, node.line)
    return value


def _binary(text: str, line: int) -> str:
    """A `!!binary` scalar: Go's base64.StdEncoding (padding required, line breaks skipped),
    its bytes a Go string that json.Marshal writes with each invalid UTF-8 byte as U+FFFD."""
    encoded = text.replace("\r", "").replace("\n", "")
    try:
        if len(encoded) % 4:  # Go reads whole quanta: strict_mode takes `c2hhcmVk=`
            raise binascii.Error("not whole quanta")
        data = binascii.a2b_base64(encoded, strict_mode=True)
    except (binascii.Error, ValueError):
        raise Refused("!!binary value contains invalid base64 data", line) from None
    return data.decode("utf-8", _GO_REPLACE)


def _go_replace(err: UnicodeError) -> tuple[str, int]:
    """Go's json.Marshal replaces each byte that does not start a valid UTF-8 sequence, one at
    a time (Python's "replace" would take a truncated sequence as one)."""
    assert isinstance(err, UnicodeDecodeError)
    return "\ufffd", err.start + 1


_GO_REPLACE = "kaze-go-json-replace"
codecs.register_error(_GO_REPLACE, _go_replace)


def _resolve(tag: str, text: str, line: int) -> tuple[str, Any]:
    """go-yaml v2's resolve(): the tag a scalar resolves to and its Go value (a timestamp's is
    its text: decoded into interface{}, go-yaml keeps the text of a timestamp)."""
    if tag not in _RESOLVABLE:
        return tag, text
    rtag, value = _resolve_plain(tag, text)
    if tag in ("", rtag, _STR, _BINARY):
        return rtag, value
    if tag == _FLOAT and rtag == _INT and INT64_MIN <= value <= INT64_MAX:  # not a uint64
        return _FLOAT, float(value)
    short = lambda t: "!!" + t.rsplit(":", 1)[-1]  # noqa: E731
    raise Refused(f"cannot decode {short(rtag)} `{text}` as a {short(tag)}", line)


def _resolve_plain(tag: str, text: str) -> tuple[str, Any]:
    first = text[:1]
    hint = "N" if not text else ("S" if first in "+-" else "D" if first.isascii() and first.isdigit()
                                 else "M" if first in "yYnNtTfFoO~" else "." if first == "." else "")
    if not hint or tag in (_STR, _BINARY):
        return _STR, text
    if text in _BOOLS:
        return _BOOL, _BOOLS[text]
    if text in _NULLS:
        return _NULL, None
    if text in _SPECIAL_FLOATS:
        return _FLOAT, _SPECIAL_FLOATS[text]
    if text == "<<":
        return _MERGE, "<<"
    if hint == ".":
        number = _parse_go_float(text)
        if number is not None:
            return _FLOAT, number
    elif hint in "DS":
        # a timestamp (`2001-12-14`) decoded into interface{} stays its text: untagged,
        # nothing that starts with four digits and a dash parses as a number, so only a
        # `!!timestamp` tag needs the test (its value must then be a valid date)
        if tag == _TIMESTAMP and _is_go_timestamp(text):
            return _TIMESTAMP, text
        plain = text.replace("_", "")
        number = _parse_go_int(plain)
        if number is not None and INT64_MIN <= number <= UINT64_MAX:
            return _INT, number
        if _YAML_STYLE_FLOAT.match(plain):
            number = _parse_go_float(plain)
            if number is not None:
                return _FLOAT, number
        if plain.startswith("0b") and re.fullmatch(r"[01]+", plain[2:]):
            number = int(plain[2:], 2)
            if number <= UINT64_MAX:
                return _INT, number
        elif plain.startswith("-0b") and re.fullmatch(r"[01]+", plain[3:]):
            number = -int(plain[3:], 2)
            if number >= INT64_MIN:
                return _INT, number
    return _STR, text


# go-yaml's timestamp layouts (resolve.go): RFC 3339 with `T` or `t` and 1-or-2-digit fields,
# space-separated without a zone, a date alone; Go's time.Parse takes any number of fraction
# digits (`.` or `,`), a run of spaces for the layout's one, and checks the ranges below.
_GO_TIMESTAMP = re.compile(
    r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})"
    r"(?:(?:[Tt]([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:[.,][0-9]+)?(?:Z|[+-]([0-9]{2}):([0-9]{2})))"
    r"|(?: +([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:[.,][0-9]+)?))?")
_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _is_go_timestamp(text: str) -> bool:
    """go-yaml v2's parseTimestamp (Go's time.Parse on its four layouts) succeeds."""
    match = _GO_TIMESTAMP.fullmatch(text)
    if match is None:
        return False
    year, month, day, *rest = (int(g) if g is not None else None for g in match.groups())
    hour, minute, second = rest[0:3] if rest[0] is not None else rest[5:8]
    zone_hour, zone_minute = rest[3:5]
    if not 1 <= month <= 12:
        return False
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    if not 1 <= day <= _DAYS_IN_MONTH[month - 1] + (month == 2 and leap):
        return False
    if hour is not None and not (hour < 24 and minute < 60 and second < 60):
        return False
    # the offset is checked with > (Go accepts +24:00 and +00:60)
    return zone_hour is None or zone_hour <= 24 and zone_minute <= 60


def _parse_go_int(text: str) -> int | None:
    """strconv.ParseInt(text, 0, 64), else ParseUint: a sign, then 0x/0o/0b or a leading 0
    (octal), else decimal."""
    match = re.fullmatch(r"([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)", text)
    if match is None:
        return None
    sign, digits = match.groups()
    if len(digits) > 20 and digits[0] != "0":
        return None  # beyond uint64; and Python refuses int() of over 4,300 digits
    if digits[:2] in ("0x", "0X", "0o", "0O", "0b", "0B"):
        number = int(digits[2:], {"x": 16, "o": 8, "b": 2}[digits[1].lower()])
    elif len(digits) > 1 and digits[0] == "0":
        number = int(digits[1:], 8)
    else:
        number = int(digits)
    if sign == "-":
        number = -number
        return number if number >= INT64_MIN else None
    if number > INT64_MAX and sign == "+":
        return None  # ParseUint takes no sign
    return number


def _parse_go_float(text: str) -> float | None:
    """strconv.ParseFloat(text, 64) on the decimal forms that reach it; out of range fails."""
    if not _GO_FLOAT.match(text):
        return None
    number = float(text)
    return None if math.isinf(number) else number


def _to_json_value(value: Any, depth: int) -> Any:
    """sigs.k8s.io/yaml's convertToJSONableObject, then Go's json.Marshal as kubectl reads it
    back: keys made strings, NaN and infinities refused, integral floats integers."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for (_, key), item in value.items():
            name = _json_key(key)
            if name in out:
                raise DuplicateKey(name)
            out[name] = _to_json_value(item, depth + 1)
        return out
    if isinstance(value, list):
        return [_to_json_value(item, depth + 1) for item in value]
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise Refused(f"json: unsupported value: {value}")
        return json_number(value)
    return value


def _json_key(key: Any) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, int) and INT64_MIN <= key <= INT64_MAX:
        return str(key)
    if isinstance(key, float) and key.is_integer() and abs(key) < 1e6:
        # Go writes float keys as float32 with %g: below 1e6 an integral one is its digits
        return "-0" if key == 0 and math.copysign(1, key) < 0 else str(int(key))
    raise Refused(f"unsupported map key: {key!r}")

