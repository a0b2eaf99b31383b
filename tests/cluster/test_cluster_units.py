"""The live-cluster source in process, without an API server: its pure parts (how objects become
resources, snapshots, the kinds read) and its HTTP decisions (retries, backoff, 401 and 4xx,
410 and 404 on a list), the latter against a loopback HTTP server that answers what a test
scripts, since a real API server cannot be made to answer 429, 503 or 410 on demand.
What depends on the real server (discovery, pages, a 403) is in test_cluster_read.py.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import yaml

from kaze_policy.catalog import Control
from kaze_policy.errors import InputError, UsageError
from kaze_policy.sources import cluster
from kaze_policy.sources.cluster import (CONTEXT_KINDS, ApiResource, ClusterRead, ClusterUnreachable, ReadOptions,
                                         Refused, _as_object, ClusterClient, _list, _resource, is_snapshot, kinds_to_read,
                                         load_snapshot, needs, object_path, read_cluster, snapshot_document)
from kaze_policy.inventory import Inventory, Target
from tests.cluster.apiserver import free_port

CORE_CM = ApiResource("", "v1", "configmaps", "ConfigMap", True)
NETPOL = ApiResource("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", True)
CORE_SECRET = ApiResource("", "v1", "secrets", "Secret", True)
CRB = ApiResource("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", False)


# ----------------------------------------------------------------------------- pure parts

def test_an_api_resource_names_its_api_version_path_and_the_permission_to_list_it() -> None:
    assert (CORE_CM.api_version, CORE_CM.path, CORE_CM.permission) == ("v1", "/api/v1", "list configmaps")
    assert (NETPOL.api_version, NETPOL.path, NETPOL.permission) == (
        "networking.k8s.io/v1", "/apis/networking.k8s.io/v1", "list networkpolicies.networking.k8s.io")


@pytest.mark.parametrize("api, namespace, name, path", [
    (CORE_CM, "team-a", "settings", "/api/v1/namespaces/team-a/configmaps/settings"),
    (CRB, None, "system:controller:x", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/system%3Acontroller%3Ax"),
    (CORE_CM, "a/b", "c/d e", "/api/v1/namespaces/a%2Fb/configmaps/c%2Fd%20e"),  # nothing escapes its segment
])
def test_an_object_path_is_its_api_path_each_name_one_segment(api: ApiResource, namespace: str | None, name: str,
                                                              path: str) -> None:
    assert object_path(api, namespace, name) == path


def _control(kinds: tuple[str, ...], scopes: tuple[str, ...] = ("cluster",)) -> Control:
    return Control(id="KZ-T-01", title="t", severity="high", scopes=scopes, package="p", file="f", kinds=kinds)


def test_the_kinds_read_are_those_of_cluster_controls_and_the_context_kinds() -> None:
    controls = [_control(("Widget",)), _control(("Gadget",), scopes=("iac",)), _control(("Sprocket",), ("iac", "cluster"))]
    assert kinds_to_read(controls) == CONTEXT_KINDS | {"Widget", "Sprocket"}
    assert {"Namespace", "Secret", "NetworkPolicy", "ClusterRoleBinding", "Deployment"} <= CONTEXT_KINDS


@pytest.mark.parametrize("kinds, kind, needed", [
    (("Deployment",), "Deployment", True),
    (("Deployment",), "Namespace", True),  # the tenant and mesh labels its rules look up
    (("Deployment",), "NetworkPolicy", False),
    ((), "NetworkPolicy", True),  # a cross-resource control reads the whole inventory
])
def test_a_control_needs_its_kinds_and_namespaces_a_cross_resource_one_every_kind(kinds: tuple[str, ...], kind: str,
                                                                                  needed: bool) -> None:
    assert needs(_control(kinds), kind) is needed


def test_a_listed_object_is_the_manifest_without_the_servers_bookkeeping() -> None:
    item = {"metadata": {"name": "s", "namespace": "a", "managedFields": [{"manager": "kubectl"}], "uid": "1"},
            "data": {"k": "v"}, "apiVersion": "ignored/v9", "kind": "Ignored"}
    assert _as_object(item, NETPOL, False) == {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                                              "metadata": {"name": "s", "namespace": "a", "uid": "1"},
                                              "data": {"k": "v"}}
    assert item["metadata"]["managedFields"]  # the server's answer is left as it was
    # A Secret is read as metadata only: nothing of its body enters the inventory.
    assert _as_object(item, CORE_SECRET, True) == {"apiVersion": "v1", "kind": "Secret",
                                                   "metadata": {"name": "s", "namespace": "a", "uid": "1"}}
    assert _as_object({}, CORE_CM, False) == {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}


def test_an_object_becomes_a_resource_whose_origin_is_its_api_url() -> None:
    server = "https://10.0.0.1:6443"
    namespaced = _resource({"metadata": {"name": "cm", "namespace": "a"}}, CORE_CM, server)
    assert (namespaced.kind, namespaced.name, namespaced.namespace, namespaced.id, namespaced.api_version,
            namespaced.source) == ("ConfigMap", "cm", "a", "ConfigMap/a/cm", "v1", "cluster")
    assert (namespaced.origin.file, namespaced.origin.line) == (f"{server}/api/v1/namespaces/a/configmaps/cm", None)
    # A cluster-scoped kind has no namespace, whatever its metadata says.
    scoped = _resource({"metadata": {"name": "b", "namespace": "x"}}, CRB, server)
    assert (scoped.namespace, scoped.id) == (None, "ClusterRoleBinding/b")
    assert scoped.origin.file == f"{server}/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/b"
    assert _resource({"metadata": {"name": "n", "namespace": ""}}, CORE_CM, server).namespace is None
    assert _resource({"metadata": {}}, CORE_CM, server).name == ""


# ----------------------------------------------------------------------------- snapshots

def _read() -> ClusterRead:
    server = "https://10.0.0.1:6443"
    inventory = Inventory(target=Target(name=server, path=server, kind="cluster"), scopes={"cluster"})
    inventory.add([_resource({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm", "namespace": "a"}},
                             CORE_CM, server),
                   _resource({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                              "metadata": {"name": "b"}}, CRB, server)])
    return ClusterRead(inventory, {"NetworkPolicy": "list networkpolicies.networking.k8s.io (HTTP 403: no)"},
                       "v1.37.2", "context admin (user admin)", ("ClusterRoleBinding", "ConfigMap", "NetworkPolicy"),
                       {"PeerAuthentication": "not found, and the discovery of … failed"})


def test_a_snapshot_records_the_read_and_loads_back_as_it() -> None:
    document = snapshot_document(_read(), "2026-12-06T00:00:00Z")
    assert is_snapshot(document)
    assert document["apiVersion"] == "snapshot.kaze.io/v1" and document["kind"] == "ClusterSnapshot"
    assert document["header"] == {"server": "https://10.0.0.1:6443", "serverVersion": "v1.37.2",
                                  "time": "2026-12-06T00:00:00Z", "identity": "context admin (user admin)",
                                  "kinds": ["ClusterRoleBinding", "ConfigMap", "NetworkPolicy"],
                                  "forbidden": {"NetworkPolicy": "list networkpolicies.networking.k8s.io (HTTP 403: no)"},
                                  "undiscovered": {"PeerAuthentication": "not found, and the discovery of … failed"}}
    assert [item["path"] for item in document["items"]] == ["/api/v1/namespaces/a/configmaps/cm",
                                                            "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/b"]
    loaded = load_snapshot(json.loads(json.dumps(document)), "cell.json")
    assert loaded.inventory.target == Target(name="cell.json", path="cell.json", kind="cluster")
    assert loaded.inventory.scopes == {"cluster"}
    assert [(r.id, r.api_version, r.source, r.origin.file, r.origin.line) for r in loaded.inventory.resources] == [
        ("ConfigMap/a/cm", "v1", "cluster", "cell.json#/api/v1/namespaces/a/configmaps/cm", None),
        ("ClusterRoleBinding/b", "rbac.authorization.k8s.io/v1", "cluster",
         "cell.json#/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/b", None)]
    assert loaded.inventory.resources[0].obj == document["items"][0]["object"]
    assert (loaded.forbidden, loaded.server_version, loaded.identity, loaded.kinds, loaded.undiscovered) == (
        document["header"]["forbidden"], "v1.37.2", "context admin (user admin)",
        ("ClusterRoleBinding", "ConfigMap", "NetworkPolicy"), document["header"]["undiscovered"])


def test_a_snapshot_holds_only_what_the_cluster_source_read() -> None:
    read = _read()
    read.inventory.resources[1].source = "kubernetes"
    assert [item["path"] for item in snapshot_document(read, "t")["items"]] == ["/api/v1/namespaces/a/configmaps/cm"]


def test_a_snapshot_header_may_omit_what_was_not_known() -> None:
    loaded = load_snapshot({"header": {}, "items": []}, "s.json")
    assert (loaded.forbidden, loaded.server_version, loaded.identity, loaded.kinds, loaded.undiscovered) == (
        {}, "", "", (), {})
    assert loaded.inventory.resources == []


@pytest.mark.parametrize("value", [
    {"apiVersion": "snapshot.kaze.io/v1", "kind": "ClusterSnapshot"},
])
def test_a_cluster_snapshot_is_known_by_its_api_version_and_kind(value: dict[str, Any]) -> None:
    assert is_snapshot(value)
    assert not is_snapshot({**value, "apiVersion": "snapshot.kaze.io/v2"})
    assert not is_snapshot({**value, "kind": "VaultSnapshot"})
    assert not is_snapshot([value])


GOOD_ITEM = {"path": "/api/v1/namespaces/a/configmaps/cm",
             "object": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm", "namespace": "a"}}}


@pytest.mark.parametrize("value, words", [
    ({"items": []}, "a ClusterSnapshot needs a `header` object and an `items` list"),
    ({"header": [], "items": []}, "a ClusterSnapshot needs a `header` object and an `items` list"),
    ({"header": {}, "items": {}}, "a ClusterSnapshot needs a `header` object and an `items` list"),
    ({"header": {"forbidden": ["NetworkPolicy"]}, "items": []}, "header.forbidden must map kinds"),
    ({"header": {"forbidden": {"NetworkPolicy": 403}}, "items": []}, "header.forbidden must map kinds"),
    ({"header": {}, "items": [GOOD_ITEM, "cm"]}, "items[1] is not {path, object}"),
    ({"header": {}, "items": [{"path": "/p"}]}, "items[0] is not {path, object}"),
    ({"header": {}, "items": [{"path": "/p", "object": []}]}, "items[0] is not {path, object}"),
    ({"header": {}, "items": [{"path": "/p", "object": {**GOOD_ITEM["object"], "metadata": []}}]}, "items[0] is not"),
    ({"header": {}, "items": [{"path": 1, "object": GOOD_ITEM["object"]}]}, "items[0] is not"),
    ({"header": {}, "items": [{"object": GOOD_ITEM["object"]}]}, "items[0] is not"),
    ({"header": {}, "items": [{"path": "/p", "object": {**GOOD_ITEM["object"], "metadata": {"name": ""}}}]},
     "items[0] is not"),
    ({"header": {}, "items": [{"path": "/p", "object": {**GOOD_ITEM["object"], "kind": 1}}]}, "items[0] is not"),
    ({"header": {}, "items": [{"path": "/p", "object": {"kind": "ConfigMap", "metadata": {"name": "x"}}}]},
     "items[0] is not {path, object} with a kind, an apiVersion and a name"),
])
def test_a_snapshot_that_is_not_one_is_bad_input_naming_the_file(value: dict[str, Any], words: str) -> None:
    with pytest.raises(InputError) as raised:
        load_snapshot(value, "cell.json")
    assert raised.value.message.startswith(words) and raised.value.file == "cell.json"


def test_a_snapshot_object_without_namespace_is_cluster_wide() -> None:
    item = {"path": "/x", "object": {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a", "namespace": ""}}}
    assert load_snapshot({"header": {}, "items": [item]}, "s.json").inventory.resources[0].namespace is None


# ----------------------------------------------------------------------------- HTTP decisions

@dataclass
class Script:
    """What the loopback server answers, per path: a list of answers consumed in order (the last
    one repeats). An answer is (status, headers, body), or "drop" (close without an answer) or
    ("slow", seconds, answer)."""

    answers: dict[str, list[Any]] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str], str]] = field(default_factory=list)  # path, query, Accept

    def answer(self, path: str) -> Any:
        queue = self.answers.get(path) or [(404, {}, b'{"kind": "Status", "message": "the server could not find it"}')]
        return queue.pop(0) if len(queue) > 1 else queue[0]


def _handler(script: Script) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the http.server name)
            url = urlsplit(self.path)
            script.requests.append((url.path, dict(parse_qsl(url.query)), self.headers.get("Accept", "")))
            answer = script.answer(url.path)
            if isinstance(answer, tuple) and answer[0] == "slow":
                threading.Event().wait(answer[1])
                answer = answer[2]
            if answer == "drop":
                self.close_connection = True
                return
            status, headers, body = answer
            try:
                self.send_response(status)
                for name, value in {"Content-Length": str(len(body)), **headers}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)
            except OSError:
                pass  # the client gave up waiting (a timeout the test provoked)

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


def ok(value: Any) -> tuple[int, dict[str, str], bytes]:
    return 200, {"Content-Type": "application/json"}, json.dumps(value).encode()


def status(code: int, message: str | None = None, headers: dict[str, str] | None = None) -> tuple[int, dict, bytes]:
    body = json.dumps({"kind": "Status", "message": message}).encode() if message else b""
    return code, headers or {}, body


def write_kubeconfig(path: Path, server: str, contexts: tuple[str, ...] = ("c",), current: str | None = "c") -> Path:
    """A kubeconfig of one cluster, a user per context (`user-<context>`); no current context with None."""
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", **({"current-context": current} if current else {}),
        "clusters": [{"name": "k", "cluster": {"server": server}}],
        "users": [{"name": f"user-{c}", "user": {"token": "t"}} for c in contexts],
        "contexts": [{"name": c, "context": {"cluster": "k", "user": f"user-{c}"}} for c in contexts]}))
    return path


@dataclass
class Loopback:
    script: Script
    server: str
    kubeconfig: Path
    sleeps: list[float]

    def client(self, timeout: float = cluster.DEFAULT_TIMEOUT) -> ClusterClient:
        return ClusterClient(ReadOptions(self.kubeconfig, timeout=timeout))


@pytest.fixture
def loopback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Loopback]:
    """A loopback HTTP server answering its script, a kubeconfig for it, and the backoff's
    sleeps recorded (not slept)."""
    script = Script()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(script))
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    sleeps: list[float] = []
    monkeypatch.setattr(cluster.time, "sleep", sleeps.append)
    server = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield Loopback(script, server, write_kubeconfig(tmp_path / "kubeconfig", server + "/"), sleeps)
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_get_sends_its_query_and_accept_and_decodes_the_json(loopback: Loopback) -> None:
    loopback.script.answers["/api/v1/pods"] = [ok({"items": [1]})]
    client = loopback.client()
    assert client.server == loopback.server  # without the kubeconfig's trailing slash
    assert client.get("/api/v1/pods", {"limit": "3"}, "application/x") == {"items": [1]}
    assert client.get("/api/v1/pods") == {"items": [1]}
    assert loopback.script.requests == [("/api/v1/pods", {"limit": "3"}, "application/x"),
                                        ("/api/v1/pods", {}, "application/json")]
    assert loopback.sleeps == []


def test_429_and_5xx_are_tried_again_with_backoff_or_the_servers_retry_after(loopback: Loopback) -> None:
    loopback.script.answers["/version"] = [status(503, "busy"), status(429, "slow down", {"Retry-After": "2"}),
                                           status(500), status(429, None, {"Retry-After": "600"}),
                                           ok({"gitVersion": "v1"})]
    assert loopback.client().get("/version") == {"gitVersion": "v1"}
    # 0.1 s doubling; Retry-After instead when the server says, never more than 8 s.
    assert loopback.sleeps == [0.1, 2.0, 0.4, 8.0]
    assert len(loopback.script.requests) == 5


def test_a_server_that_keeps_failing_is_unreachable_after_five_attempts(loopback: Loopback) -> None:
    loopback.script.answers["/version"] = [status(503, "etcd is down")]
    with pytest.raises(ClusterUnreachable) as raised:
        loopback.client().get("/version")
    assert raised.value.message == "cannot read the API server (5 attempts): HTTP 503 on GET /version: etcd is down"
    assert raised.value.file == loopback.server and raised.value.exit_code == 3
    assert loopback.sleeps == [0.1, 0.2, 0.4, 0.8]  # none after the last attempt
    assert len(loopback.script.requests) == 5
    # Without a Status body, the HTTP reason says what failed.
    loopback.script.answers["/api"] = [status(502)]
    with pytest.raises(ClusterUnreachable) as raised:
        loopback.client().get("/api")
    assert raised.value.message == "cannot read the API server (5 attempts): HTTP 502 on GET /api: Bad Gateway"


def test_a_dropped_connection_or_a_timeout_is_tried_again(loopback: Loopback) -> None:
    loopback.script.answers["/version"] = ["drop", ("slow", 1.0, ok({})), ok({"gitVersion": "v1"})]
    assert loopback.client(timeout=0.3).get("/version") == {"gitVersion": "v1"}
    assert loopback.sleeps == [0.1, 0.2]
    loopback.script.answers["/api"] = ["drop"]
    with pytest.raises(ClusterUnreachable, match=r"\(5 attempts\): GET /api: .*") as raised:
        loopback.client().get("/api")
    assert "\n" not in raised.value.message


def test_a_server_nobody_answers_on_is_unreachable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cluster.time, "sleep", lambda seconds: None)
    server = f"http://127.0.0.1:{free_port()}"
    client = ClusterClient(ReadOptions(write_kubeconfig(tmp_path / "kubeconfig", server)))
    with pytest.raises(ClusterUnreachable) as raised:
        client.get("/version")
    assert raised.value.message.startswith("cannot read the API server (5 attempts): GET /version: ")
    assert "Connection refused" in raised.value.message  # the cause, from the last attempt
    assert raised.value.file == server


@pytest.mark.parametrize("answer, message", [
    (status(401, "Unauthorized"), "the API server refused the credentials (HTTP 401) on GET /version"),
    ((200, {}, b"<html>a proxy</html>"), "GET /version: the answer is not JSON (Expecting value: line 1 column 1 (char 0))"),
])
def test_refused_credentials_or_an_answer_that_is_not_json_stop_the_read_at_once(loopback: Loopback, answer: Any,
                                                                                 message: str) -> None:
    loopback.script.answers["/version"] = [answer, ok({})]
    with pytest.raises(ClusterUnreachable) as raised:
        loopback.client().get("/version")
    assert (raised.value.message, raised.value.file) == (message, loopback.server)
    assert len(loopback.script.requests) == 1 and loopback.sleeps == []


@pytest.mark.parametrize("answer, code, message", [
    (status(403, 'configmaps is forbidden: User "u" cannot list'), 403, 'configmaps is forbidden: User "u" cannot list'),
    (status(404), 404, "Not Found"),  # no Status body: the HTTP reason
    ((400, {}, b'["not a Status"]'), 400, "Bad Request"),
    ((410, {}, b'{"kind": "Status", "message": "too old\\nresource version"}'), 410, "too old"),
    ((400, {}, b'{"kind": "Status", "message": ""}'), 400, "Bad Request"),
])
def test_another_4xx_is_refused_with_the_servers_message_and_not_tried_again(loopback: Loopback, answer: Any,
                                                                            code: int, message: str) -> None:
    loopback.script.answers["/api/v1/configmaps"] = [answer, ok({})]
    with pytest.raises(Refused) as raised:
        loopback.client().get("/api/v1/configmaps")
    assert (raised.value.status, raised.value.message, str(raised.value)) == (code, message, f"HTTP {code}: {message}")
    assert len(loopback.script.requests) == 1 and loopback.sleeps == []


def test_tls_that_fails_stops_the_read_at_once(loopback: Loopback, tmp_path: Path) -> None:
    secure = "https" + loopback.server.removeprefix("http")  # TLS to a server that speaks plain HTTP
    client = ClusterClient(ReadOptions(write_kubeconfig(tmp_path / "tls", secure)))
    with pytest.raises(ClusterUnreachable) as raised:
        client.get("/version")
    assert raised.value.message.startswith("GET /version: SSL") and raised.value.file == secure
    assert raised.value.file == secure and "\n" not in raised.value.message and loopback.sleeps == []


def test_a_kubeconfig_that_is_missing_or_not_one_or_no_pod_credentials_are_bad_input(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "none"
    with pytest.raises(InputError) as raised:
        ClusterClient(ReadOptions(missing))
    assert (raised.value.message, raised.value.file) == ("no such file", str(missing))
    bad = tmp_path / "bad"
    bad.write_text("apiVersion: v1\nkind: Config\nclusters: []\n")
    with pytest.raises(InputError) as raised:
        ClusterClient(ReadOptions(bad))
    assert raised.value.message.startswith("not a usable kubeconfig: ") and raised.value.file == str(bad)
    assert "\n" not in raised.value.message
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "")
    with pytest.raises(UsageError) as raised:
        ClusterClient(ReadOptions(None))
    # The client's word for what is missing.
    assert raised.value.message == "--in-cluster: no service-account credentials here (Service host/port is not set.)"


def test_the_identity_is_the_context_and_user_read_with(tmp_path: Path) -> None:
    config = write_kubeconfig(tmp_path / "kubeconfig", "http://127.0.0.1:1", contexts=("c", "d"), current="c")
    assert ClusterClient(ReadOptions(config)).identity == "context c (user user-c)"
    assert ClusterClient(ReadOptions(config, context="d")).identity == "context d (user user-d)"
    assert ClusterClient(ReadOptions(config, timeout=7.5)).timeout == 7.5
    # --context with a kubeconfig that has no current context (it was an empty identity).
    bare = write_kubeconfig(tmp_path / "bare", "http://127.0.0.1:1", contexts=("c", "d"), current=None)
    assert ClusterClient(ReadOptions(bare, context="d")).identity == "context d (user user-d)"


# ----------------------------------------------------------------------------- lists and the read

def _list_page(names: list[str], token: str = "") -> tuple[int, dict[str, str], bytes]:
    return ok({"metadata": {"continue": token} if token else {},
               "items": [{"metadata": {"name": n, "namespace": "a"}} for n in names]})


def test_a_list_is_read_page_by_page_following_the_continue_token(loopback: Loopback) -> None:
    loopback.script.answers["/api/v1/configmaps"] = [_list_page(["a", "b"], "t1"), _list_page(["c"])]
    objects = _list(loopback.client(), CORE_CM, 2)
    assert [o["metadata"]["name"] for o in objects] == ["a", "b", "c"]
    assert [q for _, q, _ in loopback.script.requests] == [{"limit": "2"}, {"limit": "2", "continue": "t1"}]
    assert {accept for _, _, accept in loopback.script.requests} == {"application/json"}


def test_secrets_are_asked_for_as_metadata_only(loopback: Loopback) -> None:
    # (a server that ignored the Accept would send the values: they are dropped all the same)
    loopback.script.answers["/api/v1/secrets"] = [ok({"items": [{"metadata": {"name": "s", "namespace": "a"},
                                                                 "data": {"token": "czNjcjN0"}}]})]
    assert _list(loopback.client(), CORE_SECRET, 500) == [{"apiVersion": "v1", "kind": "Secret",
                                                          "metadata": {"name": "s", "namespace": "a"}}]
    assert loopback.script.requests[0][2] == cluster._METADATA_ACCEPT
    assert "as=PartialObjectMetadataList;g=meta.k8s.io;v=v1" in cluster._METADATA_ACCEPT


def test_an_expired_continue_token_starts_the_list_again_a_few_times(loopback: Loopback) -> None:
    gone = status(410, "The provided continue parameter is too old")
    loopback.script.answers["/api/v1/configmaps"] = [_list_page(["a"], "t1"), gone, _list_page(["a"], "t2"),
                                                     _list_page(["b"])]
    assert [o["metadata"]["name"] for o in _list(loopback.client(), CORE_CM, 1)] == ["a", "b"]
    loopback.script.answers["/api/v1/configmaps"] = [_list_page(["a"], "t1"), gone] * 6
    loopback.script.requests.clear()
    with pytest.raises(Refused) as raised:
        _list(loopback.client(), CORE_CM, 1)
    assert (raised.value.status, raised.value.message) == (410, "the list of configmaps kept expiring before its last page")
    assert len(loopback.script.requests) == 10  # five lists of two pages


def _discovery(script: Script, lists: dict[str, Any]) -> None:
    script.answers.update({
        "/version": [ok({"gitVersion": "v1.37.2"})],
        "/api": [ok({"versions": ["v1"]})],
        "/apis": [ok({"groups": [{"name": "networking.k8s.io", "preferredVersion": {"version": "v1"},
                                  "versions": [{"version": "v1"}]}]})],
        "/api/v1": [ok({"resources": [
            {"name": "configmaps", "kind": "ConfigMap", "namespaced": True, "verbs": ["list"]},
            {"name": "secrets", "kind": "Secret", "namespaced": True, "verbs": ["list"]}]})],
        "/apis/networking.k8s.io/v1": [ok({"resources": [
            {"name": "networkpolicies", "kind": "NetworkPolicy", "namespaced": True, "verbs": ["list"]}]})],
        **lists})


def test_a_read_records_a_kind_it_may_not_list_and_skips_one_removed_since_discovery(loopback: Loopback) -> None:
    # The refused kind and the removed one come first: the kinds after them are still read.
    _discovery(loopback.script, {"/api/v1/configmaps": [status(404)],
                                 "/api/v1/secrets": [status(403, "forbidden: no")],
                                 "/apis/networking.k8s.io/v1/networkpolicies": [_list_page(["np"])]})
    read = read_cluster(ReadOptions(loopback.kubeconfig), frozenset({"ConfigMap", "Secret", "NetworkPolicy"}))
    assert [r.id for r in read.inventory.resources] == ["NetworkPolicy/a/np"]
    assert read.forbidden == {"Secret": "list secrets (HTTP 403: forbidden: no)"}
    assert read.inventory.target == Target(name=loopback.server, path=loopback.server, kind="cluster")
    assert read.inventory.scopes == {"cluster"}
    assert (read.server_version, read.identity, read.kinds) == ("v1.37.2", "context c (user user-c)",
                                                               ("ConfigMap", "NetworkPolicy", "Secret"))


def test_a_group_whose_discovery_keeps_failing_leaves_the_kinds_not_found_unknown(loopback: Loopback) -> None:
    """The other groups are read; a kind no group served could be in the failed one (not a
    Terraform type: those are never served)."""
    _discovery(loopback.script, {"/api/v1/configmaps": [_list_page(["cm"])]})
    loopback.script.answers["/apis"] = [ok({"groups": [
        {"name": "metrics.k8s.io", "versions": [{"version": "v1beta1"}]},
        {"name": "networking.k8s.io", "preferredVersion": {"version": "v1"}, "versions": [{"version": "v1"}]}]})]
    loopback.script.answers["/apis/metrics.k8s.io/v1beta1"] = [status(503, "service unavailable")]
    loopback.script.answers["/apis/networking.k8s.io/v1/networkpolicies"] = [_list_page(["np"])]
    read = read_cluster(ReadOptions(loopback.kubeconfig),
                        frozenset({"ConfigMap", "NetworkPolicy", "PeerAuthentication", "Gateway", "aws_db_instance"}))
    assert [r.id for r in read.inventory.resources] == ["ConfigMap/a/cm", "NetworkPolicy/a/np"]
    why = ("not found, and the discovery of the API groups that may serve it failed: metrics.k8s.io/v1beta1 "
           "(HTTP 503 on GET /apis/metrics.k8s.io/v1beta1: service unavailable)")
    assert read.undiscovered == {"Gateway": why, "PeerAuthentication": why}
    assert read.forbidden == {}
    assert len(loopback.sleeps) == cluster.ATTEMPTS - 1  # the group was tried as any request is


def test_a_read_whose_discovery_all_succeeds_leaves_nothing_unknown(loopback: Loopback) -> None:
    _discovery(loopback.script, {"/api/v1/configmaps": [_list_page([])]})
    assert read_cluster(ReadOptions(loopback.kubeconfig), frozenset({"ConfigMap", "Gateway"})).undiscovered == {}


@pytest.mark.parametrize("path", ["/api", "/apis"])
def test_a_list_of_groups_or_versions_that_keeps_failing_stops_the_read(loopback: Loopback, path: str) -> None:
    _discovery(loopback.script, {path: [status(503, "down")]})
    with pytest.raises(ClusterUnreachable) as raised:
        read_cluster(ReadOptions(loopback.kubeconfig), frozenset({"ConfigMap"}))
    assert raised.value.message == f"cannot read the API server (5 attempts): HTTP 503 on GET {path}: down"


@pytest.mark.parametrize("lists, message", [
    ({"/api/v1/configmaps": [status(400, "bad limit")]}, "GET /api/v1/configmaps: HTTP 400: bad limit"),
    ({"/apis": [status(403, "no discovery")]}, "discovery: HTTP 403: no discovery"),
])
def test_a_list_or_a_discovery_refused_otherwise_stops_the_read(loopback: Loopback, lists: dict[str, Any],
                                                                message: str) -> None:
    _discovery(loopback.script, lists)
    with pytest.raises(ClusterUnreachable) as raised:
        read_cluster(ReadOptions(loopback.kubeconfig), frozenset({"ConfigMap"}))
    assert (raised.value.message, raised.value.file) == (message, loopback.server)


def test_a_server_without_a_version_reads_as_an_empty_one(loopback: Loopback) -> None:
    _discovery(loopback.script, {"/version": [ok({})], "/api/v1/configmaps": [_list_page([])]})
    assert read_cluster(ReadOptions(loopback.kubeconfig), frozenset({"ConfigMap"})).server_version == ""


def test_discovery_takes_each_kind_from_the_preferred_version_first_then_from_the_others(loopback: Loopback) -> None:
    """A group's kinds may live in different versions (monitoring.coreos.com: Prometheus in v1,
    AlertmanagerConfig in v1alpha1), and a server may list the preferred version anywhere."""
    def kind(name: str, kind: str, namespaced: bool = True, verbs: tuple[str, ...] = ("get", "list")) -> dict:
        return {"name": name, "kind": kind, "namespaced": namespaced, "verbs": list(verbs)}

    loopback.script.answers.update({
        "/api": [ok({"versions": ["v1"]})],
        "/apis": [ok({"groups": [
            {"name": "monitoring.coreos.com", "preferredVersion": {"version": "v1"},
             "versions": [{"version": "v1alpha1"}, {}, {"version": "v1"}]},
            {"name": "bare.example.com", "versions": [{"version": "v2"}]}]})],
        "/api/v1": [ok({"resources": [kind("pods/status", "Pod"), kind("pods", "Pod"), kind("bindings", "Binding",
                                                                                            verbs=("create",)),
                                      kind("namespaces", "Namespace", False), kind("events", "Event")]})],
        "/apis/monitoring.coreos.com/v1": [ok({"resources": [kind("prometheuses", "Prometheus"),
                                                             kind("alertmanagers", "Alertmanager", verbs=())]})],
        "/apis/monitoring.coreos.com/v1alpha1": [ok({"resources": [kind("prometheuses", "Prometheus"),
                                                                   kind("alertmanagerconfigs", "AlertmanagerConfig"),
                                                                   kind("alertmanagers", "Alertmanager")]})],
        "/apis/bare.example.com/v2": [ok({"resources": [kind("widgets", "Widget", False)]})]})
    client = loopback.client()
    found = cluster.discover(client, frozenset({"Pod", "Binding", "Namespace", "Prometheus", "AlertmanagerConfig",
                                                "Alertmanager", "Widget"}))
    assert found == [ApiResource("", "v1", "pods", "Pod", True),
                     ApiResource("", "v1", "namespaces", "Namespace", False),
                     ApiResource("monitoring.coreos.com", "v1", "prometheuses", "Prometheus", True),
                     ApiResource("monitoring.coreos.com", "v1alpha1", "alertmanagerconfigs", "AlertmanagerConfig", True),
                     ApiResource("monitoring.coreos.com", "v1alpha1", "alertmanagers", "Alertmanager", True),
                     ApiResource("bare.example.com", "v2", "widgets", "Widget", False)]
    # The versions of a group are asked for, the preferred first; a version without a name is not.
    assert [path for path, _, _ in loopback.script.requests] == [
        "/api", "/apis", "/api/v1", "/apis/monitoring.coreos.com/v1", "/apis/monitoring.coreos.com/v1alpha1",
        "/apis/bare.example.com/v2"]


def test_a_discovery_document_without_its_lists_holds_nothing(loopback: Loopback) -> None:
    loopback.script.answers.update({"/api": [ok({})], "/apis": [ok({"groups": [{"name": "g", "versions": [
        {"version": "v1"}]}]})], "/apis/g/v1": [ok({})]})
    assert cluster.discover(loopback.client(), frozenset({"Pod"})) == []


@pytest.mark.parametrize("value, line", [
    ("", ""),
    ("  first\nsecond", "first"),
    ("x" * 400, "x" * 300),
    (ValueError("bad\nworse"), "bad"),
])
def test_a_message_is_its_first_line_at_most_300_characters(value: object, line: str) -> None:
    assert cluster._first_line(value) == line


def test_a_3xx_is_not_an_answer(loopback: Loopback) -> None:
    loopback.script.answers["/version"] = [(300, {}, b'{"kind": "Status", "message": "choose"}')]
    with pytest.raises(Refused) as raised:
        loopback.client().get("/version")
    assert raised.value.status == 300


@pytest.mark.timeout(20)  # without its connect timeout, the client would wait for ever
def test_a_connection_the_server_never_accepts_times_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cluster.time, "sleep", lambda seconds: None)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        # Fill the backlog: the kernel then drops the next connection's SYN, and connect() waits.
        waiting = [socket.socket() for _ in range(3)]
        for s in waiting:
            s.setblocking(False)
            s.connect_ex(listener.getsockname())
        try:
            server = f"http://127.0.0.1:{listener.getsockname()[1]}"
            client = ClusterClient(ReadOptions(write_kubeconfig(tmp_path / "kubeconfig", server), timeout=0.05))
            with pytest.raises(ClusterUnreachable) as raised:
                client.get("/version")
        finally:
            for s in waiting:
                s.close()
    assert "connect timeout=0.05" in raised.value.message
