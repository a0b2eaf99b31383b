"""Property tests of the file sources: whatever a file holds, its source gives resources or
refuses the file as bad input (InputError: one line, exit 2), never another exception (which
the CLI would report as an internal error, exit 3).

Each file is generated for the source its name picks (kaze_policy/sources/load.py): Kubernetes
YAML and JSON, Terraform HCL and JSON, a `terraform show -json` plan, a Vault policy, Vault
roles and keys, a Dockerfile. Its text is drawn from the tokens of its format (so that most
examples get past the first line of the parser), with random bytes and random JSON besides.

`make test` runs a small fixed budget; `make fuzz` (KAZE_FUZZ=1) a large one, with Hypothesis's
figures (`--hypothesis-show-statistics`).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaze_policy.errors import InputError
from kaze_policy.inventory import Resource
from kaze_policy.sources.load import load_file

FUZZ = os.environ.get("KAZE_FUZZ") == "1"
EXAMPLES = 2000 if FUZZ else 40  # per source
MAX_BYTES = 1024 * 1024

JSON = st.recursive(st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False)
                    | st.text(max_size=12),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                    max_leaves=20)

YAML_TOKENS = ["apiVersion: v1\n", "apiVersion: apps/v1\n", "kind: Pod\n", "kind: Deployment\n", "kind: List\n",
               "kind: Namespace\n", "metadata:\n", "  name: a\n", "  namespace: tenant-acme\n", "  labels: {a: b}\n",
               "spec:\n", "  containers:\n", "  - name: c\n", "    image: x@sha256:0\n", "items:\n", "- ", "---\n",
               "...\n", "&a ", "*a", "<<: *a\n", "!!str ", "!!binary ", "? ", ": ", "|\n", ">-\n", "{", "}", "[",
               "]", ", ", "'", '"', "#c\n", "\t", "  ", "\n", "~", "null", "yes", "0x1F", "1e400", ".inf", "é",
               "\ufeff", "%YAML 1.1\n", "%TAG ! tag:x:\n", "!x ", "\x00"]
HCL_TOKENS = ['resource "aws_s3_bucket" "b" {\n', 'data "aws_iam_policy_document" "d" {\n', 'module "m" {\n',
              'path "secret/*" {\n', 'capabilities = ["read", "list"]\n', "}\n", "{\n", 'name = "x"\n',
              "count = 3\n", "enabled = true\n", "tags = { a = \"b\" }\n", "list = [1, 2,]\n", "x = var.y\n",
              "x = \"${var.y}\"\n", "<<EOT\nheredoc\nEOT\n", "# c\n", "// c\n", "/* c */", "dynamic \"d\" {\n",
              "for_each = toset([])\n", "= ", '"', "[", "]", "(", ")", ",", "\n", "  ", "é", "\x00", "\\"]
DOCKER_TOKENS = ["FROM ubuntu:22.04\n", "FROM registry.kaze.io/kaze/base@sha256:0 AS build\n", "RUN apt-get update\n",
                 "USER root\n", "USER 1000\n", "COPY . /app\n", "ADD https://x/y /y\n", "ENV A=b\n", "ARG V\n",
                 "FROM ${V}\n", "EXPOSE 22\n", "HEALTHCHECK NONE\n", "CMD [\"a\"]\n", "ENTRYPOINT [\n", "\\\n",
                 "# syntax=docker/dockerfile:1\n", "# escape=`\n", "<<EOF\n", "EOF\n", "ONBUILD RUN x\n", "\n", " ",
                 "\t", "é", "\x00"]


def _tokens(tokens: list[str]) -> st.SearchStrategy[bytes]:
    return st.lists(st.sampled_from(tokens), max_size=30).map(lambda parts: "".join(parts).encode("utf-8"))


def _json_text(value: st.SearchStrategy[Any]) -> st.SearchStrategy[bytes]:
    return value.map(lambda v: json.dumps(v).encode())


PLAN = st.fixed_dictionaries({"format_version": st.sampled_from(["1.2", "0.1", 1]),
                              "planned_values": st.one_of(JSON, st.fixed_dictionaries({"root_module": JSON}))},
                             optional={"resource_changes": JSON, "configuration": JSON, "terraform_version": JSON})
ROLE = st.fixed_dictionaries({}, optional={"mount": JSON, "name": JSON, "token_policies": JSON, "bound": JSON})
OTHER = st.binary(max_size=200) | _json_text(JSON)

# The file's name picks its source; its content is drawn from that source's format, or not.
SOURCES = {
    "manifest.yaml": _tokens(YAML_TOKENS),
    "manifest.json": _json_text(st.fixed_dictionaries({"apiVersion": JSON, "kind": JSON}, optional={
        "metadata": JSON, "items": JSON, "spec": JSON})),
    "main.tf": _tokens(HCL_TOKENS),
    "main.tf.json": _json_text(st.fixed_dictionaries({}, optional={"resource": JSON, "data": JSON, "module": JSON})),
    "plan.json": _json_text(PLAN),
    "policy.hcl": _tokens(HCL_TOKENS),
    "vault/roles/role.json": _json_text(ROLE),
    "vault/keys/keys.json": _json_text(st.fixed_dictionaries({}, optional={"mount": JSON, "keys": JSON})),
    "Dockerfile": _tokens(DOCKER_TOKENS),
}

_FOLDER = tempfile.TemporaryDirectory(prefix="kaze-source-properties-")


@pytest.mark.parametrize("name", sorted(SOURCES))
@settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=not FUZZ,
          suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_source_gives_resources_or_refuses_the_file_as_bad_input(name: str, data: st.DataObject) -> None:
    root = Path(_FOLDER.name) / name.replace("/", "_").replace(".", "_")
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.draw(SOURCES[name] | OTHER, label="content"))
    try:
        resources, reason = load_file(path, root, MAX_BYTES)
    except InputError as err:
        assert err.message and "\n" not in str(err).strip(), repr(str(err))
        return
    assert reason is None or isinstance(reason, str)
    for resource in resources:
        assert isinstance(resource, Resource) and isinstance(resource.kind, str) and isinstance(resource.id, str)
        json.dumps(resource.obj)  # what the engine is given is JSON
