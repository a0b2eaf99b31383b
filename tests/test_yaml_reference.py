"""The YAML loader against the judge: kubectl's own decoder, built as `.tools/bin/yaml2json`.

kubectl reads manifests with apimachinery's stream reader and sigs.k8s.io/yaml (go-yaml v2:
YAML 1.1 scalars, merge keys). For every generated document our loader must give the JSON
the reference gives, or refuse the stream as bad input (InputError); accepting what the
reference refuses, or giving any other value, fails. Documents are generated as text:
booleans, nulls and numbers in every YAML 1.1 spelling, timestamps, tags, anchors, aliases,
merge keys, every quoting style, block scalars, nested block and flow collections. All the
streams of one example go to one reference process (`yaml2json -batch`).

`make test` runs a small fixed budget; `make fuzz` (KAZE_FUZZ=1) a large one.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaze_policy.errors import InputError
from kaze_policy.sources.yaml_stream import load_stream
from tests.conftest import IN_CI, require_tool

FUZZ = os.environ.get("KAZE_FUZZ") == "1"
EXAMPLES = 5000 if FUZZ else 200
STREAMS_PER_EXAMPLE = 30
MIN_READ_SHARE = 0.4  # of generated streams, kubectl reads at least this share
MAX_REFUSED_SHARE = 0.15  # of those, we may refuse this share: refusing is allowed, refusing
                          # everything would prove nothing


@pytest.fixture(scope="module")
def yaml2json() -> str:
    return require_tool("yaml2json")


def reference(tool: str, streams: list[str]) -> list[Any]:
    """kubectl's reading of each stream: its documents' JSON, or an error string."""
    done = subprocess.run([tool, "-batch"], input=json.dumps(streams), capture_output=True, text=True,
                          timeout=60, check=True)
    return [r["docs"] if "docs" in r else InputError(r["error"]) for r in json.loads(done.stdout)]


def ours(stream: str) -> list[Any] | InputError:
    try:
        return [doc.value for doc in load_stream(stream.encode("utf-8"), "doc.yaml")]
    except InputError as err:
        return err


def canonical(value: Any) -> str:
    """Type-strict comparison: 1, 1.0 and True are three answers."""
    return json.dumps(value, sort_keys=True)


# --- generated documents --------------------------------------------------------------------

BOOLS = ["y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE", "false",
         "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF"]
NULLS = ["~", "null", "Null", "NULL", ""]
NUMBERS = ["0", "-0", "7", "-12", "+12", "0644", "-0644", "08", "09.5", "0x1F", "0X1f", "-0x10", "0o17",
           "0b1010", "-0b11", "1_000", "1__0", "_1", "1_", "0x_1F", "1e3", "1E-3", "1.5e+3", "-1.e2", ".5",
           "-.5", "1.", "1.0", "-0.0", "3.14159", "6.8523015e+5", "1_000.5", ".inf", "-.Inf", "+.INF",
           ".nan", ".NaN", "1e400", "-1e400", "1e-400", "9223372036854775807", "9223372036854775808",
           "-9223372036854775808", "-9223372036854775809", "18446744073709551615",
           "18446744073709551616", "+18446744073709551615", "123456789012345678901234567890",
           "1:20", "190:20:30.15", "1,000", "0.1", "100000000000000000000.0", "1e21", "2e20"]
SPECIAL_FLOATS = {".inf", "-.Inf", "+.INF", ".nan", ".NaN"}
TIMESTAMPS = ["2001-12-14", "2001-12-14t21:59:43.10-05:00", "2001-12-14T21:59:43Z", "2001-12-14 21:59:43.10",
              "2002-13-01", "2001-2-3"]
WORDS = ["a", "x", "nginx", "16Gi", "500m", "8080/TCP", "name", "true-ish", "hello world", "<<", "=", "-",
         "a:b", "a #b", "yes please", "null-ish", "Yes.", "0x", "0b2", "0o8", "1.2.3", "NaN", "Infinity", "é"]
KEYS = ["a", "b", "c", "d", "e", "f", "g", "image", "spec", "ports", "kind", "name", "privileged", "hostNetwork", "yes", "on", "Off", "1", "2", "0x2", "010", "1.0",
        "-0", "-0.0", "1e3", "true", "null", "~", "Yes", "n"]
TAGS = ["!!str", "!!int", "!!bool", "!!float", "!!null", "!custom", "!", "!!timestamp", "!!binary"]


def scalar(rnd: random.Random, key: bool = False) -> str:
    pool = KEYS if key else rnd.choice([BOOLS, NULLS, NUMBERS, NUMBERS, TIMESTAMPS, WORDS, WORDS])
    text = rnd.choice(pool)
    if rnd.randint(0, 3) and (text in ("~", "null", "") and key or text in SPECIAL_FLOATS):
        text = "x"  # a null key or an infinity makes kubectl refuse the whole document
    style = rnd.choice(["plain"] * 6 + ["single", "double", "double-escaped"])
    if style == "single":
        text = "'" + text.replace("'", "''") + "'"
    elif style == "double":
        text = json.dumps(text, ensure_ascii=False)
    elif style == "double-escaped":
        text = '"' + "".join(f"\\x{ord(c):02x}" if ord(c) < 128 else c for c in text) + '"'
    if rnd.randint(0, 19) == 0:
        text = f"{rnd.choice(TAGS)} {text}"
    return text


@dataclass
class Render:
    """YAML text from random choices: block and flow collections, anchors and aliases.
    (A random.Random seeded by hypothesis: thousands of documents a second.) Aliases
    mostly name anchors whose node is complete: a node holding its own alias is refused."""

    rnd: random.Random
    anchors: list[str] = field(default_factory=list)
    open_anchors: set[str] = field(default_factory=set)

    def properties(self, collection: bool = False) -> str:
        props = ""
        if self.rnd.randint(0, 5) == 0:
            self.anchors.append(f"a{len(self.anchors)}")
            props += f"&{self.anchors[-1]} "
            if collection and self.rnd.randint(0, 9):
                self.open_anchors.add(self.anchors[-1])
        if self.rnd.randint(0, 12) == 0:
            props += self.rnd.choice(["!!map ", "!!seq ", "!custom ", "!!str "])
        return props

    def closed(self) -> list[str]:
        return [a for a in self.anchors if a not in self.open_anchors]

    def alias(self) -> str | None:
        if self.closed() and self.rnd.randint(0, 4) == 0:
            return "*" + self.rnd.choice(self.closed())
        return None

    def close(self, props: str) -> None:
        self.open_anchors.difference_update(a[1:] for a in props.split() if a.startswith("&"))

    def flow(self, depth: int) -> str:
        alias = self.alias()
        if alias:
            return alias
        choice = self.rnd.randint(0, 5 if depth < 3 else 3)
        if choice <= 3:
            return scalar(self.rnd)
        props = self.properties(collection=True)
        if choice == 4:
            items = [self.flow(depth + 1) for _ in range(self.rnd.randint(0, 3))]
            self.close(props)
            return props + "[" + ", ".join(items) + "]"
        pairs = [f"{scalar(self.rnd, key=True)}: {self.flow(depth + 1)}" for _ in range(self.rnd.randint(0, 3))]
        self.close(props)
        return props + "{" + ", ".join(pairs) + "}"

    def block_scalar(self, indent: int) -> str:
        header = self.rnd.choice(["|", "|-", "|+", ">", ">-", ">+", "|2"])
        lines = [self.rnd.choice(["yes", "0644", "a b", "", "  indented", "x: 1", "# not a comment"])
                 for _ in range(self.rnd.randint(1, 4))]
        body = "".join(" " * (indent + 2) + line + "\n" if line else "\n" for line in lines)
        return header + "\n" + body

    def value(self, indent: int, depth: int) -> str:
        """The text after `key:` or `-` (with its leading space or newline)."""
        choice = self.rnd.randint(0, 9 if depth < 4 else 5)
        if choice <= 3 or choice == 5:
            return " " + self.flow(depth)
        if choice == 4:
            return " " + self.block_scalar(indent)[:-1]
        props = self.properties(collection=True).rstrip()
        body = self.mapping(indent + 2, depth + 1) if choice <= 7 else self.sequence(indent + 2, depth + 1)
        self.close(props)
        return (" " + props if props else "") + "\n" + body.rstrip("\n")

    def mapping(self, indent: int, depth: int) -> str:
        lines = []
        for _ in range(self.rnd.randint(1, 3)):
            if self.rnd.randint(0, 5) == 0:
                lines.append(" " * indent + "<<: " + self.merge_value())
            else:
                lines.append(" " * indent + scalar(self.rnd, key=True) + ":" + self.value(indent, depth))
        return "\n".join(lines) + "\n"

    def merge_value(self) -> str:
        choice = self.rnd.randint(0, 9)
        if choice <= 3 and self.closed():
            return "*" + self.rnd.choice(self.closed())
        if choice <= 5 and self.closed():
            return "[" + ", ".join("*" + self.rnd.choice(self.closed()) for _ in range(2)) + "]"
        if choice == 6:
            return self.flow(2)  # often a scalar: kubectl refuses to merge it
        return "{" + ", ".join(f"{scalar(self.rnd, key=True)}: {scalar(self.rnd)}" for _ in range(2)) + "}"

    def sequence(self, indent: int, depth: int) -> str:
        items = [" " * indent + "-" + self.value(indent, depth) for _ in range(self.rnd.randint(1, 3))]
        return "\n".join(items) + "\n"

    def document(self) -> str:
        self.anchors, self.open_anchors = [], set()
        prefix = self.rnd.choice(["", "", "", "---\n", "# c\n", "\ufeff", "--- # c\n"])
        body = self.sequence(0, 0) if self.rnd.randint(0, 4) == 0 else self.mapping(0, 0)
        return prefix + body

    def stream(self) -> str:
        return "---\n".join(self.document() for _ in range(self.rnd.choice([1, 1, 1, 2, 3])))


# --- the tests --------------------------------------------------------------------------------

@dataclass
class Tally:
    compared: int = 0  # read alike
    refused: int = 0  # refused by us, read by kubectl
    both_refused: int = 0
    mismatches: list[str] = field(default_factory=list)


def check_batch(tool: str, batch: list[str], tally: Tally) -> None:
    for stream, expected in zip(batch, reference(tool, batch)):
        got = ours(stream)
        if isinstance(got, InputError):
            if isinstance(expected, InputError):
                tally.both_refused += 1
            else:
                tally.refused += 1
            continue
        if isinstance(expected, InputError):
            tally.mismatches.append(f"{stream!r}: kubectl refuses it ({expected}), we read {canonical(got)}")
        elif canonical(got) != canonical(expected):
            tally.mismatches.append(f"{stream!r}: kubectl reads {canonical(expected)}, we read {canonical(got)}")
        else:
            tally.compared += 1


def test_loader_reads_generated_yaml_as_kubectl_does(yaml2json: str) -> None:
    tally = Tally()
    runs = [0]

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=IN_CI or not FUZZ,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(st.integers(0, 2**32))
    def check(seed: int) -> None:
        runs[0] += 1
        render = Render(random.Random(seed))
        before = len(tally.mismatches)
        check_batch(yaml2json, [render.stream() for _ in range(STREAMS_PER_EXAMPLE)], tally)
        assert len(tally.mismatches) == before, tally.mismatches[before]

    check()
    print(f"yaml reference: {runs[0]} examples, {runs[0] * STREAMS_PER_EXAMPLE} streams: {tally.compared} read "
          f"alike, {tally.refused} refused by us only, {tally.both_refused} by both")  # shown with -s or -rP
    read_by_kubectl = tally.compared + tally.refused
    assert read_by_kubectl >= MIN_READ_SHARE * EXAMPLES * STREAMS_PER_EXAMPLE, tally
    assert tally.refused <= MAX_REFUSED_SHARE * read_by_kubectl, tally


# Hand-picked streams: each must be read exactly as kubectl reads it (no refusal allowed).
AGREED = [
    "privileged: True\nhostNetwork: yes\nhostPID: On\nhostIPC: Y\nallow: !!bool \"true\"\nx: NO\n",
    "mode: 0644\nhex: 0x1F\nbig: 1_000\nexp: 1e3\nhalf: .5\nfloat: 1.0\nnull1: ~\nnull2: Null\n",
    "base: &b {privileged: false, x: 1}\nc:\n  privileged: true\n  <<: *b\nd:\n  <<: *b\n  privileged: true\n",
    "m:\n  <<: [{a: 1}, {a: 2, b: 2}]\n  c: 3\n",
    "yes: 1\n1: 2\n0x10: 3\n",
    "\ufeffapiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n",
    "a:\n  note: 'first line\n  second line'\n  b: 1\n",
    "a: !!str 0644\nb: !!int \"12\"\nc: !!float 1\nd: ! yes\ne: !custom 12\n",
    "a: 1\n...\nb: 2\n",
    "# only comments\n---\n---\nkind: A\n---\nnull\n",
    "t: 2001-12-14t21:59:43.10-05:00\nd: 2001-12-14\n",
    "big: 18446744073709551616\nneg: -9223372036854775809\nu: 18446744073709551615\n",
]


@pytest.mark.parametrize("stream", AGREED, ids=range(len(AGREED)))
def test_hand_picked_streams_read_as_kubectl_reads_them(yaml2json: str, stream: str) -> None:
    (expected,) = reference(yaml2json, [stream])
    assert not isinstance(expected, InputError), expected
    got = ours(stream)
    assert not isinstance(got, InputError), got
    assert canonical(got) == canonical(expected)


REFUSED = [
    "a: .inf\n",  # json: unsupported value
    "~: x\n",  # a null key
    "a: !!int x\n",
    "- &a [*a]\n",
    "--- |\n  text\n",  # kubectl's reader refuses text after a separator
    "a: *nothing\n",
]


@pytest.mark.parametrize("stream", REFUSED, ids=range(len(REFUSED)))
def test_what_kubectl_refuses_is_bad_input(yaml2json: str, stream: str) -> None:
    (expected,) = reference(yaml2json, [stream])
    assert isinstance(expected, InputError), expected
    assert isinstance(ours(stream), InputError)
