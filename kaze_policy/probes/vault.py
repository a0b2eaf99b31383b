"""A live Vault or OpenBao server, read with `hvac` into a VaultSnapshot (docs/inventory.md).

What is read: the ACL policies (names and text), the audit devices, the auth methods (their
lease bounds) and the roles of each (bound identities, policies, token lifetimes), the token
method's TTL bounds, the secrets engines, the transit keys (rotation), replication and secret
sync, and the identity entities and groups. Only `sys/`, `auth/…/role`, `identity/` and
`transit` key metadata are asked for: no secret's value is ever read (a token whose policy
denies every `*/data/*` path reads everything the probe needs; tests/probes prove it).

A server that is sealed, cannot be reached, refuses the token, or forbids a path the probe
needs raises ProbeFailed: what was not read cannot pass. Features the server does not offer
(replication and secret sync are Vault Enterprise's; OpenBao has neither) are recorded as
absent, with the server's own word that it lacks them (a 404 or "unsupported path").
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable

from kaze_policy.probes import ProbeFailed, snapshot

VAULT_SCOPE = "vault"
DEFAULT_TIMEOUT = 10.0
BUILTIN_POLICIES = frozenset({"root"})
# Auth methods whose roles bind identities to policies, and where each keeps them.
ROLE_PATHS = {"kubernetes": "role", "jwt": "role", "oidc": "role", "approle": "role", "cert": "certs"}
# Environment of a pod that logs in with its service account (the audit CronJob of infra/).
K8S_ROLE_ENV, K8S_TOKEN_PATH_ENV, K8S_MOUNT_ENV = "VAULT_AUTH_ROLE", "VAULT_K8S_TOKEN_PATH", "VAULT_AUTH_MOUNT"
DEFAULT_K8S_TOKEN_PATH = "/var/run/secrets/kubernetes.io/serviceaccount/token"


def probe_vault(address: str, token: str | None = None, *, ca_file: str | None = None,
                timeout: float = DEFAULT_TIMEOUT, name: str = "vault") -> dict[str, Any]:
    """The server at `address` as a VaultSnapshot. The token: `token`, else VAULT_TOKEN, else a
    Kubernetes login (VAULT_AUTH_ROLE, with the service-account token at VAULT_K8S_TOKEN_PATH)."""
    reader = _Reader(address, token, ca_file, timeout)
    names = reader.list("sys/policies/acl")
    # `root` is built in and has no text (it grants everything, to root tokens only): named apart.
    policies = {n: reader.get(f"sys/policies/acl/{n}")["policy"] for n in names if n not in BUILTIN_POLICIES}
    auth_methods = reader.get("sys/auth")
    mounts = reader.get("sys/mounts")
    groups = _groups(reader)
    return snapshot(
        "VaultSnapshot", name, address=address,
        policies=policies,
        builtinPolicies=sorted(set(names) & BUILTIN_POLICIES),
        auditDevices={path: {"type": d.get("type"), "options": d.get("options") or {}}
                      for path, d in reader.get("sys/audit").items() if isinstance(d, dict)},
        authMounts=[{"path": path.rstrip("/"), "type": m.get("type"),
                     "defaultLeaseTtl": (m.get("config") or {}).get("default_lease_ttl"),
                     "maxLeaseTtl": (m.get("config") or {}).get("max_lease_ttl")}
                    for path, m in sorted(auth_methods.items()) if isinstance(m, dict)],
        authRoles=_auth_roles(reader, auth_methods),
        secretEngines=[{"path": path.rstrip("/"), "type": m.get("type"), "options": m.get("options") or {}}
                       for path, m in sorted(mounts.items()) if isinstance(m, dict)],
        keys=_transit_keys(reader, mounts),
        replication=_replication(reader),
        secretSyncs=_secret_syncs(reader),
        entities=_entities(reader, groups),
        groups=groups,
    )


class _Reader:
    """GET and LIST on one server, every failure a ProbeFailed naming the path."""

    def __init__(self, address: str, token: str | None, ca_file: str | None, timeout: float) -> None:
        import hvac
        import requests

        self.address = address
        verify: bool | str = ca_file or True
        self.client = hvac.Client(url=address, token=token or os.environ.get("VAULT_TOKEN"), verify=verify,
                                  timeout=timeout)
        self._errors: tuple[type[BaseException], ...] = (requests.RequestException, OSError)
        self._health()
        if not self.client.token:
            self._kubernetes_login()

    def _fail(self, message: str) -> ProbeFailed:
        return ProbeFailed(message, self.address, VAULT_SCOPE)

    def _health(self) -> None:
        import hvac.exceptions as errors

        try:
            health = self.client.sys.read_health_status(method="GET")
        except errors.VaultDown:
            raise self._fail("Vault is sealed: nothing can be read until it is unsealed") from None
        except errors.VaultNotInitialized:
            raise self._fail("Vault is not initialized") from None
        except (errors.VaultError, *self._errors) as err:
            raise self._fail(f"cannot reach Vault: {_first_line(err)}") from None
        status = health if isinstance(health, dict) else _json(health)
        if status.get("sealed"):
            raise self._fail("Vault is sealed: nothing can be read until it is unsealed")
        if status.get("initialized") is False:
            raise self._fail("Vault is not initialized")

    def _kubernetes_login(self) -> None:
        role = os.environ.get(K8S_ROLE_ENV)
        if not role:
            raise self._fail("no Vault token: set VAULT_TOKEN, or VAULT_AUTH_ROLE for a Kubernetes login")
        path = Path(os.environ.get(K8S_TOKEN_PATH_ENV) or DEFAULT_K8S_TOKEN_PATH)
        try:
            jwt = path.read_text().strip()
        except OSError as err:
            raise self._fail(f"cannot read the service-account token {path}: {err.strerror}") from None
        self._call(lambda: self.client.auth.kubernetes.login(role, jwt, mount_point=os.environ.get(
            K8S_MOUNT_ENV, "kubernetes")), f"auth/{os.environ.get(K8S_MOUNT_ENV, 'kubernetes')}/login")

    def _call(self, call: Callable[[], Any], path: str) -> Any:
        import hvac.exceptions as errors

        try:
            return call()
        except errors.Forbidden as err:
            raise self._fail(f"the token may not read {path} ({_first_line(err)}): grant it in the probe's policy") \
                from None
        except errors.Unauthorized as err:
            raise self._fail(f"Vault refused the token on {path} ({_first_line(err)})") from None
        except errors.VaultDown:
            raise self._fail("Vault is sealed: nothing can be read until it is unsealed") from None
        except errors.InvalidPath:
            raise
        except (errors.VaultError, *self._errors) as err:
            raise self._fail(f"cannot read {path}: {_first_line(err)}") from None

    def get(self, path: str) -> dict[str, Any]:
        """The `data` of a GET (for `sys/` endpoints that have none, the body less its envelope)."""
        body = _json(self._call(lambda: self.client.adapter.get(f"/v1/{path}"), path))
        data = body.get("data")
        return data if isinstance(data, dict) else {k: v for k, v in body.items() if k not in _ENVELOPE}

    def list(self, path: str) -> list[str]:
        """The keys of a LIST; none when the path holds nothing (Vault answers 404)."""
        import hvac.exceptions as errors

        try:
            body = _json(self._call(lambda: self.client.adapter.list(f"/v1/{path}"), path))
        except errors.InvalidPath:
            return []
        return sorted(str(k) for k in (body.get("data") or {}).get("keys") or [])

    def optional(self, path: str, listing: bool = False) -> dict[str, Any] | None:
        """A GET (or LIST) of a feature the server may not offer: None when it says it has no such path."""
        import hvac.exceptions as errors

        try:
            if listing:
                body = _json(self._call(lambda: self.client.adapter.list(f"/v1/{path}"), path))
                data = body.get("data")
                return data if isinstance(data, dict) else {}
            return self.get(path)
        except errors.InvalidPath:
            return None
        except ProbeFailed as err:
            if "unsupported path" in err.message:
                return None
            raise


_ENVELOPE = frozenset({"request_id", "lease_id", "renewable", "lease_duration", "wrap_info", "warnings", "auth",
                       "mount_type"})


def _auth_roles(reader: _Reader, auth_methods: dict[str, Any]) -> list[dict[str, Any]]:
    roles = []
    for path, method in sorted(auth_methods.items()):
        kind = method.get("type") if isinstance(method, dict) else None
        mount = path.rstrip("/")
        if kind == "token":
            roles += [_role(mount, kind, name, reader.get(f"auth/token/roles/{name}"))
                      for name in reader.list("auth/token/roles")]
        elif kind in ROLE_PATHS:
            where = f"auth/{mount}/{ROLE_PATHS[kind]}"
            roles += [_role(mount, kind, name, reader.get(f"{where}/{name}")) for name in reader.list(where)]
    return roles


def _role(mount: str, kind: str, name: str, data: dict[str, Any]) -> dict[str, Any]:
    """A role in the snapshot's camelCase, the fields the controls read named as lib/vault.rego does."""
    policies = data.get("token_policies") or data.get("policies") or data.get("allowed_policies") or []
    role = {
        "mount": mount, "type": kind, "name": name, "policies": list(policies),
        "boundServiceAccountNames": data.get("bound_service_account_names") or [],
        "boundServiceAccountNamespaces": data.get("bound_service_account_namespaces") or [],
        "tokenTtl": data.get("token_ttl", data.get("ttl")),
        "tokenMaxTtl": data.get("token_max_ttl", data.get("max_ttl")),
        "tokenPeriod": data.get("token_period", data.get("period")),
        "tokenExplicitMaxTtl": data.get("token_explicit_max_ttl", data.get("explicit_max_ttl")),
        "tokenType": data.get("token_type"),
    }
    for field, key in (("boundClaims", "bound_claims"), ("boundAudiences", "bound_audiences"),
                       ("userClaim", "user_claim"), ("groupsClaim", "groups_claim"), ("roleType", "role_type"),
                       ("boundSubject", "bound_subject"), ("audience", "audience")):
        if data.get(key) not in (None, "", [], {}):
            role[field] = data[key]
    return role


def _transit_keys(reader: _Reader, mounts: dict[str, Any]) -> list[dict[str, Any]]:
    keys = []
    for path, mount in sorted(mounts.items()):
        if not isinstance(mount, dict) or mount.get("type") != "transit":
            continue
        base = path.rstrip("/")
        for name in reader.list(f"{base}/keys"):
            data = reader.get(f"{base}/keys/{name}")  # metadata only: a transit key is never exported
            keys.append({"path": f"{base}/keys/{name}", "type": data.get("type"),
                         "autoRotatePeriod": data.get("auto_rotate_period"),
                         "exportable": data.get("exportable"),
                         "allowPlaintextBackup": data.get("allow_plaintext_backup"),
                         "deletionAllowed": data.get("deletion_allowed"),
                         "latestVersion": data.get("latest_version")})
    return keys


def _replication(reader: _Reader) -> dict[str, Any]:
    status = reader.optional("sys/replication/status")
    if status is None:  # the server offers no replication: nothing leaves it that way
        return {"performance": {"mode": "disabled"}, "dr": {"mode": "disabled"}, "offered": False}
    return {"performance": {"mode": (status.get("performance") or {}).get("mode", "unknown")},
            "dr": {"mode": (status.get("dr") or {}).get("mode", "unknown")}, "offered": True}


def _secret_syncs(reader: _Reader) -> list[dict[str, Any]]:
    destinations = reader.optional("sys/sync/destinations", listing=True)
    if destinations is None:
        return []
    return [{"type": kind, "name": name} for kind, names in sorted((destinations.get("key_info") or {}).items())
            for name in names or []]


def _entities(reader: _Reader, groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    names = {g["id"]: g["name"] for g in groups}
    out = []
    for name in reader.list("identity/entity/name"):
        entity = reader.get(f"identity/entity/name/{name}")
        out.append({"name": entity.get("name", name), "policies": entity.get("policies") or [],
                    "groups": sorted(str(names.get(g, g)) for g in entity.get("group_ids") or []),
                    "disabled": bool(entity.get("disabled"))})
    return out


def _groups(reader: _Reader) -> list[dict[str, Any]]:
    out = []
    for name in reader.list("identity/group/name"):
        group = reader.get(f"identity/group/name/{name}")
        out.append({"id": group.get("id"), "name": group.get("name", name), "type": group.get("type"),
                    "policies": group.get("policies") or [], "members": len(group.get("member_entity_ids") or [])})
    return out


def _json(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    try:
        body = value.json()
    except (AttributeError, ValueError):
        return {}
    return body if isinstance(body, dict) else {}


def _first_line(err: BaseException) -> str:
    return (str(err).strip().splitlines() or [type(err).__name__])[0][:300]
