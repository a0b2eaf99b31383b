"""The webhook as an ASGI application: /validate, /healthz, /readyz, /metrics.

A plain ASGI callable (no framework): four routes, and every microsecond of the API server's
budget goes to the decision. Decisions run on a pool of threads (the embedded engine releases
the GIL while it evaluates); each request is answered within the budget, from its arrival:
past it, the request is denied as undecided (fail closed), and nothing raises to the server,
which would answer 500 with a traceback in its log.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, TextIO

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from kaze_policy.webhook.decider import Decider, Decision, cannot_evaluate
from kaze_policy.webhook.metrics import WebhookMetrics
from kaze_policy.webhook.review import MAX_BODY_BYTES, AdmissionRequest, BadReview, parse_review, review_response

JSON = [(b"content-type", b"application/json")]
TEXT = [(b"content-type", b"text/plain; charset=utf-8")]
# Kinds whose content the decision log never carries, not even in an error's wording.
SECRET_KINDS = frozenset({"Secret"})


class DecisionLog:
    """One JSON line per decision: who, what, which controls, the outcome; never an object's content."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def write(self, request: AdmissionRequest, decision: Decision, seconds: float) -> None:
        entry = {
            "time": dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds"),
            "uid": request.uid, "operation": request.operation, "dryRun": request.dry_run,
            "kind": request.kind, "apiVersion": request.api_version, "namespace": request.namespace,
            "name": request.name, "user": request.user.get("username"), "groups": request.user.get("groups") or [],
            "decision": decision.outcome, "allowed": decision.allowed, "controls": decision.controls,
            "violations": [{"control": v.control.id, "mode": v.mode, "waived": v.waiver is not None,
                            "preexisting": v.preexisting, "denied": v.denies} for v in decision.violations],
            "ms": round(seconds * 1000, 3),
        }
        if decision.error:
            entry["error"] = "withheld: the object is a Secret" if request.kind in SECRET_KINDS else decision.error
        line = json.dumps(entry, separators=(",", ":")) + "\n"
        with self._lock:
            self._stream.write(line)
            self._stream.flush()


class WebhookApp:
    def __init__(self, decider: Decider, ready: Callable[[], bool], metrics: WebhookMetrics | None = None,
                 log: DecisionLog | None = None, workers: int = 2, budget_seconds: float = 2.0) -> None:
        self.decider = decider
        self._ready = ready
        self.metrics = metrics or WebhookMetrics()
        self.log = log or DecisionLog(sys.stdout)
        self.budget = budget_seconds
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="decide")

    async def __call__(self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send, self._pool)
            return
        if scope["type"] != "http":
            return
        path, method = scope["path"], scope["method"]
        if path == "/validate":
            if method != "POST":
                await _respond(send, 405, {"error": "POST an AdmissionReview to /validate"})
                return
            await self._validate(scope, receive, send)
        elif path == "/decide/egress":
            if method != "POST":
                await _respond(send, 405, {"error": 'POST {"tenant": …, "url": …} to /decide/egress'})
                return
            await self._decide_egress(scope, receive, send)
        elif path == "/healthz" and method == "GET":
            await _respond_text(send, 200, "ok\n")
        elif path == "/readyz" and method == "GET":
            ready = self._ready()
            self.metrics.ready.set(1 if ready else 0)
            await _respond(send, 200 if ready else 503, self.decider.status() | {"ready": ready})
        elif path == "/metrics" and method == "GET":
            await _respond_raw(send, 200, generate_latest(self.metrics.registry),
                               [(b"content-type", CONTENT_TYPE_LATEST.encode())])
        else:
            await _respond(send, 404, {"error": f"no such path: {path} (POST /validate, GET /healthz, /readyz, /metrics)"})

    async def _validate(self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        started = time.perf_counter()
        try:
            body = await _body(scope, receive)
            request = parse_review(body)
        except BadReview as err:
            self.metrics.bad_requests.inc()
            await _respond(send, 400, {"error": str(err)})
            return
        decision = await self._decide(request, started)
        answer = review_response(request.uid, decision.allowed, decision.message, decision.code, decision.warnings)
        self._record(request, decision, time.perf_counter() - started)  # logged before it is answered
        await _respond(send, 200, answer)

    async def _decide_egress(self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        """May an agent of a tenant call a URL (KZ-EGR-04)? Answered within the budget, denied when undecided."""
        try:
            tenant, url = parse_egress_question(await _body(scope, receive))
        except BadReview as err:
            self.metrics.bad_requests.inc()
            await _respond(send, 400, {"error": str(err)})
            return
        loop = asyncio.get_running_loop()
        try:
            answer = await asyncio.wait_for(loop.run_in_executor(self._pool, self.decider.decide_egress, tenant, url),
                                            timeout=self.budget)
        except (asyncio.TimeoutError, TimeoutError):
            answer = {"tenant": tenant, "url": url, "allow": False,
                      "reason": f"no decision within the budget of {self.budget:g} s, so the call is denied"}
        except Exception as err:  # fail closed
            answer = {"tenant": tenant, "url": url, "allow": False,
                      "reason": f"internal error ({type(err).__name__}), so the call is denied"}
        self.metrics.egress.labels("allow" if answer["allow"] else "deny").inc()
        await _respond(send, 200, answer)

    async def _decide(self, request: AdmissionRequest, started: float) -> Decision:
        remaining = self.budget - (time.perf_counter() - started)
        loop = asyncio.get_running_loop()
        try:
            return await asyncio.wait_for(loop.run_in_executor(self._pool, self.decider.decide, request),
                                          timeout=max(remaining, 0.001))
        except (asyncio.TimeoutError, TimeoutError):
            return cannot_evaluate(request, f"no decision within the budget of {self.budget:g} s")
        except Exception as err:  # fail closed on anything, never a 500 with a traceback
            return cannot_evaluate(request, f"internal error ({type(err).__name__}: {err})")

    def _record(self, request: AdmissionRequest, decision: Decision, seconds: float) -> None:
        metrics = self.metrics
        outcome = "error" if decision.error else decision.outcome
        if decision.allowed and decision.warnings:
            outcome = "warn"
        metrics.requests.labels(request.operation, request.kind, outcome).inc()
        metrics.latency.observe(seconds)
        for violation in decision.violations:
            metrics.violations.labels(violation.control.id, violation.mode).inc()
        self.log.write(request, decision, seconds)


def parse_egress_question(body: bytes) -> tuple[str, str]:
    """`{"tenant": "acme", "url": "https://…"}`; BadReview saying what is wrong."""
    try:
        question = json.loads(body)
    except (ValueError, RecursionError) as err:
        raise BadReview(f"the body is not JSON ({err})") from None
    if not isinstance(question, dict) or not all(isinstance(question.get(k), str) and question.get(k)
                                                 for k in ("tenant", "url")):
        raise BadReview('expected {"tenant": "<tenant>", "url": "<url>"}, both non-empty strings')
    return question["tenant"], question["url"]


async def _body(scope: dict[str, Any], receive: Callable[..., Any]) -> bytes:
    """The request body, refused as soon as it passes the limit (before it is all read)."""
    for name, value in scope.get("headers") or []:
        if name == b"content-length" and value.isdigit() and int(value) > MAX_BODY_BYTES:
            raise BadReview(f"the body has {int(value)} bytes, more than the {MAX_BODY_BYTES} "
                            f"an AdmissionReview may have")
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise BadReview("the client went away before the body was complete")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise BadReview(f"the body has more than the {MAX_BODY_BYTES} bytes an AdmissionReview may have")
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


async def _lifespan(receive: Callable[..., Any], send: Callable[..., Any], pool: ThreadPoolExecutor) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            pool.shutdown(wait=False, cancel_futures=True)
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _respond(send: Callable[..., Any], status: int, value: Any) -> None:
    await _respond_raw(send, status, json.dumps(value).encode(), JSON)


async def _respond_text(send: Callable[..., Any], status: int, text: str) -> None:
    await _respond_raw(send, status, text.encode(), TEXT)


async def _respond_raw(send: Callable[..., Any], status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [*headers, (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})

