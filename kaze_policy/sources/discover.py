"""From the paths given on the command line to targets: one per cell.

A kustomization that no other kustomization includes is one target, rendered as a whole;
its bases are not scanned again on their own. Files outside every kustomization form one
target per path given.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from kaze_policy.errors import InputError
from kaze_policy.sources.kustomize import kustomization_file

SKIP_DIRS = frozenset({".git", ".venv", "venv", "node_modules", "__pycache__", ".tools", "target", "reports"})
CONFIG_FILE = "kaze-policy.yaml"


@dataclass
class TargetSpec:
    """What to load for one target."""

    name: str
    path: Path
    kind: str  # "kustomize" | "files"
    files: list[Path] = field(default_factory=list)


def find_targets(paths: list[str]) -> list[TargetSpec]:
    targets: list[TargetSpec] = []
    for given in paths:
        path = Path(given)
        if not path.exists():
            raise InputError("no such file or directory", given)
        if path.is_file():
            targets.append(TargetSpec(name=given, path=path, kind="files", files=[path]))
            continue
        targets.extend(_targets_of_folder(path))
    return targets


def _targets_of_folder(folder: Path) -> list[TargetSpec]:
    kustomize_dirs: list[Path] = []
    loose: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
        here = Path(dirpath)
        if kustomization_file(here) is not None:
            kustomize_dirs.append(here)
            dirnames[:] = []  # the kustomization owns its subtree
            continue
        loose.extend(here / f for f in sorted(filenames) if not f.startswith("."))
    included = set()
    for kdir in kustomize_dirs:
        included.update(_referenced_dirs(kdir))
    targets = [
        TargetSpec(name=str(kdir), path=kdir, kind="kustomize")
        for kdir in kustomize_dirs if kdir.resolve() not in included
    ]
    if loose:
        targets.insert(0, TargetSpec(name=str(folder), path=folder, kind="files", files=loose))
    return targets


def _referenced_dirs(kdir: Path) -> set[Path]:
    """Folders a kustomization pulls in (resources, bases, components), resolved."""
    kfile = kustomization_file(kdir)
    try:
        spec = yaml.safe_load(kfile.read_text()) if kfile else None
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return set()  # kustomize itself reports the error when the target is rendered
    if not isinstance(spec, dict):
        return set()
    found = set()
    for key in ("resources", "bases", "components"):
        for entry in spec.get(key) or []:
            if isinstance(entry, str) and "://" not in entry:
                candidate = (kdir / entry).resolve()
                if candidate.is_dir():
                    found.add(candidate)
    return found


def nearest_config(start: Path) -> Path | None:
    """The nearest kaze-policy.yaml in or above a folder (or a file's folder)."""
    folder = start.resolve()
    if folder.is_file():
        folder = folder.parent
    for candidate in (folder, *folder.parents):
        config = candidate / CONFIG_FILE
        if config.is_file():
            return config
    return None
