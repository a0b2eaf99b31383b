"""Terraform's JSON syntax (`*.tf.json`) read into the shape of HCL (sources/terraform.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kaze_policy.errors import InputError
from kaze_policy.inventory import Origin, Resource
from kaze_policy.sources.terraform import load_json

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
