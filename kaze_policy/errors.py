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
