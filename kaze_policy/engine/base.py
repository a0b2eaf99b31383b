"""The interface both engines implement: load policies, set data, evaluate one query."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, Sequence

from kaze_policy.errors import EngineError

_LOCATION = re.compile(r"(?P<file>[^\s:]+\.rego):(?P<line>\d+)(?::\d+)?")


class Undefined:
    """The result of a query with no value (distinct from null, false or empty)."""

    def __repr__(self) -> str:
        return "Undefined"


UNDEFINED = Undefined()


class Engine(ABC):
    name: str

    @abstractmethod
    def load_policies(self, files: Sequence[Path]) -> None:
        """Parse and compile every module; raise EngineError naming the file and line."""

    @abstractmethod
    def set_data(self, data: dict[str, Any]) -> None:
        """Replace `data.inventory` (policies stay loaded)."""

    @abstractmethod
    def query(self, expression: str, input_value: Any = None) -> Any:
        """The value of `x := <expression>`, or UNDEFINED."""

    def close(self) -> None:
        """Release the engine's resources."""

    def __enter__(self) -> "Engine":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def engine_error(message: str, prefix: str) -> EngineError:
    """An EngineError whose file and line are read from the engine's own message."""
    match = _LOCATION.search(message)
    text = " ".join(message.split())
    if match:
        return EngineError(f"{prefix}: {text}", match.group("file"), int(match.group("line")))
    return EngineError(f"{prefix}: {text}")
