"""Files written whole or not at all: a temporary file beside the target, then a rename.

A failed write (a full disk, a read-only folder, an interrupt) leaves the previous file as
it was and no partial file beside it. The file gets the mode any new file gets (0644 under
the usual umask), not mkstemp's 0600. A folder or disk that refuses is bad usage, in one line.

`write_all_atomically` does the same for several files that belong together (an audit's
reports and its manifest, a scan's --output files): every file is first written in full to
its temporary file, and only when all of them are written are they renamed into place, in
the order given (the manifest last). A write that fails, whichever file it is, removes every
temporary file and changes none of the previous files. Only the renames are not one step: a
rename that fails after others succeeded (it allocates no data, so a full disk does not make
it fail) would leave the first files new and the rest old, the manifest, renamed last, still
the old one, so that `verify-report` names every report that changed.

A target that is not a regular file (`/dev/null`, `/dev/stdout`, a FIFO) is written to
directly: it cannot be replaced whole, and must not be replaced by a file (a rename over
/dev/null, as root, would leave a regular file in its place for every program after).
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path
from typing import Iterable

from kaze_policy.errors import UsageError


def write_atomically(path: Path, content: bytes, what: str = "the file") -> None:
    """Write `content` to `path`; `what` names it in the one-line error."""
    write_all_atomically([(path, content)], what)


def write_all_atomically(files: Iterable[tuple[Path, bytes]], what: str = "the file") -> None:
    """Write every (path, content), all of them or none (see the module's docstring)."""
    staged: list[tuple[str, Path]] = []
    try:
        files = list(files)
        for path, content in files:
            if not _special(path):
                staged.append((_staged(path, content, what), path))
        for path, content in files:
            if _special(path):
                _write_through(path, content, what)
        while staged:
            tmp, path = staged[0]
            try:
                os.replace(tmp, path)
            except OSError as err:
                raise UsageError(f"cannot write {what}: {err.strerror or err}", str(path)) from None
            staged.pop(0)
    finally:
        for tmp, _ in staged:
            Path(tmp).unlink(missing_ok=True)


def _special(path: Path) -> bool:
    """Whether `path` is there and is neither a regular file nor a folder (a device, a FIFO)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def _write_through(path: Path, content: bytes, what: str) -> None:
    try:
        with open(path, "wb") as handle:
            handle.write(content)
    except OSError as err:
        raise UsageError(f"cannot write {what}: {err.strerror or err}", str(path)) from None


def _staged(path: Path, content: bytes, what: str) -> str:
    """`content` written in full to a new temporary file beside `path`: its name."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as err:
        raise UsageError(f"cannot write {what}: {err.strerror or err}", str(path)) from None
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        raise UsageError(f"cannot write {what}: {err.strerror or err}", str(path)) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return tmp


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
