"""The `opa` engine: a real OPA server over its REST API, through opa-python-client."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence
from urllib.parse import urlparse

import requests
from opa_client.errors import ConnectionsError, RegoParseError
from opa_client.opa import OpaClient

from kaze_policy.engine.base import UNDEFINED, Engine, engine_error
from kaze_policy.errors import EngineError

REQUEST_TIMEOUT_SECONDS = 120.0


class OpaEngine(Engine):
    name = "opa"

    def __init__(self, url: str | None) -> None:
        self._server = None
        if url is None:
            from kaze_policy.engine.opa_server import OpaServer
            self._server = OpaServer.start()
            url = self._server.url
        self.url = url
        self._client = _client_for(url)
        self._policy_ids: list[str] = []
        try:
            self._client.check_connection()
        except (ConnectionsError, requests.RequestException):
            self.close()
            raise EngineError(f"OPA server at {url} is unreachable") from None

    def load_policies(self, files: Sequence[Path]) -> None:
        for path in files:
            policy_id = str(path).replace("/", "_")
            try:
                self._client.update_policy_from_string(path.read_text(encoding="utf-8"), policy_id, rego_compat=False)
            except RegoParseError as err:
                raise _policy_error(path, err) from None
            except requests.RequestException as err:
                raise EngineError(f"OPA server at {self.url} failed: {_why(err)}") from None
            self._policy_ids.append(policy_id)

    def set_data(self, data: dict[str, Any]) -> None:
        try:
            self._client.update_or_create_data(data, "inventory")
        except (RegoParseError, requests.RequestException) as err:
            why = _why(err) if isinstance(err, requests.RequestException) else err
            raise EngineError(f"OPA server at {self.url} rejected the data: {why}") from None

    def query(self, expression: str, input_value: Any = None) -> Any:
        payload: dict[str, Any] = {"query": f"x := {expression}"}
        if input_value is not None:
            payload["input"] = input_value
        try:
            # The client's ad_hoc_query raises on an error status and drops OPA's error body,
            # which holds the file and line: post on its session and read the body ourselves.
            response = self._client._session.post(f"{self.url.rstrip('/')}/v1/query", json=payload,
                                                   timeout=REQUEST_TIMEOUT_SECONDS)
        except requests.RequestException as err:
            raise EngineError(f"OPA server at {self.url} failed: {_why(err)}") from None
        body = response.json() if response.content else {}
        if response.status_code != 200:
            raise engine_error(_opa_message(body), "OPA evaluation failed")
        results = body.get("result") or []
        if not results:
            return UNDEFINED
        return results[0]["x"] if "x" in results[0] else UNDEFINED

    def copy(self) -> "OpaEngine":
        """Another connection to the same server (and its policies and data), for a worker thread."""
        clone = OpaEngine.__new__(OpaEngine)
        clone._server = None  # the original owns the server it started
        clone.url = self.url
        clone._client = _client_for(self.url)
        clone._policy_ids = list(self._policy_ids)
        return clone

    def close(self) -> None:
        self._client.close_connection()
        if self._server is not None:
            self._server.stop()
            self._server = None


def _client_for(url: str) -> OpaClient:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise EngineError(f"--opa-url {url!r} is not an http(s) URL")
    return OpaClient(host=parsed.hostname, port=parsed.port or (443 if parsed.scheme == "https" else 80),
                     ssl=parsed.scheme == "https", timeout=REQUEST_TIMEOUT_SECONDS, retries=0)


def _why(err: requests.RequestException) -> str:
    """What failed, in the system's words ("Connection refused"), not the client's nested reprs
    (which name object addresses): one line, the same on every run."""
    if isinstance(err, requests.Timeout):
        return f"no answer within {REQUEST_TIMEOUT_SECONDS:g} s"
    queue: list[BaseException] = [err]
    seen: set[int] = set()
    while queue:
        cause = queue.pop(0)
        if id(cause) in seen:
            continue
        seen.add(id(cause))
        if isinstance(cause, OSError) and not isinstance(cause, requests.RequestException):
            text = cause.strerror or str(cause)
            if text:
                return text.strip().splitlines()[0][:300]
        queue += [c for c in (*cause.args, getattr(cause, "reason", None), cause.__cause__, cause.__context__)
                  if isinstance(c, BaseException)]
    return (str(err).strip().splitlines() or [type(err).__name__])[0][:300]


def _policy_error(path: Path, err: RegoParseError) -> EngineError:
    """OPA's first compile error, located in the policy file."""
    for detail in err.errors:
        loc = detail.get("location") or {}
        if loc.get("row"):
            return EngineError(f"OPA rejected the policy: {detail.get('message')}", str(path), int(loc["row"]))
    return EngineError(f"OPA rejected the policy: {err.message}", str(path))


def _opa_message(body: dict[str, Any]) -> str:
    errors = body.get("errors") or []
    parts = []
    for err in errors:
        loc = err.get("location") or {}
        where = f"{loc.get('file')}:{loc.get('row')}: " if loc.get("file") else ""
        parts.append(f"{where}{err.get('message')}")
    return "; ".join(parts) or str(body.get("message") or body)
