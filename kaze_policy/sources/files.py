"""Reading input: regular files and standard input only, the size limit applied while reading.

A FIFO, a device or a socket is never opened for reading: /dev/zero would never end, a
FIFO would block the scan. What the scan passes over is recorded as a `Skipped`, with why.
"""

from __future__ import annotations

import os
import stat
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from kaze_policy.errors import InputError, note_input

DEFAULT_MAX_FILE_BYTES = 50 * 1024 * 1024
STDIN = "-"
STDIN_NAME = "<stdin>"
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Skipped:
    """A file or folder the scan did not judge, and why: each one is reported."""

    path: str
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"path": self.path, "reason": self.reason}


def describe_skipped(skipped: list[Skipped], examples: int = 3) -> str:
    """One line: how many were passed over for each reason, with the first few of them."""
    by_reason: dict[str, list[str]] = {}
    for entry in skipped:
        by_reason.setdefault(entry.reason, []).append(entry.path)
    parts = []
    for reason, paths in by_reason.items():
        shown = ", ".join(paths[:examples]) + (", …" if len(paths) > examples else "")
        parts.append(f"{len(paths)} {reason} ({shown})")
    return "; ".join(parts)


def not_regular(mode: int) -> str | None:
    """What a file that is not a regular file is (`a FIFO`…), or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    for test, what in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return what
    return "not a regular file"


def entry_kind(entry: os.DirEntry, tree: Path) -> str:
    """"folder", "file" (regular, or a link to one inside the tree), or why the entry is not read.

    kubectl would follow a link to a file anywhere; a scan of a stranger's tree does not: a
    link out of the tree (to a credential of the CI machine, say) is skipped and reported, and
    what it points to is not even looked at.
    """
    try:
        if entry.is_dir(follow_symlinks=False):
            return "folder"
        if entry.is_symlink():
            target = Path(os.path.realpath(entry.path))
            if not target.is_relative_to(tree):
                return "a symbolic link out of the tree: not followed"
            try:
                mode = os.stat(target).st_mode
            except OSError:
                return "a symbolic link to nothing (broken)"
            if stat.S_ISDIR(mode):
                return "a symbolic link to a folder: not followed (as kubectl does not follow it)"
        else:
            mode = entry.stat(follow_symlinks=False).st_mode
    except OSError as err:
        raise InputError(f"cannot read ({err.strerror})", entry.path) from None
    what = not_regular(mode)
    return "file" if what is None else f"{what}, not a regular file: never read"


def shown_path(path: str | Path) -> str:
    """A path as a report or a message can show it: bytes that are not UTF-8 escaped (\\xff)."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def check_name(path: str | Path) -> None:
    """A file name that is not UTF-8 is bad input, the file named with its bytes escaped.

    kubectl would apply such a file, so passing over it would be a false pass; yet every
    report (JSON, SARIF, JUnit, text) names files in UTF-8, and a finding must name the file
    exactly. So the scan stops: the file is to be renamed (or left out with --exclude)."""
    try:
        os.fspath(path).encode("utf-8")
    except UnicodeEncodeError:
        raise InputError("the file name is not UTF-8: a report could not name it; rename it "
                         "(or leave it out with --exclude)", shown_path(path)) from None


def refusal(what: str) -> str:
    return f"{what}, not a regular file: only regular files are read (standard input: give -)"


def read_bytes(path: Path, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file, at most `max_bytes` of them, else bad input."""
    shown = str(path)
    note_input(shown)
    try:
        what = not_regular(os.stat(path).st_mode)
        if what is not None:
            raise InputError(refusal(what), shown)
        # O_NONBLOCK: should the path have become a FIFO since, opening it does not wait.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as err:
        raise InputError(f"cannot read ({err.strerror})", shown) from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        what = not_regular(info.st_mode)
        if what is not None:
            raise InputError(refusal(what), shown)
        if info.st_size > max_bytes:
            raise InputError(f"file is {info.st_size} bytes, over the limit of {max_bytes} (--max-file-size)", shown)
        return _read_bounded(handle, max_bytes, shown)


def read_stdin(max_bytes: int = DEFAULT_MAX_FILE_BYTES, stream: BinaryIO | None = None) -> bytes:
    """Standard input (`scan -`), with the same limit as a file."""
    note_input(STDIN_NAME)
    return _read_bounded(stream or sys.stdin.buffer, max_bytes, STDIN_NAME)


def _read_bounded(handle: BinaryIO, max_bytes: int, shown: str) -> bytes:
    """Read until the end or one byte past the limit: a growing file or a stream cannot exceed it."""
    chunks, total = [], 0
    try:
        while total <= max_bytes:
            chunk = handle.read(min(_CHUNK, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except OSError as err:
        raise InputError(f"cannot read ({err.strerror})", shown) from None
    if total > max_bytes:
        raise InputError(f"input is over the limit of {max_bytes} bytes (--max-file-size)", shown)
    return b"".join(chunks)
