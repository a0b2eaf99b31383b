"""The live systems of the Kaze stack as the probe tests and `make demo-live` start them:
OpenBao with infra/vault loaded, PostgreSQL with a schema of the platform."""

from __future__ import annotations

import json
from pathlib import Path

from tests.analysis.openbao import OpenBao
from tests.conftest import INFRA

VAULT = INFRA / "vault"
# The platform's shared database, as its migrations leave it: every tenant table scoped by
# row-level security, enabled and forced, with a policy on tenant_id.
PLATFORM_SCHEMA = """
create table conversations (id bigint primary key, tenant_id text not null, body text);
alter table conversations enable row level security;
alter table conversations force row level security;
create policy by_tenant on conversations using (tenant_id = current_setting('kaze.tenant'));
create table usage_prices (id bigint primary key, model text, price numeric);
create table embeddings (id bigint primary key, tenant_id text not null, vector bytea);
alter table embeddings enable row level security;
alter table embeddings force row level security;
create policy by_tenant on embeddings using (tenant_id = current_setting('kaze.tenant'));
"""


def audit_config(audit_log: Path) -> str:
    """infra/vault's audit device, declared in the server's configuration (OpenBao enables
    audit devices only so), writing to `audit_log`."""
    audit = json.loads((VAULT / "audit" / "file.json").read_text())
    options = "\n".join(f'    {k} = "{v}"' for k, v in {**audit["options"], "file_path": str(audit_log)}.items())
    return f'audit "{audit["type"]}" "{audit["path"]}" {{\n  options {{\n{options}\n  }}\n}}\n'


def load_infra_vault(server: OpenBao) -> None:
    """infra/vault into the server, as the platform's bootstrap would write it (the audit
    device is in the server's configuration: audit_config)."""
    mounts = json.loads((VAULT / "mounts.json").read_text())
    for mount in mounts["secrets"]:
        server.request("POST", f"sys/mounts/{mount['path']}", {"type": mount["type"],
                                                               "options": mount.get("options") or {}})
    for method in mounts["auth"]:
        server.request("POST", f"sys/auth/{method['path']}", {"type": method["type"]})
    for policy in sorted((VAULT / "policies").glob("*.hcl")):
        server.write_policy(policy.stem, policy.read_text())
    for file in sorted((VAULT / "roles").glob("*.json")):
        role = json.loads(file.read_text())
        server.request("POST", f"auth/{role.pop('mount')}/role/{role.pop('name')}", role)
    keys = json.loads((VAULT / "keys" / "transit.json").read_text())
    for key in keys["keys"]:
        name = key["path"].rsplit("/", 1)[1]
        server.request("POST", f"{keys['mount']}/keys/{name}", {"type": key["type"], "exportable": key["exportable"],
                                                                 "allow_plaintext_backup": key["allow_plaintext_backup"],
                                                                 "auto_rotate_period": key["auto_rotate_period"]})
    server.request("POST", "kv/data/clients/acme/openai", {"data": {"api_key": "sk-never-read-by-the-probe"}})
