"""Dockerfiles: the base images of each build stage, with their lines."""

from __future__ import annotations

import re
from pathlib import Path

from kaze_policy.inventory import Origin, Resource

# `[ \t]*`, not `\s*`: `\s` spans a blank line before the FROM, which then counted one line early.
_FROM = re.compile(r"^[ \t]*FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?", re.I | re.M)


def load_dockerfile(data: bytes, file: str, root: Path) -> list[Resource]:
    text = data.decode("utf-8", errors="replace")
    stages: set[str] = set()
    froms = []
    # Lines are counted from the previous FROM, not from the start: linear in the file's size.
    line, counted = 1, 0
    for match in _FROM.finditer(text):
        image, stage = match.group(1), match.group(2)
        line += text.count("\n", counted, match.start())
        counted = match.start()
        froms.append({
            "image": image,
            "line": line,
            # `FROM builder` names an earlier stage, not an image to pull.
            "stage": image in stages,
        })
        if stage:
            stages.add(stage)
    try:
        name = str(Path(file).resolve().relative_to(root.resolve()))
    except ValueError:
        name = file
    return [Resource(kind="Dockerfile", name=name, obj={"from": froms}, origin=Origin(file, 1),
                     source="dockerfile", api_version="build")]
