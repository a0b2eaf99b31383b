"""Reading a file with the size limit applied before a byte is parsed."""

from __future__ import annotations

from pathlib import Path

from kaze_policy.errors import InputError

DEFAULT_MAX_FILE_BYTES = 50 * 1024 * 1024


def read_bytes(path: Path, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> bytes:
    try:
        size = path.stat().st_size
    except OSError as err:
        raise InputError(f"cannot read ({err.strerror})", str(path)) from None
    if size > max_bytes:
        raise InputError(f"file is {size} bytes, over the limit of {max_bytes} (--max-file-size)", str(path))
    try:
        return path.read_bytes()
    except OSError as err:
        raise InputError(f"cannot read ({err.strerror})", str(path)) from None
