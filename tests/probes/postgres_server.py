"""A throwaway PostgreSQL server on loopback, from Debian's `postgresql` package.

`initdb` in a temporary folder, `pg_ctl start` on a free 127.0.0.1 port, stopped and removed
when the block ends. PostgreSQL refuses to run as root: under root (CI's containers), the
server runs as the `postgres` user the package creates. Password authentication over TCP
(scram-sha-256), so that the probe's password comes from PGPASSWORD as in production.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.cluster.apiserver import free_port

SUPERUSER = "postgres"


@dataclass(frozen=True)
class Postgres:
    host: str
    port: int
    password: str  # the superuser's

    def dsn(self, dbname: str = "postgres", user: str = SUPERUSER) -> str:
        return f"host={self.host} port={self.port} dbname={dbname} user={user}"

    def run(self, sql: str, dbname: str = "postgres") -> None:
        import psycopg
        with psycopg.connect(self.dsn(dbname), password=self.password, autocommit=True) as conn:
            conn.execute(sql)


def find_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def require_postgres() -> Path:
    path = find_bin()
    if path is None:
        message = "PostgreSQL is not installed: apt-get install postgresql (make tools does)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


def _as_server_user() -> list[str]:
    if os.geteuid() != 0:
        return []
    pwd.getpwnam(SUPERUSER)  # the package's user
    return ["runuser", "-u", SUPERUSER, "--"]


@contextmanager
def running_postgres(bindir: Path) -> Iterator[Postgres]:
    workdir = Path(tempfile.mkdtemp(prefix="kaze-postgres-"))
    try:
        if os.geteuid() == 0:
            shutil.chown(workdir, SUPERUSER)
        data, password = workdir / "data", secrets.token_hex(16)
        pwfile = workdir / "pw"
        pwfile.write_text(password + "\n")
        if os.geteuid() == 0:
            shutil.chown(pwfile, SUPERUSER)
        sudo = _as_server_user()
        subprocess.run([*sudo, str(bindir / "initdb"), "-D", str(data), "-U", SUPERUSER, f"--pwfile={pwfile}",
                        "--auth-host=scram-sha-256", "--auth-local=peer", "-E", "UTF8", "--no-sync"],
                       check=True, capture_output=True, timeout=120)
        port = free_port()
        options = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={workdir} -c fsync=off"
        subprocess.run([*sudo, str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(workdir / "log"),
                        "-w", "-t", "60", "start"], check=True, capture_output=True, timeout=90)
        try:
            yield Postgres("127.0.0.1", port, password)
        finally:
            subprocess.run([*sudo, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                           capture_output=True, timeout=60)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
