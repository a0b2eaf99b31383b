"""YAML (or JSON) manifest streams read as kubectl reads them, fast where that is safe.

kubectl decodes a manifest file as UTF-8 (a byte order mark chooses the encoding), splits
it at `---` lines (apimachinery's YAMLReader; a JSON stream when it starts with `{`), and
converts each document with sigs.k8s.io/yaml: go-yaml v2, so YAML 1.1 scalars (`yes`,
`On`, `0644`, `1_000` are a bool and numbers), merge keys applied in order, non-string keys
made strings. The reference decoder `tools/yaml2json` is that code; tests compare us to it.

Every document gets kubectl's value, or the stream is refused as bad input. Two paths:
- rapidyaml parses a 7 MB stream in ~0.2 s where PyYAML's C loader needs 3-5 s, which is
  what lets a 10,000-resource scan finish in seconds. It reads YAML 1.2 and knows no
  aliases, so its reading of a document is kept only where cheap scans find nothing on
  which the two readings could differ: in the text no tag, anchor, alias, tab, escape or
  directive; in rapidyaml's JSON no string spelt like a YAML 1.1 boolean, null or number
  (other than a plain decimal integer) and no number out of Go's ranges.
- Every other document, and any rapidyaml refuses, goes to go_yaml.py: libyaml's events
  and a decoder that follows go-yaml v2 and sigs.k8s.io/yaml rule by rule, with an
  alias-expansion budget in nodes and bytes shared by the file's documents (the
  billion-laughs defence) and a depth limit.
Duplicate keys are refused on both paths: kubectl keeps one of them silently. A JSON stream
is read as kubectl's decoder of objects reads it (numbers out of float64's range refused, a
lone UTF-16 surrogate made U+FFFD). At most MAX_DOCUMENTS documents are read from one file.
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import os
import re
import sys
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import ryml

from kaze_policy.errors import InputError
from kaze_policy.sources.go_yaml import (INT64_MAX, INT64_MIN, MAX_DEPTH, UINT64_MAX, AliasBudget, DuplicateKey,
                                         Refused, decode_document, json_number)

# Documents (`---` separators, or JSON values) read from one file at most: beyond, a file is
# refused rather than held as millions of tiny objects (50 MB of `---` lines is 13 million).
MAX_DOCUMENTS = 100_000

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


@dataclass(frozen=True)
class Document:
    """One YAML document: its value and the 1-based line where its content starts."""

    value: Any
    line: int


def load_stream(data: bytes, file: str) -> list[Document]:
    """Every non-null document of a manifest stream, as kubectl decodes it, or InputError."""
    data = _as_utf8(data, file)
    if _JSON_START.match(data):
        docs = _load_json_stream(data, file)
        if docs is not None:
            return docs
    return _load_yaml_stream(data, file)


def _load_yaml_stream(data: bytes, file: str) -> list[Document]:
    """Every non-null document of a YAML stream (UTF-8), cut at kubectl's `---` lines."""
    separators = _separators(data, file)
    budget = AliasBudget.for_size(len(data))
    docs = _load_rapid(data, separators, file, budget)
    if docs is not None:
        return docs
    result = []
    for chunk in _chunks(data, separators):
        value = _decode_chunk(data[chunk.start:chunk.end], file, chunk, budget)
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


def _too_many_documents() -> str:
    return f"more than {MAX_DOCUMENTS} documents in one file (the limit per file)"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


class _OutOfRange(Exception):
    """A JSON number kubectl's decoder refuses (not a ValueError: that means "not JSON")."""


def _kubectl_float(text: str) -> float:
    """A JSON number as apimachinery's decoder reads it (ParseFloat): beyond float64's range
    it refuses the object (`1e400`, a 4,000-digit integer)."""
    value = float(text)
    if math.isinf(value):
        shown = text if len(text) <= 24 else text[:20] + f"… ({len(text)} characters)"
        raise _OutOfRange(f"number {shown} is out of the range of a float64 (kubectl refuses it)")
    return value


def _kubectl_int(text: str) -> int | float:
    """An integer token: an int64 stays one; beyond, kubectl's decoder makes it a float64."""
    if len(text) <= 20:  # and never int() of thousands of digits
        value = int(text)
        if INT64_MIN <= value <= INT64_MAX:
            return value
    return _kubectl_float(text)


# A \uD800-\uDFFF escape: Python's json keeps a lone one as a surrogate, which is no text
# (nothing downstream can encode it); Go's decoder makes each lone one U+FFFD.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _replace_lone_surrogates(value: Any) -> Any:
    """`value` with each lone surrogate of its strings and keys made U+FFFD (without
    recursion: a JSON document may be nested deeper than Python's stack)."""
    fix = functools.partial(_LONE_SURROGATE.sub, "\ufffd")
    root = [value]
    pending: list[tuple[Any, Any]] = [(root, 0)]
    while pending:
        parent, key = pending.pop()
        item = parent[key]
        if isinstance(item, str):
            parent[key] = fix(item)
        elif isinstance(item, list):
            pending.extend((item, i) for i in range(len(item)))
        elif isinstance(item, dict):
            fixed = {fix(k): v for k, v in item.items()}
            if len(fixed) != len(item):
                raise DuplicateKey(next(k for k in fixed if "\ufffd" in k))
            parent[key] = fixed
            pending.extend((fixed, k) for k in fixed)
    return root[0]


def _load_json_stream(data: bytes, file: str) -> list[Document] | None:
    """A stream that starts with `{` is read as JSON values one after another, as kubectl
    does; None when its first value is not JSON (kubectl then reads it as YAML). When the
    second is not, kubectl reads the rest after the first as YAML (apimachinery's
    YAMLOrJSONDecoder: a stream of one JSON value is still ambiguous); after two or more,
    the stream is refused."""
    text = data.decode("utf-8")
    decoder = json.JSONDecoder(object_pairs_hook=_unique_keys, parse_constant=_reject_constant,
                               parse_float=_kubectl_float, parse_int=_kubectl_int)
    surrogates = _SURROGATE_ESCAPE.search(text) is not None
    docs, at, line, count, end = [], 0, 1, 0, 0
    space = re.compile(r"[ \t\r\n]*")
    while True:
        blank = space.match(text, at).end()
        line += text.count("\n", at, blank)
        at = blank
        if at == len(text):
            return docs
        try:
            value, end = decoder.raw_decode(text, at)
            if surrogates:
                value = _replace_lone_surrogates(value)
        except DuplicateKey as dup:
            raise InputError(f"duplicate key {dup.key!r} in one mapping", file, line) from None
        except RecursionError:
            raise InputError(f"document nested deeper than {MAX_DEPTH} levels", file, line) from None
        except _OutOfRange as err:
            raise InputError(str(err), file, line) from None
        except ValueError:
            if count > 1:
                raise InputError("not valid JSON after the first objects of a JSON stream", file, line) from None
            return None if count == 0 else docs + _yaml_after_json(text, end, file)
        count += 1
        if value is not None:
            if len(docs) == MAX_DOCUMENTS:
                raise InputError(_too_many_documents(), file, line)
            docs.append(Document(value, line))
        line += text.count("\n", at, end)
        at = end


# Go's unicode.IsSpace (the White_Space property); Python's isspace() also takes \x1c-\x1f
_GO_SPACE = re.compile(r"[\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")


def _yaml_after_json(text: str, end: int, file: str) -> list[Document]:
    """The documents kubectl reads as YAML after a stream's first JSON value, which ends at
    `end`: it skips the spaces there up to and including the first line break."""
    start = end
    while start < len(text) and _GO_SPACE.match(text, start):
        start += 1
        if text[start - 1] == "\n":
            break
    shift = text.count("\n", 0, start)
    try:
        docs = _load_yaml_stream(text[start:].encode("utf-8"), file)
    except InputError as err:
        raise InputError(err.message, file, None if err.line is None else err.line + shift) from None
    return [Document(doc.value, doc.line + shift) for doc in docs]


@dataclass(frozen=True)
class _Chunk:
    start: int
    end: int
    line: int  # 1-based line of the chunk's first byte
    content_line: int  # 1-based line of its first content, else its first line


def _separators(data: bytes, file: str) -> list[tuple[int, int]]:
    """(start, end) of the lines at which kubectl's YAMLReader cuts documents: lines that
    start with `---` and hold nothing else but a comment (other text there is refused, as
    kubectl refuses it). Found with bytes.find, which is far faster than a `^` regex."""
    found = []
    at = 0 if data.startswith(b"---") else data.find(b"\n---")
    while at >= 0:
        start = at if at == 0 and data.startswith(b"---") else at + 1
        newline = data.find(b"\n", start)
        end = len(data) if newline < 0 else newline + 1
        if end - start > 4 or end - start == 4 and data[start + 3] != 10:
            rest = data[start + 3:end].decode("utf-8").strip()
            if rest and not rest.startswith("#"):
                line = data.count(b"\n", 0, start) + 1
                raise InputError(f"invalid YAML document separator: --- {rest[:40]}", file, line)
        if len(found) == MAX_DOCUMENTS:
            raise InputError(_too_many_documents(), file, data.count(b"\n", 0, start) + 1)
        # A `---#…` line that opens a document (at the start, or right after another
        # separator) is kept in it by the YAMLReader, and YAML reads it as a scalar there
        if not (data.startswith(b"---#", start) and start == (found[-1][1] if found else 0)):
            found.append((start, end))
        at = data.find(b"\n---", end - 1) if end < len(data) else -1
    return found


def _chunks(data: bytes, separators: list[tuple[int, int]]) -> list[_Chunk]:
    """The documents as kubectl's YAMLReader cuts them (the separator lines left out)."""
    chunks = []
    start, line = 0, 1
    for sep_start, sep_end in separators:
        sep_line = line + data.count(b"\n", start, sep_start)
        if sep_start > start:
            chunks.append(_chunk(data, start, sep_start, line))
        start, line = sep_end, sep_line + 1
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
    return json_number(value)


def _go_int(text: str) -> int:
    """A JSON integer token of rapidyaml's; beyond 64 bits Go makes it a float."""
    if len(text) > 21:  # beyond uint64 (and int() refuses over 4,300 digits)
        raise _NotFast(text)
    value = int(text)
    if not INT64_MIN <= value <= UINT64_MAX:
        raise _NotFast(text)
    return value


def _may_read_otherwise(data: bytes) -> bool:
    """Whether the text holds what rapidyaml may read otherwise than go-yaml (_ODD_TEXT,
    a comment in a flow collection, an anchor, alias or complex key opening a token)."""
    if any(odd in data for odd in _ODD_TEXT) or data.startswith((b"%", b"...")):
        return True
    if b" #" in data and _FLOW_COMMENT.search(data):
        return True
    if b"&" not in data and b"*" not in data and b"?" not in data:
        return False
    for match in _NODE_PROPERTY.finditer(data):
        at = match.start()
        if at == 0 or data[at - 1:at] in b" \n\r[{,":
            return True
    return False


def _rapidyaml(data: bytes) -> Any:
    """rapidyaml's reading of one document, made kubectl's; _NotFast when it may not be
    kubectl's, or rapidyaml refuses the text."""
    if _may_read_otherwise(data):
        raise _NotFast("needs go-yaml's rules")
    with _quiet_stderr():
        tree = _parse(data)
        root = tree.root_id()
        if tree.num_children(root) == 0 and not tree.has_val(root):
            return None
        if tree.is_stream(root):
            raise _NotFast("several documents")
        return _tree_value(tree, root)


def _parse(data: bytes) -> Any:
    try:
        return ryml.parse_in_arena(data)
    except ryml.ExceptionBasic:
        raise _NotFast("refused by rapidyaml") from None


def _tree_value(tree: Any, node: int) -> Any:
    """The JSON value of a node of rapidyaml's tree, when it is go-yaml's too (call it with
    stderr quiet: rapidyaml prints its errors)."""
    try:
        text = ryml.emit_json_malloc(tree, node)
    except ryml.ExceptionBasic:
        raise _NotFast("refused by rapidyaml") from None
    if not text:
        return None
    for match in _SUSPECT_STRING.finditer(text):
        if not _SAFE_STRING.fullmatch(match.group(), 1, len(match.group()) - 1):
            raise _NotFast(match.group())
    try:
        return _JSON.decode(text)
    except DuplicateKey:
        raise
    except (ValueError, RecursionError) as err:
        raise _NotFast(str(err)) from None


def _tree_document(tree: Any, node: int, text: bytes) -> Any:
    if _may_read_otherwise(text):
        raise _NotFast("needs go-yaml's rules")
    return _tree_value(tree, node)


def _load_rapid(data: bytes, separators: list[tuple[int, int]], file: str,
                budget: AliasBudget) -> list[Document] | None:
    """rapidyaml parses the stream once. When nothing in the text needs go-yaml's rules the
    stream is converted at once; else document by document, each taken from the tree or,
    when rapidyaml may read it otherwise, from the faithful decoder. None when rapidyaml
    refuses the stream or its documents cannot be matched to kubectl's."""
    with _quiet_stderr():
        try:
            tree = _parse(data)
        except _NotFast:
            return None
        root = tree.root_id()
        if tree.num_children(root) == 0 and not tree.has_val(root):
            return None  # comments only, or nothing: the chunks say which
        regions = _document_regions(data, separators)
        nodes = [root]
        if tree.is_stream(root):
            nodes = [tree.first_child(root)]
            for _ in range(tree.num_children(root) - 1):
                nodes.append(tree.next_sibling(nodes[-1]))
        if len(nodes) != len(regions):
            return None
        if not _may_read_otherwise(data):
            try:
                value = _tree_value(tree, root)
                values = value if tree.is_stream(root) else [value]
                return [Document(v, region.content_line) for v, region in zip(values, regions) if v is not None]
            except (_NotFast, DuplicateKey):
                pass
        result = []
        for node, region in zip(nodes, regions):
            text = data[region.start:region.end]
            value = _decode_chunk(text, file, region, budget, functools.partial(_tree_document, tree, node, text))
            if value is not None:
                result.append(Document(value, region.content_line))
        return result


def _document_regions(data: bytes, separators: list[tuple[int, int]]) -> list[_Chunk]:
    """The documents of a stream as rapidyaml counts them: a chunk after a `---` marker is a
    document even when empty (content line: its marker's), text before the first marker only
    when it holds content. They are kubectl's chunks, empty ones aside."""
    starts = [0] + [start for start, _ in separators] + [len(data)]
    ends = {start: end for start, end in separators}
    regions, line, counted = [], 1, 0
    for a, b in zip(starts, starts[1:]):
        if b <= a:
            continue
        is_marker = a in ends
        body = ends[a] if is_marker else a
        content = _CONTENT_LINE.search(data, body, b)
        if not is_marker and content is None:
            continue
        line += data.count(b"\n", counted, a)
        counted = a
        body_line = line + 1 if is_marker else line
        content_line = body_line + data.count(b"\n", body, content.start()) if content else line
        regions.append(_Chunk(body, b, body_line, content_line))
    return regions


def _decode_chunk(text: bytes, file: str, chunk: _Chunk, budget: AliasBudget,
                  fast: Callable[[], Any] | None = None) -> Any:
    """One document: rapidyaml when it reads it as kubectl does, else the faithful
    decoder, whose verdict is final (a document rapidyaml refuses is retried there)."""
    try:
        try:
            return fast() if fast else _rapidyaml(text)
        except _NotFast:
            return decode_document(text, budget)
    except Refused as err:
        raise InputError(str(err), file, chunk.content_line if err.line is None else chunk.line + err.line) from None
    except DuplicateKey as dup:
        raise InputError(f"duplicate key {dup.key!r} in one mapping", file, chunk.content_line) from None


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    mapping = dict(pairs)
    if len(mapping) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise DuplicateKey(key)
            seen.add(key)
    return mapping


_JSON = json.JSONDecoder(object_pairs_hook=_unique_keys, parse_float=_go_float, parse_int=_go_int)
