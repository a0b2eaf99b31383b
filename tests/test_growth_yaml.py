"""Growth guards of the YAML source and of the configuration: N and 8N in one run (tests/linearity.py).

Each path of yaml_stream has its own guard: the fast path (rapidyaml) and the faithful one
(go_yaml.py, taken by any document with an anchor, a tag or a YAML 1.1 spelling), on many
small documents and on one long one; aliases; JSON streams; and kaze-policy.yaml.
"""

from __future__ import annotations

import json
from pathlib import Path

from kaze_policy.config import load_config
from kaze_policy.sources.yaml_stream import load_stream
from tests.linearity import assert_linear


def _load(data: bytes) -> None:
    load_stream(data, "growth.yaml")


def _small_documents(n: int, extra: str = "") -> bytes:
    return "".join(f"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}}}\ndata: {{a: b}}\n{extra}"
                   for i in range(n)).encode()


def test_many_small_documents_read_in_linear_time() -> None:
    assert_linear(_small_documents, _load, 1_200)


def test_many_small_documents_with_aliases_read_in_linear_time() -> None:
    # every document takes the faithful decoder, and all spend the file's one alias budget
    assert_linear(lambda n: _small_documents(n, "labels: &l {x: y}\nannotations: *l\n"), _load, 150)


def test_one_long_document_reads_in_linear_time() -> None:
    assert_linear(lambda n: ("data:\n" + "".join(f"  k{i}: v{i}\n" for i in range(n))).encode(), _load, 10_000)


def test_one_long_document_with_an_anchor_reads_in_linear_time() -> None:
    assert_linear(lambda n: ("x: &a 1\ny: *a\ndata:\n" + "".join(f"  k{i}: v{i}\n" for i in range(n))).encode(),
                  _load, 1_000)


def test_many_anchors_and_aliases_read_in_linear_time() -> None:
    def build(n: int) -> bytes:
        anchors = "".join(f"  a{i}: &a{i} {{k: v{i}}}\n" for i in range(n))
        aliases = "".join(f"  - *a{i}\n" for i in range(n))
        return f"defs:\n{anchors}uses:\n{aliases}".encode()
    assert_linear(build, _load, 500)


def test_a_json_stream_of_many_objects_reads_in_linear_time() -> None:
    # a lone surrogate anywhere makes every object go through the U+FFFD walk
    def build(n: int) -> bytes:
        return "\n".join(json.dumps({"kind": "ConfigMap", "metadata": {"name": f"c{i}"}, "data": {"a": "\ud800"}})
                         for i in range(n)).encode()
    assert_linear(build, _load, 1_000)


def test_configuration_loads_in_linear_time(tmp_path: Path) -> None:
    def build(n: int) -> Path:
        tenants = "".join(f"  - name: t{i}\n    vertical: finance\n    namespaces: [t{i}]\n" for i in range(n))
        path = tmp_path / f"{n}.yaml"
        path.write_text(f"apiVersion: kaze.io/v1\nkind: KazePolicyConfig\ntenants:\n{tenants}")
        return path
    assert_linear(build, load_config, 150)
