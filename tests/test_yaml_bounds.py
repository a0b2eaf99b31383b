"""YAML and JSON input, bounded and read as kubectl reads it (issue 9).

- Aliases are budgeted per file in bytes and nodes (go_yaml.AliasBudget): a scalar repeated
  by aliases costs its size each time, where a count of nodes let 1 MB x 3,000 through.
- What kubectl reads, we read alike (`!!binary`, `!!timestamp`, custom and `!!python/` tags,
  `!!set`, timestamps, with an anchor anywhere); what it refuses (a complex key, `.nan`,
  a JSON number out of float64's range) is bad input: exit 2, one line naming the file.
  The judge is kubectl's own decoder, .tools/bin/yaml2json.
- kaze-policy.yaml is read with the same decoder and bounds, and a size limit of its own.
- A file holds at most MAX_DOCUMENTS documents.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from kaze_policy.config import MAX_CONFIG_BYTES, load_config
from kaze_policy.errors import InputError
from kaze_policy.sources.go_yaml import MIN_ALIAS_BYTES, MIN_ALIAS_NODES, AliasBudget, Refused, decode_document
from kaze_policy.sources.yaml_stream import MAX_DOCUMENTS, load_stream
from tests.conftest import require_tool, run_cli

HEAD = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n"
CONFIG = "apiVersion: kaze.io/v1\nkind: KazePolicyConfig\ncell: {name: c, mode: agency}\n"


def values(text: str | bytes, name: str = "in.yaml") -> list[Any]:
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    return [doc.value for doc in load_stream(data, name)]


def refused(text: str | bytes, name: str = "in.yaml") -> str:
    with pytest.raises(InputError) as err:
        values(text, name)
    assert err.value.file == name
    return str(err.value)


def kubectl(streams: list[str]) -> list[Any]:
    """yaml2json's reading of each stream: a list of documents, or the error string."""
    done = subprocess.run([require_tool("yaml2json"), "-batch"], input=json.dumps(streams), capture_output=True,
                          text=True, timeout=60, check=True)
    return [r.get("docs", "error: " + r.get("error", "")) for r in json.loads(done.stdout)]


def ours(stream: str) -> Any:
    try:
        return values(stream)
    except InputError as err:
        return "error: " + str(err)


# --- aliases: a budget in bytes and nodes, per file -------------------------------------------

def test_a_large_scalar_repeated_by_aliases_is_refused() -> None:
    # 100 KB x 60 = 6 MB of text through 60 alias nodes: within any node count, beyond the bytes
    text = HEAD + "data:\n  big: &big " + "x" * 100_000 + "\n  copies: [" + ", ".join(["*big"] * 60) + "]\n"
    message = refused(text)
    assert f"aliases expand to more than {MIN_ALIAS_BYTES} bytes" in message and message.startswith("in.yaml:1: ")


def test_the_budget_is_shared_by_the_documents_of_a_file() -> None:
    # each document repeats 1.5 MB: alone within the budget of 4 MiB, three of them beyond
    document = "a: &a " + "z" * 150_000 + "\nb: [" + ", ".join(["*a"] * 10) + "]\n"
    assert len(values(document)) == 1
    message = refused("---\n".join([document] * 3))
    assert f"aliases expand to more than {MIN_ALIAS_BYTES} bytes" in message


def test_nodes_repeated_by_aliases_are_budgeted_too() -> None:
    # 303 nodes of 300 bytes: the nodes are counted (here with a small budget, the file's
    # being max(100,000, size / 2))
    text = b"a: &a [" + b", ".join([b"~"] * 100) + b"]\nb: [*a, *a, *a]\n"
    assert decode_document(text, AliasBudget(max_nodes=303, max_bytes=300))["b"] == [[None] * 100] * 3
    with pytest.raises(Refused, match="aliases expand to more than 302 nodes"):
        decode_document(text, AliasBudget(max_nodes=302, max_bytes=300))
    with pytest.raises(Refused, match="aliases expand to more than 299 bytes"):
        decode_document(text, AliasBudget(max_nodes=303, max_bytes=299))
    assert (AliasBudget.for_size(1000).max_nodes, AliasBudget.for_size(10**7).max_nodes) == (MIN_ALIAS_NODES, 5 * 10**6)


def test_a_large_file_may_repeat_its_own_size() -> None:
    scalar = "y" * (MIN_ALIAS_BYTES // 2)
    text = f"a: &a {scalar}\nb: [*a, *a]\n" + "#" * MIN_ALIAS_BYTES + "\n"  # 6 MiB: a budget of 6 MiB
    (value,) = values(text)
    assert value["b"] == [scalar, scalar]


def test_the_alias_bomb_of_the_cli_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(HEAD + "data:\n  big: &big " + "x" * 100_000 + "\n  copies: [" + ", ".join(["*big"] * 60) + "]\n")
    result = run_cli("scan", str(path), "--format", "json", timeout=60)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        f"kaze-policy: error: {path}:1: aliases expand to more than {MIN_ALIAS_BYTES} bytes in this file (a YAML bomb?)"]


# --- read as kubectl reads it, or refused -----------------------------------------------------

# Each with an anchor, so that it takes the faithful decoder (as any document with one does).
AS_KUBECTL = [
    "a: &a !foo bar\nb: *a\n",
    "a: &a !!python/object:os.system echo\nb: *a\n",
    "a: &a !!python/name:os.system\nb: [*a]\n",
    "a: &a x\nt: 2001-12-14\nu: 2001-12-14t21:59:43.10-05:00\nv: 2002-13-01\n",
    "a: &a x\nt: !!timestamp 2001-12-14\nu: !!timestamp 2001-1-1T1:2:3.5+01:00\nv: !!timestamp '2000-02-29'\n",
    "a: &a x\nt: !!timestamp 2001-02-29\n",  # not a date: refused by both
    "a: &a x\nt: !!timestamp 12\n",
    "a: &a x\nb: !!binary aGVsbG8=\nc: !!binary |\n  aGVs\n  bG8=\n!!binary aGk=: key\n",
    "a: &a x\nb: !!binary 4oI=\nc: !!binary /w==\n",  # invalid UTF-8: U+FFFD per byte, as Go writes it
    "a: &a x\nb: !!binary aGVsbG8\n",  # no padding: refused by both
    "a: &a x\nb: !!binary c2hhcmVk=\n",  # padding after whole quanta: refused by both
    "a: &a x\ns: !!set {a, b}\n",
    "a: &a x\n? [a, b]\n: c\n",  # a complex key: refused by both
    "a: &a x\n? {a: b}\n: c\n",
    "a: &a x\nn: .nan\n",
    "a: &a x\nn: " + "9" * 4000 + "\n",  # beyond every integer: a string
    "a: &a x\nn: " + "9" * 5000 + "\n",
    "a: &a x\nn: -" + "9" * 5000 + "\n",
    "n: " + "9" * 5000 + "\n",
    "a: &a x\nn: !!float 1e400\n",
]


@pytest.mark.parametrize("stream", AS_KUBECTL, ids=range(len(AS_KUBECTL)))
def test_what_kubectl_reads_we_read_alike_and_what_it_refuses_we_refuse(stream: str) -> None:
    (expected,) = kubectl([stream])
    got = ours(stream)
    if isinstance(expected, str):
        assert isinstance(got, str) and got.startswith("error: in.yaml:"), (expected, got)
    else:
        assert json.dumps(got, sort_keys=True) == json.dumps(expected, sort_keys=True)


def test_binary_and_timestamp_are_decoded() -> None:
    (value,) = values("a: &a x\nb: !!binary aGVsbG8=\nt: !!timestamp 2001-12-14\nc: !!binary 7aCA\n")
    assert value == {"a": "x", "b": "hello", "t": "2001-12-14", "c": "\ufffd" * 3}


def json_object(number: str) -> str:
    return '{"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "data": {"a": ' + number + "}}"


@pytest.mark.parametrize("number", ["1e400", "-1e400", "9" * 4000, "9" * 5000])
def test_a_json_number_beyond_float64_is_bad_input(number: str) -> None:
    # kubectl's stream reader passes a JSON object on as it is; its decoder of objects
    # (apimachinery's, ParseFloat) then refuses it: "cannot unmarshal number 1e400"
    message = refused("\n" + json_object(number), "in.json")
    assert message.startswith("in.json:2: number ") and "out of the range of a float64" in message


@pytest.mark.parametrize("number, shown", [
    ("1" + "0" * 19 + "e400", "1" + "0" * 19 + "e400"),  # 24 characters: shown whole
    ("1" + "0" * 20 + "e400", "1" + "0" * 19 + "… (25 characters)"),
    ("9" * 4000, "9" * 20 + "… (4000 characters)"),
])
def test_the_message_shows_a_long_number_cut_to_20_characters(number: str, shown: str) -> None:
    message = refused(json_object(number), "in.json")
    assert message == f"in.json:1: number {shown} is out of the range of a float64 (kubectl refuses it)"


@pytest.mark.parametrize("data, expected", [
    ("a: é\n".encode("utf-16"), [{"a": "é"}]),  # a byte order mark chooses UTF-16 (here LE)
    (b"\xfe\xff" + "a: 1\n".encode("utf-16-be"), [{"a": 1}]),
    (b"\xef\xbb\xbfa: 1\n", [{"a": 1}]),
    (b"\xff\xfea\x00:\x00 \x00\x00\xd8\n\x00", "in.yaml: invalid UTF-16 (byte 8)"),  # a lone surrogate
    (b"\xff\xfea\x00:", "in.yaml: invalid UTF-16 (byte 4)"),  # an odd byte
    # kubectl reads U+FFFD there: we refuse rather than guess what the file meant
    (b"a: 1\nb: \xff\n", "in.yaml:2: invalid UTF-8 (byte 8)"),
])
def test_the_encoding_is_chosen_by_a_byte_order_mark_and_checked(data: bytes, expected: list[Any] | str) -> None:
    if isinstance(expected, str):
        assert refused(data) == expected
    else:
        assert values(data) == expected


def test_json_numbers_are_what_kubectls_decoder_makes_of_them() -> None:
    (value,) = values('{"a": 9223372036854775807, "b": 9223372036854775808, "c": 1e3, "d": 1.5, "e": -0}')
    assert value == {"a": 9223372036854775807, "b": 9.223372036854775808e18, "c": 1000.0, "d": 1.5, "e": 0}
    assert isinstance(value["b"], float)


def test_a_lone_surrogate_in_json_is_u_fffd_as_kubectl_reads_it() -> None:
    # Go's JSON decoder makes each lone UTF-16 surrogate U+FFFD; a pair stays one character
    (value,) = values(r'{"a": "\ud800", "b": ["x\udc00y\uD800\uD800"], "\ud800k": "\ud83d\ude00"}')
    assert value == {"a": "\ufffd", "b": ["x\ufffdy\ufffd\ufffd"], "\ufffdk": "\U0001f600"}


def test_keys_that_become_the_same_are_a_duplicate() -> None:
    assert refused(r'{"\ud800": 1, "\udc00": 2}', "in.json") == "in.json:1: duplicate key '\ufffd' in one mapping"


@pytest.mark.parametrize("name, text, expected", [
    ("big.json", json_object("1e400"), "number 1e400 is out of the range of a float64"),
    ("surrogate.json", '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "\\ud800"}}',
     None),
], ids=["1e400", "lone-surrogate"])
def test_the_cli_refuses_or_reads_json_numbers_and_surrogates(tmp_path: Path, name: str, text: str,
                                                               expected: str | None) -> None:
    path = tmp_path / name
    path.write_text(text)
    result = run_cli("scan", str(path), "--format", "json", "--control", "KZ-TEN-01")
    if expected is None:
        assert result.returncode in (0, 1), result.stderr
        return
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [f"kaze-policy: error: {path}:1: {expected} (kubectl refuses it)"]


# --- kaze-policy.yaml --------------------------------------------------------------------------

def config_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "kaze-policy.yaml"
    path.write_text(CONFIG + body)
    return path


def test_a_billion_laughs_configuration_is_refused_at_once(tmp_path: Path) -> None:
    # PyYAML shares the aliased lists; the schema's error message then walked all 9^7 of them
    bomb = "dns:\n  podLabels:\n    x0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
        f"    x{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]\n" for i in range(1, 8))
    path = config_file(tmp_path, bomb)
    start = time.perf_counter()
    with pytest.raises(InputError) as err:
        load_config(path)
    assert time.perf_counter() - start < 2
    assert err.value.file == str(path) and "alias" in err.value.message


def test_a_configuration_over_its_size_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "kaze-policy.yaml"
    with path.open("wb") as handle:  # sparse: the limit is checked before reading
        handle.truncate(MAX_CONFIG_BYTES + 1)
    with pytest.raises(InputError) as err:
        load_config(path)
    assert str(err.value) == f"{path}: a configuration is at most {MAX_CONFIG_BYTES} bytes, this file has {MAX_CONFIG_BYTES + 1}"


def test_configuration_values_are_json_as_kubectl_reads_yaml(tmp_path: Path) -> None:
    # an unquoted date is text (PyYAML made it a date the schema refused), `!!binary` decoded
    path = config_file(tmp_path, "waivers:\n- {control: KZ-TEN-01, reason: r, by: b, until: 2999-01-01}\n"
                                 "registries: [&r !!binary cmVnaXN0cnkua2F6ZS5pby9rYXpl, *r]\n")
    config = load_config(path)
    assert config["waivers"][0]["until"] == "2999-01-01"
    assert config["registries"] == ["registry.kaze.io/kaze"] * 2


@pytest.mark.parametrize("body, message", [
    ("registries: [x]\nregistries: [y]\n", "duplicate key 'registries'"),
    ("? [a]\n: b\n", "a mapping or a sequence as a mapping key"),
    ("bounds: {vpnSessionHours: &h .nan}\n", "unsupported value"),
    ("registries: [x]\n---\ncell: {name: d, mode: agency}\n", "one YAML document"),
])
def test_a_configuration_kubectl_would_not_read_is_refused_naming_it(tmp_path: Path, body: str, message: str) -> None:
    path = config_file(tmp_path, body)
    with pytest.raises(InputError) as err:
        load_config(path)
    assert err.value.file == str(path) and message in err.value.message


# --- how many documents ---------------------------------------------------------------------

def test_a_file_of_too_many_documents_is_refused() -> None:
    message = refused(b"---\n" * (MAX_DOCUMENTS + 1))
    assert message == f"in.yaml:{MAX_DOCUMENTS + 1}: more than {MAX_DOCUMENTS} documents in one file (the limit per file)"


def test_a_json_stream_of_too_many_objects_is_refused() -> None:
    message = refused(b"{}" * (MAX_DOCUMENTS + 1), "in.json")
    assert f"more than {MAX_DOCUMENTS} documents" in message

