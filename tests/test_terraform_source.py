"""Terraform sources: HCL, the JSON syntax (`*.tf.json`) read into the shape of HCL, and plans (sources/terraform.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kaze_policy.errors import InputError
from kaze_policy.inventory import Origin, Resource
from kaze_policy.sources import terraform
from kaze_policy.sources.terraform import is_plan_json, load_hcl, load_json, load_plan

BUCKET = b'{"resource": {"aws_s3_bucket": {"logs": {"bucket": "l"}}}}'


def _bucket(file: str, line: int | None, **obj) -> Resource:
    return Resource(kind="aws_s3_bucket", name="logs", obj=obj or {"bucket": "l"}, origin=Origin(file, line),
                    source="terraform", api_version="terraform", id="terraform/aws_s3_bucket.logs")


def test_comment_keys_are_dropped_at_every_depth_of_a_block(tmp_path: Path) -> None:
    data = b'{"resource": {"aws_s3_bucket": {"logs": {"//": "c", "rule": [{"//": "x", "days": 1}, {"days": 2}]}}}}'
    file = str(tmp_path / "main.tf.json")
    assert load_json(data, file, tmp_path) == [_bucket(file, 1, rule=[{"days": 1}, {"days": 2}])]


def test_a_block_line_is_counted_from_the_first_line_of_the_file(tmp_path: Path) -> None:
    data = b'\n{"resource": {\n  "aws_s3_bucket": {\n    "logs": {"bucket": "l"}}}}'
    file = str(tmp_path / "main.tf.json")
    assert load_json(data, file, tmp_path) == [_bucket(file, 4)]


def test_an_hcl_block_line_counts_a_blank_first_line(tmp_path: Path) -> None:
    file = str(tmp_path / "main.tf")
    [bucket] = load_hcl(b'\nresource "aws_s3_bucket" "logs" {\n  bucket = "l"\n}\n', file, tmp_path)
    assert bucket.origin.line == 2


def _error(message: str, **attributes: object) -> Exception:
    err = ValueError(message)
    for name, value in attributes.items():
        setattr(err, name, value)
    return err


@pytest.mark.parametrize(("raised", "shown"), [
    pytest.param(_error("bad token\nexpected one of …", line=3), "main.tf:3: not valid HCL (bad token)", id="first-line-and-line"),
    pytest.param(_error("  "), "main.tf: not valid HCL (ValueError)", id="no-text-no-line"),
    pytest.param(_error("odd", line="3"), "main.tf: not valid HCL (odd)", id="a-line-that-is-no-number"),
])
def test_a_parser_error_of_any_shape_is_one_line_of_bad_input(monkeypatch: pytest.MonkeyPatch, raised: Exception,
                                                             shown: str) -> None:
    """python-hcl2 raises lark's errors and others: each becomes one line, its line when it has one."""
    def fail(*_args: object, **_kwargs: object) -> None:
        raise raised
    monkeypatch.setattr(terraform.hcl2, "loads", fail)
    with pytest.raises(InputError) as err:
        load_hcl(b"x = 1\n", "main.tf", Path("."))
    assert str(err.value) == shown


def test_json_blocks_read_through_lists_and_past_comments_at_every_label_level(tmp_path: Path) -> None:
    # Terraform ignores a "//" property whatever its value, an object too
    data = (b'{"resource": {"//": "buckets", "aws_s3_bucket": [{"//": {"bucket": "c"}, "logs": {"bucket": "l"}},'
            b' {"audit": [{"bucket": "a"}]}]}}')
    file = str(tmp_path / "main.tf.json")
    assert [(r.id, r.obj) for r in load_json(data, file, tmp_path)] == [
        ("terraform/aws_s3_bucket.logs", {"bucket": "l"}), ("terraform/aws_s3_bucket.audit", {"bucket": "a"})]


@pytest.mark.parametrize(("folder", "rid"), [
    ("terraform/./net", "terraform/net/aws_s3_bucket.logs"),
    (".", "terraform/aws_s3_bucket.logs"),
])
def test_a_module_folder_is_named_from_the_target_root_without_dot_parts(tmp_path: Path, folder: str, rid: str) -> None:
    file = tmp_path / folder / "main.tf.json"
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_bytes(BUCKET)
    [bucket] = load_json(BUCKET, str(file), tmp_path)
    assert bucket.id == rid


def test_a_block_label_written_with_json_escapes_still_finds_its_line(tmp_path: Path) -> None:
    data = b'{"resource": {"aws_s3_bucket": {\n"\\u006cogs": {"bucket": "l"}}}}'
    file = str(tmp_path / "main.tf.json")
    assert load_json(data, file, tmp_path) == [_bucket(file, 2)]


def test_a_utf16_file_is_read_without_lines(tmp_path: Path) -> None:
    # json reads UTF-16 and UTF-32; the key scan reads UTF-8 only, finds no label and gives no line
    file = str(tmp_path / "main.tf.json")
    assert load_json(BUCKET.decode().encode("utf-16"), file, tmp_path) == [_bucket(file, None)]


@pytest.mark.parametrize(("data", "message", "line"), [
    # the decoder's message without its position, which the line and file give
    (b'{"resource": \n', r"not valid JSON \(Expecting value\)", 2),
    (b"[" * 100_000 + b"]" * 100_000, r"not valid JSON \(maximum recursion depth exceeded.*\)", None),
    (b'["resource"]', r"a Terraform JSON file must hold an object", 1),
    (b'"resource"', r"a Terraform JSON file must hold an object", 1),
])
def test_a_tf_json_file_that_is_not_an_object_is_bad_input_at_its_line(data: bytes, message: str,
                                                                        line: int | None) -> None:
    with pytest.raises(InputError) as caught:
        load_json(data, "cell/main.tf.json", Path("cell"))
    assert re.fullmatch(message, caught.value.message)
    assert (caught.value.file, caught.value.line) == ("cell/main.tf.json", line)


# --- HCL ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("data", "where", "line"), [
    (b'resource "a" "b" {\n  x = \n}\n', "at line 2, column 7.)", 2),
    (b'resource "a" "b" {', "at line 1, column 19.)", 1),
])
def test_hcl_that_does_not_parse_is_bad_input_at_the_parser_line(data: bytes, where: str, line: int) -> None:
    with pytest.raises(InputError) as caught:
        load_hcl(data, "cell/main.tf", Path("cell"))
    assert caught.value.message.startswith("not valid HCL (Unexpected token")
    assert caught.value.message.endswith(where)
    assert (caught.value.file, caught.value.line) == ("cell/main.tf", line)


def test_hcl_blocks_are_named_by_kind_and_by_their_module_folder_below_terraform(tmp_path: Path) -> None:
    file = str(tmp_path / "infra" / "terraform" / "modules" / "net" / "main.tf")
    data = b'resource "aws_s3_bucket" "a" {}\ndata "aws_iam_policy_document" "p" {}\nmodule "net" {}\n'
    assert [(r.kind, r.name, r.id, r.origin.line, r.obj) for r in load_hcl(data, file, tmp_path)] == [
        ("aws_s3_bucket", "a", "terraform/modules/net/aws_s3_bucket.a", 1, {}),
        ("terraform_data", "aws_iam_policy_document.p", "terraform/modules/net/terraform_data.aws_iam_policy_document.p",
         2, {"type": "aws_iam_policy_document"}),
        ("terraform_module", "net", "terraform/modules/net/terraform_module.net", 3, {}),
    ]


def test_a_terraform_file_outside_the_root_is_named_by_its_own_folder(tmp_path: Path) -> None:
    (resource,) = load_hcl(b'resource "aws_s3_bucket" "a" {}\n', str(tmp_path / "elsewhere" / "mod" / "main.tf"),
                           tmp_path / "root")
    assert resource.id == "terraform/mod/aws_s3_bucket.a"


# --- plans -------------------------------------------------------------------------------------

def test_a_plan_gives_managed_and_data_resources_of_every_module_depth_first() -> None:
    plan = {"format_version": "1.2", "planned_values": {"root_module": {
        "resources": [
            {"address": "aws_s3_bucket.a", "mode": "managed", "type": "aws_s3_bucket", "name": "a",
             "values": {"bucket": "x"}},
            {"address": "data.aws_iam_policy_document.p", "mode": "data", "type": "aws_iam_policy_document",
             "name": "p", "values": {"json": "{}"}},
            None],
        "child_modules": [
            {"resources": [{"address": "module.m.aws_s3_bucket.c", "type": "aws_s3_bucket", "name": "c"}],
             "child_modules": [{"resources": [{"type": "x"}]}]},
            None,
            {"resources": [{"address": "module.n.aws_s3_bucket.d", "type": "aws_s3_bucket", "name": "d"}]}]}}}
    assert [(r.kind, r.name, r.id, r.obj, r.origin) for r in load_plan(plan, "plan.json")] == [
        ("aws_s3_bucket", "a", "terraform/aws_s3_bucket.a", {"bucket": "x"}, Origin("plan.json", None)),
        ("terraform_data", "p", "terraform/data.aws_iam_policy_document.p",
         {"json": "{}", "type": "aws_iam_policy_document"}, Origin("plan.json", None)),
        ("aws_s3_bucket", "c", "terraform/module.m.aws_s3_bucket.c", {}, Origin("plan.json", None)),
        # a resource without address nor name
        ("x", "unknown", "terraform/unknown", {}, Origin("plan.json", None)),
        ("aws_s3_bucket", "d", "terraform/module.n.aws_s3_bucket.d", {}, Origin("plan.json", None)),
    ]


def test_plan_resources_are_terraform_resources_named_by_address_else_name() -> None:
    plan = {"format_version": "1.2", "planned_values": {"root_module": {"resources": [
        {"name": "only-a-name", "type": "aws_s3_bucket"}, {"address": "aws_thing.t", "name": "t"}]}}}
    assert [(r.kind, r.id, r.source, r.api_version) for r in load_plan(plan, "plan.json")] == [
        ("aws_s3_bucket", "terraform/only-a-name", "terraform", "terraform"),
        ("unknown", "terraform/aws_thing.t", "terraform", "terraform")]


def test_a_state_is_read_from_its_values() -> None:
    state = {"format_version": "1.0", "values": {"root_module": {"resources": [
        {"address": "aws_s3_bucket.a", "type": "aws_s3_bucket", "name": "a", "values": {"bucket": "x"}}]}}}
    assert is_plan_json(state)
    assert [(r.id, r.obj) for r in load_plan(state, "state.json")] == [("terraform/aws_s3_bucket.a", {"bucket": "x"})]


@pytest.mark.parametrize(("value", "expected"), [
    ({"format_version": "1.2", "planned_values": {}}, True),
    ({"format_version": "1.2", "values": None}, True),
    ({"format_version": 1.2, "planned_values": {}}, False),
    ({"format_version": "1.2"}, False),
    ({"planned_values": {}}, False),
    ([{"format_version": "1.2", "planned_values": {}}], False),
])
def test_a_plan_is_told_by_its_format_version_and_values(value, expected: bool) -> None:
    assert is_plan_json(value) is expected


@pytest.mark.parametrize(("version", "shown"), [
    (-1, "a negative number"), (1.5, "a number"), (0.0, "a number"), ("1", "a string"), (True, "a boolean"),
    ([], "an array"),
])
def test_a_plan_field_of_the_wrong_json_type_is_bad_input_naming_both_types(version: object, shown: str) -> None:
    plan = {"format_version": "1.2", "values": {"root_module": {"resources": [
        {"address": "aws_s3_bucket.a", "mode": "managed", "type": "aws_s3_bucket", "name": "a",
         "schema_version": version, "values": {"bucket": "x"}}]}}}
    with pytest.raises(InputError) as err:
        load_plan(plan, "plan.json")
    assert str(err.value) == ("plan.json: not a Terraform plan as terraform show -json writes it: "
                              f"values.root_module.resources[0].schema_version is {shown}, "
                              "where it is an integer of at least 0")


@pytest.mark.parametrize(("plan", "message"), [
    ({"format_version": "1.2", "values": "all"}, "values is a string, where it is an object"),
    ({"format_version": "1.2", "values": {"root_module": {"resources": {}}}},
     "values.root_module.resources is an object, where it is an array"),
    # a null field is passed over, and the fields checked after it still are
    ({"format_version": "1.2", "values": {"root_module": {"resources": [{"schema_version": -1}]}}, "timestamp": None},
     "values.root_module.resources[0].schema_version is a negative number, where it is an integer of at least 0"),
])
def test_a_plan_object_or_array_of_the_wrong_type_is_bad_input_naming_its_path(plan: dict, message: str) -> None:
    with pytest.raises(InputError) as err:
        load_plan(plan, "plan.json")
    assert str(err.value) == f"plan.json: not a Terraform plan as terraform show -json writes it: {message}"


def test_a_plan_field_of_zero_where_an_integer_of_at_least_0_belongs_is_read() -> None:
    plan = {"format_version": "1.2", "values": {"root_module": {"resources": [
        {"address": "aws_s3_bucket.a", "mode": "managed", "type": "aws_s3_bucket", "name": "a",
         "schema_version": 0, "values": {"bucket": "x"}}]}}}
    assert [r.id for r in load_plan(plan, "plan.json")] == ["terraform/aws_s3_bucket.a"]
