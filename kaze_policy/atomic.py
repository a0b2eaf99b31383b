"""Files written whole or not at all: a temporary file beside the target, then a rename.

A failed write (a full disk, a read-only folder, an interrupt) leaves the previous file as
it was and no partial file beside it. The file gets the mode any new file gets (0644 under
the usual umask), not mkstemp's 0600. A folder or disk that refuses is bad usage, in one line.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from kaze_policy.errors import UsageError


def write_atomically(path: Path, content: bytes, what: str = "the file") -> None:
    """Write `content` to `path`; `what` names it in the one-line error."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as err:
        raise UsageError(f"cannot write {what}: {err.strerror or err}", str(path)) from None
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        os.replace(tmp, path)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        raise UsageError(f"cannot write {what}: {err.strerror or err}", str(path)) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
