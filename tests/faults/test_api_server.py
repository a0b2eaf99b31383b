"""The API server answers 429 or 500, or never answers: `scan --kubeconfig` end to end.

Already tested elsewhere: the client's retries and backoff, request by request
(tests/cluster/test_cluster_units.py: 429 and 5xx tried again, Retry-After obeyed and capped,
a dropped connection, a slow answer past the read timeout, a connection never accepted); a
server that refuses connections (tests/cluster/test_cluster_source.py); a real API server
that stops in the middle of the read, and one whose aggregated API answers 503
(tests/cluster/test_cluster_scan.py).

Here, the whole command against a loopback HTTP server that answers what each test scripts
(the Script of test_cluster_units), since a real API server cannot be made to answer 429 or
500 on demand: a server that says 429 with Retry-After and then answers is read, and judged,
after waiting as told; one that keeps answering 500 or 429, or never answers at all, makes
every control of the cluster scope `error` (exit 3) after its five attempts, naming why.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from kaze_policy.catalog import load_catalog
from tests.cluster.test_cluster_units import Script, _handler, ok, status, write_kubeconfig
from tests.conftest import run_cli
from tests.faults.support import patched_cli, report

CLUSTER_CONTROLS = {c.id for c in load_catalog().controls if "cluster" in c.scopes}
NAMESPACE = {"metadata": {"name": "tenant-acme", "labels": {"kaze.io/tenant": "acme"}}}


@dataclass
class TimedScript(Script):
    """The Script, with the time of each request."""

    times: list[tuple[str, float]] = field(default_factory=list)

    def answer(self, path: str) -> Any:
        self.times.append((path, time.monotonic()))
        return super().answer(path)


def a_cluster(script: Script) -> None:
    """Discovery and lists of a small cluster: one tenant namespace, no other object."""
    script.answers.update({
        "/version": [ok({"gitVersion": "v1.37.2"})],
        "/api": [ok({"versions": ["v1"]})],
        "/apis": [ok({"groups": []})],
        "/api/v1": [ok({"resources": [
            {"name": "namespaces", "kind": "Namespace", "namespaced": False, "verbs": ["list"]},
            {"name": "configmaps", "kind": "ConfigMap", "namespaced": True, "verbs": ["list"]}]})],
        "/api/v1/namespaces": [ok({"metadata": {}, "items": [NAMESPACE]})],
        "/api/v1/configmaps": [ok({"metadata": {}, "items": []})]})


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[TimedScript, Path]]:
    """A loopback HTTP server answering its script, and a kubeconfig for it."""
    script = TimedScript()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(script))
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        yield script, write_kubeconfig(tmp_path / "kubeconfig", f"http://127.0.0.1:{httpd.server_address[1]}")
    finally:
        httpd.shutdown()
        httpd.server_close()


def live_scan(kubeconfig: Path, cwd: Path, patch: str = "") -> Any:
    args = ("scan", "--kubeconfig", str(kubeconfig), "--format", "json", "--no-progress")
    return patched_cli(patch, *args, cwd=cwd) if patch else run_cli(*args, cwd=cwd)


def test_429_with_retry_after_then_an_answer_is_waited_for_and_read(server: tuple[TimedScript, Path],
                                                                    tmp_path: Path) -> None:
    script, kubeconfig = server
    a_cluster(script)
    slow_down = status(429, "too many requests", {"Retry-After": "1"})
    script.answers["/version"].insert(0, slow_down)
    script.answers["/api/v1/namespaces"].insert(0, slow_down)
    document = report(live_scan(kubeconfig, tmp_path), (0, 1))
    verdicts = {c["id"]: c for c in document["controls"] if c["id"] in CLUSTER_CONTROLS}
    assert not [c for c in verdicts.values() if "cannot read the API server" in (c.get("reason") or "")]
    assert {c["status"] for c in verdicts.values()} & {"pass", "fail"}, verdicts
    # Each path that said 429 was asked again, no sooner than the server said.
    for path in ("/version", "/api/v1/namespaces"):
        times = [t for p, t in script.times if p == path]
        assert len(times) == 2 and times[1] - times[0] >= 1.0, (path, times)


@pytest.mark.parametrize("answer, says", [
    (status(500, "etcdserver: request timed out"), "HTTP 500 on GET /version: etcdserver: request timed out"),
    (status(429, "too many requests"), "HTTP 429 on GET /version: too many requests"),
], ids=["500", "429"])
def test_a_server_that_keeps_failing_makes_the_cluster_controls_errors_after_five_attempts(
        server: tuple[TimedScript, Path], tmp_path: Path, answer: Any, says: str) -> None:
    script, kubeconfig = server
    a_cluster(script)
    script.answers["/version"] = [answer]
    document = report(live_scan(kubeconfig, tmp_path), 3)
    _every_cluster_control_an_error(document, f"cannot read the API server (5 attempts): {says}")
    assert [p for p, _ in script.times] == ["/version"] * 5  # tried five times, then given up


# The read's timeout, shortened from its 30 s: the request is the real one, with this timeout.
SHORT_TIMEOUT = """
import functools
from kaze_policy.sources import cluster
cluster.ReadOptions = functools.partial(cluster.ReadOptions, timeout=0.5)
"""


@pytest.mark.timeout(60)
def test_a_server_that_never_answers_times_out_and_makes_the_cluster_controls_errors(tmp_path: Path) -> None:
    held: list[socket.socket] = []
    with socket.create_server(("127.0.0.1", 0)) as listener:
        def accept() -> None:
            while True:
                try:
                    held.append(listener.accept()[0])  # taken, and never answered
                except OSError:
                    return

        threading.Thread(target=accept, daemon=True).start()
        kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", f"http://127.0.0.1:{listener.getsockname()[1]}")
        started = time.monotonic()
        done = live_scan(kubeconfig, tmp_path, SHORT_TIMEOUT)
        took = time.monotonic() - started
        listener.shutdown(socket.SHUT_RDWR)
    for sock in held:
        sock.close()
    document = report(done, 3)
    _every_cluster_control_an_error(document, "cannot read the API server (5 attempts): GET /version: ")
    reasons = [t["reason"] for c in document["controls"] for t in c["targets"] if t["status"] == "error"]
    assert reasons and all("timed out" in reason for reason in reasons), reasons[:1]
    assert len(held) == 5 and took < 30, (len(held), took)


def _every_cluster_control_an_error(document: dict[str, Any], reason: str) -> None:
    for control in document["controls"]:
        if control["id"] in CLUSTER_CONTROLS:
            assert control["status"] == "error", control
            assert all(t["reason"].startswith(reason) for t in control["targets"] if t["status"] == "error"), control
        else:
            assert control["status"] == "not_applicable", control
