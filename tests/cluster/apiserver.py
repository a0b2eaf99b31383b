"""A throwaway Kubernetes control plane on loopback: etcd and the real kube-apiserver.

Both binaries are built by `make tools` (tools/k8s, tools/etcd) into .tools/bin. Everything
lives in a temporary folder: a CA made here (the `cryptography` package), the API server's
serving certificate, the service-account key pair and a static token file with two users:
`kaze-admin` (group system:masters) and `kaze-restricted` (no grant but what a test binds).
Ports are free loopback ports, so two runs on one machine never meet, and nothing listens
beyond 127.0.0.1. Both processes are stopped when the block ends, however it ends.
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import json
import secrets
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

READY_SECONDS = 60.0
START_ATTEMPTS = 3
ADMIN_CONTEXT, RESTRICTED_CONTEXT = "admin", "restricted"
RESTRICTED_USER = "kaze-restricted"
# An API server already running, for every pytest session that names it (`make mutation`):
# JSON {"server", "kubeconfig", "ca_file"}, as shared_cluster_env() writes it.
SHARED_CLUSTER = "KAZE_TEST_CLUSTER"


@dataclass(frozen=True)
class LiveCluster:
    """A ready API server: its URL, and a kubeconfig whose current context is the admin's
    (the context `restricted` holds the token of RESTRICTED_USER)."""

    server: str
    kubeconfig: Path
    ca_file: Path
    start_seconds: float  # from the start of etcd to the API server's first ready /readyz


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def certificate(subject: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Name | None,
                 issuer_key: ec.EllipticCurvePrivateKey, ca: bool) -> x509.Certificate:
    now = dt.datetime.now(dt.timezone.utc)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(issuer or name)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if not ca:
        builder = builder.add_extension(x509.SubjectAlternativeName([
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost"),
            x509.DNSName("kubernetes.default.svc")]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def write_pki(folder: Path) -> dict[str, Path]:
    """CA, serving certificate and key, service-account key pair: PEM files in `folder`."""
    ca_key, serving_key, sa_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    ca = certificate("kaze-test-ca", ca_key, None, ca_key, ca=True)
    serving = certificate("kube-apiserver", serving_key, ca.subject, ca_key, ca=False)
    files = {
        "ca": (ca.public_bytes(serialization.Encoding.PEM)),
        "serving_cert": serving.public_bytes(serialization.Encoding.PEM),
        "serving_key": pem_key(serving_key),
        "sa_key": pem_key(sa_key),
        "sa_pub": sa_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo),
    }
    paths = {}
    for name, data in files.items():
        paths[name] = folder / f"{name}.pem"
        paths[name].write_bytes(data)
    return paths


def write_kubeconfig(path: Path, server: str, ca_file: Path, tokens: dict[str, str]) -> None:
    """One cluster, one user and context per token (context name = user name); admin current."""
    config = {
        "apiVersion": "v1", "kind": "Config", "current-context": ADMIN_CONTEXT,
        "clusters": [{"name": "kaze-test", "cluster": {
            "server": server, "certificate-authority-data": base64.b64encode(ca_file.read_bytes()).decode()}}],
        "users": [{"name": name, "user": {"token": token}} for name, token in tokens.items()],
        "contexts": [{"name": name, "context": {"cluster": "kaze-test", "user": name}} for name in tokens],
    }
    path.write_text(yaml.safe_dump(config))


def _ready(server: str, token: str, context: ssl.SSLContext) -> bool:
    request = urllib.request.Request(f"{server}/readyz", headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=2, context=context) as resp:
            return bool(resp.status == 200)
    except (OSError, urllib.error.URLError):
        return False


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


def _spawn(stack: ExitStack, args: list[str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    stack.callback(_stop, proc)
    return proc


def _start_etcd(stack: ExitStack, etcd: str, folder: Path) -> str:
    client, peer = f"http://127.0.0.1:{free_port()}", f"http://127.0.0.1:{free_port()}"
    _spawn(stack, [etcd, "--name", "kaze", "--data-dir", str(folder / "etcd"), "--listen-client-urls", client,
                   "--advertise-client-urls", client, "--listen-peer-urls", peer,
                   "--initial-advertise-peer-urls", peer, "--initial-cluster", f"kaze={peer}",
                   "--listen-metrics-urls", f"http://127.0.0.1:{free_port()}",
                   "--unsafe-no-fsync", "--log-level", "error"], folder / "etcd.log")
    return client


def _apiserver_args(binary: str, folder: Path, etcd_url: str, port: int, pki: dict[str, Path],
                    tokens_file: Path) -> list[str]:
    return [binary, "--etcd-servers", etcd_url, "--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1",
            "--secure-port", str(port), "--cert-dir", str(folder / "certs"),
            "--tls-cert-file", str(pki["serving_cert"]), "--tls-private-key-file", str(pki["serving_key"]),
            "--client-ca-file", str(pki["ca"]), "--token-auth-file", str(tokens_file),
            "--service-account-key-file", str(pki["sa_pub"]),
            "--service-account-signing-key-file", str(pki["sa_key"]),
            "--service-account-issuer", "https://kubernetes.default.svc",
            "--authorization-mode", "RBAC", "--service-cluster-ip-range", "10.96.0.0/24",
            "--endpoint-reconciler-type", "none",  # a loopback address may not be reconciled
            "--enable-priority-and-fairness=false", "--profiling=false", "--v", "0"]


def _start_once(etcd: str, apiserver: str, folder: Path, stack: ExitStack) -> LiveCluster | None:
    """etcd, then the API server; None when either died before /readyz (a port taken, say)."""
    started = time.monotonic()
    pki = write_pki(folder)
    tokens = {ADMIN_CONTEXT: "admin-" + secrets.token_hex(16), RESTRICTED_CONTEXT: "restricted-" + secrets.token_hex(16)}
    tokens_file = folder / "tokens.csv"
    tokens_file.write_text(f'{tokens[ADMIN_CONTEXT]},kaze-admin,kaze-admin,"system:masters"\n'
                           f"{tokens[RESTRICTED_CONTEXT]},{RESTRICTED_USER},{RESTRICTED_USER}\n")
    etcd_url = _start_etcd(stack, etcd, folder)
    port = free_port()
    server = f"https://127.0.0.1:{port}"
    proc = _spawn(stack, _apiserver_args(apiserver, folder, etcd_url, port, pki, tokens_file),
                  folder / "kube-apiserver.log")
    context = ssl.create_default_context(cafile=str(pki["ca"]))
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return None
        if _ready(server, tokens[ADMIN_CONTEXT], context):
            kubeconfig = folder / "kubeconfig"
            write_kubeconfig(kubeconfig, server, pki["ca"], tokens)
            return LiveCluster(server, kubeconfig, pki["ca"], time.monotonic() - started)
        time.sleep(0.1)
    return None


@contextmanager
def running_cluster(etcd: str, apiserver: str) -> Iterator[LiveCluster]:
    """A ready API server over its own etcd for the duration of the block; both stopped after."""
    with tempfile.TemporaryDirectory(prefix="kaze-apiserver-") as workdir:
        logs: list[str] = []
        for attempt in range(START_ATTEMPTS):
            folder = Path(workdir) / str(attempt)
            folder.mkdir()
            with ExitStack() as stack:
                cluster = _start_once(etcd, apiserver, folder, stack)
                if cluster is not None:
                    yield cluster
                    return
            logs += [f"{p.name}: {p.read_text(errors='replace')[-2000:]}" for p in folder.glob("*.log")]
        raise RuntimeError("kube-apiserver did not become ready:\n" + "\n".join(logs))


def shared_cluster_env(cluster: LiveCluster) -> dict[str, str]:
    """The environment that makes the tests' `live_cluster` fixture use `cluster`."""
    return {SHARED_CLUSTER: json.dumps({"server": cluster.server, "kubeconfig": str(cluster.kubeconfig),
                                        "ca_file": str(cluster.ca_file)})}


def api_client(kubeconfig: Path, context: str | None = None) -> Any:
    """The official client's ApiClient for a context of the kubeconfig."""
    from kubernetes import config
    return config.new_client_from_config(config_file=str(kubeconfig), context=context)


def _crd(group: str, kind: str, versions: list[str], namespaced: bool) -> dict[str, Any]:
    """A CustomResourceDefinition that takes any object of the kind (no schema but the kind's)."""
    lower = kind.lower()
    plural = lower[:-1] + "ies" if lower.endswith("y") else lower + ("es" if lower.endswith("s") else "s")
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": f"{plural}.{group}"},
            "spec": {"group": group, "scope": "Namespaced" if namespaced else "Cluster",
                     "names": {"plural": plural, "singular": kind.lower(), "kind": kind, "listKind": f"{kind}List"},
                     "versions": [{"name": v, "served": True, "storage": i == 0,
                                   "schema": {"openAPIV3Schema": {"type": "object",
                                                                  "x-kubernetes-preserve-unknown-fields": True}}}
                                  for i, v in enumerate(versions)]}}


def crds_for(objects: list[dict[str, Any]], builtin: Callable[[str], bool],
             cluster_scoped: Callable[[str], bool]) -> list[dict[str, Any]]:
    """One CRD per custom kind among `objects`, serving every version they use."""
    versions: dict[tuple[str, str], list[str]] = {}
    for obj in objects:
        api_version = obj["apiVersion"]
        if "/" in api_version and not builtin(api_version):
            group, version = api_version.split("/", 1)
            seen = versions.setdefault((group, obj["kind"]), [])
            if version not in seen:
                seen.append(version)
    return [_crd(group, kind, vs, not cluster_scoped(kind)) for (group, kind), vs in sorted(versions.items())]


def apply(kubeconfig: Path, objects: list[dict[str, Any]]) -> None:
    """Create the objects, as `kubectl apply` of a rendered overlay would: CRDs first (then
    wait until established), Namespaces next, admission webhooks last (no backend serves them)."""
    from kubernetes import dynamic

    def rank(obj: dict[str, Any]) -> int:
        return {"CustomResourceDefinition": 0, "Namespace": 1}.get(obj["kind"], 3 if obj["kind"].endswith(
            "WebhookConfiguration") else 2)

    client = api_client(kubeconfig)
    try:
        crds = [o for o in objects if o["kind"] == "CustomResourceDefinition"]
        dyn = dynamic.DynamicClient(client)
        for obj in crds:
            dyn.resources.get(api_version=obj["apiVersion"], kind=obj["kind"]).create(body=obj)
        _wait_established(dyn, [c["metadata"]["name"] for c in crds])
        dyn = dynamic.DynamicClient(client)  # a fresh discovery, with the new kinds
        for obj in sorted((o for o in objects if o["kind"] != "CustomResourceDefinition"), key=rank):
            resource = dyn.resources.get(api_version=obj["apiVersion"], kind=obj["kind"])
            namespace = obj["metadata"].get("namespace") or ("default" if resource.namespaced else None)
            resource.create(body=obj, namespace=namespace)
    finally:
        client.close()


def _wait_established(dyn: Any, names: list[str]) -> None:
    crds = dyn.resources.get(api_version="apiextensions.k8s.io/v1", kind="CustomResourceDefinition")
    deadline = time.monotonic() + 30
    pending = set(names)
    while pending and time.monotonic() < deadline:
        for name in list(pending):
            conditions = (crds.get(name=name).to_dict().get("status") or {}).get("conditions") or []
            if any(c["type"] == "Established" and c["status"] == "True" for c in conditions):
                pending.discard(name)
        time.sleep(0.05)
    if pending:
        raise RuntimeError(f"CRDs not established: {sorted(pending)}")


def case_objects(case: Path) -> list[dict[str, Any]]:
    return [obj for file in sorted(case.glob("*.yaml")) if file.name != "expect.yaml"
            for obj in yaml.safe_load_all(file.read_text()) if obj]


def remove(cluster: LiveCluster, objects: list[dict[str, Any]]) -> None:
    """Delete what was created. A namespace deleted stays Terminating until its finalizers are
    emptied and it is deleted again, which the namespace controller would do: done here."""
    import pytest
    from kubernetes import client, dynamic
    from kubernetes.client.exceptions import ApiException

    api = api_client(cluster.kubeconfig)
    try:
        dyn = dynamic.DynamicClient(api)
        core = client.CoreV1Api(api)
        for obj in sorted(objects, key=lambda o: o["kind"] in ("Namespace", "CustomResourceDefinition")):
            name = obj["metadata"]["name"]
            try:
                resource = dyn.resources.get(api_version=obj["apiVersion"], kind=obj["kind"])
                namespace = obj["metadata"].get("namespace") or ("default" if resource.namespaced else None)
                resource.delete(name=name, namespace=namespace)
                if obj["kind"] == "Namespace":
                    core.replace_namespace_finalize(name, {"metadata": {"name": name}, "spec": {"finalizers": []}})
                    resource.delete(name=name)
                    with pytest.raises(ApiException, match="404"):
                        core.read_namespace(name)  # gone, not Terminating
            except ApiException as err:
                if err.status != 404:
                    raise
    finally:
        api.close()
