"""Kustomize overlays rendered by the real `kustomize`, each resource traced to its file."""

from __future__ import annotations

import errno
import os
import re
import select
import subprocess
import tempfile
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from kaze_policy.errors import InputError, KazePolicyError, UsageError, note_input
from kaze_policy.inventory import Origin, Resource
from kaze_policy.sources.files import not_regular, read_bytes
from kaze_policy.sources.kubernetes import load_manifest
from kaze_policy.tools import find_tool

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
ORIGIN_ANNOTATION = "config.kubernetes.io/origin"
RENDER_TIMEOUT_SECONDS = 120
REFERENCE_KEYS = ("resources", "bases", "components")
# What kustomize fetches rather than reads: a URL, a git address, a `?ref=`, or a host name
# as the first segment of a path that does not exist here (github.com/org/repo//dir).
_REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|git@|git::)|\?ref=|^[^/]*\.[^/]*/", re.I)


class ToolMissingError(KazePolicyError):
    """A reference tool the target needs is not installed (exit 3: could not evaluate)."""

    exit_code = 3


def kustomization_file(directory: Path) -> Path | None:
    for name in KUSTOMIZATION_FILES:
        candidate = directory / name
        if candidate.is_file():
            return candidate
    return None


def kustomization_spec(kdir: Path) -> dict:
    """A kustomization's content; {} when it cannot be read (kustomize reports that at build)."""
    kfile = kustomization_file(kdir)
    try:
        # read_bytes: the size limit, and never a FIFO that a link swapped in since.
        spec = yaml.safe_load(read_bytes(kfile)) if kfile else None
    except (KazePolicyError, yaml.YAMLError, RecursionError):
        return {}
    return spec if isinstance(spec, dict) else {}


def references(kdir: Path) -> list[str]:
    """The entries of a kustomization's resources, bases and components."""
    spec = kustomization_spec(kdir)
    found = []
    for key in REFERENCE_KEYS:
        entries = spec.get(key)
        found.extend(e for e in (entries if isinstance(entries, list) else []) if isinstance(e, str))
    return found


def kustomization_graph(directory: Path) -> tuple[set[Path], list[tuple[Path, str]]]:
    """The folders of every local kustomization a build of `directory` loads (resolved), and
    (kustomization, entry) of every remote entry among them."""
    remote: list[tuple[Path, str]] = []
    seen: set[Path] = set()
    pending = [directory.resolve()]
    while pending:
        kdir = pending.pop()
        if kdir in seen:
            continue
        seen.add(kdir)
        for entry in references(kdir):
            local = kdir / entry
            if local.is_dir():
                pending.append(local.resolve())
            elif not local.exists() and _REMOTE.search(entry):
                remote.append((kustomization_file(kdir) or kdir, entry))
    return seen, remote


def render(directory: Path, max_bytes: int, allow_remote: bool = False) -> tuple[list[Resource], int]:
    """Render a kustomization; returns its resources and the count of non-objects skipped.

    A scan reaches no network: a remote base or resource, which kustomize would fetch with
    git or HTTP, is bad input unless `allow_remote`.
    """
    binary = find_tool("kustomize")
    kfile = kustomization_file(directory)
    display = str(kfile or directory)
    folders, remote = kustomization_graph(directory)
    if not allow_remote:
        if remote:
            where, entry = remote[0]
            raise InputError(f"remote resource {entry!r}: a scan does not reach the network "
                             "(--allow-remote lets kustomize fetch it)", str(where))
    special = _special_file(folders)
    if special is not None:
        raise InputError(f"{special[1]}, not a regular file, in a kustomization: kustomize would wait on it "
                         "or read it forever (only regular files are read)", _display(str(special[0])))
    if binary is None:
        raise ToolMissingError("kustomize is not installed: run `make tools`", display)
    note_input(display)
    output = _build_with_origins(binary, directory.resolve(), display, max_bytes)
    manifest = load_manifest(output, display, source="kustomize")
    for resource in manifest.resources:
        # Until traced to its source, an object is the kustomization's: its line in kustomize's
        # output is no line of that file (a generated ConfigMap got `kustomization.yaml:11`).
        resource.origin = Origin(display)
        _trace_origin(resource, folders, max_bytes)
    return manifest.resources, manifest.skipped


def _special_file(folders: set[Path]) -> tuple[Path, str] | None:
    """A FIFO or a device (or a link to one) below a kustomization the build loads, and what it is.

    The discovery walk passes over such a file, but kustomize opens whatever a kustomization
    names: a FIFO blocks the build, a device such as /dev/zero is read until memory runs out.
    Git cannot hold either, so the check costs a checkout nothing; the walk skips `.git`."""
    for folder in sorted(folders):
        for here, dirs, files in os.walk(folder):
            dirs[:] = [d for d in dirs if d != ".git"]
            for name in sorted(files):
                path = Path(here, name)
                try:
                    what = not_regular(os.stat(path).st_mode)
                except OSError:
                    continue  # a broken link: kustomize reports it if the build needs it
                if what is not None:
                    return path, what
    return None


def _build_with_origins(binary: str, directory: Path, display: str, max_bytes: int) -> bytes:
    # A wrapper kustomization turns on origin annotations without touching the user's files.
    with tempfile.TemporaryDirectory(prefix="kaze-kustomize-") as tmp:
        wrapper = Path(tmp) / "kustomization.yaml"
        rel = os.path.relpath(directory, tmp)
        wrapper.write_text(f"resources:\n- {rel}\nbuildMetadata: [originAnnotations]\n")
        try:
            # kustomize's default load restrictor: a generator or patch of a pull request
            # reads no file outside its own kustomization's folder (/etc/hostname, ../secrets).
            done = _run_bounded([binary, "build", tmp], max_bytes, RENDER_TIMEOUT_SECONDS)
        except _OutputTooLarge:
            raise InputError(f"kustomize build output is over the limit of {max_bytes} bytes (--max-file-size)",
                             display) from None
        except subprocess.TimeoutExpired:
            raise InputError(f"kustomize build took longer than {RENDER_TIMEOUT_SECONDS} s", display) from None
        except OSError as err:
            raise UsageError(_not_a_program(binary, err), binary) from None
        if done.returncode != 0:
            message = done.stderr.decode("utf-8", "replace").strip().splitlines()
            detail = message[-1] if message else f"exit {done.returncode}"
            raise InputError(f"kustomize build failed: {detail.replace(tmp, '.')}", display)
        origin_base = Path(tmp)
        return _rebase_origins(done.stdout, origin_base)


def _not_a_program(binary: str, err: OSError) -> str:
    """Why the kustomize named by KAZE_KUSTOMIZE (or found on PATH) could not be started.

    The environment is at fault, not the input nor the scanner: bad usage, exit 2."""
    if os.path.isdir(binary):
        what = "a folder"
    elif err.errno == errno.ENOENT:
        what = "no such file"
    elif err.errno == errno.ENOEXEC:
        what = "not a program (neither a binary nor a script with #!)"
    elif err.errno == errno.EACCES:
        what = "not executable"
    else:
        what = err.strerror or type(err).__name__
    named = "KAZE_KUSTOMIZE" if os.environ.get("KAZE_KUSTOMIZE") else "kustomize"
    return f"cannot run {named}: {what}; it must name the kustomize program"


class _OutputTooLarge(Exception):
    """A tool wrote more than the limit to its standard output (it has been stopped)."""


def _run_bounded(command: list[str], max_bytes: int, timeout: float) -> subprocess.CompletedProcess:
    """Run a tool, keeping at most `max_bytes` of its output, for at most `timeout` seconds.

    A build's output is input like a file, with the same limit (--max-file-size): bases
    included twice under two prefixes double it at every level, so a small kustomization can
    build gigabytes. Read as it comes, the tool is stopped once over the limit, before the
    scan holds it all. Raises _OutputTooLarge, or subprocess.TimeoutExpired as `run` does.
    """
    deadline = time.monotonic() + timeout
    with tempfile.TemporaryFile() as errors, \
            subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors) as process:
        assert process.stdout is not None
        chunks, total = [], 0
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise subprocess.TimeoutExpired(command, timeout)
                if not select.select([process.stdout], [], [], left)[0]:
                    continue
                chunk = os.read(process.stdout.fileno(), 1 << 20)
                if not chunk:
                    break
                total += len(chunk)
                if total > max_bytes:
                    raise _OutputTooLarge()
                chunks.append(chunk)
            process.wait(max(0.0, deadline - time.monotonic()))
        except BaseException:
            process.kill()
            raise
        errors.seek(max(0, errors.seek(0, os.SEEK_END) - (1 << 16)))  # the end says what went wrong
        return subprocess.CompletedProcess(command, process.returncode, b"".join(chunks), errors.read())


def _rebase_origins(output: bytes, base: Path) -> bytes:
    """Origins are relative to the temporary wrapper: make them absolute before it goes."""
    lines = output.split(b"\n")
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith(b"path: ") and i > 0 and ORIGIN_ANNOTATION.encode() in lines[i - 1]:
            rel = stripped[len(b"path: "):].decode("utf-8", "replace")
            absolute = os.path.normpath(base / rel)
            indent = line[: len(line) - len(line.lstrip())]
            lines[i] = indent + b"path: " + absolute.encode()
    return b"\n".join(lines)


def _trace_origin(resource: Resource, folders: set[Path], max_bytes: int) -> None:
    """The file and line an object came from, from kustomize's origin annotation.

    A generator can write that annotation itself: the path is opened only when it lies in
    one of the kustomizations the build loaded (the default load restrictor keeps every file
    kustomize reads there); any other path is not trusted, and the kustomization stays the origin.
    """
    annotations = (resource.obj.get("metadata") or {}).get("annotations") or {}
    origin = annotations.pop(ORIGIN_ANNOTATION, None)
    if not annotations:
        resource.obj["metadata"].pop("annotations", None)
    if not isinstance(origin, str):
        return
    path = None
    for line in origin.splitlines():
        if line.startswith("path: "):
            path = line[len("path: "):].strip()
    if not path or not _inside(Path(path), folders):
        return
    resource.origin = Origin(_display(path), _line_in_file(path, resource.kind, resource.name, max_bytes))


def _display(path: str) -> str:
    """An absolute path as the user sees it: relative to the current folder, or absolute when far outside."""
    relative = os.path.relpath(path)
    return path if relative.startswith("../..") else relative


def _inside(path: Path, folders: set[Path]) -> bool:
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError):
        return False
    return any(resolved.is_relative_to(folder) for folder in folders)


def _line_in_file(path: str, kind: str, name: str, max_bytes: int) -> int | None:
    named = _objects_of_file(path, max_bytes).get(kind)
    if named is None:
        return None
    if name in named.first:
        return named.first[name][1]
    # A name kustomize changed (namePrefix, nameSuffix, a generator's hash): the object of that
    # kind with the longest name that is part of it (`prod-app-11` is `app-11`, not `app-1`),
    # the first in the file among equals. Found by looking up the name's substrings of the
    # lengths the file's names have, not by a scan of the file for every resource (which
    # made a kustomization of many resources in one file quadratic).
    hits = [(-size, named.first[part]) for size in named.lengths for i in range(len(name) - size + 1)
            if (part := name[i:i + size]) in named.first]
    return min(hits)[1][1] if hits else None


@dataclass(frozen=True)
class _Named:
    """The objects of one kind in a file: name → (place in the file, line) of the first one."""

    first: dict[str, tuple[int, int | None]]
    lengths: tuple[int, ...]


@lru_cache(maxsize=512)
def _objects_of_file(path: str, max_bytes: int) -> dict[str, _Named]:
    try:
        manifest = load_manifest(read_bytes(Path(path), max_bytes), path)
    except KazePolicyError:
        return {}
    by_kind: dict[str, dict[str, tuple[int, int | None]]] = {}
    for place, resource in enumerate(manifest.resources):
        by_kind.setdefault(resource.kind, {}).setdefault(resource.name, (place, resource.origin.line))
    return {kind: _Named(first, tuple(sorted({len(n) for n in first}))) for kind, first in by_kind.items()}
