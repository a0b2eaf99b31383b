"""The embedded engine: regorus in process, through the project's own PyO3 binding."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

from kaze_policy import _regorus
from kaze_policy.engine.base import UNDEFINED, Engine, engine_error


class EmbeddedEngine(Engine):
    name = "embedded"

    def __init__(self) -> None:
        self._engine = _regorus.Engine()

    def load_policies(self, files: Sequence[Path]) -> None:
        for path in files:
            try:
                self._engine.add_policy(str(path), path.read_text(encoding="utf-8"))
            except _regorus.RegoError as err:
                raise engine_error(str(err), "policy does not compile") from None
        # Compile now, so a bad policy fails at load time rather than mid-scan.
        self.query("true")

    def set_data(self, data: dict[str, Any]) -> None:
        self._engine.clear_data()
        try:
            self._engine.add_data_json(json.dumps({"inventory": data}))
        except _regorus.RegoError as err:
            raise engine_error(str(err), "data rejected") from None

    def query(self, expression: str, input_value: Any = None) -> Any:
        try:
            self._engine.set_input_json(json.dumps(input_value if input_value is not None else {}))
            raw = self._engine.eval_query(f"x := {expression}")
        except _regorus.RegoError as err:
            raise engine_error(str(err), "evaluation failed") from None
        results = json.loads(raw).get("result") or []
        if not results:
            return UNDEFINED
        bindings = results[0].get("bindings") or {}
        return bindings["x"] if "x" in bindings else UNDEFINED

    def add_module(self, name: str, text: str) -> None:
        """One more policy module, from text (compiled with the others at the next evaluation)."""
        try:
            self._engine.add_policy(name, text)
        except _regorus.RegoError as err:
            raise engine_error(str(err), "policy does not compile") from None

    def rule(self, path: str, input_value: Any) -> Any:
        """The value of one rule (`data.pkg.rule`) on `input_value`, or UNDEFINED: cheaper than
        a query, which regorus parses and plans on each call."""
        try:
            self._engine.set_input_json(json.dumps(input_value))
            raw = self._engine.eval_rule(path)
        except _regorus.RegoError as err:
            raise engine_error(str(err), "evaluation failed") from None
        return UNDEFINED if raw == "null" else json.loads(raw)

    def copy(self) -> "EmbeddedEngine":
        """A cheap copy sharing the compiled policies: one per worker thread."""
        clone = EmbeddedEngine.__new__(EmbeddedEngine)
        clone._engine = self._engine.copy()
        return clone
