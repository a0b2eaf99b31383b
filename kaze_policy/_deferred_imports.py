"""Defer the one slow import of our dependencies until it is needed.

jsonschema imports rfc3987_syntax (brought by cyclonedx-python-lib's validation extra) at
import time to check the `iri` formats, and rfc3987_syntax compiles a grammar when imported:
about 0.7 s added to every command, though only SBOM validation ever checks an IRI. A
stand-in module loads the real one on the first call, so behaviour is unchanged.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from typing import Any

_NAME = "rfc3987_syntax"


def defer_rfc3987_syntax() -> None:
    if _NAME in sys.modules or importlib.util.find_spec(_NAME) is None:
        return
    stand_in = types.ModuleType(_NAME)
    real: list[Any] = []

    def is_valid_syntax(term: str, value: str) -> bool:
        if not real:
            sys.modules.pop(_NAME, None)
            real.append(importlib.import_module(_NAME))
        return real[0].is_valid_syntax(term, value)

    stand_in.is_valid_syntax = is_valid_syntax  # type: ignore[attr-defined]
    sys.modules[_NAME] = stand_in
