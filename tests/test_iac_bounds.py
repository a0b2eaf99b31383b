"""Terraform and SBOM sources, confined and bounded (issue 9): a configuration's sboms folder lies
in the scanned tree, a plan of the wrong shape and an SBOM of the wrong types are judged or
refused in one line, never a traceback, and SBOM uniqueness keeps the schema's meaning."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from jsonschema._utils import equal as jsonschema_equal

from kaze_policy.errors import InputError
from kaze_policy.sources import sbom
from kaze_policy.sources.cyclonedx_schema import json_key
from kaze_policy.sources.sbom import describe, read_sbom_folder, validate
from kaze_policy.sources.terraform import load_hcl, load_json
from tests.conftest import INFRA, ROOT, run_cli

SECRET = "sbom-outside-the-tree"


def _one_line(result: Any) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr[-2000:]
    return lines[0]


def _cell(tmp_path: Path, sboms: str | None) -> Path:
    """The KZ-SUP-04 pass fixture as a cell whose kaze-policy.yaml names `sboms`."""
    cell = tmp_path / "repo" / "cell"
    shutil.copytree(ROOT / "fixtures" / "KZ-SUP-04" / "pass" / "every-image-has-matching-sbom", cell,
                    ignore=shutil.ignore_patterns("sbom-index.json", "expect.yaml"))
    if sboms is not None:
        config = cell / "kaze-policy.yaml"
        config.write_text(config.read_text() + f"\nsboms: {sboms}\n")
    return cell


def _outside_sboms(tmp_path: Path) -> Path:
    """The cell's SBOMs moved beside the cell, one of them carrying a marker."""
    cell = _cell(tmp_path, "../shared-sboms")
    shared = tmp_path / "repo" / "shared-sboms"
    shutil.move(cell / "sboms", shared)
    first = sorted(shared.iterdir())[0]
    document = json.loads(first.read_text())
    document["metadata"]["component"]["description"] = SECRET
    first.write_text(json.dumps(document))
    return cell


# --- sboms: confined to the tree ------------------------------------------------------------

@pytest.mark.parametrize("folder", ["../shared-sboms", "/etc", "/", "../../../../../../../../.."])
def test_sboms_outside_the_scanned_tree_is_refused_in_one_line(tmp_path: Path, folder: str) -> None:
    cell = _outside_sboms(tmp_path)
    config = cell / "kaze-policy.yaml"
    config.write_text(config.read_text().replace("sboms: ../shared-sboms", f"sboms: {folder}"))
    result = run_cli("scan", str(cell), "--format", "json", "--no-progress", timeout=60)
    assert result.returncode == 2, result.stdout[:300] + result.stderr
    line = _one_line(result)
    assert str(config) in line and "outside the scanned tree" in line and "--root" in line
    assert result.stdout == "" and SECRET not in result.stderr


def test_sboms_outside_the_path_are_read_with_root(tmp_path: Path) -> None:
    cell = _outside_sboms(tmp_path)
    result = run_cli("scan", str(cell), "--root", str(tmp_path / "repo"), "--format", "json",
                     "--control", "KZ-SUP-04", "--no-progress")
    assert result.returncode == 0, result.stdout[-1000:] + result.stderr
    assert json.loads(result.stdout)["controls"][0]["status"] == "pass"
    result = run_cli("scan", str(tmp_path / "repo"), "--format", "json", "--control", "KZ-SUP-04", "--no-progress")
    assert result.returncode == 0, result.stdout[-1000:] + result.stderr


@pytest.mark.needs_kustomize
def test_a_kustomization_found_in_a_folder_reads_sboms_below_that_folder(tmp_path: Path, kustomize: str) -> None:
    """The tree of a kustomization found by walking is the folder given, wherever the scan runs from."""
    cell = _cell(tmp_path, "sboms")
    (cell / "kustomization.yaml").write_text("resources: [namespaces.yaml, workloads.yaml]\n")
    result = run_cli("scan", str(tmp_path / "repo"), "--format", "json", "--control", "KZ-SUP-04", "--no-progress")
    assert result.returncode == 0, result.stdout[-1000:] + result.stderr
    report = json.loads(result.stdout)
    assert ([t["name"] for t in report["targets"]], report["controls"][0]["status"]) == ([str(cell)], "pass")


def test_sboms_outside_root_is_refused(tmp_path: Path) -> None:
    cell = _outside_sboms(tmp_path)
    result = run_cli("scan", str(cell), "--root", str(cell), "--format", "json", "--no-progress")
    assert result.returncode == 2 and "outside the scanned tree" in _one_line(result)


def test_root_that_is_not_a_folder_is_bad_usage(tmp_path: Path) -> None:
    cell = _cell(tmp_path, "sboms")
    result = run_cli("scan", str(cell), "--root", str(tmp_path / "nowhere"), "--format", "json")
    assert result.returncode == 2 and "--root" in _one_line(result)


def test_a_symlinked_sboms_folder_is_judged_where_it_leads(tmp_path: Path) -> None:
    cell = _outside_sboms(tmp_path)
    (cell / "sboms").symlink_to(tmp_path / "repo" / "shared-sboms")
    config = cell / "kaze-policy.yaml"
    config.write_text(config.read_text().replace("sboms: ../shared-sboms", "sboms: sboms"))
    result = run_cli("scan", str(cell), "--format", "json", "--no-progress")
    assert result.returncode == 2 and "outside the scanned tree" in _one_line(result)


@pytest.mark.needs_kustomize
def test_shipped_overlay_alone_asks_for_root_and_scans_with_it(kustomize: str) -> None:
    overlay = INFRA / "kubernetes" / "overlays" / "customer-vpc-aws"
    result = run_cli("scan", str(overlay), "--format", "json", "--no-progress")
    assert result.returncode == 2 and "--root" in _one_line(result)
    result = run_cli("scan", str(overlay), "--root", str(INFRA), "--format", "json", "--no-progress",
                     "--control", "KZ-SUP-04")
    assert result.returncode in (0, 1) and result.stderr == "", result.stderr
    sboms = [t for t in json.loads(result.stdout)["targets"] if t["name"] == str(overlay)]
    assert sboms and sboms[0]["resources"] > 0


def test_sbom_folder_reads_only_regular_files_of_the_tree(tmp_path: Path) -> None:
    cell = _outside_sboms(tmp_path)
    shared = tmp_path / "repo" / "shared-sboms"
    shutil.move(shared, cell / "sboms")
    config = cell / "kaze-policy.yaml"
    config.write_text(config.read_text().replace("sboms: ../shared-sboms", "sboms: sboms"))
    outside = tmp_path / "elsewhere.cdx.json"
    outside.write_text(json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
                                   "metadata": {"component": {"type": "container", "name": SECRET + "-2"}}}))
    (cell / "sboms" / "link-out.cdx.json").symlink_to(outside)
    (cell / "sboms" / "zero.cdx.json").symlink_to("/dev/zero")
    os.mkfifo(cell / "sboms" / "pipe.cdx.json")
    (cell / "sboms" / "README.md").write_text("how the SBOMs are made\n")
    result = run_cli("scan", str(cell), "--format", "json", "--control", "KZ-SUP-04", "--no-progress", timeout=60)
    assert result.returncode == 0, result.stdout[-1000:] + result.stderr
    assert SECRET + "-2" not in result.stdout
    skipped = {Path(s["path"]).name: s["reason"] for s in json.loads(result.stdout)["skipped"]}
    assert "out of the tree" in skipped["link-out.cdx.json"]
    assert "out of the tree" in skipped["zero.cdx.json"]
    assert "FIFO" in skipped["pipe.cdx.json"]
    assert "not read" in skipped["README.md"]


def test_sbom_folder_entries_are_limited(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "sboms"
    folder.mkdir()
    for i in range(5):
        (folder / f"s{i}.txt").write_text("")
    monkeypatch.setattr(sbom, "MAX_SBOM_ENTRIES", 4)
    with pytest.raises(InputError, match="more than 4 files and folders"):
        read_sbom_folder(folder, tmp_path.resolve(), 1 << 20)


def test_sbom_components_are_limited(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "sboms"
    folder.mkdir()
    for i in range(2):
        (folder / f"s{i}.cdx.json").write_text(json.dumps(_sbom(3)))
    monkeypatch.setattr(sbom, "MAX_SBOM_COMPONENTS", 5)
    with pytest.raises(InputError, match="over the limit of 5 components") as err:
        read_sbom_folder(folder, tmp_path.resolve(), 1 << 20)
    assert err.value.file == str(folder / "s1.cdx.json")


# --- SBOMs of the wrong types are evidence, not crashes ---------------------------------------

def _sbom(count: int, **fields: Any) -> dict[str, Any]:
    return {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
            "metadata": {"component": {"type": "container", "name": "registry.kaze.io/kaze/x"}},
            "components": [{"type": "library", "name": f"lib{i}", "version": "1.0",
                            "licenses": [{"license": {"id": "MIT"}}]} for i in range(count)], **fields}


@pytest.mark.parametrize("fields", [
    {"metadata": [{"component": {"type": "container", "name": "x"}}]},
    {"metadata": {"component": "x"}},
    {"metadata": {"component": {"type": "container", "name": "x", "hashes": "sha"}}},
    {"components": {"a": 1}},
    {"components": [{"type": "library", "name": "a", "licenses": [{"license": "MIT"}]}]},
    {"components": [{"type": "library", "name": "a", "licenses": "MIT"}]},
    {"components": [{"type": "library", "name": "a", "hashes": ["x"]}]},
    {"specVersion": 1.6},
    {"specVersion": "1.0"},
    {"specVersion": "9.9"},
])
def test_sbom_of_the_wrong_types_is_an_invalid_entry(tmp_path: Path, fields: dict[str, Any]) -> None:
    path = tmp_path / "x.cdx.json"
    path.write_text(json.dumps(_sbom(1, **fields)))
    entry = describe(path, path.read_bytes())
    assert entry["valid"] is False and entry["errors"] and all(isinstance(e, str) for e in entry["errors"])


@pytest.mark.parametrize("text", ['{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": NaN}',
                                  '{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1e400}',
                                  '{"bomFormat": "CycloneDX", ' * 5000])
def test_sbom_that_is_not_json_is_an_invalid_entry(tmp_path: Path, text: str) -> None:
    path = tmp_path / "x.cdx.json"
    path.write_text(text)
    entry = describe(path, path.read_bytes())
    assert entry["valid"] is False and entry["errors"][0].startswith("not JSON")


def test_scan_with_an_sbom_whose_metadata_is_a_list_is_judged(tmp_path: Path) -> None:
    """The entry is invalid and names no image: KZ-SUP-04 cannot tell which image it covers, an error
    that names the file (exit 3), where main ended in a traceback."""
    cell = _cell(tmp_path, "sboms")
    first = sorted((cell / "sboms").iterdir())[0]
    document = json.loads(first.read_text())
    document["metadata"] = [document["metadata"]]
    first.write_text(json.dumps(document))
    result = run_cli("scan", str(cell), "--format", "json", "--control", "KZ-SUP-04", "--no-progress")
    assert result.returncode == 3 and result.stderr == "", result.stdout[-1000:] + result.stderr
    (target,) = json.loads(result.stdout)["controls"][0]["targets"]
    assert target["status"] == "error" and str(first) in target["reason"]


# --- uniqueItems, taken over: the same verdicts as cyclonedx-python-lib -----------------------

VALUES = [1, 1.0, True, False, 0, None, "1", "a", [], {}, [1], [1.0], [True], {"a": 1}, {"a": 1.0},
          {"a": True}, {"a": 1, "b": 2}, {"b": 2, "a": 1}, [{"a": [1, 2]}], [{"a": [2, 1]}], [[1], [2]]]


def test_json_key_equality_is_json_schema_equality() -> None:
    for one in VALUES:
        for two in VALUES:
            assert (json_key(one) == json_key(two)) == jsonschema_equal(one, two), (one, two)


@pytest.mark.parametrize("duplicate", [
    {"type": "library", "name": "lib0", "version": "1.0", "licenses": [{"license": {"id": "MIT"}}]},
    {"licenses": [{"license": {"id": "MIT"}}], "version": "1.0", "name": "lib0", "type": "library"},
    {"type": "library", "name": "lib0", "version": "1.0", "licenses": [{"license": {"id": "Apache-2.0"}}]},
])
def test_duplicate_components_get_the_libs_verdict(duplicate: dict[str, Any]) -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator
    text = json.dumps(_sbom(3, components=_sbom(3)["components"] + [duplicate]))
    lib = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    ours = validate(text, "json", "1.6")
    assert (lib is None) == (ours == [])
    if ours:
        assert "non-unique" in ours[0] and ours[0].startswith("components")


# --- Terraform: lines found in one pass, plans of the wrong shape ------------------------------

def test_hcl_block_lines(tmp_path: Path) -> None:
    text = ('# resource "aws_s3_bucket" "a" {\n'
            'resource "aws_s3_bucket" "a" {\n}\n'
            '  resource   aws_s3_bucket   "b"   {\n}\n'
            'data "aws_iam_policy_document" "p" {\n}\n'
            'resource "aws_s3_bucket" "we\\"ird" {\n}\n'
            'module "net" {\n  source = "./net"\n}\n'
            'variable "cidr" {}\n')
    by_id = {r.id: r.origin.line for r in load_hcl(text.encode(), str(tmp_path / "main.tf"), tmp_path)}
    assert by_id == {"terraform/aws_s3_bucket.a": 2, "terraform/aws_s3_bucket.b": 4,
                     "terraform/terraform_data.aws_iam_policy_document.p": 6,
                     'terraform/aws_s3_bucket.we"ird': 8, "terraform/terraform_module.net": 10,
                     "terraform/terraform_variable.cidr": 13}


def test_tf_json_block_lines(tmp_path: Path) -> None:
    text = json.dumps({"resource": {"aws_s3_bucket": {"a": {"bucket": "b"}, "b": {"bucket": "a"}},
                                    "aws_s3_object": {"a": {"key": "\"a\": x"}}},
                       "variable": {"a": {"type": "string"}}}, indent=2)
    lines = text.splitlines()
    by_id = {r.id: r.origin.line for r in load_json(text.encode(), str(tmp_path / "main.tf.json"), tmp_path)}
    assert lines[by_id["terraform/aws_s3_bucket.a"] - 1].strip() == '"a": {'
    assert lines[by_id["terraform/aws_s3_bucket.b"] - 1].strip() == '"b": {'
    assert by_id["terraform/aws_s3_object.a"] > by_id["terraform/aws_s3_bucket.b"]
    assert lines[by_id["terraform/terraform_variable.a"] - 1].strip() == '"a": {'


RESOURCE = {"address": "aws_s3_bucket.a", "mode": "managed", "type": "aws_s3_bucket", "name": "a",
            "values": {"bucket": "x"}}


def _plan(**fields: Any) -> dict[str, Any]:
    return {"format_version": "1.2", "planned_values": {"root_module": {"resources": [RESOURCE]}},
            "resource_changes": [{"address": "aws_s3_bucket.a", "change": {"actions": ["create"], "after": {}}}],
            **fields}


@pytest.mark.parametrize("fields, where", [
    ({"resource_changes": {"aws_s3_bucket.a": {}}}, "resource_changes is an object"),
    ({"resource_changes": [{"address": "a", "change": []}]}, "resource_changes[0].change is an array"),
    ({"resource_changes": [{"address": "a", "change": {"actions": "create"}}]}, ".actions is a string"),
    ({"planned_values": []}, "planned_values is an array"),
    ({"planned_values": {"root_module": []}}, "planned_values.root_module is an array"),
    ({"planned_values": {"root_module": {"resources": {"a": RESOURCE}}}}, "resources is an object"),
    ({"planned_values": {"root_module": {"resources": [{**RESOURCE, "values": "x"}]}}}, "values is a string"),
    ({"planned_values": {"root_module": {"resources": [{**RESOURCE, "address": 5}]}}}, "address is a number"),
    ({"planned_values": {"root_module": {"resources": ["a"]}}}, "resources[0] is a string"),
    ({"planned_values": {"root_module": {"child_modules": [{"resources": [{**RESOURCE, "name": True}]}]}}},
     "child_modules[0].resources[0].name is a boolean"),
    ({"planned_values": {"root_module": {"resources": [{**RESOURCE, "schema_version": -1}]}}}, "negative"),
    ({"prior_state": {"values": {"root_module": {"resources": 1}}}}, "prior_state.values.root_module.resources"),
])
def test_plan_of_the_wrong_shape_is_bad_input(tmp_path: Path, fields: dict[str, Any], where: str) -> None:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(_plan(**fields)))
    result = run_cli("scan", str(path), "--format", "json", "--no-progress")
    assert result.returncode == 2, result.stdout[-500:] + result.stderr
    line = _one_line(result)
    assert f"{path}: " in line and "Terraform plan" in line and where in line


def test_plan_with_nulls_is_read_as_terraform_json_reads_it(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(_plan(resource_changes=None, planned_values={"root_module": {
        "resources": [None, RESOURCE], "child_modules": [None, {"resources": [{**RESOURCE, "address": "module.m.x"}]}]}})))
    result = run_cli("scan", str(path), "--format", "json", "--no-progress")
    assert result.returncode in (0, 1), result.stderr
    assert json.loads(result.stdout)["targets"][0]["resources"] == 2
