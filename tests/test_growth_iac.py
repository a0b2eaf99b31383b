"""Growth guards of the Terraform and SBOM sources (issue 9): N and 8N in one run, ratio at most 24.

Each input is shaped so that the quadratic code it guards against shows: Terraform blocks
followed by long comments that the old per-block search from the start of the file read
again for every block; SBOM components alike but for their last field, which jsonschema's
pairwise `uniqueItems` compared field by field.
"""

from __future__ import annotations

import json
from pathlib import Path

from kaze_policy.sources.load import load_data
from kaze_policy.sources.sbom import describe, read_sbom_folder
from kaze_policy.sources.terraform import load_hcl, load_json
from tests.linearity import assert_linear

# A comment HCL reads as one token, whose lines begin like a block header.
_COMMENT = "/*\n" + 'resource "aws_s3_bucket" "a"\n' * 300 + "*/\n"


def _hcl(n: int) -> bytes:
    return "".join(f'resource "aws_s3_bucket" "b{i}" {{\n  bucket = "kaze-{i}"\n}}\n{_COMMENT}'
                   for i in range(n)).encode()


def test_terraform_hcl_grows_linearly_with_blocks() -> None:
    assert_linear(_hcl, lambda data: load_hcl(data, "main.tf", Path(".")), 16)


def _tf_json(n: int) -> bytes:
    return json.dumps({"resource": {"aws_s3_bucket": {
        f"b{i}": {"bucket": f"kaze-{i}", "tags": {f"t{j}": "x" for j in range(30)}} for i in range(n)}}},
        indent=1).encode()


def test_terraform_json_grows_linearly_with_blocks() -> None:
    assert_linear(_tf_json, lambda data: load_json(data, "main.tf.json", Path(".")), 150)


def _plan(n: int) -> bytes:
    resources = [{"address": f"aws_s3_bucket.b{i}", "mode": "managed", "type": "aws_s3_bucket", "name": f"b{i}",
                  "values": {"bucket": f"kaze-{i}"}} for i in range(n)]
    changes = [{"address": r["address"], "mode": "managed", "type": r["type"], "name": r["name"],
                "change": {"actions": ["create"], "before": None, "after": r["values"]}} for r in resources]
    return json.dumps({"format_version": "1.2", "planned_values": {"root_module": {"resources": resources}},
                       "resource_changes": changes}).encode()


def test_terraform_plan_grows_linearly_with_resource_changes() -> None:
    assert_linear(_plan, lambda data: load_data(data, "plan.json"), 800)


def _sbom(n: int) -> bytes:
    alike = {"type": "library", "name": "lib", "group": "org.example", "description": "d" * 50,
             "scope": "required", "copyright": "c", "publisher": "p", "author": "a", "version": "1.0"}
    components = [{**alike, "bom-ref": f"c{i}"} for i in range(n)]
    return json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
                       "components": components}).encode()


def test_sbom_grows_linearly_with_components() -> None:
    assert describe(Path("x.cdx.json"), _sbom(3))["valid"]
    assert_linear(_sbom, lambda data: describe(Path("x.cdx.json"), data), 80)


def test_sbom_folder_grows_linearly_with_files(tmp_path: Path) -> None:
    def build(n: int) -> Path:
        folder = tmp_path / str(n)
        folder.mkdir()
        for i in range(n):
            (folder / f"image-{i}.cdx.json").write_bytes(_sbom(1))
        return folder

    assert_linear(build, lambda folder: read_sbom_folder(folder, tmp_path.resolve(), 1 << 20), 40)
