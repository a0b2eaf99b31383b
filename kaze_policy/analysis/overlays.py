"""Images per overlay across the whole scan, for KZ-POR-01 (one build, different configuration).

The only fact that spans targets: each target still judges itself, against the others.
"""

from __future__ import annotations

import re
from typing import Iterable

from kaze_policy.inventory import WORKLOAD_KINDS, Inventory, pod_template
_DIGEST = re.compile(r"@(sha256:[0-9a-f]{64})$")


def repository_and_digest(image: str) -> tuple[str, str | None]:
    """`registry/name:tag@sha256:…` → (`registry/name`, `sha256:…`); digest None when unpinned."""
    match = _DIGEST.search(image)
    digest = match.group(1) if match else None
    name = image[: match.start()] if match else image
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        name = name[: len(name) - len(last)] + last.split(":", 1)[0]
    return name, digest


def images_of(inventory: Inventory) -> dict[str, list[str]]:
    found: dict[str, set[str]] = {}
    for resource in inventory.resources:
        if resource.kind not in WORKLOAD_KINDS:
            continue
        spec = pod_template(resource.obj).get("spec") or {}
        for field in ("initContainers", "containers", "ephemeralContainers"):
            for container in spec.get(field) or []:
                image = container.get("image") if isinstance(container, dict) else None
                if isinstance(image, str):
                    repo, digest = repository_and_digest(image)
                    found.setdefault(repo, set()).add(digest or image)
    return {repo: sorted(values) for repo, values in sorted(found.items())}


def add_overlay_facts(inventories: Iterable[Inventory], parts: Iterable[str] = ()) -> None:
    """Give every Kustomize target the images of every overlay of the scan.

    The overlays are the kustomizations that no other kustomization of the scan includes;
    `parts` (bases, tenants: included by another) are judged on their own but are no
    overlays to compare: a base runs the images its overlays pin.
    """
    excluded = set(parts)
    targets = [inv for inv in inventories if inv.target.kind == "kustomize"]
    images = {inv.target.name: images_of(inv) for inv in targets if inv.target.name not in excluded}
    for inventory in targets:
        inventory.facts["overlays"] = images
