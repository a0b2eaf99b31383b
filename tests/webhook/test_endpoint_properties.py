"""Property tests of the webhook's endpoints, in process (the ASGI application `serve` runs,
with the shipped catalog, the fixtures' configuration and a tenant namespace as context).

Whatever body is posted to /validate (random bytes, random JSON, AdmissionReviews of
generated objects of many kinds, with fields of any type), the answer is HTTP 400 with one
line saying why, or HTTP 200 with an AdmissionReview that echoes the uid and decides: allowed,
or denied (403) saying why. Never a 500, never an exception out of the application, never a
denial for an internal error (which would be a bug the webhook only hides by failing closed).
/decide/egress likewise: 400, or a decision.

`make test` runs a small fixed budget; `make fuzz` (KAZE_FUZZ=1) a large one.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaze_policy.catalog import load_catalog
from kaze_policy.config import load_config
from kaze_policy.sources.cluster import load_snapshot
from kaze_policy.webhook.app import DecisionLog, WebhookApp
from kaze_policy.webhook.decider import Decider
from kaze_policy.webhook.metrics import WebhookMetrics
from kaze_policy.webhook.settings import admission_settings
from tests.conftest import FIXTURES

FUZZ = os.environ.get("KAZE_FUZZ") == "1"
EXAMPLES = 3000 if FUZZ else 100
EGRESS_EXAMPLES = 1000 if FUZZ else 30
TENANT_NAMESPACE = {"apiVersion": "v1", "kind": "Namespace",
                    "metadata": {"name": "tenant-acme", "labels": {"kaze.io/tenant": "acme"},
                                 "annotations": {"linkerd.io/inject": "enabled"}}}


@pytest.fixture(scope="module")
def app() -> WebhookApp:
    config_file = FIXTURES / "kaze-policy.yaml"
    config = load_config(config_file)
    settings_ = admission_settings(config)
    decider = Decider(load_catalog(), settings_, config, str(config_file))
    decider.set_context(load_snapshot({"apiVersion": "snapshot.kaze.io/v1", "kind": "ClusterSnapshot",
                                       "header": {"server": "https://test"},
                                       "items": [{"path": "/api/v1/namespaces/tenant-acme",
                                                  "object": TENANT_NAMESPACE}]}, "snapshot.json"))
    return WebhookApp(decider, lambda: decider.ready, WebhookMetrics(), DecisionLog(io.StringIO()), 2,
                      settings_.budget_seconds)


async def _call(app: WebhookApp, path: str, body: bytes) -> tuple[int, Any]:
    """One POST through the ASGI interface, as uvicorn makes it: the status and the JSON body."""
    sent: list[dict[str, Any]] = []
    chunks = [body[i:i + 65536] for i in range(0, len(body), 65536)] or [b""]

    async def receive() -> dict[str, Any]:
        if chunks:
            chunk = chunks.pop(0)
            return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": path,
             "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]}
    await app(scope, receive, send)
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"], sent
    return sent[0]["status"], json.loads(b"".join(m.get("body", b"") for m in sent[1:]))


# ----------------------------------------------------------------------------- what is posted

JSON = st.recursive(st.none() | st.booleans() | st.integers(-2**64, 2**64) | st.floats(allow_nan=False)
                    | st.text(max_size=10),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                    max_leaves=12)
KINDS = {"Pod": ("", "v1"), "Deployment": ("apps", "v1"), "StatefulSet": ("apps", "v1"), "DaemonSet": ("apps", "v1"),
         "Job": ("batch", "v1"), "CronJob": ("batch", "v1"), "Namespace": ("", "v1"), "Service": ("", "v1"),
         "ConfigMap": ("", "v1"), "Secret": ("", "v1"), "PersistentVolumeClaim": ("", "v1"),
         "NetworkPolicy": ("networking.k8s.io", "v1"), "Rollout": ("argoproj.io", "v1alpha1"),
         "CiliumNetworkPolicy": ("cilium.io", "v2"), "Widget": ("example.com", "v1")}
NAMESPACES = ["tenant-acme", "tenant-globex", "kaze-policy", "kube-system", "default"]
IMAGES = ["registry.kaze.io/kaze/agent@sha256:" + "0" * 64, "docker.io/library/busybox:1.36", "nginx", "", "a@b"]


def _maybe(value: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """The value, or now and then a value of any JSON type in its place."""
    return st.one_of(value, value, value, JSON)


@st.composite
def containers(draw: st.DrawFn) -> list[Any]:
    out = []
    for i in range(draw(st.integers(0, 3))):
        security = draw(_maybe(st.fixed_dictionaries({}, optional={
            "privileged": _maybe(st.booleans()), "allowPrivilegeEscalation": _maybe(st.booleans()),
            "runAsNonRoot": _maybe(st.booleans()), "runAsUser": _maybe(st.integers(-1, 70000)),
            "capabilities": _maybe(st.fixed_dictionaries({}, optional={
                "add": _maybe(st.lists(st.sampled_from(["NET_ADMIN", "SYS_ADMIN", "ALL"]), max_size=2)),
                "drop": _maybe(st.lists(st.sampled_from(["ALL", "NET_RAW"]), max_size=2))}))})))
        out.append(draw(_maybe(st.fixed_dictionaries(
            {"name": _maybe(st.just(f"c{i}")), "image": _maybe(st.sampled_from(IMAGES))},
            optional={"securityContext": st.just(security),
                      "ports": _maybe(st.lists(st.fixed_dictionaries(
                          {"containerPort": _maybe(st.integers(0, 70000))},
                          optional={"hostPort": _maybe(st.integers(0, 70000))}), max_size=2)),
                      "env": _maybe(st.lists(st.fixed_dictionaries({"name": st.text(max_size=5)},
                                                                   optional={"value": JSON}), max_size=2))}))))
    return out


@st.composite
def pod_specs(draw: st.DrawFn) -> Any:
    return draw(_maybe(st.fixed_dictionaries({"containers": _maybe(containers())}, optional={
        "initContainers": _maybe(containers()), "hostNetwork": _maybe(st.booleans()), "hostPID": _maybe(st.booleans()),
        "serviceAccountName": _maybe(st.sampled_from(["default", "agent", ""])),
        "automountServiceAccountToken": _maybe(st.booleans()),
        "volumes": _maybe(st.lists(st.fixed_dictionaries({"name": st.just("v")}, optional={
            "hostPath": _maybe(st.fixed_dictionaries({"path": _maybe(st.sampled_from(["/", "/var/run", "/data"]))})),
            "persistentVolumeClaim": _maybe(st.fixed_dictionaries({"claimName": st.just("c")}))}), max_size=2))})))


@st.composite
def objects(draw: st.DrawFn, kind: str) -> Any:
    group, version = KINDS[kind]
    metadata = draw(_maybe(st.fixed_dictionaries({"name": _maybe(st.sampled_from(["agent", "a", ""]))}, optional={
        "namespace": _maybe(st.sampled_from(NAMESPACES)), "generateName": st.just("agent-"),
        "labels": _maybe(st.dictionaries(st.sampled_from(["app", "kaze.io/tenant", "boom"]),
                                         _maybe(st.text(max_size=5)), max_size=2)),
        "annotations": _maybe(st.dictionaries(st.sampled_from(["kaze.io/waive.KZ-TEN-05", "linkerd.io/inject",
                                                               "config.linkerd.io/skip-outbound-ports"]),
                                              _maybe(st.text(max_size=8)), max_size=2))})))
    if kind == "Pod":
        spec = draw(pod_specs())
    elif kind in ("Deployment", "StatefulSet", "DaemonSet", "Job", "Rollout"):
        spec = draw(_maybe(st.fixed_dictionaries({"template": _maybe(st.fixed_dictionaries(
            {"metadata": _maybe(st.just({"labels": {"app": "agent"}})), "spec": pod_specs()}))})))
    elif kind == "CronJob":
        spec = {"jobTemplate": {"spec": {"template": {"spec": draw(pod_specs())}}}}
    else:
        spec = draw(JSON)
    obj = {"apiVersion": f"{group}/{version}" if group else version, "kind": kind, "metadata": metadata, "spec": spec}
    if draw(st.integers(0, 9)) == 0:
        obj[draw(st.sampled_from(["apiVersion", "kind", "metadata"]))] = draw(JSON)
    return obj


@st.composite
def reviews(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(sorted(KINDS)))
    group, version = KINDS[kind]
    obj = draw(objects(kind))
    operation = draw(_maybe(st.sampled_from(["CREATE", "CREATE", "UPDATE", "DELETE", "CONNECT", "PATCH", ""])))
    request = draw(st.fixed_dictionaries(
        {"uid": _maybe(st.text(min_size=1, max_size=12)), "operation": st.just(operation),
         "kind": _maybe(st.just({"group": group, "version": version, "kind": kind})),
         "resource": _maybe(st.just({"group": group, "version": version, "resource": kind.lower() + "s"})),
         "object": _maybe(st.just(obj))},
        optional={"oldObject": _maybe(objects(kind)), "namespace": _maybe(st.sampled_from(NAMESPACES)),
                  "name": _maybe(st.just("agent")), "dryRun": _maybe(st.booleans()), "subResource": JSON,
                  "userInfo": _maybe(st.fixed_dictionaries({"username": _maybe(st.text(max_size=8))},
                                                           optional={"groups": JSON}))}))
    review = {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request}
    if draw(st.integers(0, 19)) == 0:
        review[draw(st.sampled_from(["apiVersion", "kind", "request"]))] = draw(JSON)
    return review


BODIES = st.one_of(reviews().map(lambda r: json.dumps(r).encode()), reviews().map(lambda r: json.dumps(r).encode()),
                   reviews().map(lambda r: json.dumps(r).encode()), st.binary(max_size=100),
                   JSON.map(lambda v: json.dumps(v).encode()))


# ----------------------------------------------------------------------------- the properties

def _one_line_error(answer: Any) -> None:
    assert isinstance(answer, dict) and set(answer) == {"error"}, answer
    assert isinstance(answer["error"], str) and answer["error"] and "\n" not in answer["error"], answer


@settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=not FUZZ,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(body=BODIES)
def test_validate_answers_400_or_a_decision_for_every_body(app: WebhookApp, body: bytes) -> None:
    status, answer = asyncio.run(_call(app, "/validate", body))
    assert status in (200, 400), (status, answer)
    if status == 400:
        _one_line_error(answer)
        return
    sent = json.loads(body)
    assert answer["apiVersion"] == "admission.k8s.io/v1" and answer["kind"] == "AdmissionReview", answer
    response = answer["response"]
    assert response["uid"] == sent["request"]["uid"], response
    assert isinstance(response["allowed"], bool), response
    if not response["allowed"]:
        # Denied by a control (403), or because a rule could not be evaluated on what was sent
        # (500: the webhook fails closed, saying so); never an internal error of the server.
        status = response["status"]
        assert status["message"], response
        assert status["code"] == 403 or (status["code"] == 500 and status["message"].startswith(
            "kaze-policy could not evaluate the policy for ")), response
        assert "internal error" not in status["message"], status["message"]


@settings(max_examples=EGRESS_EXAMPLES, deadline=None, database=None, derandomize=not FUZZ,
          suppress_health_check=[HealthCheck.too_slow])
@given(body=st.one_of(
    st.fixed_dictionaries({"tenant": _maybe(st.sampled_from(["acme", "globex", "nobody", ""])),
                           "url": _maybe(st.sampled_from(["https://api.openai.com/v1", "http://169.254.169.254/",
                                                          "https://user:pw@x.example/", "https://[::1]/", "ftp://x",
                                                          "https://0x7f.1/", "not a url", ""]) | st.text(max_size=30))
                           }).map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=60)))
def test_egress_answers_400_or_a_decision_for_every_body(app: WebhookApp, body: bytes) -> None:
    status, answer = asyncio.run(_call(app, "/decide/egress", body))
    assert status in (200, 400), (status, answer)
    if status == 400:
        _one_line_error(answer)
        return
    assert isinstance(answer["allow"], bool) and answer["tenant"] and answer["url"], answer
    assert "internal error" not in str(answer.get("reason", "")), answer
