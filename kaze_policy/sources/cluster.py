"""A live cluster to resources, read through the official `kubernetes` client.

What is read: every kind a control of the `cluster` scope names in its METADATA `kinds`,
plus the kinds the cross-resource rules and the analyzers read (CONTEXT_KINDS), each mapped
to its API resources by the server's discovery (the preferred version of every group that
serves it; a kind no group serves, a CRD not installed, is simply absent). Every namespace,
in pages (`limit`/`continue`), each request with a timeout and retried with backoff on 429
and 5xx. Secrets are listed as metadata only (PartialObjectMetadataList): their values are
never read. Nothing is written to the cluster (`audit --apply-reports` writes its PolicyReports,
report/policyreport_apply.py, not this module).

A kind the credentials may not list (403) is recorded with the permission that is missing,
so that the controls needing it are errors, never passes. A server that cannot be reached
(or refuses the credentials) stops the read: ClusterUnreachable, exit 3.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from kaze_policy.catalog import Control
from kaze_policy.errors import InputError, KazePolicyError, UsageError
from kaze_policy.inventory import WORKLOAD_KINDS, Inventory, Origin, Resource, Target

# The scope a live read turns on: the controls written for a running cluster (catalog
# `scopes: [cluster]`). Controls of files only (`iac`) are not applicable to it.
CLUSTER_SCOPE = "cluster"
SOURCE = "cluster"
# Kinds read by rules that look across the inventory (their METADATA names no kinds) and by
# the analyzers (network reachability, RBAC): rego/ and analysis/ name them.
CONTEXT_KINDS = frozenset({
    *WORKLOAD_KINDS, "Namespace", "ServiceAccount", "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding",
    "NetworkPolicy", "CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy", "Service", "ConfigMap", "Secret",
    "PersistentVolume", "PersistentVolumeClaim", "StorageClass", "CSIDriver", "VolumeSnapshotClass",
    "Ingress", "IngressClass", "Gateway", "ResourceQuota", "LimitRange",
    "Prometheus", "Alertmanager", "AlertmanagerConfig", "Grafana", "LokiStack", "OpenTelemetryCollector",
    "PeerAuthentication", "Server", "Policy", "ClusterPolicy", "ClusterImagePolicy",
    "ExternalSecret", "ClusterExternalSecret", "SecretStore", "ClusterSecretStore", "PushSecret",
    "ClusterPushSecret", "SecretProviderClass",
    "Cluster", "Pooler", "PostgresCluster", "postgresql", "InnoDBCluster", "MariaDB", "MongoDBCommunity",
    "PerconaServerMongoDB", "PerconaXtraDBCluster", "SGCluster",
})
# Kinds whose contents are never read, only their metadata.
METADATA_ONLY = frozenset({"Secret"})
_METADATA_ACCEPT = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"
DEFAULT_PAGE_SIZE = 500
DEFAULT_TIMEOUT = 30.0  # seconds, per request (connect and read each)
ATTEMPTS = 5  # per request, on 429, 5xx and a dropped connection
_BACKOFF_BASE, _BACKOFF_CAP = 0.1, 8.0  # seconds: 0.1, 0.2, 0.4, 0.8 between the attempts


class ClusterUnreachable(KazePolicyError):
    """The API server could not be read: nothing is known of the cluster (exit 3)."""

    exit_code = 3


class Unavailable(ClusterUnreachable):
    """The API server answered, but kept answering 429 or 5xx: what was asked for is not
    served now (an aggregated API whose backend is down answers 503 to its discovery)."""

    def __init__(self, message: str, server: str, answer: str) -> None:
        super().__init__(message, server)
        self.answer = answer  # the last answer: "HTTP 503 on GET …: …"


class Refused(Exception):
    """The API server refused one request (a 4xx other than 401 and 429)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status, self.message = status, message


@dataclass(frozen=True)
class ApiResource:
    """One listable API resource: where it lives and what kind it holds."""

    group: str
    version: str
    resource: str
    kind: str
    namespaced: bool

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def path(self) -> str:
        return f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"

    @property
    def permission(self) -> str:
        """As RBAC names it: `list networkpolicies.networking.k8s.io` (core: `list secrets`)."""
        return f"list {self.resource}.{self.group}" if self.group else f"list {self.resource}"


@dataclass
class ClusterRead:
    """What a live read gave: the inventory, the kinds the credentials could not list, and
    those that may be served by an API group whose discovery failed."""

    inventory: Inventory
    forbidden: dict[str, str] = field(default_factory=dict)  # kind → the missing permission, with the server's word
    server_version: str = ""
    identity: str = ""  # the kubeconfig context (and user) the objects were read with
    kinds: tuple[str, ...] = ()  # the kinds asked for
    # Kinds not found while the discovery of an API group failed, which may serve them → why.
    undiscovered: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ReadOptions:
    kubeconfig: Path | None  # None: the pod's own service account (in-cluster credentials)
    context: str | None = None
    page_size: int = DEFAULT_PAGE_SIZE
    timeout: float = DEFAULT_TIMEOUT


def kinds_to_read(controls: Iterable[Control]) -> frozenset[str]:
    """The kinds the cluster-scoped controls name, and the context every cross-resource rule reads."""
    named = {kind for c in controls if CLUSTER_SCOPE in c.scopes for kind in c.kinds}
    return frozenset(named | CONTEXT_KINDS)


def needs(control: Control, kind: str) -> bool:
    """Whether a control's verdict depends on the objects of `kind`.

    A per-object control needs its own kinds and the Namespaces (the tenant and mesh labels
    its rules look up); a cross-resource control reads the whole inventory, so every kind.
    """
    return not control.kinds or kind in control.kinds or kind == "Namespace"


class ClusterClient:
    """GET requests to one API server, with a timeout, retries and backoff."""

    def __init__(self, options: ReadOptions) -> None:
        from kubernetes import client, config

        configuration = client.Configuration()
        if options.kubeconfig is None:
            try:
                config.load_incluster_config(client_configuration=configuration)
            except config.ConfigException as err:
                raise UsageError(f"--in-cluster: no service-account credentials here ({_first_line(err)})") from None
        else:
            shown = str(options.kubeconfig)
            if not options.kubeconfig.is_file():
                raise InputError("no such file", shown)
            try:
                config.load_kube_config(config_file=shown, context=options.context,
                                        client_configuration=configuration, persist_config=False)
            except Exception as err:  # ConfigException, and whatever YAML or a field's type raises
                raise InputError(f"not a usable kubeconfig: {_first_line(err)}", shown) from None
        configuration.retries = False  # our own retries, with backoff and Retry-After
        self.server = configuration.host.rstrip("/")
        self.identity = _identity(options)
        self.api = client.ApiClient(configuration)
        self.timeout = options.timeout

    def get(self, path: str, query: dict[str, str] | None = None, accept: str = "application/json") -> Any:
        """The decoded JSON body. Refused: a 401 stops the read (ClusterUnreachable), another
        4xx but 429 raises Refused; 429, 5xx and a dropped connection are tried again, up to
        ATTEMPTS times with backoff, then ClusterUnreachable."""
        import urllib3
        from kubernetes.client.rest import ApiException

        last, answered = "", False
        for attempt in range(ATTEMPTS):
            delay = min(_BACKOFF_CAP, _BACKOFF_BASE * 2 ** attempt)
            try:
                method, url, headers, _, _ = self.api.param_serialize(
                    "GET", path, query_params=list((query or {}).items()), header_params={"Accept": accept},
                    auth_settings=["BearerToken"])
                response = self.api.call_api(method, url, header_params=headers,
                                             _request_timeout=(self.timeout, self.timeout))
                body = response.read()
            except ApiException as err:  # what the client makes of a TLS failure
                raise ClusterUnreachable(f"GET {path}: {_first_line(err.reason)}", self.server) from None
            except (urllib3.exceptions.HTTPError, OSError) as err:
                last, answered = f"GET {path}: {_first_line(getattr(err, 'reason', None) or err)}", False
            else:
                status = response.status
                if 200 <= status < 300:
                    try:
                        return json.loads(body)
                    except ValueError as err:
                        raise ClusterUnreachable(f"GET {path}: the answer is not JSON ({err})", self.server) from None
                if status == 401:
                    raise ClusterUnreachable(f"the API server refused the credentials (HTTP 401) on GET {path}",
                                             self.server)
                if status != 429 and status < 500:
                    raise Refused(status, _message(body, response.reason))
                last, answered = f"HTTP {status} on GET {path}: {_message(body, response.reason)}", True
                delay = _retry_after(response.headers) or delay
            if attempt + 1 < ATTEMPTS:
                time.sleep(delay)
        message = f"cannot read the API server ({ATTEMPTS} attempts): {last}"
        if answered:
            raise Unavailable(message, self.server, last)
        raise ClusterUnreachable(message, self.server)

    def close(self) -> None:
        self.api.close()


def _identity(options: ReadOptions) -> str:
    """`context <name> (user <name>)` of the kubeconfig: who the objects were read as."""
    from kubernetes.config.kube_config import KubeConfigLoader, KubeConfigMerger

    if options.kubeconfig is None:
        return "in-cluster service account"
    try:
        # The context the client was configured with: --context, else the current one (a
        # kubeconfig may have no current context when --context names one).
        chosen = KubeConfigLoader(config_dict=KubeConfigMerger(str(options.kubeconfig)).config,
                                  active_context=options.context).current_context
    except Exception:  # the loader has already accepted the file; this is only a label
        return ""
    return f"context {chosen.get('name')} (user {(chosen.get('context') or {}).get('user')})"


def _retry_after(headers: Any) -> float | None:
    try:
        return min(_BACKOFF_CAP, float((headers or {}).get("Retry-After", "")))
    except (TypeError, ValueError):
        return None


def _first_line(value: Any) -> str:
    return (str(value).strip().splitlines() or [""])[0][:300]


def _message(body: bytes, reason: Any) -> str:
    """The message of a Kubernetes Status body, else the HTTP reason."""
    try:
        return _first_line(json.loads(body).get("message") or reason)
    except (TypeError, ValueError, AttributeError):
        return _first_line(reason)


def discover(client: ClusterClient, kinds: frozenset[str], failed: dict[str, str] | None = None) -> list[ApiResource]:
    """The listable resources that hold `kinds`: for each group, each kind in the first of the
    group's versions that serves it, the preferred version first (a group's kinds may live in
    different versions: monitoring.coreos.com serves Prometheus in v1, AlertmanagerConfig in v1alpha1).

    A group version whose discovery keeps failing (an aggregated API whose backend is down:
    the API server lists the group, then answers 503 for it) is recorded in `failed` with why,
    and the rest is discovered, as kubectl does; without `failed`, the failure stops the read."""
    groups = [("", list(client.get("/api").get("versions") or []))]
    for group in client.get("/apis").get("groups") or []:
        preferred = (group.get("preferredVersion") or {}).get("version")
        versions = [v.get("version") for v in group.get("versions") or [] if v.get("version")]
        groups.append((group["name"], sorted(versions, key=lambda v: v != preferred)))
    found = []
    for group, versions in groups:
        seen: set[str] = set()
        for version in versions:
            path = f"/apis/{group}/{version}" if group else f"/api/{version}"
            try:
                resources = client.get(path).get("resources") or []
            except Unavailable as err:
                if failed is None:
                    raise
                failed[f"{group}/{version}" if group else version] = err.answer
                continue
            for entry in resources:
                kind = entry.get("kind")
                if "/" in entry["name"] or kind not in kinds or kind in seen or "list" not in (entry.get("verbs") or []):
                    continue  # a subresource, a kind no control reads or already found, or nothing to list
                seen.add(kind)
                found.append(ApiResource(group, version, entry["name"], kind, bool(entry.get("namespaced"))))
    return found


def _undiscovered(kinds: frozenset[str], found: set[str], failed: dict[str, str]) -> dict[str, str]:
    """The Kubernetes kinds asked for and not found, each with the groups whose discovery
    failed: any of them may serve it, so its absence proves nothing. (Kubernetes kinds are
    CamelCase; the lower-case names the controls also read are Terraform's resource types.)"""
    why = "not found, and the discovery of the API groups that may serve it failed: " + "; ".join(
        f"{group_version} ({message})" for group_version, message in sorted(failed.items()))
    return {kind: why for kind in sorted(kinds - found) if kind[:1].isupper()}


def _list(client: ClusterClient, api: ApiResource, page_size: int) -> list[dict[str, Any]]:
    """Every object of one resource, across all namespaces, page by page. A `continue` token
    that expired (410 Gone: the list took longer than etcd keeps its revision) starts the
    list again, a few times."""
    for _ in range(ATTEMPTS):
        try:
            return _pages(client, api, page_size)
        except Refused as err:
            if err.status != 410:
                raise
    raise Refused(410, f"the list of {api.resource} kept expiring before its last page")


def _pages(client: ClusterClient, api: ApiResource, page_size: int) -> list[dict[str, Any]]:
    metadata_only = api.kind in METADATA_ONLY
    accept = _METADATA_ACCEPT if metadata_only else "application/json"
    items: list[dict[str, Any]] = []
    query = {"limit": str(page_size)}
    while True:
        page = client.get(f"{api.path}/{api.resource}", query, accept)
        for item in page.get("items") or []:
            items.append(_as_object(item, api, metadata_only))
        token = (page.get("metadata") or {}).get("continue")
        if not token:
            return items
        query = {"limit": str(page_size), "continue": token}


def _as_object(item: dict[str, Any], api: ApiResource, metadata_only: bool) -> dict[str, Any]:
    """The object as a manifest states it: its kind and apiVersion (a list's items carry
    neither), without the server's field-ownership bookkeeping."""
    metadata = dict(item.get("metadata") or {})
    metadata.pop("managedFields", None)
    body = {} if metadata_only else {k: v for k, v in item.items() if k not in ("apiVersion", "kind", "metadata")}
    return {"apiVersion": api.api_version, "kind": api.kind, "metadata": metadata, **body}


def object_path(api: ApiResource, namespace: str | None, name: str) -> str:
    where = f"/namespaces/{quote(namespace, safe='')}" if namespace else ""
    return f"{api.path}{where}/{api.resource}/{quote(name, safe='')}"


def read_cluster(options: ReadOptions, kinds: frozenset[str]) -> ClusterRead:
    """Every object of `kinds` the server holds, as one inventory (target: the server)."""
    client = ClusterClient(options)
    try:
        version = client.get("/version")
        inventory = Inventory(target=Target(name=client.server, path=client.server, kind="cluster"),
                              scopes={CLUSTER_SCOPE})
        read = ClusterRead(inventory, server_version=str(version.get("gitVersion") or ""),
                           identity=client.identity, kinds=tuple(sorted(kinds)))
        failed: dict[str, str] = {}
        apis = discover(client, kinds, failed)
        if failed:
            read.undiscovered = _undiscovered(kinds, {api.kind for api in apis}, failed)
        for api in apis:
            try:
                objects = _list(client, api, options.page_size)
            except Refused as err:
                if err.status == 403:
                    read.forbidden.setdefault(api.kind, f"{api.permission} (HTTP 403: {err.message})")
                    continue
                if err.status == 404:
                    continue  # its CRD was removed since discovery: absent, as if never installed
                raise ClusterUnreachable(f"GET {api.path}/{api.resource}: {err}", client.server) from None
            inventory.add([_resource(obj, api, client.server) for obj in objects])
        return read
    except Refused as err:  # discovery itself refused: nothing can be read
        raise ClusterUnreachable(f"discovery: {err}", client.server) from None
    finally:
        client.close()


def _resource(obj: dict[str, Any], api: ApiResource, server: str) -> Resource:
    metadata = obj["metadata"]
    name = str(metadata.get("name") or "")
    namespace = str(metadata.get("namespace")) if api.namespaced and metadata.get("namespace") else None
    return Resource(kind=api.kind, name=name, obj=obj, origin=Origin(server + object_path(api, namespace, name)),
                    source=SOURCE, api_version=api.api_version, namespace=namespace)



# ----------------------------------------------------------------------------- snapshots
# `kaze-policy snapshot` saves a live read as one JSON document; scanning that file gives the
# verdicts of the live scan, so that an auditor can work without access to the cluster.
SNAPSHOT_API_VERSION = "snapshot.kaze.io/v1"
SNAPSHOT_KIND = "ClusterSnapshot"


def snapshot_document(read: ClusterRead, taken: str) -> dict[str, Any]:
    """What was read: a header (server, its version, the time, the identity, the kinds asked
    for, those refused and those left unknown) and every object with the API path it was read at."""
    server = read.inventory.target.path
    items = [{"path": r.origin.file.removeprefix(server), "object": r.obj}
             for r in read.inventory.resources if r.source == SOURCE]
    return {"apiVersion": SNAPSHOT_API_VERSION, "kind": SNAPSHOT_KIND,
            "header": {"server": server, "serverVersion": read.server_version, "time": taken,
                       "identity": read.identity, "kinds": list(read.kinds), "forbidden": read.forbidden,
                       "undiscovered": read.undiscovered},
            "items": items}


def is_snapshot(value: Any) -> bool:
    return isinstance(value, dict) and value.get("apiVersion") == SNAPSHOT_API_VERSION and \
        value.get("kind") == SNAPSHOT_KIND


def load_snapshot(value: dict[str, Any], shown: str) -> ClusterRead:
    """A snapshot file as the live read it records (target: the file; scope: cluster)."""
    header, items = value.get("header"), value.get("items")
    if not isinstance(header, dict) or not isinstance(items, list):
        raise InputError(f"a {SNAPSHOT_KIND} needs a `header` object and an `items` list", shown)
    forbidden, undiscovered = header.get("forbidden") or {}, header.get("undiscovered") or {}
    if not isinstance(forbidden, dict) or not all(isinstance(v, str) for v in forbidden.values()):
        raise InputError("header.forbidden must map kinds to the permission that was missing", shown)
    if not isinstance(undiscovered, dict) or not all(isinstance(v, str) for v in undiscovered.values()):
        raise InputError("header.undiscovered must map kinds to why they are unknown", shown)
    inventory = Inventory(target=Target(name=shown, path=shown, kind="cluster"), scopes={CLUSTER_SCOPE})
    resources = []
    for i, item in enumerate(items):
        obj = item.get("object") if isinstance(item, dict) else None
        metadata = obj.get("metadata") if isinstance(obj, dict) else None
        if not isinstance(metadata, dict) or not isinstance(item.get("path"), str) or not metadata.get("name") \
                or not isinstance(obj.get("kind"), str) or not isinstance(obj.get("apiVersion"), str):
            raise InputError(f"items[{i}] is not {{path, object}} with a kind, an apiVersion and a name", shown)
        namespace = metadata.get("namespace")
        resources.append(Resource(kind=obj["kind"], name=str(metadata["name"]), obj=obj,
                                  origin=Origin(f"{shown}#{item['path']}"), source=SOURCE,
                                  api_version=obj["apiVersion"], namespace=str(namespace) if namespace else None))
    inventory.add(resources)
    return ClusterRead(inventory, dict(forbidden), str(header.get("serverVersion") or ""),
                       str(header.get("identity") or ""), tuple(header.get("kinds") or ()), dict(undiscovered))
