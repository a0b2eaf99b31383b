"""Vault/OpenBao policy capabilities, computed the way the server computes them.

KZ-SEC-01 (a client's keys are readable only by that client's agents) and KZ-SOD-01 (no one
both deploys and reads secrets) judge *what a policy grants*, not what its text looks like:
`kv/data/clients/+/*` or `kv/*` reach every client although neither names one, a `deny`
in another policy takes everything away, and a more specific path wins over a glob. So this
module re-implements the server's ACL (checked against a real OpenBao in
tests/analysis/test_vault_acl_openbao.py) and probes it on the paths that matter.

The server's behaviour, as observed on OpenBao 2.7 and documented for Vault:

- Parsing: a policy is HCL v1 (or JSON). `path "<p>" { capabilities = [...] }`; one leading
  `/` of `<p>` is dropped; `+*` is rejected; unknown keys and capabilities are rejected;
  the legacy `policy = "read|write|sudo|deny"` adds capabilities; `deny` in a rule keeps
  only `deny`; repeated `capabilities` in one block are concatenated.
- Building the ACL: each rule is *exact*, *prefix* (ends in `*`, no `+` segment) or
  *segment-wildcard* (has a `+` segment, may end in `*`). Rules of the same kind and path,
  from one or several policies, merge: union of capabilities, `deny` wins over all.
- Looking up a path (leading `/`s removed): the exact rule; else (capabilities are computed
  as a LIST request) the exact rule of the path less one trailing `/`; else the best
  non-exact match; else the best non-exact match of the path less one trailing `/`.
  The best non-exact match is chosen between the *longest* matching prefix rule and every
  matching segment-wildcard rule by priority: the first `+` or `*` later wins; not ending in
  `*` wins; fewer `+` wins; longer wins; lexicographically *larger* wins (the docs' "if P1
  is smaller lexicographically, it is lower priority", confirmed on the server).
- The answer is the capability set; nothing at all (or `deny`) reads as `{"deny"}`.
"""

from __future__ import annotations

import bisect
import functools
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

DENY = "deny"
CAPABILITIES = frozenset({"deny", "create", "read", "update", "delete", "list", "sudo", "patch", "scan"})
"""Capabilities OpenBao 2.x accepts (Vault's `subscribe` and `root` are rejected there)."""

LEGACY_POLICY = {
    "read": ("read", "list"),
    "write": ("create", "read", "update", "delete", "list"),
    "sudo": ("create", "read", "update", "delete", "list", "sudo"),
}
TOP_LEVEL_KEYS = frozenset({"name", "path"})
PATH_KEYS = frozenset(
    {
        "comment", "policy", "capabilities", "allowed_parameters", "denied_parameters",
        "required_parameters", "min_wrapping_ttl", "max_wrapping_ttl", "mfa_methods",
        "control_group", "pagination_limit", "expiration", "list_scan_response_keys_filter_path",
    }
)
READ_CAPS = frozenset({"read", "list"})


class PolicyError(ValueError):
    """A policy the server would refuse to load; names the policy and the line."""

    def __init__(self, policy: str, line: int | None, message: str) -> None:
        self.policy, self.line, self.message = policy, line, message
        where = f", line {line}" if line else ""
        super().__init__(f'policy "{policy}"{where}: {message}')


# --------------------------------------------------------------------------- the model


@dataclass(frozen=True)
class PathRule:
    """One `path` block, as written (path less one leading `/`) with its capabilities."""

    path: str
    capabilities: frozenset[str]
    line: int | None = None

    @property
    def has_segment_wildcard(self) -> bool:
        """`+` is a wildcard only as a whole segment; the server's own test is textual."""
        p = self.path
        return p == "+" or "/+" in p or p.startswith("+/")

    @property
    def is_prefix(self) -> bool:
        return self.path.endswith("*")


@dataclass(frozen=True)
class ParsedPolicy:
    """A policy's name and rules, in the order written."""

    name: str
    rules: tuple[PathRule, ...]

    def paths(self) -> dict[str, dict[str, list[str]]]:
        """`{path: {"capabilities": [...]}}` as `object.paths` of a VaultPolicy carries it."""
        out: dict[str, set[str]] = {}
        for r in self.rules:
            out.setdefault(r.path, set()).update(r.capabilities)
        return {p: {"capabilities": sorted(c)} for p, c in out.items()}


# --------------------------------------------------------------------------- HCL v1 parser
# python-hcl2 parses HCL2, keeps the quotes of every key and value, accepts no two attributes
# on one line, and gives no line numbers for what it returns, so semantic errors could not
# name a line. Vault reads policies with HCL v1; the subset a policy uses is small.

_TOKEN = re.compile(
    r"""
    (?P<ws>[ \t\r\f]+)
  | (?P<nl>\n)
  | (?P<comment>\#[^\n]*|//[^\n]*|/\*.*?\*/)
  | (?P<heredoc><<-?(?P<tag>[A-Za-z_][A-Za-z0-9_]*)[ \t]*\n)
  | (?P<string>"(?:[^"\\\n]|\\.)*")
  | (?P<number>-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_.\-]*)
  | (?P<punct>[{}\[\]=,])
    """,
    re.VERBOSE | re.DOTALL,
)
# The escapes OpenBao's HCL reads (checked on the server): Go's, less `\'` and `\/` (refused);
# `\x` two hex digits, `\ooo` three octal ones, `\u` four and `\U` eight hex digits.
_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", '"': '"', "\\": "\\"}
_ESCAPE = re.compile(r"x([0-9a-fA-F]{2})|([0-7]{3})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})")


@dataclass(frozen=True)
class _Tok:
    kind: str  # string, number, ident, heredoc, punct, eof
    value: str
    line: int | None  # None in a JSON policy: json.loads gives no line for a value


@dataclass
class _Item:
    """`key label... = value` or `key label... { object }`."""

    keys: list[_Tok]
    value: Any
    line: int | None


@dataclass
class _Obj:
    items: list[_Item] = field(default_factory=list)


def _unquote(raw: str, policy: str, line: int) -> str:
    """Decode a double-quoted HCL string (Go-style escapes) as the server reads it."""
    out: list[str] = []
    i, body = 0, raw[1:-1]
    while i < len(body):
        c = body[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        nxt = body[i + 1]  # the string token pairs every backslash with the character after it
        if nxt in _ESCAPES:
            out.append(_ESCAPES[nxt])
            i += 2
            continue
        m = _ESCAPE.match(body, i + 1)
        char = _escaped_char(m) if m else None
        if m is None or char is None:
            raise PolicyError(policy, line, f"invalid escape in string {raw}")
        out.append(char)
        i = m.end()
    return "".join(out)


def _escaped_char(m: re.Match[str]) -> str | None:
    r"""The character of a numeric escape, or None where the server cannot load the policy.

    `\x`/`\ooo` give a byte: below 0x80 its character; above, a byte that is not UTF-8, which
    no request names exactly (U+FFFD stands for it: erring towards more access); `\400` and
    above take the server down. `\u`/`\U` give a code point: a surrogate reads as U+FFFD;
    above U+10FFFF the server goes down too."""
    byte, octal, code = m.group(1) or m.group(2), m.group(2), m.group(3) or m.group(4)
    if byte is not None:
        value = int(byte, 8 if octal else 16)
        if value > 0xFF:
            return None
        return chr(value) if value < 0x80 else "\ufffd"
    value = int(code, 16)
    if value > 0x10FFFF:
        return None
    return "\ufffd" if 0xD800 <= value <= 0xDFFF else chr(value)


def _tokenize(text: str, policy: str) -> list[_Tok]:
    """Split HCL text into tokens, each with its line; heredocs become strings."""
    toks: list[_Tok] = []
    pos, line = 0, 1
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise PolicyError(policy, line, f"unexpected character {text[pos]!r}")
        kind = str(m.lastgroup)  # the outermost group: a heredoc's `tag` is inside `heredoc`
        raw = m.group(0)
        if kind == "heredoc":
            tag = m.group("tag")
            end = re.compile(rf"^[ \t]*{re.escape(tag)}[ \t]*$", re.MULTILINE)
            found = end.search(text, m.end())
            if not found:
                raise PolicyError(policy, line, f"heredoc <<{tag} is not closed")
            toks.append(_Tok("heredoc", text[m.end() : found.start()], line))
            line += text.count("\n", pos, found.end())
            pos = found.end()
            continue
        if kind == "string":
            toks.append(_Tok("string", _unquote(raw, policy, line), line))
        elif kind in ("number", "ident", "punct"):
            toks.append(_Tok(kind, raw, line))
        line += raw.count("\n")
        pos = m.end()
    toks.append(_Tok("eof", "", line))
    return toks


class _Parser:
    """Recursive descent over the tokens: objects, lists and scalar values."""

    def __init__(self, toks: list[_Tok], policy: str) -> None:
        self.toks, self.i, self.policy = toks, 0, policy

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def fail(self, tok: _Tok, message: str) -> PolicyError:
        return PolicyError(self.policy, tok.line, message)

    def object_body(self, closing: str) -> _Obj:
        """Items up to `}` (or end of file at top level), commas optional between them."""
        obj = _Obj()
        while True:
            tok = self.peek()
            if tok.kind == "eof":
                if closing == "}":
                    raise self.fail(tok, "object expected closing '}' before end of file")
                return obj
            if tok.kind == "punct" and tok.value == closing:
                self.take()
                return obj
            obj.items.append(self.item())
            if self.peek().kind == "punct" and self.peek().value == ",":
                self.take()

    def item(self) -> _Item:
        keys: list[_Tok] = []
        while self.peek().kind in ("ident", "string"):
            keys.append(self.take())
        tok = self.peek()
        if not keys:
            raise self.fail(tok, f"expected a key, got {tok.value or 'end of file'!r}")
        if tok.kind == "punct" and tok.value == "=":
            if len(keys) > 1:
                raise self.fail(tok, "nested object expected: '{' got '='")
            self.take()
            return _Item(keys, self.value(), keys[0].line)
        if tok.kind == "punct" and tok.value == "{":
            self.take()
            return _Item(keys, self.object_body("}"), keys[0].line)
        raise self.fail(tok, f"key {keys[-1].value!r} expected start of object ('{{') or assignment ('=')")

    def value(self) -> Any:
        tok = self.take()
        if tok.kind in ("string", "heredoc"):
            return tok
        if tok.kind == "number" or (tok.kind == "ident" and tok.value in ("true", "false")):
            return tok
        if tok.kind == "punct" and tok.value == "{":
            return self.object_body("}")
        if tok.kind == "punct" and tok.value == "[":
            return self.list_body()
        raise self.fail(tok, f"unexpected token {tok.value or 'end of file'!r} where a value belongs")

    def list_body(self) -> list[Any]:
        out: list[Any] = []
        while True:
            tok = self.peek()
            if tok.kind == "punct" and tok.value == "]":
                self.take()
                return out
            if tok.kind == "ident" and tok.value not in ("true", "false"):
                raise self.fail(tok, "unexpected token while parsing list: IDENT")
            out.append(self.value())
            nxt = self.peek()
            if nxt.kind == "punct" and nxt.value == ",":
                self.take()
            elif not (nxt.kind == "punct" and nxt.value == "]"):
                raise self.fail(nxt, f"expected ',' or ']' in list, got {nxt.value or 'end of file'!r}")


def _rule_from_block(policy: str, label: _Tok, body: _Obj) -> PathRule:
    """Turn one `path` block into a rule, with the server's checks and legacy mapping."""
    caps: list[tuple[str, int | None]] = []
    legacy: _Tok | None = None
    for item in body.items:
        key = item.keys[0].value
        if key not in PATH_KEYS:
            raise PolicyError(policy, item.line, f'path "{label.value}": invalid key "{key}"')
        if key == "capabilities":
            if not isinstance(item.value, list):
                raise PolicyError(policy, item.line, f'path "{label.value}": capabilities must be a list of strings')
            for v in item.value:
                if not isinstance(v, _Tok) or v.kind != "string":
                    raise PolicyError(policy, item.line, f'path "{label.value}": capabilities must be strings')
                caps.append((v.value, v.line or item.line))
        elif key == "policy":
            if not isinstance(item.value, _Tok) or item.value.kind not in ("string", "heredoc"):
                raise PolicyError(policy, item.line, f'path "{label.value}": policy must be a string')
            legacy = item.value
    return PathRule(_path_key(policy, label), _capability_set(policy, label, caps, legacy), label.line)


def _path_key(policy: str, label: _Tok) -> str:
    """The stored path: one leading `/` dropped; `+*` refused as the server does."""
    path = label.value.removeprefix("/")
    if "+*" in path:
        raise PolicyError(policy, label.line, f"path \"{path}\": invalid use of wildcards ('+*' is forbidden)")
    return path


def _capability_set(
    policy: str, label: _Tok, caps: list[tuple[str, int | None]], legacy: _Tok | None
) -> frozenset[str]:
    """Legacy `policy` first, then the server's left-to-right check where `deny` stops all."""
    if legacy is not None:
        if legacy.value == DENY:
            caps = [(DENY, legacy.line)]
        elif legacy.value in LEGACY_POLICY:
            caps = caps + [(c, legacy.line) for c in LEGACY_POLICY[legacy.value]]
        else:
            message = f'path "{label.value}": invalid policy "{legacy.value}"'
            raise PolicyError(policy, legacy.line or label.line, message)
    out: set[str] = set()
    for cap, line in caps:
        if cap == DENY:
            return frozenset({DENY})
        if cap not in CAPABILITIES:
            raise PolicyError(policy, line or label.line, f'path "{label.value}": invalid capability "{cap}"')
        out.add(cap)
    return frozenset(out)


def _rules_from_json(name: str, text: str) -> tuple[PathRule, ...]:
    """The JSON form: `{"path": {"<p>": {"capabilities": [...]}}}`."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PolicyError(name, exc.lineno, f"invalid JSON: {exc.msg}") from None
    rules: list[PathRule] = []  # the text starts with `{`: doc is an object
    for key, paths in doc.items():
        if key not in TOP_LEVEL_KEYS:
            raise PolicyError(name, None, f'invalid key "{key}"')
        if key != "path":
            _check_name(name, _json_value(paths), None)
            continue
        if not isinstance(paths, dict):
            raise PolicyError(name, None, '"path" must map paths to objects')
        for path, body in paths.items():
            if not isinstance(body, dict):
                raise PolicyError(name, None, f'path "{path}": expected an object')
            rules.append(_rule_from_block(name, _Tok("string", path, None), _json_value(body)))
    return tuple(rules)


def _check_name(policy: str, value: Any, line: int | None) -> None:
    """`name` is read as a string: the server takes a string or an integer, refuses the rest."""
    if isinstance(value, _Tok) and (value.kind in ("string", "heredoc")
                                    or (value.kind == "number" and re.fullmatch(r"-?[0-9]+", value.value))):
        return
    raise PolicyError(policy, line, "name must be a string")


def _json_value(value: Any) -> Any:
    """JSON values in the parser's shape, so both forms share the checks."""
    if isinstance(value, str):
        return _Tok("string", value, None)
    if isinstance(value, list):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return _Obj([_Item([_Tok("string", k, None)], _json_value(v), None) for k, v in value.items()])
    return _Tok("number", json.dumps(value), None)


def parse_policy(text: str, name: str) -> ParsedPolicy:
    """Parse one policy (HCL v1 or JSON); raise PolicyError naming the policy and line."""
    if not text.strip():
        raise PolicyError(name, None, "policy is empty")
    if text.lstrip().startswith("{"):
        return ParsedPolicy(name, _rules_from_json(name, text))
    top = _Parser(_tokenize(text, name), name).object_body("")
    rules: list[PathRule] = []
    for item in top.items:
        key = item.keys[0].value
        if key not in TOP_LEVEL_KEYS:
            raise PolicyError(name, item.line, f'invalid key "{key}"')
        if key == "name":
            _check_name(name, item.value, item.line)
            continue
        if len(item.keys) < 2 or not isinstance(item.value, _Obj):
            raise PolicyError(name, item.line, 'expected `path "<path>" { ... }`')
        # `path "a" "b" { }`: the server uses the first label and ignores the others.
        rules.append(_rule_from_block(name, item.keys[1], item.value))
    return ParsedPolicy(name, tuple(rules))


# --------------------------------------------------------------------------- the ACL


@dataclass(frozen=True)
class _Candidate:
    """A non-exact rule matching a path, with what the priority rules compare."""

    first_wildcard: int
    is_prefix: bool
    wildcards: int
    path: str  # without the trailing `*`
    capabilities: frozenset[str]

    def priority(self) -> tuple[int, bool, int, int, str]:
        """Larger wins: later wildcard, no trailing `*`, fewer `+`, longer, larger text."""
        return (self.first_wildcard, not self.is_prefix, -self.wildcards, len(self.path), self.path)


def _merge(old: frozenset[str] | None, new: frozenset[str]) -> frozenset[str]:
    """Same path in several rules: union, unless either side denies."""
    if old is None:
        return new
    if DENY in old or DENY in new:
        return frozenset({DENY})
    return old | new


@dataclass(frozen=True)
class _SegmentRule:
    parts: tuple[str, ...]  # of the path less its trailing `*`
    is_prefix: bool
    wildcards: int
    first_wildcard: int
    capabilities: frozenset[str]

    def matches(self, parts: list[str]) -> bool:
        """Segment by segment: `+` takes one; the last part of a prefix rule is a glob."""
        n = len(self.parts)
        if len(parts) < n or (not self.is_prefix and len(parts) != n):
            return False
        for i, acl_part in enumerate(self.parts):
            if acl_part == "+" or acl_part == parts[i]:
                continue
            if self.is_prefix and i == n - 1 and parts[i].startswith(acl_part):
                continue
            return False
        return True


class ACL:
    """The union of several policies, looked up exactly as the server looks them up."""

    def __init__(self, policies: Iterable[ParsedPolicy]) -> None:
        exact: dict[str, frozenset[str]] = {}
        prefix: dict[str, frozenset[str]] = {}
        segment: dict[str, frozenset[str]] = {}
        for policy in policies:
            for rule in policy.rules:
                if rule.has_segment_wildcard:
                    table, key = segment, rule.path
                elif rule.is_prefix:
                    table, key = prefix, rule.path[:-1]
                else:
                    table, key = exact, rule.path
                table[key] = _merge(table.get(key), rule.capabilities)
        self._exact = exact
        self._prefixes = sorted(prefix.items(), key=lambda kv: len(kv[0]), reverse=True)
        self._segments = [_segment_rule(p, caps) for p, caps in segment.items() if p]

    def capabilities(self, path: str) -> set[str]:
        """What `sys/capabilities` answers for this path (`{"deny"}` when nothing is granted)."""
        if path == "":
            raise ValueError("missing path")
        caps = self._lookup(path.lstrip("/"))
        if caps is None or DENY in caps or not caps:
            return {DENY}
        return set(caps)

    def _lookup(self, path: str) -> frozenset[str] | None:
        trimmed = path.removesuffix("/")
        if path in self._exact:
            return self._exact[path]
        if trimmed in self._exact:  # capabilities are computed as a LIST request
            return self._exact[trimmed]
        found = self._non_exact(path)
        if found is None and trimmed != path:
            found = self._non_exact(trimmed)
        return found

    def _non_exact(self, path: str) -> frozenset[str] | None:
        """The longest matching prefix rule, then the priority rules over `+` rules."""
        best: _Candidate | None = None
        for prefix, caps in self._prefixes:
            if path.startswith(prefix):
                best = _Candidate(len(prefix), True, 0, prefix, caps)
                break
        parts = path.split("/")
        for rule in self._segments:
            if rule.matches(parts):
                cand = _Candidate(rule.first_wildcard, rule.is_prefix, rule.wildcards, "/".join(rule.parts),
                                  rule.capabilities)
                if best is None or cand.priority() > best.priority():
                    best = cand
        return None if best is None else best.capabilities


def _segment_rule(path: str, caps: frozenset[str]) -> _SegmentRule:
    is_prefix = path.endswith("*")
    body = path[:-1] if is_prefix else path
    parts = tuple(body.split("/"))
    return _SegmentRule(parts, is_prefix, parts.count("+"), path.index("+"), caps)


def _as_parsed(policies: Sequence[str | ParsedPolicy]) -> list[ParsedPolicy]:
    return [p if isinstance(p, ParsedPolicy) else parse_policy(p, f"<policy {i}>") for i, p in enumerate(policies)]


def capabilities(policies: Sequence[str | ParsedPolicy], path: str) -> set[str]:
    """The capabilities a token holding all `policies` has on `path`, as the server says."""
    return ACL(_as_parsed(policies)).capabilities(path)


# --------------------------------------------------------------------------- facts

CLIENTS_SEGMENT = "clients"
PLATFORM_SEGMENTS = ("speedrun", "platform")
DEFAULT_MOUNTS = ("kv/data/", "secret/data/", "")
UNKNOWN_CLIENT = "kaze-probe-unknown-client"
"""Stands for "every client": a policy that reaches it reaches clients it does not name."""
PROBE_KEY = "kaze-probe-key"


def _values(resources: Iterable[Mapping[str, Any]] | Mapping[str, Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Accept the inventory's `resources` mapping or a plain list of resources."""
    if isinstance(resources, Mapping):
        return list(resources.values())
    return list(resources)


def _collect_policies(
    resources: list[Mapping[str, Any]], snapshot_policies: Mapping[str, str] | None
) -> list[tuple[str, str, str]]:
    """(name, source id, HCL) for VaultPolicy resources and the snapshot's policies.

    With `snapshot_policies` None, the policies of VaultSnapshot resources are used.
    """
    out: list[tuple[str, str, str]] = []
    for r in resources:
        obj = r.get("object") or {}
        if r.get("kind") == "VaultPolicy":
            out.append((str(r.get("name")), str(r.get("id")), str(obj.get("policy") or "")))
        elif r.get("kind") == "VaultSnapshot" and snapshot_policies is None:
            for name, text in sorted((obj.get("policies") or {}).items()):
                out.append((str(name), str(r.get("id")), str(text)))
    for name, text in sorted((snapshot_policies or {}).items()):
        out.append((str(name), "VaultSnapshot", str(text)))
    return out


def _mounts(parsed: Iterable[ParsedPolicy], segment: str) -> set[str]:
    """Every prefix that comes before a `segment` path segment in some policy, plus defaults."""
    found = set(DEFAULT_MOUNTS)
    for policy in parsed:
        for rule in policy.rules:
            parts = rule.path.split("/")
            for i, part in enumerate(parts):
                if part == segment:  # a `+` mount segment stands for KV v2's `data`
                    mount = ["data" if p == "+" else p for p in parts[:i]]
                    found.add("/".join(mount) + "/" if i else "")
    return found


def _keys_after(parsed: Iterable[ParsedPolicy], segments: tuple[str, ...], depth: int) -> set[str]:
    """Literal key paths named after `<segment>/<owner?>/`, so exact grants get probed too."""
    keys = {PROBE_KEY}
    for policy in parsed:
        for rule in policy.rules:
            parts = rule.path.rstrip("*").split("/")
            for i, part in enumerate(parts):
                rest = parts[i + 1 + depth :]
                if part in segments and rest and all(rest):
                    keys.add("/".join(PROBE_KEY if p == "+" else p for p in rest))
    return keys


def _clients(config: Mapping[str, Any] | None) -> list[str]:
    tenants = (config or {}).get("tenants") or []
    names = [str(t["name"]) for t in tenants if isinstance(t, Mapping) and t.get("name")]
    return sorted(set(names)) + [UNKNOWN_CLIENT]


@dataclass(frozen=True)
class _ClientProbes:
    """Every mount × client × (its folder and each known key), probed policy by policy."""

    mounts: tuple[str, ...]
    clients: tuple[str, ...]  # sorted, UNKNOWN_CLIENT last
    keys: tuple[str, ...]

    def of(self, policy: ParsedPolicy) -> Iterator[tuple[str, str]]:
        """(client, path) of the clients some rule of the policy may reach, in the order of
        `mounts` then `clients`; the others cannot be granted anything by it.

        Probing every client with every policy grew as tenants × policies: a cell that adds a
        tenant adds a policy too, which made the analysis quadratic in the cell's size.
        """
        for mount in self.mounts:
            base = f"{mount}{CLIENTS_SEGMENT}/"
            for client in self._reachable(policy, base):
                folder = f"{base}{client}/"
                yield client, folder
                for key in self.keys:
                    yield client, folder + key

    def _reachable(self, policy: ParsedPolicy, base: str) -> list[str]:
        """A superset of the clients whose folder under `base` a rule of the policy can match."""
        order = self._order
        picked = {order[UNKNOWN_CLIENT]}
        for rule in policy.rules:
            scope, text = _client_scope(rule, base)
            if scope == "every":
                return list(self.clients)
            if scope == "named" and text in order:
                picked.add(order[text])
            elif scope == "starting":
                i = bisect.bisect_left(self._sorted, text)
                while i < len(self._sorted) and self._sorted[i].startswith(text):
                    picked.add(order[self._sorted[i]])
                    i += 1
        return [self.clients[i] for i in sorted(picked)]

    @functools.cached_property
    def _order(self) -> dict[str, int]:
        return {client: i for i, client in enumerate(self.clients)}

    @functools.cached_property
    def _sorted(self) -> list[str]:
        return sorted(self.clients)


def _client_scope(rule: PathRule, base: str) -> tuple[str, str]:
    """Which clients' folders under `base` (`kv/data/clients/`) a rule may match: ("none", ""),
    ("named", client), ("starting", text) the clients whose name starts with it, or
    ("every", ""). Errs towards more: each client picked is then probed as before."""
    path = rule.path[:-1] if rule.is_prefix else rule.path
    if rule.has_segment_wildcard:
        parts, depth = path.split("/"), len(base.rstrip("/").split("/"))
        if len(parts) <= depth or parts[depth] == "+" or (rule.is_prefix and depth == len(parts) - 1):
            return "every", ""
        return "named", parts[depth]
    if path.startswith(base):
        rest = path[len(base):]
        client = rest.split("/", 1)[0]
        if "/" in rest or not rule.is_prefix:
            return "named", client
        return ("starting", client) if client else ("every", "")
    if rule.is_prefix and base.startswith(path):
        return "every", ""
    return "none", ""


def _client_probes(parsed: list[ParsedPolicy], clients: list[str]) -> _ClientProbes:
    return _ClientProbes(tuple(sorted(_mounts(parsed, CLIENTS_SEGMENT))), tuple(clients),
                         tuple(sorted(_keys_after(parsed, (CLIENTS_SEGMENT,), 1))))


def _platform_probes(parsed: list[ParsedPolicy]) -> list[str]:
    keys = sorted(_keys_after(parsed, PLATFORM_SEGMENTS, 0))
    mounts = set().union(*(_mounts(parsed, s) for s in PLATFORM_SEGMENTS))
    return [f"{m}{seg}/{k}" for m in sorted(mounts) for seg in PLATFORM_SEGMENTS for k in keys]


def analyze(
    resources: Iterable[Mapping[str, Any]] | Mapping[str, Mapping[str, Any]],
    config: Mapping[str, Any] | None,
    snapshot_policies: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """facts.vault_acl: per policy, which client and platform key paths it can read.

    Each policy is judged alone (an identity's reach is the union of its policies', which
    KZ-SOD-01 joins through the snapshot's entities). A policy that does not parse is
    listed under `errors`, never silently skipped: a control must not pass on it.
    """
    items = _values(resources)
    parsed: list[tuple[str, ParsedPolicy]] = []
    errors: list[dict[str, Any]] = []
    for name, source, text in _collect_policies(items, snapshot_policies):
        try:
            parsed.append((source, parse_policy(text, name)))
        except PolicyError as exc:
            errors.append({"policy": name, "source": source, "line": exc.line, "error": str(exc)})
    policies = [p for _, p in parsed]
    client_probes = _client_probes(policies, _clients(config))
    platform_probes = _platform_probes(policies)
    client_access: list[dict[str, Any]] = []
    secret_readers: list[dict[str, Any]] = []
    for source, policy in parsed:
        acl = ACL([policy])
        for client, path in client_probes.of(policy):
            caps = acl.capabilities(path)
            if caps & READ_CAPS:
                entry = {"policy": policy.name, "source": source, "client": client, "path": path,
                         "capabilities": sorted(caps), "all_clients": client == UNKNOWN_CLIENT}
                client_access.append(entry)
                if "read" in caps:
                    secret_readers.append({"policy": policy.name, "source": source, "path": path,
                                           "capabilities": sorted(caps), "scope": "client", "client": client})
        for path in platform_probes:
            caps = acl.capabilities(path)
            if "read" in caps:
                secret_readers.append({"policy": policy.name, "source": source, "path": path,
                                       "capabilities": sorted(caps), "scope": "platform", "client": None})
    return {"client_access": client_access, "secret_readers": secret_readers, "errors": errors,
            "unknown_client": UNKNOWN_CLIENT}
