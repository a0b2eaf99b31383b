"""`kaze-policy serve` as the tests run it: a real process on a loopback port, over real TLS.

The certificates are made here (a CA of the test's own, a serving certificate for 127.0.0.1);
the process is the installed console script, as a pod would run it; it is stopped (SIGTERM,
then SIGKILL) when the block ends, however it ends.
"""

from __future__ import annotations

import json
import sys
import shutil
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from kaze_policy.catalog import PACKAGED_POLICY_DIR
from tests.cluster.apiserver import certificate, free_port, pem_key

READY_SECONDS = 60.0


@dataclass(frozen=True)
class Pki:
    ca: Path
    cert: Path
    key: Path
    ca_key: ec.EllipticCurvePrivateKey

    def context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca))

    def issue(self, cert: Path, key: Path) -> int:
        """A new serving certificate for 127.0.0.1 from the same CA (a rotation): its serial."""
        ca = x509.load_pem_x509_certificate(self.ca.read_bytes())
        serving_key = ec.generate_private_key(ec.SECP256R1())
        serving = certificate("kaze-policy", serving_key, ca.subject, self.ca_key, ca=False)
        cert.write_bytes(serving.public_bytes(serialization.Encoding.PEM))
        key.write_bytes(pem_key(serving_key))
        return serving.serial_number


def write_pki(folder: Path) -> Pki:
    folder.mkdir(parents=True, exist_ok=True)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = certificate("kaze-webhook-test-ca", ca_key, None, ca_key, ca=True)
    (folder / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    pki = Pki(folder / "ca.pem", folder / "tls.crt", folder / "tls.key", ca_key)
    pki.issue(pki.cert, pki.key)
    return pki


def empty_snapshot(path: Path, items: list[dict[str, Any]] | None = None) -> Path:
    """A ClusterSnapshot holding `items` (objects): the context of a webhook without a cluster."""
    path.write_text(json.dumps({
        "apiVersion": "snapshot.kaze.io/v1", "kind": "ClusterSnapshot", "header": {"server": "https://test"},
        "items": [{"path": f"/{o['kind']}/{o['metadata']['name']}", "object": o} for o in items or []]}))
    return path


@dataclass
class Webhook:
    url: str
    pki: Pki
    process: subprocess.Popen[bytes]
    decision_log: Path
    stderr: Path

    def post(self, body: bytes | dict[str, Any], path: str = "/validate",
             timeout: float = 10) -> tuple[int, Any]:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method="POST",
                                         headers={"Content-Type": "application/json"})
        return _open(request, self.pki.context(), timeout)

    def get(self, path: str) -> tuple[int, Any]:
        return _open(urllib.request.Request(self.url + path), self.pki.context(), 10)

    def decisions(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.decision_log.read_text().splitlines() if line]


def _open(request: urllib.request.Request, context: ssl.SSLContext, timeout: float) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(request, context=context, timeout=timeout) as answer:
            status, raw, kind = answer.status, answer.read(), answer.headers.get("content-type", "")
    except urllib.error.HTTPError as err:
        status, raw, kind = err.code, err.read(), err.headers.get("content-type", "")
    return status, json.loads(raw) if "json" in kind else raw.decode()


@contextmanager
def running_webhook(folder: Path, *args: str, ready: bool = True) -> Iterator[Webhook]:
    """`kaze-policy serve` with a fresh PKI in `folder` and `args` (its context, configuration…)."""
    pki = write_pki(folder / "pki")
    port = free_port()
    log, err = folder / "decisions.jsonl", folder / "serve.err"
    command = [sys.executable, "-m", "kaze_policy.cli", "serve", "--cert", str(pki.cert), "--key", str(pki.key),
               "--host", "127.0.0.1", "--port", str(port), "--metrics-port", "0", "--decision-log", str(log), *args]
    with open(err, "wb") as stderr:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr)
    webhook = Webhook(f"https://127.0.0.1:{port}", pki, process, log, err)
    try:
        _wait(webhook, ready)
        yield webhook
    finally:
        stop(process)


def _wait(webhook: Webhook, ready: bool) -> None:
    deadline = time.monotonic() + READY_SECONDS
    path = "/readyz" if ready else "/healthz"
    while time.monotonic() < deadline:
        if webhook.process.poll() is not None:
            raise RuntimeError(f"kaze-policy serve exited {webhook.process.returncode}: "
                               f"{webhook.stderr.read_text()[-2000:]}")
        try:
            if webhook.get(path)[0] == 200:
                return
        except (OSError, ssl.SSLError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"kaze-policy serve was not ready: {webhook.stderr.read_text()[-2000:]}")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def review(obj: dict[str, Any] | None, operation: str = "CREATE", old: dict[str, Any] | None = None,
           uid: str = "0f6d-test", dry_run: bool = False) -> dict[str, Any]:
    """An AdmissionReview as the API server sends it, for `obj` (a manifest)."""
    subject = obj if obj is not None else old
    assert subject is not None
    group, _, version = subject["apiVersion"].rpartition("/")
    kind = subject["kind"]
    plural = kind.lower() + ("es" if kind.endswith("s") else "s")
    metadata = subject.get("metadata") or {}
    request = {"uid": uid, "kind": {"group": group, "version": version, "kind": kind},
               "resource": {"group": group, "version": version, "resource": plural},
               "name": metadata.get("name", ""), "operation": operation, "dryRun": dry_run,
               "userInfo": {"username": "alice@example.com", "groups": ["system:authenticated"]},
               "object": obj, "oldObject": old}
    if metadata.get("namespace"):
        request["namespace"] = metadata["namespace"]
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request}


BROKEN_RULES = """
# Injected by the test: an evaluation error (a complete rule with two values) on objects
# labelled `boom`, and an evaluation that takes seconds on objects labelled `slow`.
violation contains v if {
	input.object.metadata.labels.boom
	v := {"msg": sprintf("%v", [injected_conflict]), "resource": input.id}
}

injected_conflict := 1 if input.object.metadata.labels.boom

injected_conflict := 2 if input.object.metadata.labels.boom

violation contains v if {
	input.object.metadata.labels.slow
	n := count([1 | some a in numbers.range(1, 6000); some b in numbers.range(1, 6000); a == b])
	n < 0
	v := {"msg": "never", "resource": input.id}
}
"""


def broken_policies(folder: Path) -> Path:
    """The catalog, with KZ-TEN-05 made to fail on objects labelled `boom` and to be slow on `slow`."""
    policies = folder / "rego"
    shutil.copytree(PACKAGED_POLICY_DIR, policies)
    with open(policies / "tenancy" / "no_host_access.rego", "a") as rego:
        rego.write(BROKEN_RULES)
    return policies
