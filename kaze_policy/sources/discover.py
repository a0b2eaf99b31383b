"""From the paths given on the command line to targets, and to what was passed over.

Every kustomization that kustomize can build on its own is one target, rendered as a whole,
whether or not another kustomization includes it: `kubectl apply -k` can deploy any of
them (a Component cannot be built alone: it is judged inside the kustomizations that use
it). Files outside every kustomization form one target per path given; the files inside a
kustomization's folder are its own, read through kustomize.

A folder is walked as `kubectl apply -f DIR -R` would read it: nothing is left out but `.git`
and what `--exclude` names, and everything passed over is recorded with why.
"""

from __future__ import annotations

import fnmatch
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from kaze_policy.errors import InputError
from kaze_policy.sources.files import (STDIN, STDIN_NAME, Skipped, check_name, entry_kind, not_regular, refusal,
                                       shown_path)
from kaze_policy.sources.kustomize import KUSTOMIZATION_FILES, kustomization_file, kustomization_spec, references

CONFIG_FILE = "kaze-policy.yaml"
VCS_FOLDER = ".git"
# What a walked folder's files must be named to be read (kubectl reads .json, .yaml, .yml).
READ_SUFFIXES = (".yaml", ".yml", ".json", ".tf", ".hcl")
_UNREAD = "not read: named neither *.yaml, *.yml, *.json, *.tf, *.tf.json, *.hcl nor Dockerfile"


@dataclass
class TargetSpec:
    """What to load for one target, and (filled while loading) what it passed over."""

    name: str
    path: Path
    kind: str  # "kustomize" | "files"
    files: list[Path] = field(default_factory=list)
    given: str = ""  # the command-line path the target was found under
    explicit: bool = False  # a file named on the command line: read whatever its name
    stdin: bool = False  # `-`: the one file is standard input
    # A kustomization that another kustomization of the scan includes: judged on its own
    # all the same, but a part (a base), not an overlay to compare with the others.
    included: bool = False
    skipped: list[Skipped] = field(default_factory=list)


@dataclass
class Found:
    """What one path of the command line holds: targets, and what the walk passed over."""

    given: str
    targets: list[TargetSpec] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    components: list[Path] = field(default_factory=list)


def is_dockerfile(name: str) -> bool:
    return name == "Dockerfile" or name.endswith(".Dockerfile") or name.startswith("Dockerfile.")


def is_read(name: str) -> bool:
    """Whether a file found in a folder is one the scan reads (by its name, as kubectl does)."""
    return name.endswith(READ_SUFFIXES) or is_dockerfile(name)


def find_targets(paths: list[str], exclude: tuple[str, ...] = ()) -> list[TargetSpec]:
    return [spec for found in discover(paths, exclude) for spec in found.targets]


def discover(paths: list[str], exclude: tuple[str, ...] = ()) -> list[Found]:
    if paths.count(STDIN) > 1:
        raise InputError("standard input (-) is given more than once")
    founds = [_found(given, exclude) for given in paths]
    kustomizations = [spec.path for found in founds for spec in found.targets if spec.kind == "kustomize"]
    kustomizations += [kdir for found in founds for kdir in found.components]
    used = set().union(*(_referenced_dirs(kdir) for kdir in kustomizations))
    for found in founds:
        for spec in found.targets:
            spec.included = spec.kind == "kustomize" and spec.path.resolve() in used
        found.skipped.extend(
            Skipped(str(kdir), "a kustomize Component that no kustomization here includes "
                               "(a Component is judged inside the kustomizations that use it)")
            for kdir in found.components if kdir.resolve() not in used)
    return founds


def _found(given: str, exclude: tuple[str, ...]) -> Found:
    if given == STDIN:
        spec = TargetSpec(name=STDIN_NAME, path=Path(STDIN), kind="files", files=[Path(STDIN)], given=given,
                          explicit=True, stdin=True)
        return Found(given, [spec])
    check_name(given)
    path = Path(given)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise InputError("no such file or directory", given) from None
    except OSError as err:
        raise InputError(f"cannot read ({err.strerror})", given) from None
    if stat.S_ISDIR(mode):
        return _walk_root(path, given, exclude)
    what = not_regular(mode)
    if what is not None:
        raise InputError(refusal(what), given)
    if path.name in KUSTOMIZATION_FILES:
        # What `kubectl apply -k` means by it: the kustomization of that folder.
        return Found(given, [TargetSpec(name=str(path.parent), path=path.parent, kind="kustomize", given=given)])
    return Found(given, [TargetSpec(name=given, path=path, kind="files", files=[path], given=given, explicit=True)])


def _walk_root(folder: Path, given: str, exclude: tuple[str, ...]) -> Found:
    found = Found(given)
    loose: list[Path] = []
    kustomizations: list[Path] = []
    _walk(folder, folder, exclude, False, loose, kustomizations, found.skipped, folder.resolve())
    found.components = [kdir for kdir in kustomizations if _is_component(kdir)]
    if loose:
        found.targets.append(TargetSpec(name=str(folder), path=folder, kind="files", files=loose, given=given))
    found.targets.extend(TargetSpec(name=str(kdir), path=kdir, kind="kustomize", given=given)
                         for kdir in kustomizations if kdir not in found.components)
    return found


def _walk(root: Path, here: Path, exclude: tuple[str, ...], owned: bool, loose: list[Path],
          kustomizations: list[Path], skipped: list[Skipped], tree: Path) -> None:
    """One folder: its files (unless a kustomization owns them), then its subfolders, by name."""
    try:
        with os.scandir(here) as listing:
            entries = sorted(listing, key=lambda e: e.name)
    except OSError as err:
        raise InputError(f"cannot read the folder ({err.strerror})", str(here)) from None
    if kustomization_file(here) is not None:
        kustomizations.append(here)
        owned = True
    folders = []
    for entry in entries:
        path = Path(entry.path)
        pattern = _excluded(path.relative_to(root).as_posix(), entry.name, exclude)
        if pattern is not None:
            skipped.append(Skipped(shown_path(path), f"excluded by --exclude '{shown_path(pattern)}'"))
            continue
        what = entry_kind(entry, tree)
        if what != "file" or not owned:
            check_name(path)  # it is read, walked or reported as skipped: its name must be shown
        if what == "folder":
            if entry.name == VCS_FOLDER:
                skipped.append(Skipped(str(path), "the version-control folder (.git) is not walked"))
            else:
                folders.append(path)
        elif what != "file":
            skipped.append(Skipped(str(path), what))
        elif not owned:
            if is_read(entry.name):
                loose.append(path)  # kaze-policy.yaml too: the configuration is judged as well
            else:
                skipped.append(Skipped(str(path), _UNREAD))
    for folder in folders:
        _walk(root, folder, exclude, owned, loose, kustomizations, skipped, tree)


def _excluded(relative: str, name: str, exclude: tuple[str, ...]) -> str | None:
    """The first --exclude glob that matches the path (relative to the folder given) or its name."""
    for pattern in exclude:
        if fnmatch.fnmatchcase(relative, pattern) or fnmatch.fnmatchcase(name, pattern):
            return pattern
    return None


def _is_component(kdir: Path) -> bool:
    return kustomization_spec(kdir).get("kind") == "Component"


def _referenced_dirs(kdir: Path) -> set[Path]:
    """Folders a kustomization pulls in (resources, bases, components), resolved."""
    found = set()
    for entry in references(kdir):
        if "://" not in entry:
            candidate = (kdir / entry).resolve()
            if candidate.is_dir():
                found.add(candidate)
    return found


def repository_root(start: Path) -> Path | None:
    """The git work tree `start` lies in: the nearest folder in or above it that holds .git."""
    start = start.resolve()
    return next((p for p in (start, *start.parents) if (p / VCS_FOLDER).exists()), None)


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
