"""Dockerfiles as resources: each FROM's image, line and whether it names an earlier stage (sources/dockerfile.py)."""

from __future__ import annotations

from pathlib import Path

from kaze_policy.inventory import Origin, Resource
from kaze_policy.sources.dockerfile import load_dockerfile

MULTI_STAGE = b"""\

# syntax=docker/dockerfile:1
FROM --platform=linux/amd64 golang:1.22 AS builder
RUN go build ./...

from builder as test
RUN go test ./...
FROM builder
FROM gcr.io/distroless/static:nonroot
COPY --from=builder /app /app
"""


def test_each_from_gives_its_image_line_and_whether_it_is_an_earlier_stage(tmp_path: Path) -> None:
    file = tmp_path / "svc" / "Dockerfile"
    assert load_dockerfile(MULTI_STAGE, str(file), tmp_path) == [Resource(
        kind="Dockerfile", name="svc/Dockerfile",
        obj={"from": [
            {"image": "golang:1.22", "line": 3, "stage": False},
            # `FROM builder` names the stage above; `AS` is case-insensitive, as in docker
            {"image": "builder", "line": 6, "stage": True},
            {"image": "builder", "line": 8, "stage": True},
            {"image": "gcr.io/distroless/static:nonroot", "line": 9, "stage": False},
        ]},
        origin=Origin(str(file), 1), source="dockerfile", api_version="build")]


def test_an_image_is_a_stage_only_once_a_stage_of_that_name_came_before(tmp_path: Path) -> None:
    data = b"FROM base\nFROM alpine:3 AS base\nFROM base\n"
    froms = load_dockerfile(data, str(tmp_path / "Dockerfile"), tmp_path)[0].obj["from"]
    assert [(f["image"], f["stage"]) for f in froms] == [("base", False), ("alpine:3", False), ("base", True)]


def test_a_dockerfile_outside_the_target_root_keeps_the_name_it_was_given(tmp_path: Path) -> None:
    (resource,) = load_dockerfile(b"FROM alpine:3\n", "elsewhere/Dockerfile", tmp_path / "root")
    assert (resource.name, resource.origin, resource.obj) == (
        "elsewhere/Dockerfile", Origin("elsewhere/Dockerfile", 1),
        {"from": [{"image": "alpine:3", "line": 1, "stage": False}]})


def test_a_dockerfile_that_is_not_utf8_is_read_with_replacement_characters(tmp_path: Path) -> None:
    (resource,) = load_dockerfile(b"# caf\xe9\nFROM alpine:3\n", str(tmp_path / "Dockerfile"), tmp_path)
    assert resource.obj == {"from": [{"image": "alpine:3", "line": 2, "stage": False}]}


def test_a_from_after_blank_lines_is_counted_on_its_own_line(tmp_path: Path) -> None:
    # `^\s*FROM` once matched from the blank line above, one line early (issue 11)
    data = b"\n\nFROM alpine:3 AS a\n  \n\t from a\n"
    froms = load_dockerfile(data, str(tmp_path / "Dockerfile"), tmp_path)[0].obj["from"]
    assert [(f["image"], f["line"]) for f in froms] == [("alpine:3", 3), ("a", 5)]
