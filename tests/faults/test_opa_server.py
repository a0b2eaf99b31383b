"""The OPA server of `scan --engine opa` stops: killed in the middle of the evaluation, or
after the policies are loaded and before any data. A real `opa run --server` (.tools/bin/opa)
is killed (SIGKILL) by the CLI's own process at the chosen moment. The catalog is the shipped
tenancy controls and their library: OPA compiles its whole set at every policy loaded, and
the 47 files of the catalog take it some 15 s; what happens when it stops does not depend on
how many there are.

What must hold: the controls it could not evaluate are `error`, each naming the server and
why in one line; the controls evaluated before it stopped keep their verdicts; every control
is in the report; exit 3; never a traceback.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from kaze_policy.catalog import load_catalog
from tests.conftest import ROOT, require_tool
from tests.faults.support import error_reasons, patched_cli, report, statuses, write_cell


@pytest.fixture(scope="module")
def policies(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("policies")
    for part in ("tenancy", "lib"):
        shutil.copytree(ROOT / "rego" / part, folder / part, ignore=shutil.ignore_patterns("*_test.rego"))
    return folder


# Kills the OPA server (its pid) when the engine makes its call number `after` + 1 of
# `method`, and waits until its port refuses: what follows meets a server that is gone.
KILL = """
import os, signal, socket, threading, time
from kaze_policy.engine import opa
PID, PORT, AFTER, METHOD = {pid}, {port}, {after}, {method!r}
lock, calls = threading.Lock(), [0]
real = getattr(opa.OpaEngine, METHOD)

def stopped():
    try:
        socket.create_connection(("127.0.0.1", PORT), timeout=0.2).close()
        return False
    except OSError:
        return True

def wrapped(self, *args, **kwargs):
    with lock:
        calls[0] += 1
        if calls[0] == AFTER + 1:
            os.kill(PID, signal.SIGKILL)
            deadline = time.monotonic() + 10
            while not stopped() and time.monotonic() < deadline:
                time.sleep(0.01)
    return real(self, *args, **kwargs)

setattr(opa.OpaEngine, METHOD, wrapped)
"""


@pytest.fixture
def opa_server() -> Iterator:
    """An OPA server of this test alone (the session's must not be killed)."""
    require_tool("opa")
    from kaze_policy.engine.opa_server import OpaServer
    server = OpaServer.start()
    try:
        yield server
    finally:
        server.stop()


def _scan_killing(server, cell: Path, policies: Path, method: str, after: int):
    port = int(server.url.rsplit(":", 1)[1])
    patch = KILL.format(pid=server.process.pid, port=port, after=after, method=method)
    return patched_cli(patch, "scan", str(cell), "--policies", str(policies), "--engine", "opa",
                       "--opa-url", server.url, "--format", "json", "--no-progress", timeout=120)


def _one_clear_line(reason: str, url: str, what: str) -> None:
    assert reason.startswith(f"OPA server at {url} {what}: "), reason
    assert "\n" not in reason and len(reason) < 200, reason
    assert not re.search(r"0x[0-9a-f]{6,}", reason), reason  # no object addresses from the client's reprs


def test_an_opa_server_killed_mid_scan_errs_the_controls_left_and_keeps_the_others(opa_server, policies: Path,
                                                                                  tmp_path: Path) -> None:
    cell = write_cell(tmp_path / "cell")
    done = _scan_killing(opa_server, cell, policies, "query", after=12)
    assert opa_server.process.wait(timeout=10) == -9  # really killed, mid-scan
    document = report(done, 3)
    verdicts = statuses(document)
    errors = {cid for cid, status in verdicts.items() if status == "error"}
    judged = {cid for cid, status in verdicts.items() if status in ("pass", "fail")}
    assert errors and judged, verdicts  # some judged before the server stopped, some not
    assert set(verdicts) == {c.id for c in load_catalog(policies).controls}  # every control is in the report
    for reason in error_reasons(document, errors):
        _one_clear_line(reason, opa_server.url, "failed")
    assert done.stderr == ""


def test_an_opa_server_killed_before_the_evaluation_errs_every_control_and_still_reports(
        opa_server, policies: Path, tmp_path: Path) -> None:
    """The target's data cannot be loaded: every control of the target is an error (it was an
    EngineError out of the scan: one line, exit 3, and no report at all)."""
    cell = write_cell(tmp_path / "cell")
    done = _scan_killing(opa_server, cell, policies, "set_data", after=0)  # policies loaded, then the server is gone
    assert opa_server.process.wait(timeout=10) == -9
    document = report(done, 3)
    verdicts = statuses(document)
    assert set(verdicts) == {c.id for c in load_catalog(policies).controls} and set(verdicts.values()) == {"error"}
    reasons = error_reasons(document)
    assert reasons
    for reason in reasons:
        _one_clear_line(reason, opa_server.url, "rejected the data")
    assert done.stderr == ""
