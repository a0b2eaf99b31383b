"""The Vault ACL analyzer against the judge: a real OpenBao server.

Every case writes policies to a dev server, makes a token holding exactly those policies,
and asks the server `sys/capabilities` for a batch of paths; the analyzer must give the
same set for every path, and must refuse exactly the policies the server refuses. Cases are
hand-picked corner cases plus hypothesis-generated policies over a small alphabet (so that
paths collide and the priority rules are exercised) and paths derived from them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaze_policy.analysis.vault_acl import ACL, PolicyError, parse_policy

try:
    from tests.analysis import openbao as harness
    from tests.analysis.openbao import OpenBao, OpenBaoError, openbao  # the fixture, used by name
except ImportError:  # run with tests/analysis on sys.path but not the repo root
    import openbao as harness  # type: ignore[no-redef]
    from openbao import OpenBao, OpenBaoError, openbao  # type: ignore[no-redef]  # noqa: F401

pytestmark = pytest.mark.needs_bao

# `make fuzz` (KAZE_FUZZ=1) a budget ten times larger; KAZE_OPENBAO_EXAMPLES sets it.
GENERATED_EXAMPLES = int(os.environ.get("KAZE_OPENBAO_EXAMPLES", 3000 if os.environ.get("KAZE_FUZZ") == "1" else 300))
RIVAL_EXAMPLES = GENERATED_EXAMPLES // 2
MIN_COMPARED = 500


@dataclass
class Tally:
    """How many (policy set, path) answers were compared with the server, and how."""

    compared: int = 0
    generated_examples: int = 0
    rejected_policies: int = 0
    granted: int = 0  # answers other than deny: the cases where matching really happened
    disagreements: list[str] = field(default_factory=list)


TALLY = Tally()


def compare(server: OpenBao, policies: Sequence[str], paths: Sequence[str]) -> None:
    """Load `policies` into the server and the analyzer, compare every path's answer."""
    names = [f"kz{i}" for i in range(len(policies))]
    server_error = analyzer_error = None
    for name, text in zip(names, policies, strict=True):
        try:
            server.write_policy(name, text)
        except OpenBaoError as exc:
            server_error = exc
            break
    parsed = []
    for name, text in zip(names, policies, strict=True):
        try:
            parsed.append(parse_policy(text, name))
        except PolicyError as exc:
            analyzer_error = exc
            break
    if server_error or analyzer_error:
        TALLY.compared += 1
        TALLY.rejected_policies += 1
        assert bool(server_error) == bool(analyzer_error), (
            f"policies {list(policies)!r}: server error {server_error}, analyzer error {analyzer_error}"
        )
        return
    token = server.create_token(names)
    unique = list(dict.fromkeys(p for p in paths if p))
    answers = server.capabilities(token, unique)
    acl = ACL(parsed)
    for path in unique:
        mine = acl.capabilities(path)
        TALLY.compared += 1
        TALLY.granted += answers[path] != {"deny"}
        if mine != answers[path]:
            TALLY.disagreements.append(
                f"{list(policies)!r} {path!r}: server {sorted(answers[path])}, analyzer {sorted(mine)}")
        assert mine == answers[path], TALLY.disagreements[-1]


def rule(path: str, *caps: str) -> str:
    """One `path` block in HCL."""
    return f'path {json.dumps(path)} {{ capabilities = {json.dumps(list(caps))} }}\n'


# Corner cases found while probing the server, each a (policies, paths) pair.
CORNER_CASES: list[tuple[list[str], list[str]]] = [
    # the docs' priority rules, one at a time
    ([rule("secret/*", "read"), rule("secret/+/foo", "update")], ["secret/a/foo", "secret/a/bar", "secret/a/foo/"]),
    ([rule("+/a/+", "update"), rule("+/+/b", "create")], ["x/a/b", "x/a/b/", "x/c/b", "x/a/c"]),
    ([rule("kv/data/+/*", "read"), rule("kv/data/acme/*", "list")], ["kv/data/acme/k", "kv/data/globex/k"]),
    ([rule("kv/+/clients/*", "read"), rule("kv/data/+/acme", "update")], ["kv/data/clients/acme", "kv/x/clients/acme"]),
    ([rule("a/+/c", "read"), rule("a/+/c*", "list")], ["a/b/c", "a/b/cd", "a/b/c/"]),
    ([rule("a/+/+", "read"), rule("a/b/+", "list")], ["a/b/c", "a/x/c"]),
    ([rule("a/+/+", "read"), rule("a/+/b", "list")], ["a/x/b", "a/x/c"]),
    ([rule("a/b", "read"), rule("a/b*", "update")], ["a/b", "a/b/", "a/bc", "a/b/c"]),
    # a prefix rule against a `+` rule ending in `*`: fewer `+` wins before longer
    ([rule("secret/*", "read"), rule("secret/+/foo*", "list")], ["secret/a/foo", "secret/a/foobar", "secret/a/bar"]),
    # the text decides last, compared with its `/` (a `0` sorts after `/`, before letters)
    ([rule("+/+0/+", "read"), rule("+/+/cc", "list")], ["x/+0/cc", "x/+0/c"]),
    # trailing slashes: one is trimmed for exact and `+` rules, not for prefixes
    ([rule("q/*", "read"), rule("q/y", "update"), rule("r/*", "read"), rule("r/+", "delete")],
     ["q/y/", "q/y//", "r/y/", "r/y"]),
    ([rule("t/+/", "create"), rule("t/+", "delete"), rule("u/+", "delete"), rule("u/")],
     ["t/a/", "t/a", "t/a//", "u/", "u//", "u/x/"]),
    # leading slashes: one dropped from the policy path, all from the request path
    ([rule("/lead", "read"), rule("//dbl", "read")], ["lead", "/lead", "///lead", "dbl", "/dbl", "//dbl"]),
    # textual `+` detection, `+` inside a segment, root paths
    ([rule("a/+c", "read"), rule("b+/x", "list"), rule("+", "sudo"), rule("", "patch")],
     ["a/+c", "a/bc", "b+/x", "zz", "/", "zz/"]),
    ([rule("a/*", "read"), rule("a/+x", "list")], ["a/+x/", "a/+x", "a/y"]),
    # merging: union across policies, deny wins, empty capabilities shadow prefixes
    ([rule("kv/*", "read"), rule("kv/*", "list"), rule("kv/x", "deny"), rule("kv/y")],
     ["kv/a", "kv/x", "kv/y", "kv/y/"]),
    (['path "m" { capabilities = ["read"]\ncapabilities = ["list"] }', 'path "m" { policy = "write" }'], ["m"]),
    (['path "n" { capabilities = ["sudo"], policy = "read" }', 'path "o" { capabilities = ["deny", "read"] }'],
     ["n", "o"]),
    (['path "p" "extra" { capabilities = ["scan", "patch"] }', '{"path": {"j/*": {"capabilities": ["read"]}}}'],
     ["p", "j/x", "p/extra"]),
    # JSON: `name` before `path`; numbers, booleans and objects among a block's values
    (['{"name": "j", "path": {"j/*": {"capabilities": ["read"], "pagination_limit": 5, '
      '"allowed_parameters": {"k": [true, 1]}}}}', 'path "b" { capabilities = ["list"]\n'
      '  allowed_parameters = { "flag" = [true, false] } }'], ["j/x", "b"]),
    # escapes in a quoted string (a surrogate reads as U+FFFD); a `<<-` heredoc, its end indented
    (['path "k\\u0076/\\U00000061\\x2f\\142\\tc\\a\\v\\"\\\\" { capabilities = ["read"] }',
      'path "s\\uD800" { capabilities = ["update"] }',
      'path "y" {\n  comment = <<-EOT\n    x\n    EOT\n  capabilities = ["list"]\n}'],
     ["kv/a/b\tc\a\v\"\\", "s\ufffd", "y"]),
    # booleans as values
    (['path "c" { capabilities = ["update"], comment = true }', 'path "d" { comment = false }'], ["c"]),
    # a policy's name is a string or an integer
    (['name = <<EOT\nn\nEOT\npath "n" { capabilities = ["read"] }', 'name = -5', '{"name": 5, "path": {}}'], ["n"]),
    # refused by the server, so by the analyzer
    (['name = 1.5'], ["x"]),
    (['path "x" { comment = foo }'], ["x"]),
    (['name = true'], ["x"]),
    (['{"name": true, "path": {}}'], ["x"]),
    (['name = { a = 1 }'], ["x"]),
    (['path "x\\q" { capabilities = ["read"] }'], ["x"]),
    (['path "x\\/" { capabilities = ["read"] }'], ["x/"]),
    (['path "x\\x4" { capabilities = ["read"] }'], ["x"]),
    (['path "x\\u12g4" { capabilities = ["read"] }'], ["x"]),
    (['path "x" {\n  comment = <<EOT\n  x\n'], ["x"]),
    (['{"path": {"x": {"capabilities": [1]}}}'], ["x"]),
    (['path "x" { capabilities = ["read", }'], ["x"]),
    (['path "x" { capabilities = ["read" }'], ["x"]),
    ([rule("kv/+*", "read")], ["kv/x"]),
    ([rule("x", "subscribe")], ["x"]),
    (['path "x" { capabilities = ["read"] bogus = 1 }'], ["x"]),
    (['path "x" { capabilities = "read" }'], ["x"]),
    (['path "x" { capabilities = ["read"] } junk'], ["x"]),
]


@pytest.mark.parametrize("policies,paths", CORNER_CASES)
def test_corner_cases_agree_with_openbao(openbao: OpenBao, policies: list[str], paths: list[str]) -> None:
    compare(openbao, policies, paths)


# ---------------------------------------------------------------- generated cases

SEGMENTS = ["clients", "acme", "globex", "kv", "data", "secret", "+", "+", "acm", "a", "b", "a+b", "+x"]
SUFFIXES = ["", "", "*", "/*", "/", "*"]
CAPS = ["read", "list", "create", "update", "delete", "sudo", "patch", "scan", "deny"]


@st.composite
def policy_paths(draw: st.DrawFn) -> str:
    """A path over the small alphabet, so that several rules match the same request."""
    parts = draw(st.lists(st.sampled_from(SEGMENTS), min_size=1, max_size=4))
    path = "/".join(parts) + draw(st.sampled_from(SUFFIXES))
    if draw(st.integers(0, 20)) == 0:
        path = "/" + path
    return path


@st.composite
def policies(draw: st.DrawFn) -> str:
    caps = st.lists(st.sampled_from(CAPS), max_size=3)
    rules = draw(st.lists(st.tuples(policy_paths(), caps), min_size=1, max_size=4))
    return "".join(rule(p, *caps) for p, caps in rules)


def _concrete(draw: st.DrawFn, path: str) -> str:
    """A request path this policy path may or may not match: fill `+`, extend or cut `*`."""
    fill = st.sampled_from(["acme", "globex", "clients", "data", "a", "b", "+"])
    parts = [draw(fill) if p == "+" else p for p in path.lstrip("/").split("/")]
    out = "/".join(parts)
    if out.endswith("*"):
        out = out[:-1] + draw(st.sampled_from(["", "e", "me", "/k", "/a/b", "e/data"]))
    lead = "/" if draw(st.integers(0, 15)) == 0 else ""
    return lead + out + draw(st.sampled_from(["", "", "", "/", "/key", "//"]))


def _shuffled(draw: st.DrawFn, path: str) -> str:
    """The same segments in another order: same length and `+` count, so that only the
    position of the first wildcard, or at last the text itself, decides between the two."""
    suffix = "*" if path.endswith("*") else ""
    parts = path.lstrip("/").removesuffix("*").split("/")
    return "/".join(draw(st.permutations(parts))) + suffix


@st.composite
def cases(draw: st.DrawFn) -> tuple[list[str], list[str]]:
    texts = draw(st.lists(policies(), min_size=1, max_size=3))
    rule_paths = [line.split('"')[1] for t in texts for line in t.splitlines()]
    if draw(st.booleans()):  # a rival policy: the same segments rearranged
        rivals = [_shuffled(draw, draw(st.sampled_from(rule_paths))) for _ in range(draw(st.integers(1, 3)))]
        texts.append("".join(rule(p, *draw(st.lists(st.sampled_from(CAPS), max_size=2))) for p in rivals))
        rule_paths += rivals
    derived = [_concrete(draw, draw(st.sampled_from(rule_paths))) for _ in range(draw(st.integers(4, 10)))]
    free = draw(st.lists(policy_paths().map(lambda p: p.lstrip("/").rstrip("*") or "x"), max_size=3))
    return texts, derived + free


@settings(
    max_examples=GENERATED_EXAMPLES,
    deadline=None,
    database=None,
    derandomize=os.environ.get("CI") == "true",
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=cases())
def test_generated_policies_agree_with_openbao(openbao: OpenBao, case: tuple[list[str], list[str]]) -> None:
    texts, paths = case
    TALLY.generated_examples += 1
    compare(openbao, texts, paths)


# A tight alphabet where every request matches many rules at once: the priority rules
# (first wildcard, trailing `*`, number of `+`, length, text) decide nearly every answer.
TIGHT = ["+", "+", "a", "b", "ab"]


@st.composite
def rivals(draw: st.DrawFn) -> tuple[list[str], list[str]]:
    """Rules that are rearrangements of one another, and requests that fill their `+`."""
    # one-letter literals: every rearrangement has the same length and number of `+`
    base = ["+"] * draw(st.integers(1, 2)) + draw(st.lists(st.sampled_from(["a", "b"]), min_size=1, max_size=2))
    suffix = draw(st.sampled_from(["", "", "*", "/*"]))
    paths = []
    for _ in range(draw(st.integers(2, 6))):
        flips = draw(st.lists(st.sampled_from(["+", "a", "b", None]), min_size=len(base), max_size=len(base)))
        body = "/".join(f or p for p, f in zip(draw(st.permutations(base)), flips, strict=True))  # same length
        paths.append(body + ("/*" if suffix == "*" and body.endswith("+") else suffix))
    paths += ["/".join(draw(st.lists(st.sampled_from(TIGHT), min_size=1, max_size=4)))
              + draw(st.sampled_from(["", "*"]))
              for _ in range(draw(st.integers(0, 2)))]
    caps = st.lists(st.sampled_from(CAPS[:-1]), min_size=1, max_size=2)
    split = draw(st.integers(1, len(paths)))
    texts = ["".join(rule(p, *draw(caps)) for p in chunk) for chunk in (paths[:split], paths[split:]) if chunk]
    requests = []
    for _ in range(12):
        parts = draw(st.sampled_from(paths)).removesuffix("*").split("/")
        filled = "/".join(draw(st.sampled_from(["a", "b", "ab"])) if p == "+" else p for p in parts)
        requests.append(filled + draw(st.sampled_from(["", "", "", "c", "/a", "/"])))
    return texts, requests


@settings(
    max_examples=RIVAL_EXAMPLES,
    deadline=None,
    database=None,
    derandomize=os.environ.get("CI") == "true",
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=rivals())
def test_rival_rules_agree_with_openbao(openbao: OpenBao, case: tuple[list[str], list[str]]) -> None:
    texts, paths = case
    TALLY.generated_examples += 1
    compare(openbao, texts, paths)


def test_missing_bao_skips_locally_but_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the judge the comparison cannot pass: a skip on a laptop, a failure in CI."""
    monkeypatch.setattr(harness, "find_bao", lambda: None)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="bao"):
        harness.require_bao()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        harness.require_bao()


def test_report_compared_cases(capsys: pytest.CaptureFixture[str]) -> None:
    """Runs last in this module: how much the server judged, shown even without -s."""
    with capsys.disabled():
        print(f"\n[openbao] compared {TALLY.compared} (policy set, path) cases with the real server "
              f"({TALLY.granted} granted something, {TALLY.rejected_policies} policy sets refused by both), "
              f"{len(TALLY.disagreements)} disagreements")
    assert not TALLY.disagreements
    if TALLY.generated_examples >= GENERATED_EXAMPLES + RIVAL_EXAMPLES:  # the whole module ran, not a selection
        assert TALLY.compared >= MIN_COMPARED, f"only {TALLY.compared} cases compared"
