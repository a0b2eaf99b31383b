"""The engines' contract in detail: how each turns a query, a policy or a failure into a value or an
EngineError with its file and line (tests/test_engines.py: both engines give the same answers)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests

from kaze_policy.engine import ENGINES, create_engine
from kaze_policy.engine.base import UNDEFINED, engine_error
from kaze_policy.engine.embedded import EmbeddedEngine
from kaze_policy.engine.opa import REQUEST_TIMEOUT_SECONDS, OpaEngine, _client_for, _opa_message, _policy_error
from kaze_policy.engine.opa_server import OpaServer, free_port
from kaze_policy.errors import EngineError
from tests.conftest import ROOT

POLICY = "package kaze.u\n\nimport rego.v1\n\necho := input\n\nnames := [r | some r in data.inventory.names]\n"


def test_create_engine_names_the_engines_it_knows() -> None:
    assert ENGINES == ("embedded", "opa")
    with create_engine("embedded") as engine:
        assert isinstance(engine, EmbeddedEngine) and engine.name == "embedded"
    with pytest.raises(ValueError) as err:
        create_engine("wasm")
    assert str(err.value) == "unknown engine 'wasm'; choose one of embedded, opa"


def test_undefined_is_shown_as_undefined() -> None:
    assert repr(UNDEFINED) == "Undefined"


def test_engine_error_reads_the_file_and_line_from_the_engine_s_message() -> None:
    located = engine_error("rego/a/b.rego:12:5: rego_type_error:\n   bad  thing", "policy does not compile")
    assert (located.message, located.file, located.line) == (
        "policy does not compile: rego/a/b.rego:12:5: rego_type_error: bad thing", "rego/a/b.rego", 12)
    assert (engine_error("x.rego:7 oops", "p").file, engine_error("x.rego:7 oops", "p").line) == ("x.rego", 7)
    plain = engine_error("no place  here", "evaluation failed")
    assert (plain.message, plain.file, plain.line) == ("evaluation failed: no place here", None, None)


def test_an_engine_used_as_a_context_is_closed_at_its_end(tmp_path: Path) -> None:
    closed = []
    engine = create_engine("embedded")
    engine.close = lambda: closed.append(True)
    with engine as same:
        assert same is engine
    assert closed == [True]


def embedded(tmp_path: Path, text: str = POLICY) -> EmbeddedEngine:
    policy = tmp_path / "u.rego"
    policy.write_text(text)
    engine = EmbeddedEngine()
    engine.load_policies([policy])
    return engine


def test_embedded_query_binds_the_input_and_the_data(tmp_path: Path) -> None:
    engine = embedded(tmp_path)
    engine.set_data({"names": ["a", "b"]})
    assert engine.query("data.kaze.u.names") == ["a", "b"]
    assert engine.query("data.kaze.u.echo") == {}  # no input: an empty object, not undefined
    assert engine.query("data.kaze.u.echo", {"k": 1}) == {"k": 1}
    assert engine.query("data.kaze.u.nothing") is UNDEFINED
    engine.set_data({"names": []})
    assert engine.query("data.kaze.u.names") == []
    copy = engine.copy()
    assert isinstance(copy, EmbeddedEngine) and copy.query("data.kaze.u.echo", {"c": 2}) == {"c": 2}


def test_embedded_policy_that_does_not_compile_names_its_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.rego"
    bad.write_text("package kaze.bad\n\nimport rego.v1\n\nx := )\n")
    with pytest.raises(EngineError) as err:
        EmbeddedEngine().load_policies([bad])
    assert err.value.message.startswith("policy does not compile: ")
    assert (Path(err.value.file).name, err.value.line) == ("bad.rego", 5)


def test_embedded_evaluation_failures_are_errors_not_undefined(tmp_path: Path) -> None:
    engine = embedded(tmp_path, 'package kaze.u\n\nimport rego.v1\n\nbad := concat(",", input.x)\n')
    with pytest.raises(EngineError) as err:
        engine.query("data.kaze.u.bad", {"x": 5})
    assert err.value.message.startswith("evaluation failed: ") and "concat" in err.value.message


def test_embedded_data_that_the_engine_refuses_is_an_error(tmp_path: Path, monkeypatch) -> None:
    engine = embedded(tmp_path)
    from kaze_policy import _regorus

    def refuse(_: str) -> None:
        raise _regorus.RegoError("too deep")
    monkeypatch.setattr(engine, "_engine", type("E", (), {"clear_data": lambda self: None,
                                                            "add_data_json": lambda self, text: refuse(text)})())
    with pytest.raises(EngineError) as err:
        engine.set_data({"a": 1})
    assert err.value.message == "data rejected: too deep"


class Spy:
    """Stands for the OPA client or its session: records the calls, raises `error` if given."""

    def __init__(self, error: Exception | None = None, response: Any = None) -> None:
        self.calls: list[tuple[str, tuple, dict]] = []
        self.error, self.response = error, response

    def __getattr__(self, name: str):
        def call(*args, **kwargs):
            self.calls.append((name, args, kwargs))
            if self.error:
                raise self.error
            return self.response
        return call


def test_an_unreachable_opa_server_mid_scan_is_an_error_naming_it(opa_url: str, tmp_path: Path) -> None:
    policy = tmp_path / "u.rego"
    policy.write_text(POLICY)
    engine = OpaEngine(opa_url)
    real = engine._client
    down = requests.ConnectionError("connection refused")
    try:
        engine._client = Spy(down)
        for call, what in ((lambda: engine.load_policies([policy]), "failed"),
                           (lambda: engine.set_data({}), "rejected the data")):
            with pytest.raises(EngineError) as err:
                call()
            assert err.value.message == f"OPA server at {opa_url} {what}: connection refused"
        engine._client = real
        real._session = Spy(down)
        with pytest.raises(EngineError) as err:
            engine.query("1")
        assert err.value.message == f"OPA server at {opa_url} failed: connection refused"
    finally:
        engine._client = real
        real._session = requests.Session()
        engine.close()


def test_an_opa_query_has_a_timeout_and_an_empty_error_body_is_an_error(opa_url: str) -> None:
    engine = OpaEngine(opa_url + "/")  # a trailing slash is not doubled
    try:
        assert engine.query("1 + 1") == 2
        empty = type("Response", (), {"content": b"", "status_code": 502,
                                       "json": lambda self: (_ for _ in ()).throw(ValueError("no body"))})()
        engine._client._session = spy = Spy(response=empty)
        with pytest.raises(EngineError) as err:
            engine.query("1", {"a": 1})
        assert err.value.message == "OPA evaluation failed: {}"
        [(_, args, kwargs)] = spy.calls
        assert args == (f"{opa_url}/v1/query",)
        assert kwargs == {"json": {"query": "x := 1", "input": {"a": 1}}, "timeout": REQUEST_TIMEOUT_SECONDS}
    finally:
        engine._client._session = requests.Session()
        engine.close()


def test_opa_loads_every_policy_under_its_own_id_and_refuses_rego_v0(opa_url: str, tmp_path: Path) -> None:
    first, second, old = tmp_path / "a.rego", tmp_path / "b.rego", tmp_path / "old.rego"
    first.write_text(POLICY)
    second.write_text("package kaze.w\n\nimport rego.v1\n\none := 1\n")
    old.write_text('package kaze.old\n\ndeny[msg] { msg := "v0" }\n')  # Rego v0: the embedded engine refuses it
    engine = OpaEngine(opa_url)
    try:
        engine.load_policies([first, second])
        assert (engine.query("data.kaze.u.echo", {"k": 1}), engine.query("data.kaze.w.one")) == ({"k": 1}, 1)
        with pytest.raises(EngineError) as err:
            engine.load_policies([old])
        assert err.value.message.startswith("OPA rejected the policy: ") and err.value.file == str(old)
    finally:
        engine.close()


def test_closing_an_opa_engine_closes_its_connection() -> None:
    closed = []
    engine = OpaEngine.__new__(OpaEngine)
    engine._server, engine._client = None, type("C", (), {"close_connection": lambda self: closed.append(1)})()
    engine.close()
    assert closed == [1]


def test_opa_urls_are_http_or_https_with_their_default_ports() -> None:
    for url in ("ftp://host:1", "http://", "localhost:8181"):
        with pytest.raises(EngineError) as err:
            _client_for(url)
        assert err.value.message == f"--opa-url {url!r} is not an http(s) URL"
    https, http = _client_for("https://opa.example"), _client_for("http://opa.example:8282")
    assert (https.host, https.port, https.ssl, https.timeout, https.retries) == ("opa.example", 443, True, 120.0, 0)
    assert (http.host, http.port, http.ssl) == ("opa.example", 8282, False)
    assert _client_for("http://opa.example").port == 80


def test_opa_messages_name_the_file_and_row_of_each_error() -> None:
    body = {"errors": [{"message": "m1", "location": {"file": "a.rego", "row": 3}}, {"message": "m2"}]}
    assert _opa_message(body) == "a.rego:3: m1; m2"
    assert _opa_message({"message": "plain"}) == "plain"
    assert _opa_message({"code": "x"}) == "{'code': 'x'}"


def test_opa_policy_errors_name_the_first_located_row() -> None:
    class Parse:
        message = "parse failed"
        errors = [{"message": "no row", "location": {}}, {"message": "at row", "location": {"row": 9}}]
    err = _policy_error(Path("p/x.rego"), Parse())
    assert (err.message, err.file, err.line) == ("OPA rejected the policy: at row", "p/x.rego", 9)
    Parse.errors = [{"message": "nowhere"}]
    err = _policy_error(Path("p/x.rego"), Parse())
    assert (err.message, err.file, err.line) == ("OPA rejected the policy: parse failed", "p/x.rego", None)


def test_opa_engine_loads_queries_and_reports_like_the_embedded_one(opa_url: str, tmp_path: Path) -> None:
    policy = tmp_path / "u.rego"
    policy.write_text(POLICY)
    engine = OpaEngine(opa_url)
    try:
        engine.load_policies([policy])
        assert engine._policy_ids == [str(policy).replace("/", "_")]
        engine.set_data({"names": ["a"]})
        assert (engine.query("data.kaze.u.names"), engine.query("data.kaze.u.echo", {"k": 1})) == (["a"], {"k": 1})
        assert engine.query("data.kaze.u.nothing") is UNDEFINED
        copy = engine.copy()
        assert (copy.url, copy._server, copy._policy_ids) == (engine.url, None, engine._policy_ids)
        assert copy.query("data.kaze.u.names") == ["a"]
        with pytest.raises(EngineError) as err:
            engine.query("data.kaze.u.names[")
        assert err.value.message.startswith("OPA evaluation failed: ")
        bad = tmp_path / "bad.rego"
        bad.write_text("package kaze.bad\n\nimport rego.v1\n\nx := )\n")
        with pytest.raises(EngineError) as err:
            engine.load_policies([bad])
        assert (err.value.file, err.value.line) == (str(bad), 5)
    finally:
        engine.close()


def test_an_opa_engine_without_a_url_starts_and_stops_its_own_server() -> None:
    from tests.conftest import require_tool
    require_tool("opa")
    engine = OpaEngine(None)
    server = engine._server
    assert engine.url == server.url and server.process.poll() is None
    assert engine.query("1 + 1") == 2
    engine.close()
    assert engine._server is None and server.process.poll() is not None


def test_free_port_is_a_loopback_port_nobody_holds() -> None:
    import socket
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))  # free: binding it works
    assert 1024 <= port <= 65535


def fake_opa(monkeypatch, tmp_path: Path, script: str) -> None:
    fake = tmp_path / "opa"
    fake.write_text("#!/bin/sh\n" + script)
    fake.chmod(0o755)
    monkeypatch.setattr("kaze_policy.engine.opa_server.find_tool", lambda name: str(fake))


def test_an_opa_server_that_exits_at_start_is_an_error_with_its_message(monkeypatch, tmp_path: Path) -> None:
    fake_opa(monkeypatch, tmp_path, "printf 'bad flag \\377\\n' >&2\nexit 1\n")
    with pytest.raises(EngineError) as err:
        OpaServer.start()
    assert err.value.message == "opa server exited at start: bad flag \ufffd"


def test_an_opa_server_that_never_becomes_healthy_is_stopped_and_an_error(monkeypatch, tmp_path: Path) -> None:
    fake_opa(monkeypatch, tmp_path, "exec sleep 30\n")
    monkeypatch.setattr("kaze_policy.engine.opa_server.START_TIMEOUT_SECONDS", 0.3)
    started = []
    real_popen = subprocess.Popen
    monkeypatch.setattr("subprocess.Popen", lambda *a, **k: started.append(real_popen(*a, **k)) or started[-1])
    with pytest.raises(EngineError) as err:
        OpaServer.start()
    assert err.value.message == "opa server did not become healthy in 0 s"
    assert started[0].poll() is not None and started[0].args[-1] == "--disable-telemetry"


def test_stopping_gives_opa_five_seconds_then_kills_it() -> None:
    class Stubborn:
        def __init__(self) -> None:
            self.calls: list[Any] = []

        def poll(self):
            return None

        def terminate(self) -> None:
            self.calls.append("terminate")

        def wait(self, timeout=None):
            self.calls.append(("wait", timeout))
            if timeout is not None:
                raise subprocess.TimeoutExpired("opa", timeout)

        def kill(self) -> None:
            self.calls.append("kill")
    process = Stubborn()
    OpaServer(process, "http://127.0.0.1:1").stop()
    assert process.calls == ["terminate", ("wait", 5), "kill", ("wait", None)]


def test_without_opa_the_engine_says_how_to_get_it(monkeypatch) -> None:
    monkeypatch.setattr("kaze_policy.engine.opa_server.find_tool", lambda name: None)
    with pytest.raises(EngineError) as err:
        OpaServer.start()
    assert err.value.message == "opa is not installed: run `make tools`, or give --opa-url"


LOCALE_SCRIPT = """
import sys
from pathlib import Path
from kaze_policy.engine.embedded import EmbeddedEngine
from kaze_policy.engine.opa import OpaEngine
policy = Path(sys.argv[1])
for engine in (EmbeddedEngine(), OpaEngine(sys.argv[2])):
    engine.load_policies([policy])
    print(engine.query("data.kaze.l.word").encode("unicode_escape").decode())
"""


def test_policies_are_read_as_utf_8_whatever_the_locale(opa_url: str, tmp_path: Path) -> None:
    policy = tmp_path / "l.rego"
    policy.write_text('package kaze.l\n\nimport rego.v1\n\nword := "café"\n', encoding="utf-8")
    env = {**os.environ, "LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"}
    result = subprocess.run([sys.executable, "-c", LOCALE_SCRIPT, str(policy), opa_url], capture_output=True,
                            text=True, env=env, cwd=ROOT, timeout=60)
    assert result.stdout.split() == ["caf\\xe9", "caf\\xe9"], result.stderr


HUNG_OPA = """#!{python}
import socket, sys, time
host, port = sys.argv[sys.argv.index("--addr") + 1].split(":")
server = socket.socket()
server.bind((host, int(port)))
server.listen()
time.sleep(30)  # accepts connections, never answers
"""


def test_an_opa_server_whose_health_check_hangs_is_given_up(monkeypatch, tmp_path: Path) -> None:
    fake = tmp_path / "opa"
    fake.write_text(HUNG_OPA.format(python=sys.executable))
    fake.chmod(0o755)
    monkeypatch.setattr("kaze_policy.engine.opa_server.find_tool", lambda name: str(fake))
    monkeypatch.setattr("kaze_policy.engine.opa_server.START_TIMEOUT_SECONDS", 0.2)
    with pytest.raises(EngineError) as err:
        OpaServer.start()
    assert err.value.message == "opa server did not become healthy in 0 s"
