"""The pre-commit hook's mapping: changed files to the *targets* that hold them.

A file is never scanned alone: a lone NetworkPolicy, RoleBinding or Deployment passes every
control that needs the rest of its cell (the namespace it lands in, the policies that select
it, the configuration's tenants), so the hook scans what kubectl or the CI scan would judge
it in. For each changed file, walking up from its folder to the repository's root:

1. the nearest folder with a kustomization (a Kustomize Component is no target: it is judged
   inside the kustomizations that use it, so the walk goes on above it);
2. else the folder of the nearest kaze-policy.yaml (the cell its configuration describes);
3. else the file's own folder.

Targets inside another target are dropped: scanning the outer one walks them already.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from kaze_policy.sources.discover import CONFIG_FILE, repository_root
from kaze_policy.sources.kustomize import kustomization_file, kustomization_spec


def _existing_folder(file: Path) -> Path:
    """The file's folder, or the nearest one above it that still exists (a file may be
    renamed or deleted along with its folder)."""
    folder = file.parent
    while not folder.is_dir() and folder != folder.parent:
        folder = folder.parent
    return folder


def _upwards(folder: Path, root: Path | None) -> list[Path]:
    """`folder` and its parents up to `root` (inclusive); to the filesystem's root without one.

    A kustomization or configuration above the repository is nobody's choice for this commit."""
    chain = []
    for candidate in (folder, *folder.parents):
        chain.append(candidate)
        if root is not None and candidate == root:
            break
    return chain


def _is_target_kustomization(folder: Path) -> bool:
    return kustomization_file(folder) is not None and kustomization_spec(folder).get("kind") != "Component"


def target_of(file: Path, root: Path | None) -> Path:
    """The target that holds `file` (absolute), by the rules of the module's docstring."""
    folder = _existing_folder(file.resolve())
    chain = _upwards(folder, root)
    kustomized = next((f for f in chain if _is_target_kustomization(f)), None)
    if kustomized is not None:
        return kustomized
    configured = next((f for f in chain if (f / CONFIG_FILE).is_file()), None)
    return configured if configured is not None else folder


def outermost(targets: Iterable[Path]) -> list[Path]:
    """The targets that lie in no other one, sorted: an outer folder's scan walks the inner ones.

    A kustomization folder below another target is walked by that target's scan too (the
    scan finds every kustomization under a folder), so dropping it loses nothing."""
    unique = sorted(set(targets), key=lambda p: (len(p.parts), str(p)))
    kept: list[Path] = []
    for target in unique:
        if not any(target.is_relative_to(outer) for outer in kept):
            kept.append(target)
    return sorted(kept)


def targets_for(files: Iterable[str], cwd: Path) -> list[Path]:
    """The targets to scan for the changed files (paths as pre-commit gives them: relative
    to the repository's root, the current folder)."""
    root = repository_root(cwd)
    return outermost(target_of(cwd / name, root) for name in files)


def shown(path: Path, cwd: Path) -> str:
    """A target as the scan's report names it: relative to the current folder when inside it."""
    resolved = cwd.resolve()
    return os.path.relpath(path, resolved) if path.is_relative_to(resolved) else str(path)
