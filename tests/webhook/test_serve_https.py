"""`kaze-policy serve` over real HTTPS, its context a snapshot: decisions, modes, bad bodies,
fail-closed errors and timeouts, operations endpoints, the decision log, certificate rotation.

(The same server behind a real API server: test_webhook_apiserver.py.)
"""

from __future__ import annotations

import copy
import json
import ssl
import subprocess
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

from kaze_policy.webhook.review import MAX_BODY_BYTES
from tests.conftest import FIXTURES, run_cli
from tests.webhook.support import Webhook, broken_policies, empty_snapshot, review, running_webhook

DIGEST = "sha256:36e6003f1c37a4632832a737f5a12c87535de75ce6e7c90988eca89ae7f92a06"
TENANT_NAMESPACE = {
    "apiVersion": "v1", "kind": "Namespace",
    "metadata": {"name": "tenant-acme",
                 "labels": {"kaze.io/tenant": "acme", "pod-security.kubernetes.io/enforce": "restricted"},
                 "annotations": {"linkerd.io/inject": "enabled"}}}


def pod(name: str = "agent", namespace: str = "tenant-acme", image: str = f"registry.kaze.io/kaze/agent@{DIGEST}",
        privileged: bool = False, labels: dict[str, str] | None = None) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "agent", "image": image,
                                 "securityContext": {"allowPrivilegeEscalation": False, "runAsNonRoot": True,
                                                     "capabilities": {"drop": ["ALL"]}}}
    if privileged:
        container["securityContext"]["privileged"] = True
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": namespace, "labels": labels or {"app": "agent"}},
            "spec": {"containers": [container]}}


def config_file(folder: Path, admission: dict[str, Any], waivers: list[dict[str, Any]] | None = None) -> Path:
    config = yaml.safe_load((FIXTURES / "kaze-policy.yaml").read_text())
    config["admission"] = admission
    if waivers:
        config["waivers"] = waivers
    path = folder / "kaze-policy.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.fixture(scope="module")
def webhook(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Webhook]:
    """Deny by default; KZ-SUP-01 in warn mode, KZ-MTL-02 in dry-run mode; kaze-policy exempt."""
    folder = tmp_path_factory.mktemp("webhook")
    config = config_file(folder, {"enforcement": {"KZ-SUP-01": "warn", "KZ-MTL-02": "dryrun"},
                                  "exemptNamespaces": ["kaze-policy"]},
                         waivers=[{"control": "KZ-TEN-05", "resource": "Pod/tenant-acme/waived",
                                   "reason": "a vendor agent that needs the host, until its rewrite",
                                   "by": "alice", "until": "2999-01-01"}])
    snapshot = empty_snapshot(folder / "snapshot.json", [TENANT_NAMESPACE])
    with running_webhook(folder, "--snapshot", str(snapshot), "--config", str(config)) as server:
        yield server


def decide(webhook: Webhook, body: dict[str, Any]) -> dict[str, Any]:
    status, answer = webhook.post(body)
    assert status == 200, answer
    assert answer["apiVersion"] == "admission.k8s.io/v1" and answer["kind"] == "AdmissionReview"
    assert answer["response"]["uid"] == body["request"]["uid"]
    return answer["response"]


def test_a_compliant_pod_is_admitted(webhook: Webhook) -> None:
    response = decide(webhook, review(pod(), uid="compliant"))
    assert response["allowed"] is True
    assert "warnings" not in response


def test_a_privileged_pod_is_denied_naming_the_control_the_object_and_the_fix(webhook: Webhook) -> None:
    response = decide(webhook, review(pod(privileged=True), uid="privileged"))
    assert response["allowed"] is False
    assert response["status"]["code"] == 403
    message = response["status"]["message"]
    assert message.startswith("kaze-policy denied CREATE of Pod tenant-acme/agent: [KZ-TEN-05] ")
    assert "set privileged to false" in message


def test_warn_mode_admits_with_a_warning(webhook: Webhook) -> None:
    response = decide(webhook, review(pod(image="docker.io/library/busybox:1.36"), uid="warned"))
    assert response["allowed"] is True
    assert response["warnings"] and all(w.startswith("[KZ-SUP-01] ") for w in response["warnings"])
    assert any("docker.io/library/busybox:1.36" in w for w in response["warnings"])


def test_dryrun_mode_admits_and_records(webhook: Webhook) -> None:
    opted_out = pod(name="bypass")
    opted_out["metadata"]["annotations"] = {"config.linkerd.io/skip-outbound-ports": "5432"}
    response = decide(webhook, review(opted_out, uid="dryrun-mode"))
    assert response["allowed"] is True and "warnings" not in response
    (entry,) = [e for e in webhook.decisions() if e["uid"] == "dryrun-mode"]
    assert entry["violations"] and {v["control"] for v in entry["violations"]} == {"KZ-MTL-02"}
    assert all(v["mode"] == "dryrun" and not v["denied"] for v in entry["violations"])


def test_a_dry_run_request_is_decided_and_logged_as_one(webhook: Webhook) -> None:
    response = decide(webhook, review(pod(privileged=True), uid="dry-run-request", dry_run=True))
    assert response["allowed"] is False
    (entry,) = [e for e in webhook.decisions() if e["uid"] == "dry-run-request"]
    assert entry["dryRun"] is True and entry["decision"] == "deny"


def test_exempt_namespaces_come_from_the_configuration(webhook: Webhook) -> None:
    assert decide(webhook, review(pod(namespace="kaze-policy", privileged=True), uid="exempt"))["allowed"] is True
    assert decide(webhook, review(pod(namespace="tenant-globex", privileged=True), uid="not-exempt"))["allowed"] is False
    (entry,) = [e for e in webhook.decisions() if e["uid"] == "exempt"]
    assert entry["decision"] == "exempt" and entry["controls"] == []


def test_waivers_apply_as_in_the_scan(webhook: Webhook) -> None:
    assert decide(webhook, review(pod(name="waived", privileged=True), uid="waived"))["allowed"] is True
    assert decide(webhook, review(pod(name="other", privileged=True), uid="unwaived"))["allowed"] is False


def test_an_update_is_judged_on_what_it_changes(webhook: Webhook) -> None:
    old = pod(privileged=True)
    relabelled = copy.deepcopy(old)
    relabelled["metadata"]["labels"]["release"] = "2"
    response = decide(webhook, review(relabelled, operation="UPDATE", old=old, uid="ratchet"))
    assert response["allowed"] is True
    assert response["warnings"] and all("already so before this update" in w for w in response["warnings"])
    worse = decide(webhook, review(pod(privileged=True), operation="UPDATE", old=pod(), uid="worse"))
    assert worse["allowed"] is False and "[KZ-TEN-05]" in worse["status"]["message"]


def test_a_deletion_is_admitted(webhook: Webhook) -> None:
    assert decide(webhook, review(None, operation="DELETE", old=pod(privileged=True), uid="delete"))["allowed"] is True


def test_a_secret_value_never_reaches_the_log_or_the_answer(webhook: Webhook) -> None:
    value = "aHVudGVyMi1zdXBlci1zZWNyZXQ="
    # At admission a Secret is left to the controllers that fill it (KZ-SEC-04's rationale)…
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "tenant-acme"},
              "data": {"password": value}}
    assert decide(webhook, review(secret, uid="secret"))["allowed"] is True
    # …while a workload that spells a credential out is refused, naming the variable, not its value.
    leaky = pod(name="leaky")
    leaky["spec"]["containers"][0]["env"] = [{"name": "DB_PASSWORD", "value": value}]
    response = decide(webhook, review(leaky, uid="leaky"))
    assert response["allowed"] is False and "[KZ-SEC-04]" in response["status"]["message"]
    assert "DB_PASSWORD" in response["status"]["message"]
    for text in (json.dumps(response), webhook.decision_log.read_text(), webhook.stderr.read_text()):
        assert value not in text


@pytest.mark.parametrize(("body", "says"), [
    (b"{not json", "not JSON"),
    (b"\xff\xfe", "not JSON"),
    (b"[]", "not a JSON object"),
    (json.dumps({"apiVersion": "v1", "kind": "Pod"}).encode(), "expected an AdmissionReview"),
    (json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"}).encode(), "no request"),
    (json.dumps(review(pod()) | {"request": {**review(pod())["request"], "uid": ""}}).encode(), "uid"),
    (json.dumps(review(pod()) | {"request": {**review(pod())["request"], "object": None}}).encode(),
     "object is missing"),
    (json.dumps(review(pod()) | {"request": {**review(pod())["request"], "object": [1]}}).encode(),
     "not an object"),
    (json.dumps(review(pod()) | {"request": {**review(pod())["request"], "operation": "PATCH"}}).encode(),
     "operation"),
    (b"[" * 100_000 + b"]" * 100_000, "not JSON"),
])
def test_a_bad_body_gets_400_saying_why(webhook: Webhook, body: bytes, says: str) -> None:
    status, answer = webhook.post(body)
    assert status == 400
    assert says in answer["error"]


def test_an_oversized_body_gets_400(webhook: Webhook) -> None:
    padded = review(pod())
    padded["request"]["object"]["metadata"]["annotations"] = {"pad": "x" * MAX_BODY_BYTES}
    status, answer = webhook.post(json.dumps(padded).encode())
    assert status == 400 and "more than the 3145728" in answer["error"]
    # One byte under the limit is read and decided.
    fitting = review(pod(), uid="fits")
    fitting["request"]["object"]["metadata"]["annotations"] = {"pad": ""}
    room = MAX_BODY_BYTES - len(json.dumps(fitting).encode())
    fitting["request"]["object"]["metadata"]["annotations"] = {"pad": "x" * room}
    assert len(json.dumps(fitting).encode()) == MAX_BODY_BYTES
    assert decide(webhook, fitting)["allowed"] is True


def test_other_methods_and_paths(webhook: Webhook) -> None:
    assert webhook.get("/validate")[0] == 405
    assert webhook.get("/nothing")[0] == 404
    assert webhook.get("/healthz") == (200, "ok\n")
    status, ready = webhook.get("/readyz")
    assert status == 200 and ready["ready"] is True
    assert "KZ-TEN-05" in ready["controls"] and "KZ-SUP-02" in ready["not_run"]


def test_metrics_count_requests_latency_and_violations(webhook: Webhook) -> None:
    decide(webhook, review(pod(privileged=True), uid="metrics"))
    status, text = webhook.get("/metrics")
    assert status == 200
    assert 'kaze_policy_admission_requests_total{decision="deny",kind="Pod",operation="CREATE"}' in text
    assert 'kaze_policy_admission_violations_total{control="KZ-TEN-05",mode="deny"}' in text
    assert "kaze_policy_admission_duration_seconds_bucket" in text


def test_every_decision_is_logged_as_a_json_line(webhook: Webhook) -> None:
    decide(webhook, review(pod(privileged=True), uid="logged"))
    (entry,) = [e for e in webhook.decisions() if e["uid"] == "logged"]
    assert entry["user"] == "alice@example.com" and entry["operation"] == "CREATE"
    assert (entry["kind"], entry["namespace"], entry["name"]) == ("Pod", "tenant-acme", "agent")
    assert "KZ-TEN-05" in entry["controls"] and entry["decision"] == "deny" and entry["allowed"] is False


# ----------------------------------------------------------------------------- fail closed

@pytest.fixture(scope="module")
def broken_webhook(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Webhook]:
    """The catalog with KZ-TEN-05 made to fail on `boom` and to be slow on `slow`; a 0.5 s budget."""
    folder = tmp_path_factory.mktemp("broken")
    policies = broken_policies(folder)
    config = config_file(folder, {"timeoutSeconds": 0.5})
    snapshot = empty_snapshot(folder / "snapshot.json", [TENANT_NAMESPACE])
    with running_webhook(folder, "--snapshot", str(snapshot), "--config", str(config), "--policies",
                         str(policies), "--workers", "2") as server:
        yield server


def test_an_evaluation_error_denies_saying_so(broken_webhook: Webhook) -> None:
    response = decide(broken_webhook, review(pod(labels={"boom": "yes"}), uid="boom"))
    assert response["allowed"] is False
    assert response["status"]["message"].startswith("kaze-policy could not evaluate the policy for Pod tenant-acme/agent")
    assert "KZ-TEN-05" in response["status"]["message"]
    assert decide(broken_webhook, review(pod(), uid="fine"))["allowed"] is True


def test_a_decision_past_the_budget_denies_within_it(broken_webhook: Webhook) -> None:
    started = time.monotonic()
    response = decide(broken_webhook, review(pod(labels={"slow": "yes"}), uid="slow"))
    took = time.monotonic() - started
    assert response["allowed"] is False
    assert "no decision within the budget of 0.5 s" in response["status"]["message"]
    assert took < 2.0, f"answered after {took:.2f} s"
    # The server still answers (its other decision thread), and is still ready.
    assert decide(broken_webhook, review(pod(), uid="after-slow"))["allowed"] is True
    assert broken_webhook.get("/readyz")[0] == 200


# ----------------------------------------------------------------------------- start and rotation

def run_serve(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("serve", *args, timeout=60)


def test_what_cannot_serve_stops_at_start_with_one_line(tmp_path: Path) -> None:
    snapshot = empty_snapshot(tmp_path / "snapshot.json")
    (tmp_path / "bad.crt").write_text("not a certificate\n")
    cases = [
        (["--cert", str(tmp_path / "bad.crt"), "--key", str(tmp_path / "bad.crt"), "--snapshot", str(snapshot)],
         "not a usable certificate and key"),
        (["--cert", "x", "--key", "y"], "from one place"),
    ]
    for args, says in cases:
        done = run_serve(*args)
        assert done.returncode == 2, done.stderr
        assert says in done.stderr and "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_a_rotated_certificate_serves_new_handshakes_and_drops_no_request(tmp_path: Path) -> None:
    snapshot = empty_snapshot(tmp_path / "snapshot.json", [TENANT_NAMESPACE])
    with running_webhook(tmp_path, "--snapshot", str(snapshot)) as server:
        failures: list[str] = []
        answered = [0]
        stop = threading.Event()

        def load() -> None:
            while not stop.is_set():
                try:
                    status, _ = server.post(review(pod(), uid=f"load-{answered[0]}"))
                    answered[0] += 1
                    if status != 200:
                        failures.append(str(status))
                except (OSError, ssl.SSLError) as err:
                    failures.append(repr(err))

        before = served_serial(server)
        threads = [threading.Thread(target=load) for _ in range(2)]
        for thread in threads:
            thread.start()
        time.sleep(0.5)
        serial = server.pki.issue(server.pki.cert, server.pki.key)
        deadline = time.monotonic() + 10
        while served_serial(server) != serial and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(0.5)
        stop.set()
        for thread in threads:
            thread.join()
        assert served_serial(server) == serial != before
        assert failures == [] and answered[0] > 10
        assert "certificate" in server.stderr.read_text() and "reloaded" in server.stderr.read_text()


def served_serial(server: Webhook) -> int:
    """The serial of the certificate a new handshake is given."""
    from cryptography import x509

    host, port = server.url.removeprefix("https://").split(":")
    der = _handshake_certificate(host, int(port), server.pki.context())
    return x509.load_der_x509_certificate(der).serial_number


def _handshake_certificate(host: str, port: int, context: ssl.SSLContext) -> bytes:
    import socket
    with socket.create_connection((host, port), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname=host) as tls:
            cert = tls.getpeercert(binary_form=True)
    assert cert is not None
    return cert


# ----------------------------------------------------------------------------- egress decisions

EGRESS_QUESTIONS = [
    ("acme", "https://api.openai.com/v1/chat/completions"),
    ("acme", "https://ledger.acme-corp.example/entries"),
    ("acme", "https://fhir.globex-health.example/Patient"),  # globex's, not acme's
    ("acme", "https://user:pw@api.openai.com/"),
    ("acme", "http://169.254.169.254/latest/meta-data"),
    ("acme", "https://198.51.100.7/pay"),
    ("nobody", "https://api.openai.com/"),
]


def test_egress_decisions_are_those_of_the_decide_command(webhook: Webhook) -> None:
    for tenant, url in EGRESS_QUESTIONS:
        status, answer = webhook.post({"tenant": tenant, "url": url}, path="/decide/egress")
        assert status == 200, answer
        command = run_cli("decide", "egress", "--tenant", tenant, url, "--config", str(FIXTURES / "kaze-policy.yaml"))
        assert answer == json.loads(command.stdout), (tenant, url)
    assert webhook.post({"tenant": "acme", "url": EGRESS_QUESTIONS[0][1]}, path="/decide/egress")[1]["allow"] is True
    assert webhook.post({"tenant": "acme", "url": EGRESS_QUESTIONS[2][1]}, path="/decide/egress")[1]["allow"] is False


@pytest.mark.parametrize("body", [b"nope", b"[]", b'{"tenant": "acme"}', b'{"tenant": "", "url": "https://x"}'])
def test_a_bad_egress_question_gets_400(webhook: Webhook, body: bytes) -> None:
    status, answer = webhook.post(body, path="/decide/egress")
    assert status == 400 and answer["error"]
    assert webhook.get("/decide/egress")[0] == 405
