"""YAML (or JSON) manifest streams read as kubectl reads them, fast where that is safe.

kubectl decodes a manifest file as UTF-8 (a byte order mark chooses the encoding), splits
it at `---` lines (apimachinery's YAMLReader; a JSON stream when it starts with `{`), and
converts each document with sigs.k8s.io/yaml: go-yaml v2, so YAML 1.1 scalars (`yes`,
`On`, `0644`, `1_000` are a bool and numbers), merge keys applied in order, non-string keys
made strings. The reference decoder `tools/yaml2json` is that code; tests compare us to it.

Every document gets kubectl's value, or the stream is refused as bad input. Two paths:
- rapidyaml parses a 7 MB stream in ~0.2 s where PyYAML's C loader needs 3-5 s, which is
  what lets a 10,000-resource scan finish in seconds. It reads YAML 1.2 and knows no
  aliases, so it is used only where a cheap scan of the text finds nothing on which the two
  readings could differ: plain scalars spelt like YAML 1.1 booleans, nulls or numbers
  other than plain decimals, tags, anchors, aliases, merge keys, directives.
- Every other document goes through libyaml's events (PyYAML) and a decoder that follows
  go-yaml v2 and sigs.k8s.io/yaml rule by rule, with an alias-expansion budget (the
  billion-laughs defence) and a depth limit. A document rapidyaml refuses is retried
  there before it is called bad input.
Duplicate keys are refused on both paths: kubectl keeps one of them silently.
"""

from __future__ import annotations

import contextlib
import decimal
import json
import math
import os
import re
import sys
from dataclasses import dataclass
from typing import Any, Iterator

import ryml
import yaml

from kaze_policy.errors import InputError

MAX_DEPTH = 64
MAX_ALIAS_EXPANSION = 100_000  # nodes an aliased document may expand to

_SEPARATOR = re.compile(rb"^---([^\n]*)(?:\n|\Z)", re.M)
_CONTENT_LINE = re.compile(rb"^[ \t]*[^ \t\r\n#]", re.M)
_JSON_START = re.compile(rb"[ \t\r\n]*\{")

# Where rapidyaml (YAML 1.2) and go-yaml v2 (YAML 1.1) could read a plain scalar apart, it
# shows in rapidyaml's JSON: a string spelt like a YAML 1.1 boolean, null, infinity or a
# number other than a plain decimal integer (`"yes"`, `"0644"`, `"1_000"`, `"1.0"` as a
# key), or a number token out of Go's ranges (caught by the json hooks). A match may also
# come from a quoted scalar: that document just takes the slow path.
_SUSPECT_STRING = re.compile(
    r'"(?=[yYnN~TFoO<.+\-0-9])(?:[yYnN~]|yes|Yes|YES|no|No|NO|True|TRUE|False|FALSE|on|On|ON'
    r'|off|Off|OFF|Null|NULL|null|<<|[-+]?\.(?:inf|Inf|INF|nan|NaN|NAN)|[-+.0-9][0-9a-fA-FxXoObB_.eE+-]*)"')
_SAFE_STRING = re.compile(r"0|-?[1-9][0-9]{0,17}")
# Source text rapidyaml may read otherwise, or that needs go-yaml's rules: tags, anchors,
# aliases, complex keys (when the character opens a token), tabs, escapes, directives,
# document ends, `---#` (a separator for kubectl, a scalar for YAML), a byte order mark
# after the first document.
_NODE_PROPERTY = re.compile(rb"[&*?]")
_FLOW_COMMENT = re.compile(rb"[\[\{][^\n]*[ \t]#")  # rapidyaml reads `{a: b #c}` as "b #c"
_ODD_TEXT = (b"!", b"\t", b"\\", b"\n%", b"\n...", b"---#", b"\xef\xbb\xbf")


class _NotFast(ValueError):
    """rapidyaml's reading may not be kubectl's: the faithful path decides."""


_STR = "tag:yaml.org,2002:str"
_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_NULL = "tag:yaml.org,2002:null"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_BINARY = "tag:yaml.org,2002:binary"
_MERGE = "tag:yaml.org,2002:merge"
_RESOLVABLE = frozenset({"", _STR, _BOOL, _INT, _FLOAT, _NULL, _TIMESTAMP})


@dataclass(frozen=True)
class Document:
    """One YAML document: its value and the 1-based line where its content starts."""

    value: Any
    line: int


class _Refused(ValueError):
    """A document kubectl refuses, or one we refuse rather than misread."""


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def load_stream(data: bytes, file: str) -> list[Document]:
    """Every non-null document of a manifest stream, as kubectl decodes it, or InputError."""
    data = _as_utf8(data, file)
    if _JSON_START.match(data):
        docs = _load_json_stream(data, file)
        if docs is not None:
            return docs
    chunks = _chunks(data, file)
    docs = _load_fast(data)
    if docs is not None:
        return docs
    result = []
    for chunk in chunks:
        value = _decode_chunk(data[chunk.start:chunk.end], file, chunk)
        if value is not None:
            result.append(Document(value, chunk.content_line))
    return result


# --- bytes: encoding, JSON streams, kubectl's document boundaries -------------------------

def _as_utf8(data: bytes, file: str) -> bytes:
    """kubectl reads UTF-8 and lets a byte order mark choose UTF-8 or UTF-16."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError as err:
            raise InputError(f"invalid UTF-16 (byte {err.start})", file) from None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise InputError(f"invalid UTF-8 (byte {err.start})", file, line) from None
    return data


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _load_json_stream(data: bytes, file: str) -> list[Document] | None:
    """A stream that starts with `{` is read as JSON values one after another, as kubectl
    does; None when it is not JSON after all (kubectl then reads it as YAML)."""
    text = data.decode("utf-8")
    decoder = json.JSONDecoder(object_pairs_hook=_unique_keys, parse_constant=_reject_constant)
    docs, at, line = [], 0, 1
    space = re.compile(r"[ \t\r\n]*")
    while True:
        blank = space.match(text, at).end()
        line += text.count("\n", at, blank)
        at = blank
        if at == len(text):
            return docs
        try:
            value, end = decoder.raw_decode(text, at)
        except _DuplicateKey as dup:
            raise InputError(f"duplicate key {dup.key!r} in one mapping", file, line) from None
        except RecursionError:
            raise InputError(f"document nested deeper than {MAX_DEPTH} levels", file, line) from None
        except ValueError:
            if len(docs) > 1:
                raise InputError("not valid JSON after the first objects of a JSON stream", file, line) from None
            return None
        if value is not None:
            docs.append(Document(value, line))
        line += text.count("\n", at, end)
        at = end


@dataclass(frozen=True)
class _Chunk:
    start: int
    end: int
    line: int  # 1-based line of the chunk's first byte
    content_line: int  # 1-based line of its first content, else its first line


def _chunks(data: bytes, file: str) -> list[_Chunk]:
    """The documents as kubectl's YAMLReader cuts them: at lines that start with `---` and
    hold nothing else but a comment (any other text there is refused, as kubectl does)."""
    chunks = []
    start, line = 0, 1
    for sep in _SEPARATOR.finditer(data):
        rest = sep.group(1).decode("utf-8").strip()
        sep_line = line + data.count(b"\n", start, sep.start())
        if rest and not rest.startswith("#"):
            raise InputError(f"invalid YAML document separator: --- {rest[:40]}", file, sep_line)
        if sep.start() > start:
            chunks.append(_chunk(data, start, sep.start(), line))
        start, line = sep.end(), sep_line + 1
    if start < len(data):
        chunks.append(_chunk(data, start, len(data), line))
    return chunks


def _chunk(data: bytes, start: int, end: int, line: int) -> _Chunk:
    content = _CONTENT_LINE.search(data, start, end)
    content_line = line + data.count(b"\n", start, content.start()) if content else line
    return _Chunk(start, end, line, content_line)


# --- the fast path: rapidyaml --------------------------------------------------------------

@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """rapidyaml prints its errors on fd 2 before raising; we report them ourselves."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _go_float(text: str) -> float | int:
    """A JSON float token of rapidyaml's as Go's ParseFloat and json.Marshal make it."""
    value = float(text)
    if math.isinf(value):
        raise _NotFast(text)  # out of range: go-yaml keeps the text as a string
    return _json_number(value)


def _go_int(text: str) -> int:
    """A JSON integer token of rapidyaml's; beyond 64 bits Go makes it a float."""
    value = int(text)
    if not INT64_MIN <= value <= UINT64_MAX:
        raise _NotFast(text)
    return value


def _json_number(value: float) -> float | int:
    """What Go's json.Marshal writes for a float64, read back: below 1e21 an integral
    value is written as its shortest digits padded with zeros, an integer."""
    if value.is_integer() and abs(value) < 1e21:
        return int(value) if abs(value) < 2**53 else int(decimal.Decimal(repr(value)))
    return value


def _may_read_otherwise(data: bytes) -> bool:
    if any(odd in data for odd in _ODD_TEXT) or data.startswith((b"%", b"...")) or _FLOW_COMMENT.search(data):
        return True
    for match in _NODE_PROPERTY.finditer(data):
        at = match.start()
        if at == 0 or data[at - 1:at] in b" \n\r[{,":
            return True
    return False


def _rapidyaml(data: bytes, single: bool) -> Any:
    """rapidyaml's reading of a stream (a list of documents) or of one document, made
    kubectl's; _NotFast when it may not be kubectl's, or rapidyaml refuses the text."""
    if _may_read_otherwise(data):
        raise _NotFast("needs go-yaml's rules")
    with _quiet_stderr():
        try:
            tree = ryml.parse_in_arena(data)
            root = tree.root_id()
            if tree.num_children(root) == 0 and not tree.has_val(root):
                return None if single else []
            if single and tree.is_stream(root):
                raise _NotFast("several documents")
            text = ryml.emit_json_malloc(tree, root)
        except ryml.ExceptionBasic:
            raise _NotFast("refused by rapidyaml") from None
    if not text:
        return None if single else []
    for match in _SUSPECT_STRING.finditer(text):
        if not _SAFE_STRING.fullmatch(match.group(), 1, len(match.group()) - 1):
            raise _NotFast(match.group())
    try:
        value = json.loads(text, object_pairs_hook=_unique_keys, parse_float=_go_float, parse_int=_go_int)
    except (ValueError, RecursionError) as err:
        if isinstance(err, _DuplicateKey):
            raise
        raise _NotFast(str(err)) from None
    if single:
        return value
    return value if tree.is_stream(root) else [value]


def _load_fast(data: bytes) -> list[Document] | None:
    """rapidyaml over the whole stream; None when it may read it otherwise than kubectl,
    or its documents cannot be matched to lines (the chunk-by-chunk path then decides)."""
    try:
        values = _rapidyaml(data, single=False)
    except (_NotFast, _DuplicateKey):
        return None
    lines = _document_lines(data)
    if len(lines) != len(values):
        return None
    return [Document(v, line) for v, line in zip(values, lines) if v is not None]


def _document_lines(data: bytes) -> list[int]:
    """1-based line of the first content line of each document of a stream, as rapidyaml
    counts them: a chunk after a `---` marker is a document even when empty (its marker's
    line), text before the first marker only when it holds content."""
    starts = [0] + [m.start() for m in _SEPARATOR.finditer(data)] + [len(data)]
    lines, line, counted = [], 1, 0
    for a, b in zip(starts, starts[1:]):
        if b <= a:
            continue
        is_marker = a > 0 or _SEPARATOR.match(data, 0) is not None
        body = a
        if is_marker:
            newline = data.find(b"\n", a, b)
            body = b if newline < 0 else newline + 1
        content = _CONTENT_LINE.search(data, body, b)
        if not is_marker and content is None:
            continue
        at = content.start() if content else a
        line += data.count(b"\n", counted, at)
        counted = at
        lines.append(line)
    return lines


def _decode_chunk(text: bytes, file: str, chunk: _Chunk) -> Any:
    """One document: rapidyaml when it reads it as kubectl does, else the faithful
    decoder, whose verdict is final (a document rapidyaml refuses is retried there)."""
    try:
        try:
            return _rapidyaml(text, single=True)
        except _NotFast:
            return _GoYamlDecoder().decode(text)
    except _Refused as err:
        offset = getattr(err, "offset", None)
        raise InputError(str(err), file, chunk.content_line if offset is None else chunk.line + offset) from None
    except _DuplicateKey as dup:
        raise InputError(f"duplicate key {dup.key!r} in one mapping", file, chunk.content_line) from None


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    mapping = dict(pairs)
    if len(mapping) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return mapping


# --- the faithful path: libyaml events, go-yaml v2 and sigs.k8s.io/yaml rules ---------------

@dataclass(eq=False)
class _Node:
    kind: str  # "scalar", "mapping", "sequence" or "alias"
    line: int  # 0-based, within the chunk
    tag: str = ""
    value: str = ""
    implicit: bool = False  # go-yaml's flag: a plain scalar, or one tagged with `!`
    children: list["_Node"] | None = None
    target: "_Node | None" = None


def _refused(message: str, line: int | None = None) -> _Refused:
    err = _Refused(message)
    if line is not None:
        err.offset = line  # type: ignore[attr-defined]
    return err


class _GoYamlDecoder:
    """go-yaml v2's decoder into interface{} (decode.go, resolve.go), then sigs.k8s.io/yaml's
    conversion to JSON. Only the first document of the text counts, as in yaml.Unmarshal."""

    def __init__(self) -> None:
        self.anchors: dict[str, _Node] = {}
        self.decode_count = 0
        self.alias_count = 0
        self.alias_depth = 0
        self.expanding: set[int] = set()

    def decode(self, text: bytes) -> Any:
        root = self._compose(text)
        if root is None:
            return None
        return _to_json_value(self._unmarshal(root, 0), 0)

    # composing: events to nodes, aliases bound to the last anchor of that name so far
    def _compose(self, text: bytes) -> _Node | None:
        events = yaml.parse(text, Loader=yaml.CSafeLoader)
        try:
            for event in events:
                if isinstance(event, yaml.DocumentStartEvent):
                    return self._node(events, next(events), 0)
                if isinstance(event, yaml.StreamEndEvent):
                    return None
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None)
            raise _refused(f"not valid YAML ({getattr(err, 'problem', None) or err})",
                           mark.line if mark else None) from None
        finally:
            events.close()
        return None

    def _node(self, events: Iterator[yaml.Event], event: yaml.Event, depth: int) -> _Node:
        line = event.start_mark.line
        if depth > MAX_DEPTH:
            raise _refused(f"document nested deeper than {MAX_DEPTH} levels", line)
        if isinstance(event, yaml.AliasEvent):
            target = self.anchors.get(event.anchor)
            if target is None:
                raise _refused(f"unknown anchor {event.anchor!r} referenced", line)
            return _Node("alias", line, value=event.anchor, target=target)
        if isinstance(event, yaml.ScalarEvent):
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
        if self.alias_count > MAX_ALIAS_EXPANSION:
            raise _refused(f"aliases expand to more than {MAX_ALIAS_EXPANSION} nodes (a YAML bomb?)")
        if (self.alias_count > 100 and self.decode_count > 1000
                and self.alias_count / self.decode_count > _allowed_alias_ratio(self.decode_count)):
            raise _refused("document contains excessive aliasing")
        if depth > MAX_DEPTH:
            raise _refused(f"document nested deeper than {MAX_DEPTH} levels", node.line)
        if node.kind == "alias":
            return self._alias(node, depth, into)
        if node.kind == "scalar":
            return _scalar(node)
        if node.kind == "sequence":
            return [self._unmarshal(child, depth + 1) for child in node.children or ()]
        return self._mapping(node, depth, {} if into is None else into)

    def _alias(self, node: _Node, depth: int, into: dict[Any, Any] | None) -> Any:
        if id(node) in self.expanding:
            raise _refused(f"anchor {node.value!r} value contains itself", node.line)
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
                raise _refused("a mapping or a sequence as a mapping key", key_node.line)
            identity = (type(key), key)
            if identity in explicit:
                raise _DuplicateKey(str(key))
            explicit.add(identity)
            out[identity] = self._unmarshal(value_node, depth + 1)
        return out

    def _merge(self, node: _Node, depth: int, out: dict[Any, Any]) -> None:
        if node.kind == "mapping" or node.kind == "alias" and _target(node).kind == "mapping":
            self._unmarshal(node, depth + 1, out)
        elif node.kind == "sequence":
            for child in reversed(node.children or []):  # earlier maps take precedence
                if child.kind != "mapping" and not (child.kind == "alias" and _target(child).kind == "mapping"):
                    raise _refused("map merge requires map or sequence of maps as the value", child.line)
                self._unmarshal(child, depth + 1, out)
        else:
            raise _refused("map merge requires map or sequence of maps as the value", node.line)


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
INT64_MIN, INT64_MAX, UINT64_MAX = -(1 << 63), (1 << 63) - 1, (1 << 64) - 1


def _scalar(node: _Node) -> Any:
    """go-yaml v2's decoder.scalar into interface{}."""
    if node.tag == "" and not node.implicit:
        return node.value
    tag, value = _resolve(node.tag, node.value, node.line)
    return value


def _resolve(tag: str, text: str, line: int) -> tuple[str, Any]:
    """go-yaml v2's resolve(): the tag a scalar resolves to and its Go value."""
    if tag in (_BINARY, _TIMESTAMP):
        # go-yaml decodes base64 and checks dates: rare in manifests, refused, not guessed
        raise _refused(f"{tag.replace('tag:yaml.org,2002:', '!!')} scalars are not read", line)
    if tag not in _RESOLVABLE:
        return tag, text
    rtag, value = _resolve_plain(tag, text)
    if tag in ("", rtag, _STR, _BINARY):
        return rtag, value
    if tag == _FLOAT and rtag == _INT and INT64_MIN <= value <= INT64_MAX:  # not a uint64
        return _FLOAT, float(value)
    short = lambda t: "!!" + t.rsplit(":", 1)[-1]  # noqa: E731
    raise _refused(f"cannot decode {short(rtag)} `{text}` as a {short(tag)}", line)


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
        # a timestamp (`2001-12-14`) decoded into interface{} stays its text: nothing
        # that starts with four digits and a dash parses as a number, so no test needed
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


def _parse_go_int(text: str) -> int | None:
    """strconv.ParseInt(text, 0, 64), else ParseUint: a sign, then 0x/0o/0b or a leading 0
    (octal), else decimal."""
    match = re.fullmatch(r"([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)", text)
    if match is None:
        return None
    sign, digits = match.groups()
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
                raise _DuplicateKey(name)
            out[name] = _to_json_value(item, depth + 1)
        return out
    if isinstance(value, list):
        return [_to_json_value(item, depth + 1) for item in value]
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise _refused(f"json: unsupported value: {value}")
        return _json_number(value)
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
    raise _refused(f"unsupported map key: {key!r}")

