"""Rego engines behind one interface: `embedded` (regorus, in process) and `opa` (a server)."""

from __future__ import annotations

from kaze_policy.engine.base import Engine

ENGINES = ("embedded", "opa")


def create_engine(name: str, opa_url: str | None = None) -> Engine:
    if name == "embedded":
        from kaze_policy.engine.embedded import EmbeddedEngine
        return EmbeddedEngine()
    if name == "opa":
        from kaze_policy.engine.opa import OpaEngine
        return OpaEngine(opa_url)
    raise ValueError(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}")
