"""The two engines behind one interface: same answers, errors that carry file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from kaze_policy.engine import create_engine
from kaze_policy.engine.base import UNDEFINED
from kaze_policy.errors import EngineError

POLICY = """package kaze.t

import rego.v1

names contains n if {
	some r in data.inventory.resources
	n := r.name
}

echo := input.x
"""


def engine_of(kind: str, request: pytest.FixtureRequest):
    url = request.getfixturevalue("opa_url") if kind == "opa" else None
    return create_engine(kind, url)


@pytest.mark.parametrize("kind", ["embedded", "opa"])
def test_query_data_and_input(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    policy = tmp_path / "t.rego"
    policy.write_text(POLICY)
    with engine_of(kind, request) as engine:
        engine.load_policies([policy])
        engine.set_data({"resources": {"a": {"name": "x"}, "b": {"name": "y"}}})
        assert sorted(engine.query("data.kaze.t.names")) == ["x", "y"]
        assert engine.query("data.kaze.t.echo", {"x": 5}) == 5
        assert engine.query("data.kaze.t.echo", {}) is UNDEFINED
        engine.set_data({"resources": {}})
        assert engine.query("data.kaze.t.names") == []


@pytest.mark.parametrize("kind", ["embedded", "opa"])
def test_policy_error_names_file_and_line(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    policy = tmp_path / "broken.rego"
    policy.write_text("package kaze.broken\n\nimport rego.v1\n\nallow if {\n\tinput.x ==\n}\n")
    with engine_of(kind, request) as engine, pytest.raises(EngineError) as err:
        engine.load_policies([policy])
    assert err.value.file is not None and err.value.file.endswith("broken.rego")
    assert err.value.line in (6, 7)


def test_unreachable_opa_server_is_a_clear_error() -> None:
    with pytest.raises(EngineError, match="unreachable"):
        create_engine("opa", "http://127.0.0.1:9")


def test_builtin_errors_are_errors_not_undefined(tmp_path: Path) -> None:
    # Strict builtin errors: a type error must not silently make a rule undefined (a false pass).
    policy = tmp_path / "t.rego"
    policy.write_text('package kaze.t\n\nimport rego.v1\n\nbad := x if {\n\tx := concat(",", input.notalist)\n}\n')
    with create_engine("embedded") as engine:
        engine.load_policies([policy])
        engine.set_data({})
        with pytest.raises(EngineError):
            engine.query("data.kaze.t.bad", {"notalist": 5})
