"""The PostgreSQL probe against a real server (Debian's package, started in a temporary folder):
one compliant schema of the platform, and one of each failure of KZ-TEN-08."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from kaze_policy.probes import ProbeFailed
from kaze_policy.probes.postgres import probe_database
from tests.conftest import FIXTURES, run_cli
from tests.probes.systems import PLATFORM_SCHEMA
from tests.probes.postgres_server import Postgres, require_postgres, running_postgres

AUDITOR = "kaze_audit"
AUDITOR_PASSWORD = "audit-" + "x" * 12
FAILURES = """
create table documents (id bigint primary key, tenant_id text, body text);
create table memories (id bigint primary key, TENANT_ID text, body text);
alter table memories enable row level security;
create schema billing;
create table billing.invoices (id bigint primary key, tenant_id text);
alter table billing.invoices force row level security;
create role reporting login bypassrls password 'r';
"""


@pytest.fixture(scope="module")
def postgres() -> Iterator[Postgres]:
    with running_postgres(require_postgres()) as server:
        for db in ("platform", "broken"):
            server.run(f"create database {db}")
        server.run(PLATFORM_SCHEMA, "platform")
        server.run(PLATFORM_SCHEMA + FAILURES, "broken")
        server.run(f"create role {AUDITOR} login password '{AUDITOR_PASSWORD}'")
        yield server


@pytest.fixture
def auditor_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGPASSWORD", AUDITOR_PASSWORD)


def _scan(server: Postgres, db: str) -> tuple[int, dict]:
    done = run_cli("scan", "--database", server.dsn(db, AUDITOR), "--config", str(FIXTURES / "kaze-policy.yaml"),
                   "--control", "KZ-TEN-08", "--format", "json", "--no-progress", env={"PGPASSWORD": AUDITOR_PASSWORD})
    assert "Traceback" not in done.stderr and AUDITOR_PASSWORD not in done.stdout + done.stderr
    (control,) = json.loads(done.stdout)["controls"]
    return done.returncode, control


def test_the_probe_reads_tables_policies_and_bypassing_roles(postgres: Postgres, auditor_password: None) -> None:
    document = probe_database(postgres.dsn("broken", AUDITOR))
    (database,) = document["databases"]
    assert database["name"] == "broken" and database["shared"] is True
    tables = {(t["schema"], t["name"]): t for t in database["tables"]}
    assert (tables[("public", "conversations")]["rowSecurity"], tables[("public", "conversations")]["forceRowSecurity"]) \
        == (True, True)
    assert tables[("public", "conversations")]["columns"] == ["id", "tenant_id", "body"]
    assert [p["name"] for p in tables[("public", "conversations")]["policies"]] == ["by_tenant"]
    assert tables[("public", "conversations")]["owner"] == "postgres"
    assert (tables[("billing", "invoices")]["rowSecurity"], tables[("billing", "invoices")]["forceRowSecurity"]) \
        == (False, True)
    assert {r["name"] for r in database["rolesBypassingRls"]} == {"postgres", "reporting"}


def test_a_compliant_schema_passes(postgres: Postgres) -> None:
    code, control = _scan(postgres, "platform")
    assert (code, control["status"]) == (0, "pass"), control


def test_each_failure_is_found(postgres: Postgres) -> None:
    code, control = _scan(postgres, "broken")
    assert code == 1 and control["status"] == "fail"
    messages = sorted(f["message"] for f in control["findings"])
    assert len(messages) == 3, messages
    assert any("public.documents" in m and "neither enabled nor forced" in m for m in messages)
    assert any("public.memories" in m and "enabled but not forced" in m for m in messages)
    assert any("billing.invoices" in m and "forced but not enabled" in m for m in messages)


def test_a_wrong_password_is_an_error_and_exit_3(postgres: Postgres) -> None:
    done = run_cli("scan", "--database", postgres.dsn("platform", AUDITOR), "--control", "KZ-TEN-08",
                   "--format", "json", "--no-progress", env={"PGPASSWORD": "wrong"})
    assert done.returncode == 3 and "Traceback" not in done.stderr
    (control,) = json.loads(done.stdout)["controls"]
    assert control["status"] == "error"
    assert any("password authentication failed" in t["reason"] for t in control["targets"] if t["status"] == "error")


def test_a_server_that_refuses_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.cluster.apiserver import free_port
    monkeypatch.setenv("PGPASSWORD", "x")
    with pytest.raises(ProbeFailed, match="cannot read the database"):
        probe_database(f"host=127.0.0.1 port={free_port()} dbname=platform user=kaze_audit")


def test_a_password_in_the_dsn_is_refused_without_being_shown() -> None:
    done = run_cli("scan", "--database", "postgresql://kaze_audit:hunter2secret@127.0.0.1/platform")
    assert done.returncode == 2 and "PGPASSWORD" in done.stderr and "hunter2secret" not in done.stderr


def test_a_saved_snapshot_is_judged_as_the_live_database(postgres: Postgres, tmp_path) -> None:
    saved = tmp_path / "database.json"
    done = run_cli("snapshot", "--database", postgres.dsn("broken", AUDITOR), "-o", str(saved),
                   env={"PGPASSWORD": AUDITOR_PASSWORD})
    assert done.returncode == 0, done.stderr
    kept = run_cli("scan", str(saved), "--control", "KZ-TEN-08", "--format", "json", "--no-progress")
    (control,) = json.loads(kept.stdout)["controls"]
    _, live = _scan(postgres, "broken")
    assert [f["message"] for f in control["findings"]] == [f["message"] for f in live["findings"]]
    assert AUDITOR_PASSWORD not in saved.read_text()


def test_a_snapshot_of_a_database_that_cannot_be_read_writes_nothing(postgres: Postgres, tmp_path) -> None:
    saved = tmp_path / "database.json"
    done = run_cli("snapshot", "--database", postgres.dsn("platform", AUDITOR), "-o", str(saved),
                   env={"PGPASSWORD": "wrong"})
    assert done.returncode == 3 and "password authentication failed" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and not saved.exists()
