"""Tenant scoping in a shared PostgreSQL database (KZ-TEN-08), read from its catalog with psycopg.

`--database DSN` names the platform's shared database (a libpq connection string or URI). The
password never comes from the command line: libpq reads it from PGPASSWORD or ~/.pgpass, and
a DSN that carries one is refused, so that it cannot end up in a shell history, a process
list or a report. Only the system catalog is read (pg_class, pg_attribute, pg_policy,
pg_roles): no table's rows.

What is recorded, for the ClusterProbeSnapshot's `databases` (docs/inventory.md): every table
(ordinary and partitioned) of the user schemas with its columns, whether row-level security
is enabled and forced, its owner and its policies; and the login roles that bypass row-level
security (BYPASSRLS or superuser), which a forced policy does not bind.
"""

from __future__ import annotations

from typing import Any

from kaze_policy.probes import ProbeFailed, snapshot

CLUSTER_SCOPE = "cluster"
CONNECT_SECONDS = 10

_TABLES = """
select n.nspname, c.relname, c.relrowsecurity, c.relforcerowsecurity, pg_get_userbyid(c.relowner),
       coalesce((select array_agg(a.attname::text order by a.attnum) from pg_attribute a
                 where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped), '{}')
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r', 'p') and n.nspname not in ('pg_catalog', 'information_schema')
  and n.nspname not like 'pg_toast%' and n.nspname not like 'pg_temp%'
order by 1, 2
"""
_POLICIES = """
select schemaname, tablename, policyname, permissive, roles::text[], cmd, qual, with_check
from pg_policies order by 1, 2, 3
"""
_BYPASSING = """
select rolname, rolbypassrls, rolsuper from pg_roles
where rolcanlogin and (rolbypassrls or rolsuper) order by 1
"""


def check_dsn(dsn: str) -> None:
    """A DSN may not carry a password: ValueError saying where it must come from instead."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        params = conninfo_to_dict(dsn)
    except Exception:  # psycopg.ProgrammingError; its words may quote the DSN, password and all
        raise ValueError("not a PostgreSQL connection string (key=value pairs, or a postgresql:// URI)") from None
    if params.get("password"):
        raise ValueError("the connection string holds a password: give it in PGPASSWORD or ~/.pgpass instead")


def probe_database(dsn: str, shared: bool = True, name: str = "database") -> dict[str, Any]:
    """The database of `dsn` as a ClusterProbeSnapshot holding one entry of `databases`."""
    import psycopg

    check_dsn(dsn)
    where = shown(dsn)
    try:
        with psycopg.connect(dsn, connect_timeout=CONNECT_SECONDS, autocommit=True) as conn:
            conn.read_only = True
            database = conn.execute("select current_database()").fetchone()[0]
            policies = _policies(conn.execute(_POLICIES).fetchall())
            tables = [{"schema": schema, "name": table, "columns": list(columns), "rowSecurity": enabled,
                       "forceRowSecurity": forced, "owner": owner, "policies": policies.get((schema, table), [])}
                      for schema, table, enabled, forced, owner, columns in conn.execute(_TABLES).fetchall()]
            bypassing = [{"name": role, "bypassRls": bypass, "superuser": superuser}
                         for role, bypass, superuser in conn.execute(_BYPASSING).fetchall()]
    except psycopg.Error as err:
        raise ProbeFailed(f"cannot read the database: {_first_line(err)}", where, CLUSTER_SCOPE) from None
    return snapshot("ClusterProbeSnapshot", name, databases=[
        {"name": database, "shared": shared, "tables": tables, "rolesBypassingRls": bypassing}])


def _policies(rows: list[tuple[Any, ...]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    found: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for schema, table, policy, permissive, roles, command, using, check in rows:
        found.setdefault((schema, table), []).append({
            "name": policy, "permissive": permissive == "PERMISSIVE", "roles": list(roles or []),
            "command": command, "using": using, "withCheck": check})
    return found


def shown(dsn: str) -> str:
    """The database as a report names it: host, port and name, never more of the DSN."""
    from psycopg.conninfo import conninfo_to_dict

    params = conninfo_to_dict(dsn)
    return f"postgresql://{params.get('host', 'localhost')}:{params.get('port', 5432)}/{params.get('dbname', '')}"


def _first_line(err: BaseException) -> str:
    return (str(err).strip().splitlines() or [type(err).__name__])[0][:300]
