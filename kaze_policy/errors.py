"""Error types that the CLI maps to exit codes; each carries the file (and line) at fault."""

from __future__ import annotations


class KazePolicyError(Exception):
    """Base class: a failure that is reported as one line, never as a traceback."""

    exit_code = 2

    def __init__(self, message: str, file: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = f"{self.file}:{self.line}: " if self.line else f"{self.file}: "
        return f"{where}{self.message}"


class InputError(KazePolicyError):
    """Bad input: a file that cannot be read or parsed, an invalid configuration (exit 2)."""

    exit_code = 2


class UsageError(KazePolicyError):
    """Bad usage of the command line (exit 2)."""

    exit_code = 2


class EngineError(KazePolicyError):
    """The policy engine could not load or evaluate a policy (exit 3)."""

    exit_code = 3


class CatalogError(KazePolicyError):
    """A policy package has missing, malformed or duplicate control metadata (exit 2)."""

    exit_code = 2


# The input file read last, for the one line an out-of-memory error gets: the file that was
# being read or parsed when memory ran out, or the last one before. A module variable, not a
# context: files are read by one thread, and the CLI reads it only after the scan stopped.
_last_input: str | None = None


def note_input(shown: str) -> None:
    """Record the file being read (as the user named it)."""
    global _last_input
    _last_input = shown


def last_input() -> str | None:
    return _last_input
