"""The admission webhook under a burst: 2,000 requests at once, each on a connection of its
own, over real TLS, to the real `kaze-policy serve` (tests/webhook/support.py).

Already tested (tests/webhook/): an evaluation error and an evaluation slower than the budget
are denied in time, the server stopped makes the API server refuse, a certificate rotated
under load drops no request. Here: the server stays up through the burst, every request gets
an AdmissionReview back (allowed, denied for a violation, or denied because it could not be
decided within the budget: never a compliant object denied for a violation, never a
privileged one allowed), every decision is logged, and /readyz is ready again after it.
"""

from __future__ import annotations

import asyncio
import json
import resource
import ssl
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from tests.webhook.support import Webhook, empty_snapshot, review, running_webhook
from tests.webhook.test_serve_https import TENANT_NAMESPACE, config_file, pod

BURST = 2000
UNDECIDED = "kaze-policy could not evaluate the policy for"


@pytest.fixture(scope="module")
def webhook(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Webhook]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = BURST * 2 + 256  # the client's connections here, the server's there (it inherits the limit)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))
    folder = tmp_path_factory.mktemp("burst")
    config = config_file(folder, {"exemptNamespaces": ["kaze-policy"]})
    snapshot = empty_snapshot(folder / "snapshot.json", [TENANT_NAMESPACE])
    try:
        with running_webhook(folder, "--snapshot", str(snapshot), "--config", str(config)) as server:
            yield server
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


async def _post(host: str, port: int, context: ssl.SSLContext, body: bytes) -> tuple[int, Any]:
    """One POST /validate on a connection of its own: the status and the decoded JSON body."""
    reader, writer = await asyncio.open_connection(host, port, ssl=context, server_hostname=host)
    try:
        writer.write(f"POST /validate HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)
        await writer.drain()
        status = int((await reader.readline()).split()[1])
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        return status, json.loads(await reader.readexactly(length))
    finally:
        writer.close()


async def _burst(webhook: Webhook, bodies: list[bytes]) -> list[Any]:
    host, port = webhook.url.removeprefix("https://").split(":")
    context = webhook.pki.context()

    async def one(body: bytes) -> Any:
        try:
            return await asyncio.wait_for(_post(host, int(port), context, body), timeout=60)
        except Exception as err:  # noqa: BLE001 - every way a request can go unanswered is a result here
            return err

    return await asyncio.gather(*(one(body) for body in bodies))


def _outcome(answer: Any, uid: str, compliant: bool) -> str:
    """allowed, denied (a violation), undecided (denied: no decision in time), or what went wrong."""
    if isinstance(answer, BaseException):
        return f"no answer: {type(answer).__name__}: {answer}"
    status, body = answer
    if status != 200:
        return f"HTTP {status}"
    response = body["response"]
    if response["uid"] != uid:
        return "another request's answer"
    if response["allowed"]:
        return "allowed" if compliant else "a privileged pod allowed"
    message = response["status"]["message"]
    if message.startswith(UNDECIDED) and "no decision within the budget" in message:
        return "undecided"
    if message.startswith("kaze-policy denied CREATE of Pod ") and "[KZ-TEN-05]" in message:
        return "denied" if not compliant else "a compliant pod denied"
    return f"unexpected denial: {message[:200]}"


@pytest.mark.timeout(180)
def test_a_burst_of_2000_requests_is_answered_and_the_server_is_ready_after(webhook: Webhook) -> None:
    requests = [(f"burst-{i}", i % 2 == 0) for i in range(BURST)]
    bodies = [json.dumps(review(pod(name=f"agent-{i}", privileged=not compliant), uid=uid)).encode()
              for i, (uid, compliant) in enumerate(requests)]
    started = time.monotonic()
    answers = asyncio.run(_burst(webhook, bodies))
    took = time.monotonic() - started
    outcomes = Counter(_outcome(answer, uid, compliant) for answer, (uid, compliant) in zip(answers, requests))
    print(f"\n{BURST} requests at once in {took:.1f} s: {dict(outcomes)}")
    assert set(outcomes) <= {"allowed", "denied", "undecided"}, outcomes
    assert outcomes["allowed"] + outcomes["denied"] > 0, outcomes  # not everything timed out
    assert webhook.process.poll() is None, "the server went down"
    # Every decision is logged (before it is answered).
    logged = Counter(entry["uid"] for entry in webhook.decisions() if entry["uid"].startswith("burst-"))
    assert len(logged) == BURST and set(logged.values()) == {1}
    # Ready again, and deciding as before.
    deadline = time.monotonic() + 10
    while webhook.get("/readyz")[0] != 200 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert webhook.get("/readyz")[0] == 200
    status, answer = webhook.post(review(pod(), uid="after-compliant"))
    assert status == 200 and answer["response"]["allowed"] is True, answer
    status, answer = webhook.post(review(pod(privileged=True), uid="after-privileged"))
    assert status == 200 and answer["response"]["allowed"] is False, answer
    assert took < 60, f"the burst took {took:.1f} s"
