"""`kaze-policy scan` reads manifests as kubectl does: YAML 1.1 booleans, tags, merge keys,
a byte order mark, a single-quoted scalar closed at its key's indent. Each case is a
KZ-TEN-05 failing fixture respelt the way kubectl still reads as host access."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kaze_policy.errors import InputError
from kaze_policy.sources.yaml_stream import load_stream
from tests.conftest import FIXTURES, require_tool, run_cli

CASES = FIXTURES / "KZ-TEN-05" / "fail"


def scan_case(tmp_path: Path, case: str, old: str, new: str) -> dict:
    """Scan a copy of a failing KZ-TEN-05 case whose workload says `old` as `new` (the first
    line outside comments that starts with `old` after its indent)."""
    target = tmp_path / case
    shutil.copytree(CASES / case, target)
    shutil.copy(FIXTURES / "kaze-policy.yaml", tmp_path / "kaze-policy.yaml")
    workload = target / "workload.yaml"
    lines = workload.read_text().splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.lstrip().startswith(old) and not line.startswith("#"))
    lines[at] = lines[at].replace(old, new, 1)
    workload.write_text("".join(lines))
    result = run_cli("scan", str(target), "--format", "json")
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


def status(report: dict, control: str) -> str:
    return next(c["status"] for c in report["controls"] if c["id"] == control)


@pytest.mark.parametrize("case, old, new", [
    ("hostpid-statefulset", "hostPID: true", "hostPID: On"),
    ("hostnetwork-deployment", "hostNetwork: true", "hostNetwork: yes"),
    ("hostipc-pod-shared-plane", "hostIPC: true", "hostIPC: Y"),
    ("privileged-init-container-cronjob", "privileged: true", "privileged: True"),
    ("privileged-init-container-cronjob", "privileged: true", 'privileged: !!bool "true"'),
    ("hostnetwork-deployment", "hostNetwork: true", "hostNetwork: &on ON"),  # an anchor elsewhere
])
def test_yaml_1_1_spellings_of_true_are_host_access(tmp_path: Path, case: str, old: str, new: str) -> None:
    assert status(scan_case(tmp_path, case, old, new), "KZ-TEN-05") == "fail"


@pytest.mark.parametrize("new", ["hostPID: Off", "hostPID: no", "hostPID: !!bool false"])
def test_yaml_1_1_spellings_of_false_are_not(tmp_path: Path, new: str) -> None:
    assert status(scan_case(tmp_path, "hostpid-statefulset", "hostPID: true", new), "KZ-TEN-05") == "pass"


PRIVILEGED_BY_MERGE = """      initContainers:
      - name: init
        image: registry.kaze.io/kaze/init@sha256:0000000000000000000000000000000000000000000000000000000000000000
        securityContext:
          <<: &privileged {privileged: true}
          privileged: false
          allowPrivilegeEscalation: false
          readOnlyRootFilesystem: true
          capabilities: {drop: [ALL]}
      containers:
"""


def test_a_merge_key_after_an_explicit_key_wins_as_in_kubectl(tmp_path: Path) -> None:
    """`privileged: false` then `<<: *privileged`: kubectl (go-yaml v2) applies keys in order,
    so the merged `privileged: true` wins; PyYAML let the explicit key win."""
    report = scan_case(tmp_path, "hostpid-statefulset", "hostPID: true", "hostPID: false")
    assert status(report, "KZ-TEN-05") == "pass"  # the twin without the merge passes
    workload = tmp_path / "hostpid-statefulset" / "workload.yaml"
    text = workload.read_text().replace("      containers:\n", PRIVILEGED_BY_MERGE, 1)
    text = text.replace("        securityContext:\n          allowPrivilegeEscalation: false",
                        "        securityContext:\n          privileged: false\n          <<: *privileged\n"
                        "          allowPrivilegeEscalation: false", 1)
    assert "<<: *privileged" in text
    workload.write_text(text)
    result = run_cli("scan", str(workload.parent), "--format", "json")
    assert result.returncode in (0, 1), result.stderr
    assert status(json.loads(result.stdout), "KZ-TEN-05") == "fail"


def test_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    scan_case(tmp_path, "hostpid-statefulset", "hostPID: true", "hostPID: true")
    workload = tmp_path / "hostpid-statefulset" / "workload.yaml"
    workload.write_bytes(b"\xef\xbb\xbf" + workload.read_bytes())
    result = run_cli("scan", str(workload.parent), "--format", "json")
    assert result.returncode in (0, 1), result.stderr
    assert status(json.loads(result.stdout), "KZ-TEN-05") == "fail"


def test_a_single_quoted_scalar_closed_at_its_keys_indent_is_read(tmp_path: Path) -> None:
    """rapidyaml refuses it, libyaml and kubectl read it: retried before calling it bad input."""
    report = scan_case(tmp_path, "hostpid-statefulset", "labels:",
                       "annotations:\n    kaze.io/note: 'holds the graph\n    of every tenant'\n  labels:")
    assert status(report, "KZ-TEN-05") == "fail"


def test_documents_keep_their_lines_when_some_need_go_yaml_rules() -> None:
    docs = load_stream(b"a: 1\n---\n# c\nb: yes\n---\nc: 2.0\n--- # end\n", "s.yaml")
    assert [(d.value, d.line) for d in docs] == [({"a": 1}, 1), ({"b": True}, 4), ({"c": 2}, 6)]
    with pytest.raises(InputError) as err:
        load_stream(b"a: 1\n---\nb: 2\n---\n\nc: !!int x\n", "s.yaml")
    assert err.value.line == 6 and "!!int" in err.value.message


# --- go-yaml v2's rules, value by value ----------------------------------------------------------
# What kubectl makes of each stream: its documents, or a refusal (line, message). The table is
# checked against kubectl's own decoder by test_the_go_yaml_table_is_kubectls_reading; types
# are strict (1e21 stays a float, 2e20 is an integer).

@dataclass(frozen=True)
class Refusal:
    line: int
    message: str
    kubectl: str = "same"  # kubectl refuses it with this message; "other": with another one;
                           # "reads": kubectl reads it, we refuse it (see go_yaml.py's docstring)


def timestamp(text: str) -> tuple[str, list[Any]]:
    return f"a: !!timestamp {text}\n", [{"a": text}]


def bad_timestamp(text: str) -> tuple[str, Refusal]:
    return f"a: !!timestamp {text}\n", Refusal(1, f"cannot decode !!str `{text}` as a !!timestamp")


def bad_binary(text: str) -> tuple[str, Refusal]:
    return f"a: !!binary {text}\n", Refusal(1, "!!binary value contains invalid base64 data")


ALIASES = ("a: &a [" + ",".join(["1"] * 10) + "]\nb: &b [" + ",".join(["*a"] * 10) + "]\n"
           "c: &c [" + ",".join(["*b"] * 10) + "]\n")
SLOW = "t: !!str t\n"  # a tag: the document goes to go_yaml.py


def deep_merge(levels: int, merged: str = "*x", depth: int = 1) -> str:
    """`merged` (an alias of a mapping `depth` levels deep) merged under `levels` flow mappings."""
    return (SLOW + "x: &x " + "{k: " * depth + "v" + "}" * depth + "\nz: " + "{a: " * levels
            + "{<<: " + merged + "}" + "}" * levels + "\n")


def nested(levels: int, value: Any, key: str = "a") -> Any:
    for _ in range(levels):
        value = {key: value}
    return value

GO_YAML_READINGS: list[tuple[str, list[Any] | Refusal]] = [
    # a `!!timestamp` is a date Go's time.Parse takes: each field in its range, 29 February in
    # leap years only, a zone offset up to +24:00 and +00:60 (Go checks it with >)
    timestamp("2001-12-14T23:59:59Z"), timestamp("2001-12-14 23:59:59"), timestamp("2001-02-28"),
    timestamp("2000-02-29"), timestamp("2004-02-29"),
    timestamp("2001-12-14T00:00:00+24:00"), timestamp("2001-12-14T00:00:00+00:60"),
    *map(bad_timestamp, [
        "2001-12-14T24:00:00Z", "2001-12-14T23:60:00Z", "2001-12-14T23:59:60Z", "2001-12-14T24:00:00+00:00",
        "2001-12-14 24:00:00", "2001-12-14 23:60:00", "2001-12-14 23:00:60",
        "2002-13-01", "2002-00-01", "2002-12-00", "1900-02-29", "2001-02-29", "2100-02-29",
        "2001-12-14T00:00:00+25:00", "2001-12-14T00:00:00+00:61", "2001-12-14T00:00:00+25:60"]),
    # `!!binary` is Go's base64.StdEncoding: line breaks (\r too) skipped, padding required,
    # nothing after it, no other character
    ('a: !!binary "c2hh\\r\\ncmVk"\n', [{"a": "shared"}]),
    ('a: !!binary "c2hh\\rcmVk"\n', [{"a": "shared"}]),
    *map(bad_binary, ["c2hhcmVk=", "c2h=cmVk", '"YQ==YQ=="', '"c2hh    "', '"c2hh\\tcmVk"', '"c2hh!mVk"']),
    ("a: 1\nb: !!binary x===\n", Refusal(2, "!!binary value contains invalid base64 data")),
    # a merge key takes a mapping, an alias of one, or a sequence of them: not an alias of a
    # sequence, nor a scalar
    ("s: &s [{a: 1}]\nm:\n  <<: *s\n", Refusal(3, "map merge requires map or sequence of maps as the value")),
    ("m:\n  <<: 1\n", Refusal(2, "map merge requires map or sequence of maps as the value")),
    # go-yaml's aliasing ratio: past 1,000 nodes, more than 99 % of them decoded through aliases
    # is refused (here 99.5 %); 97 % is read
    (ALIASES + "d: [" + ",".join(["*c"] * 10) + "]\n", Refusal(1, "document contains excessive aliasing")),
    (ALIASES + "d: 1\n", [{"a": [1] * 10, "b": [[1] * 10] * 10, "c": [[[1] * 10] * 10] * 10, "d": 1}]),
    # integers as strconv.ParseInt, then ParseUint, read them (base prefixes, a leading 0 for
    # octal, `_` dropped, 0b beyond 64 bits a string); a decimal beyond them a float
    (SLOW + "a: 0x1F\nb: 0o17\nc: 0644\nd: -0x10\ne: 0b1010\nf: -0b11\ng: 1_000\nh: 08\ni: -0644\n"
            "j: 0X1f\nk: 0B11\nl: 0O17\n",
     [{"t": "t", "a": 31, "b": 15, "c": 420, "d": -16, "e": 10, "f": -3, "g": 1000, "h": 8, "i": -420, "j": 31,
       "k": 3, "l": 15}]),
    (SLOW + "a: 18446744073709551615\nb: +18446744073709551615\nc: -9223372036854775808\n"
            "d: -9223372036854775809\ne: 9223372036854775807\nf: +9223372036854775808\n",
     [{"t": "t", "a": 18446744073709551615, "b": 18446744073709552000, "c": -9223372036854775808,
       "d": -9223372036854776000, "e": 9223372036854775807, "f": 9223372036854776000}]),
    (SLOW + f"a: 0b1{'0' * 64}\nb: -0b1{'0' * 63}\nc: -0b1{'0' * 62}1\nd: 0b{'1' * 64}\n",
     [{"t": "t", "a": f"0b1{'0' * 64}", "b": -9223372036854775808, "c": f"-0b1{'0' * 62}1",
       "d": 18446744073709551615}]),
    (SLOW + "a: 123456789012345678901234\nb: 0x\nc: 0b2\nd: .x\ne: 1.2.3\nf: +.5\ng: -.5e1\nh: 1e400\n",
     [{"t": "t", "a": 1.2345678901234569e+23, "b": "0x", "c": "0b2", "d": ".x", "e": "1.2.3", "f": 0.5, "g": -5,
       "h": "1e400"}]),
    # tags: an integer may be a !!float (an int64), nothing else changes its kind
    (SLOW + "a: !!float 1\nb: !!float 0x10\nc: !!str 0x10\nd: !custom 5\ne: ! 5\nf: <<\n",
     [{"t": "t", "a": 1, "b": 16, "c": "0x10", "d": "5", "e": "5", "f": "<<"}]),
    (SLOW + "a: !!float 18446744073709551615\n", Refusal(2, "cannot decode !!int `18446744073709551615` as a !!float")),
    (SLOW + "a: !!int 1.5\n", Refusal(2, "cannot decode !!float `1.5` as a !!int")),
    (SLOW + "a: !!null x\n", Refusal(2, "cannot decode !!str `x` as a !!null")),
    (SLOW + "a: !!float 1e400\n", Refusal(2, "cannot decode !!str `1e400` as a !!float")),
    # keys made strings: a boolean, an int64, an integral float; others refused
    (SLOW + "true: 1\nno: 2\n7: 3\n1.0: 4\n-0.0: 5\n-9223372036854775808: 6\n",
     [{"t": "t", "true": 1, "false": 2, "7": 3, "1": 4, "-0": 5, "-9223372036854775808": 6}]),
    (SLOW + "18446744073709551615: a\n", Refusal(1, "unsupported map key: 18446744073709551615", "other")),
    (SLOW + "1.5: a\n", Refusal(1, "unsupported map key: 1.5", "reads")),
    (SLOW + '1: a\n"1": b\n', Refusal(1, "duplicate key '1' in one mapping", "reads")),
    # anchors and merges: earlier maps of a merged sequence win, explicit keys after them win
    (SLOW + "a: &x {p: 1, q: 1}\nb: &y {q: 2, r: 2}\nc:\n  <<: [*x, *y]\n  s: 3\n  r: 4\nd:\n  <<: {p: 9}\n",
     [{"t": "t", "a": {"p": 1, "q": 1}, "b": {"q": 2, "r": 2}, "c": {"p": 1, "q": 1, "r": 4, "s": 3}, "d": {"p": 9}}]),
    (SLOW + "a: &x {p: 1}\nb:\n  <<: [{p: 7, q: 7}, *x]\n", [{"t": "t", "a": {"p": 1}, "b": {"p": 7, "q": 7}}]),
    (SLOW + "b:\n  <<: [{p: 7}, 1]\n", Refusal(3, "map merge requires map or sequence of maps as the value")),
    # the depth limit counts what a merged alias expands to: its value at 64 levels is read, at 65 not
    (deep_merge(61), [{"t": "t", "x": {"k": "v"}, "z": nested(61, {"k": "v"})}]),
    (deep_merge(62), Refusal(2, "document nested deeper than 64 levels", "reads")),
    (deep_merge(32, "[*x]", 30), [{"t": "t", "x": nested(30, "v", "k"), "z": nested(32, nested(30, "v", "k"))}]),
    (deep_merge(33, "[*x]", 30), Refusal(2, "document nested deeper than 64 levels", "reads")),
    (SLOW + "a: &a [*a]\n", Refusal(2, "anchor 'a' value contains itself")),
    (SLOW + "a: *nope\n", Refusal(2, "unknown anchor 'nope' referenced")),
    (SLOW + "a: " + "[" * 70 + "]" * 70 + "\n", Refusal(2, "document nested deeper than 64 levels", "reads")),
    # a float is what Go's json.Marshal writes: integral below 1e21 as its shortest digits
    # padded with zeros, an integer; from 1e21 on a float
    ("a: 1e21\n", [{"a": 1e21}]),
    ("a: 2e20\n", [{"a": 200000000000000000000}]),
    ("a: 123456789012345678901.0\n", [{"a": 123456789012345680000}]),
    ("a: 9007199254740993.0\n", [{"a": 9007199254740992}]),
    # the same numbers where a tag sends the document to go_yaml.py
    ("x: !!str y\na: 1.5\nb: .5\nc: 123456789012345678901.0\nd: 1e21\ne: -2.5e3\n",
     [{"x": "y", "a": 1.5, "b": 0.5, "c": 123456789012345680000, "d": 1e21, "e": -2500}]),
]


def canonical(value: Any) -> str:
    """Type-strict: 1, 1.0 and True are three answers."""
    return json.dumps(value, sort_keys=True)


@pytest.mark.parametrize("stream, expected", GO_YAML_READINGS, ids=[s for s, _ in GO_YAML_READINGS])
def test_go_yaml_scalar_rules_read_as_kubectl(stream: str, expected: list[Any] | Refusal) -> None:
    if isinstance(expected, Refusal):
        with pytest.raises(InputError) as err:
            load_stream(stream.encode(), "s.yaml")
        assert (err.value.line, err.value.message) == (expected.line, expected.message)
    else:
        assert canonical([doc.value for doc in load_stream(stream.encode(), "s.yaml")]) == canonical(expected)


# A stream that starts with a JSON value and goes on otherwise: kubectl reads the first value
# as JSON and the rest as YAML (after two JSON values it refuses the stream). Each document
# with its line; a Pod there was once dropped without a word.
JSON_THEN_YAML: list[tuple[str, list[tuple[Any, int]]]] = [
    ('{"kind": "List"}\nkind: Pod\nspec: {hostNetwork: yes}\n',
     [({"kind": "List"}, 1), ({"kind": "Pod", "spec": {"hostNetwork": True}}, 2)]),
    ('{"a": 1}\n\n{"b": yes}\n---\n{"c": 2}\n', [({"a": 1}, 1), ({"b": True}, 3), ({"c": 2}, 5)]),
    ('{"a": 1} {"b": -Infinity}\n', [({"a": 1}, 1), ({"b": "-Infinity"}, 1)]),
    ('{"a": 1}\n  b: 2\n  c: 3\n', [({"a": 1}, 1), ({"b": 2, "c": 3}, 2)]),  # the indent is kept
    ('{"a": 1}\n- x\n', [({"a": 1}, 1), (["x"], 2)]),
    ('{"a": NaN}\n', [({"a": "NaN"}, 1)]),  # not JSON: all of it is YAML
]


# kubectl's documents: `---` lines (one with other text refused), `...`, directives (refused
# after a `---`: kubectl reads a document start), anchors, duplicate keys (kubectl keeps the
# last silently, we refuse), numbers rapidyaml reads as YAML 1.2 and Go otherwise. Lines too.
STREAM_READINGS: list[tuple[str, list[tuple[Any, int]] | Refusal]] = [
    *JSON_THEN_YAML,
    ("a: 1e400\nb: -9223372036854775809\nc: 123456789012345678901234\nd: 18446744073709551616\n",
     [({"a": "1e400", "b": -9223372036854776000, "c": 1.2345678901234569e+23, "d": 18446744073709552000}, 1)]),
    # plain scalars rapidyaml (YAML 1.2) reads otherwise than go-yaml: found in its output, and
    # the document read again by go_yaml.py; a quoted one stays a string
    ("a: 0644\nb: yes\nc: 1_000\nd: ~\ne: 0x1F\nf: +12\ng: 1.0\nh: Null\ni: NO\nj: 0o17\nk: -.5\n"
     "l: 012345678901234567\nm: '0644'\no: \"yes\"\np: 123\nq: \"123\"\nr: Off\ns: <<\n",
     [({"a": 420, "b": True, "c": 1000, "d": None, "e": 31, "f": 12, "g": 1, "h": None, "i": False, "j": 15, "k": -0.5,
        "l": 12345678901234568, "m": "0644", "o": "yes", "p": 123, "q": "123", "r": False, "s": "<<"}, 1)]),
    # keys too: only a plain decimal of up to 18 digits reads alike in both
    ("0123: a\n-0: b\n123: c\n123456789012345678: d\n1234567890123456789: e\nyes: f\n1.0: g\n",
     [({"83": "a", "0": "b", "123": "c", "123456789012345678": "d", "1234567890123456789": "e", "true": "f", "1": "g"},
       1)]),
    ("12345678901234567890: a\n", Refusal(1, "unsupported map key: 12345678901234567890", "other")),
    # one such key alone in its document (each document is judged alone)
    ("0123: a\n---\n-0: b\n---\n<<: {a: 1}\nb: 2\n---\n123456789012345678: d\n---\nc: [1, 2]\n",
     [({"83": "a"}, 1), ({"0": "b"}, 3), ({"a": 1, "b": 2}, 5), ({"123456789012345678": "d"}, 8), ({"c": [1, 2]}, 10)]),
    ("9999999999999999999: a\n", Refusal(1, "unsupported map key: 9999999999999999999", "other")),
    ("a:\t1\nb:\t2\n", [({"a": 1, "b": 2}, 1)]),  # a tab after `:` (rapidyaml reads one string)
    ("a: x&y\nb: x*y\nc: [&q 1, *q]\n", [({"a": "x&y", "b": "x*y", "c": [1, 1]}, 1)]),
    ("a: 1\n...\n---\nb: 2\n", [({"a": 1}, 1), ({"b": 2}, 4)]),
    ("a: 1\n--- # c\n\n# d\nb: 2\n---\n", [({"a": 1}, 1), ({"b": 2}, 5)]),
    ("- &a x\n- *a\n", [(["x", "x"], 1)]),
    ("a: [&q x]\nb: [*q]\n", [({"a": ["x"], "b": ["x"]}, 1)]),  # an anchor, an alias after `[`
    ("a: 1\n---#\nb: 2\n", [({"a": 1}, 1), ({"b": 2}, 3)]),
    # documents that are null: only a comment (that sends it to go_yaml.py), or a tagged null
    ("a: 1\n---\n# only a comment, &x\n---\nb: 2\n", [({"a": 1}, 1), ({"b": 2}, 5)]),
    ("a: 1\n---\n!!null\n---\nb: 2\n", [({"a": 1}, 1), ({"b": 2}, 5)]),
    ("a: 1\n---\n...\n", Refusal(3, "not valid YAML (did not find expected node content)", "other")),
    # `---#…` cuts documents after content; opening one (at the start, or right after a
    # separator) kubectl's YAMLReader keeps it in the document, where YAML reads a scalar
    ("---#x\n---\na: 1\n", [("---#x", 1), ({"a": 1}, 3)]),
    ("---#x\na: 1\n", Refusal(2, "not valid YAML (mapping values are not allowed in this context)", "other")),
    ("a: 1\n---\n---#c\nb: 2\n", Refusal(4, "not valid YAML (mapping values are not allowed in this context)", "other")),
    # what follows a document's root node is read too: here a scalar, then `:`
    ("foo\nbar: 1\n", Refusal(2, "not valid YAML (mapping values are not allowed in this context)", "other")),
    # `\/` is an escape of YAML 1.2 (libyaml's) that go-yaml v2 refuses; `\\/` is a backslash
    ('é: 1\nb:\n  c: "ok"\n  d: "\\/"\n', Refusal(4, "not valid YAML (found unknown escape character)", "other")),
    ('a: "x\\\\\\/"\n', Refusal(1, "not valid YAML (found unknown escape character)", "other")),
    ('a: "x\\\\/"\nb: \'\\/\'\nc: \\/\nd: |\n  \\/\n', [({"a": "x\\/", "b": "\\/", "c": "\\/", "d": "\\/\n"}, 1)]),
    ("a: 1\n--- x\nb: 2\n", Refusal(2, "invalid YAML document separator: --- x", "other")),
    ("a: 1\n---x", Refusal(2, "invalid YAML document separator: --- x", "other")),  # at the end, no newline
    ("a: 1\n---\nb: [1\n---\nc: 3\n", Refusal(4, "not valid YAML (did not find expected ',' or ']')", "other")),
    ("%YAML 1.1\n---\na: yes\n", Refusal(2, "not valid YAML (did not find expected <document start>)", "other")),
    ("a: 1\na: 2\n", Refusal(1, "duplicate key 'a' in one mapping", "reads")),
    ("a: 1\n---\nb: &x 2\nc: *x\n---\nd: {e: 1, e: 2}\n", Refusal(6, "duplicate key 'e' in one mapping", "reads")),
]


@pytest.mark.parametrize("stream, expected", STREAM_READINGS, ids=[s for s, _ in STREAM_READINGS])
def test_streams_are_cut_and_read_as_kubectl(stream: str, expected: list[tuple[Any, int]] | Refusal) -> None:
    if isinstance(expected, Refusal):
        with pytest.raises(InputError) as err:
            load_stream(stream.encode(), "s.yaml")
        assert (err.value.line, err.value.message) == (expected.line, expected.message)
    else:
        docs = load_stream(stream.encode(), "s.yaml")
        assert canonical([(doc.value, doc.line) for doc in docs]) == canonical(expected)


@pytest.mark.parametrize("stream, line, words", [
    ('{"a": 1}\n\nb: 1\nc: !!int x\n', 4, "!!int"),  # the YAML part's lines count from the file's start
    ('{"a": 1}\n{"b": 2}\n{"c": Infinity}\n', 3, "not valid JSON"),
])
def test_a_json_stream_gone_wrong_is_refused_at_its_line(stream: str, line: int, words: str) -> None:
    with pytest.raises(InputError) as err:
        load_stream(stream.encode(), "s.json")
    assert err.value.line == line and words in err.value.message


def test_the_tables_are_kubectls_reading() -> None:
    tool = require_tool("yaml2json")
    table = GO_YAML_READINGS + [(stream, docs if isinstance(docs, Refusal) else [value for value, _ in docs])
                                for stream, docs in STREAM_READINGS]
    done = subprocess.run([tool, "-batch"], input=json.dumps([stream for stream, _ in table]), capture_output=True,
                          text=True, timeout=60, check=True)
    for (stream, expected), got in zip(table, json.loads(done.stdout), strict=True):
        if isinstance(expected, Refusal):
            assert ("docs" in got) if expected.kubectl == "reads" else ("error" in got), stream
            assert expected.kubectl != "same" or got["error"].endswith(f"yaml: {expected.message}"), stream
        else:
            assert canonical(got.get("docs")) == canonical(expected), stream
