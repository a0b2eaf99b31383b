"""A live cluster kept current: list, then watch, as Kubernetes' informers do.

For each API resource that serves one of the kinds asked for (the discovery of cluster.py):
list every object (in pages), then watch from the list's resourceVersion; each event updates
the objects held. A watch that ends (the server closes it every few minutes) is opened again
from the last version seen; a version the server no longer keeps (410 Gone) lists again.
Secrets are listed and watched as metadata only, as the scan reads them.

`on_change` receives the whole read (a ClusterRead, as `read_cluster` gives) once every kind
has been listed, and again after each burst of changes (debounced): the admission webhook
compiles its context from it. A kind the credentials may not list is in the read's
`forbidden`, so that the controls needing it cannot pass.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any, Callable

from kaze_policy.inventory import Inventory, Target
from kaze_policy.sources.cluster import (
    ATTEMPTS, CLUSTER_SCOPE, METADATA_ONLY, ApiResource, ClusterRead, ClusterUnreachable, ReadOptions, Refused,
    _as_object, ClusterClient, _METADATA_ACCEPT, _resource, discover, _undiscovered)

WATCH_SECONDS = 240  # the server ends each watch after this; it is opened again at once
# While a kind asked for is served by no API (its CRD not installed yet), discovery runs again
# this often: a CRD installed after the start is watched within seconds, without a restart.
REDISCOVER_SECONDS = 2.0
DEBOUNCE_SECONDS = 0.1
_RETRY_SECONDS = 1.0

Key = tuple[str, str]  # (namespace, name) within one API resource


class ClusterWatch:
    """The objects of some kinds, kept current in background threads (daemon threads)."""

    def __init__(self, options: ReadOptions, kinds: frozenset[str], on_change: Callable[[ClusterRead], None],
                 debounce: float = DEBOUNCE_SECONDS) -> None:
        self._options, self._kinds, self._on_change, self._debounce = options, kinds, on_change, debounce
        self._lock = threading.Lock()
        self._changed = threading.Event()
        self._stopped = threading.Event()
        self._objects: dict[ApiResource, dict[Key, dict[str, Any]]] = {}
        self._listed: set[ApiResource] = set()
        self._apis: list[ApiResource] = []
        self._forbidden: dict[str, str] = {}
        self._undiscovered: dict[str, str] = {}
        self._server, self._version, self._identity = "", "", ""
        self.error = ""  # the last failure to read or watch (the context is then as last seen)
        self._client: ClusterClient | None = None
        self._initial: frozenset[ApiResource] = frozenset()

    def start(self) -> None:
        """Connect and discover (raising ClusterUnreachable or InputError at once), then watch."""
        client = ClusterClient(self._options)
        try:
            self._version = str(client.get("/version").get("gitVersion") or "")
            failed: dict[str, str] = {}
            self._apis = discover(client, self._kinds, failed)
            if failed:
                self._undiscovered = _undiscovered(self._kinds, {api.kind for api in self._apis}, failed)
        except Refused as err:
            client.close()
            raise ClusterUnreachable(f"discovery: {err}", client.server) from None
        self._client, self._server, self._identity = client, client.server, client.identity
        self._initial = frozenset(self._apis)
        for api in self._apis:
            self._start_reflector(api)
        threading.Thread(target=self._publish, name="context", daemon=True).start()
        threading.Thread(target=self._rediscover, name="discovery", daemon=True).start()
        if not self._apis:
            self._changed.set()

    def _start_reflector(self, api: ApiResource) -> None:
        threading.Thread(target=self._reflect, args=(api,), name=f"watch {api.resource}", daemon=True).start()

    def _rediscover(self) -> None:
        """Watch the APIs that start serving a kind asked for (a CRD installed later)."""
        assert self._client is not None
        while not self._stopped.wait(REDISCOVER_SECONDS):
            with self._lock:
                served = {api.kind for api in self._apis}
            if not {kind for kind in self._kinds if kind[:1].isupper()} - served:
                continue
            try:
                failed: dict[str, str] = {}
                found = discover(self._client, self._kinds, failed)
            except (Refused, ClusterUnreachable) as err:
                self.error = f"discovery: {err}"
                continue
            with self._lock:
                new = [api for api in found if api.kind not in served]
                self._apis.extend(new)
                self._undiscovered = _undiscovered(self._kinds, {api.kind for api in self._apis}, failed) \
                    if failed else {}
            for api in new:
                self._start_reflector(api)

    def stop(self) -> None:
        self._stopped.set()
        self._changed.set()

    @property
    def synced(self) -> bool:
        """Every API found at the start has been listed once (an API found later, when its
        CRD is installed, joins the context when listed: readiness does not flap for it)."""
        with self._lock:
            return self._initial <= self._listed

    def read(self) -> ClusterRead:
        """The objects held now, as one inventory (target: the server)."""
        inventory = Inventory(target=Target(name=self._server, path=self._server, kind="cluster"),
                              scopes={CLUSTER_SCOPE})
        with self._lock:
            held = [(api, list(objects.values())) for api, objects in self._objects.items()]
            forbidden = dict(self._forbidden)
        for api, objects in held:
            inventory.add([_resource(obj, api, self._server) for obj in objects])
        return ClusterRead(inventory, forbidden, self._version, self._identity, tuple(sorted(self._kinds)),
                           dict(self._undiscovered))

    # ------------------------------------------------------------------ the threads

    def _publish(self) -> None:
        while not self._stopped.is_set():
            self._changed.wait()
            if self._stopped.is_set():
                return
            time.sleep(self._debounce)  # a burst of events becomes one new context
            self._changed.clear()
            if self.synced:
                try:
                    self._on_change(self.read())
                except Exception as err:  # the context stays as it was; said, not swallowed
                    self.error = f"the new context was not taken: {err}"

    def _reflect(self, api: ApiResource) -> None:
        assert self._client is not None
        while not self._stopped.is_set():
            try:
                version = self._list(api)
            except Refused as err:
                if err.status in (401, 403):
                    self._refused(api, f"{api.permission} (HTTP {err.status}: {err.message})")
                    return
                if err.status == 404:
                    self._gone(api)
                    return
                self.error = f"list {api.resource}: {err}"
                time.sleep(_RETRY_SECONDS)
                continue
            except ClusterUnreachable as err:
                self.error = str(err)
                time.sleep(_RETRY_SECONDS)
                continue
            try:
                while not self._stopped.is_set() and version:
                    version = self._watch(api, version)
            except Refused as err:
                if err.status == 404:
                    self._gone(api)
                    return
                self.error = f"watch {api.resource}: {err}"
                time.sleep(_RETRY_SECONDS)
            except Exception as err:  # a dropped connection, a bad line: list again
                self.error = f"watch {api.resource}: {err}"
                time.sleep(_RETRY_SECONDS)

    def _gone(self, api: ApiResource) -> None:
        """Its CRD was removed: its objects are gone with it; discovery finds it again if it returns."""
        with self._lock:
            self._objects.pop(api, None)
            self._listed.add(api)
            if api in self._apis:
                self._apis.remove(api)
        self._changed.set()

    def _refused(self, api: ApiResource, why: str) -> None:
        with self._lock:
            self._forbidden.setdefault(api.kind, why)
            self._objects.pop(api, None)
            self._listed.add(api)
        self._changed.set()

    def _list(self, api: ApiResource) -> str:
        """Every object of the resource; the list's resourceVersion, to watch from."""
        assert self._client is not None
        metadata_only = api.kind in METADATA_ONLY
        accept = _METADATA_ACCEPT if metadata_only else "application/json"
        for _ in range(ATTEMPTS):
            objects: dict[Key, dict[str, Any]] = {}
            query = {"limit": str(self._options.page_size)}
            try:
                while True:
                    page = self._client.get(f"{api.path}/{api.resource}", query, accept)
                    for item in page.get("items") or []:
                        obj = _as_object(item, api, metadata_only)
                        objects[_key(obj)] = obj
                    meta = page.get("metadata") or {}
                    if not meta.get("continue"):
                        break
                    query = {"limit": str(self._options.page_size), "continue": meta["continue"]}
            except Refused as err:
                if err.status == 410:
                    continue  # the continue token expired: list again
                raise
            with self._lock:
                self._objects[api] = objects
                self._listed.add(api)
            self._changed.set()
            return str(meta.get("resourceVersion") or "")
        raise Refused(410, f"the list of {api.resource} kept expiring before its last page")

    def _watch(self, api: ApiResource, version: str) -> str:
        """Apply events until the server ends the watch: the version to go on from ("" to list again)."""
        import urllib3

        assert self._client is not None
        metadata_only = api.kind in METADATA_ONLY
        query = {"watch": "1", "resourceVersion": version, "allowWatchBookmarks": "true",
                 "timeoutSeconds": str(WATCH_SECONDS)}
        method, url, headers, _, _ = self._client.api.param_serialize(
            "GET", f"{api.path}/{api.resource}", query_params=list(query.items()),
            header_params={"Accept": _METADATA_ACCEPT if metadata_only else "application/json"},
            auth_settings=["BearerToken"])
        response = self._client.api.rest_client.pool_manager.request(
            method, url, headers=headers, preload_content=False,
            timeout=urllib3.Timeout(connect=self._options.timeout, read=WATCH_SECONDS + 30))
        try:
            if response.status == 410:
                return ""
            if response.status == 404:
                raise Refused(404, "the resource is no longer served")
            if response.status != 200:
                raise Refused(response.status, response.reason or "")
            for line in _lines(response):
                if self._stopped.is_set():
                    return ""
                event = json.loads(line)
                kind, obj = event.get("type"), event.get("object") or {}
                if kind == "ERROR":
                    return ""  # 410 Gone (or another): list again
                version = str((obj.get("metadata") or {}).get("resourceVersion") or version)
                if kind == "BOOKMARK":
                    continue
                obj = _as_object(obj, api, metadata_only)
                with self._lock:
                    held = self._objects.setdefault(api, {})
                    if kind == "DELETED":
                        held.pop(_key(obj), None)
                    else:
                        held[_key(obj)] = obj
                self._changed.set()
            return version
        finally:
            response.release_conn()


def _key(obj: dict[str, Any]) -> Key:
    metadata = obj.get("metadata") or {}
    return str(metadata.get("namespace") or ""), str(metadata.get("name") or "")


def _lines(response: Any) -> Any:
    """The newline-delimited JSON events of a watch, as they arrive."""
    pending = b""
    for chunk in response.stream(64 * 1024, decode_content=True):
        pending += chunk
        *complete, pending = pending.split(b"\n")
        for line in complete:
            if line.strip():
                yield line
    if pending.strip():
        yield pending

