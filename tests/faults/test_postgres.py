"""PostgreSQL refuses: `scan PATH --database DSN` end to end.

Already tested (tests/probes/test_postgres_probe.py): a wrong password makes KZ-TEN-08 an
error (exit 3) and `snapshot` writes nothing; a port nothing listens on makes the probe
raise (in process). Here, through the command with a folder to judge besides: a port with
nothing listening, and a real server (Debian's PostgreSQL, in a temporary folder) that
rejects the role (a role that may not log in). KZ-TEN-08 is `error`, saying why in one
line, and so is every control of its scope on the database's target (the probe's scope is
the cluster's: docs/probes.md); the folder is judged as ever; exit 3.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cluster.apiserver import free_port
from tests.conftest import run_cli
from tests.faults.support import error_reasons, report, statuses, write_cell
from tests.probes.postgres_server import Postgres, require_postgres, running_postgres

PASSWORD = "audit-" + "y" * 12


@pytest.fixture(scope="module")
def postgres() -> Iterator[Postgres]:
    with running_postgres(require_postgres()) as server:
        server.run("create database platform")
        server.run(f"create role kaze_audit nologin password '{PASSWORD}'")  # the role exists, and may not log in
        yield server


def _scan(cell: Path, dsn: str):
    return run_cli("scan", str(cell), "--database", dsn, "--format", "json", "--no-progress",
                   env={"PGPASSWORD": PASSWORD}, timeout=120)


def _ten08_error_and_the_folder_judged(document: dict, cell: Path, why: str) -> None:
    """KZ-TEN-08 is an error naming why; so is every control of its scope (the cluster scope)
    on the database's target, none judged on it; the folder's verdicts are all there."""
    verdicts = statuses(document)
    assert verdicts["KZ-TEN-08"] == "error", verdicts
    reasons = error_reasons(document)
    assert reasons and all(why in r and "\n" not in r and PASSWORD not in r for r in reasons), reasons
    folder = {c["id"]: t["status"] for c in document["controls"] for t in c["targets"] if t["name"] == str(cell)}
    assert len(folder) == len(verdicts) and "error" not in folder.values(), folder
    assert {"pass", "fail"} <= set(folder.values()), folder


def test_a_port_with_nothing_listening_makes_ten_08_an_error(tmp_path: Path) -> None:
    cell = write_cell(tmp_path / "cell")
    done = _scan(cell, f"host=127.0.0.1 port={free_port()} dbname=platform user=kaze_audit")
    _ten08_error_and_the_folder_judged(report(done, 3), cell, "Connection refused")


def test_a_server_that_rejects_the_role_makes_ten_08_an_error(postgres: Postgres, tmp_path: Path) -> None:
    cell = write_cell(tmp_path / "cell")
    done = _scan(cell, postgres.dsn("platform", "kaze_audit"))
    _ten08_error_and_the_folder_judged(report(done, 3), cell, 'role "kaze_audit" is not permitted to log in')
