"""mTLS at the port: does a meshed service refuse plaintext, and a TLS client without a certificate?

For each endpoint, two connections from outside the mesh (docs/inventory.md `tlsProbes`):
- plaintext: a TCP connection that sends an HTTP request in clear. Plaintext is refused when
  the server closes or resets the connection, or answers with a TLS record (an alert): a
  proxy that requires mTLS does. Any other answer, or none within the timeout (the server
  took the connection and waited for more), counts as accepted: never a pass on a guess.
- no client certificate: a TLS handshake offering none (the server's identity is not what is
  checked here). Required when the handshake, or the first read after it (TLS 1.3 servers
  refuse after the client's Finished), fails; a server that speaks no TLS at all requires
  no certificate either.
An endpoint that cannot be connected to is recorded with the reason and no verdict, which
makes KZ-MTL-03 an error, never a pass.
"""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass
from typing import Any

DEFAULT_TIMEOUT = 3.0
_TLS_RECORD_TYPES = frozenset({0x14, 0x15, 0x16, 0x17})  # change cipher spec, alert, handshake, data


@dataclass(frozen=True)
class Endpoint:
    namespace: str
    service: str
    host: str
    port: int


def parse_endpoint(text: str) -> Endpoint:
    """`NAMESPACE/SERVICE=HOST:PORT` (the command line's --tls-probe); ValueError saying what is wrong."""
    left, sep, right = text.partition("=")
    namespace, slash, service = left.partition("/")
    host, colon, port = right.rpartition(":")
    if not (sep and slash and colon and namespace and service and host and port.isdigit()
            and 0 < int(port) < 65536):
        raise ValueError(f"{text!r} is not NAMESPACE/SERVICE=HOST:PORT")
    return Endpoint(namespace, service, host.strip("[]"), int(port))


def probe_endpoint(endpoint: Endpoint, timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
    record: dict[str, Any] = {"namespace": endpoint.namespace, "service": endpoint.service,
                              "host": endpoint.host, "port": endpoint.port}
    try:
        record["plaintextAccepted"] = _accepts_plaintext(endpoint, timeout)
        record["clientCertRequired"] = _requires_client_cert(endpoint, timeout)
    except OSError as err:  # refused, unreachable, no such host: no verdict
        record.pop("plaintextAccepted", None)
        record["error"] = f"cannot connect to {endpoint.host}:{endpoint.port}: {err.strerror or err}"
    return record


def _accepts_plaintext(endpoint: Endpoint, timeout: float) -> bool:
    with socket.create_connection((endpoint.host, endpoint.port), timeout=timeout) as conn:
        try:
            conn.sendall(f"GET / HTTP/1.1\r\nHost: {endpoint.host}\r\nConnection: close\r\n\r\n".encode())
            first = conn.recv(1)
        except (ConnectionResetError, BrokenPipeError):
            return False
        except socket.timeout:
            return True  # it took the connection and waited for more: not refused
    return bool(first) and first[0] not in _TLS_RECORD_TYPES


def _requires_client_cert(endpoint: Endpoint, timeout: float) -> bool:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # who the server is is not the question here
    with socket.create_connection((endpoint.host, endpoint.port), timeout=timeout) as raw:
        try:
            with context.wrap_socket(raw, server_hostname=endpoint.host) as tls:
                tls.sendall(b"\0")  # TLS 1.3: the refusal comes after the client's Finished
                tls.recv(1)
        except ssl.SSLError as err:
            # No TLS at all (a plaintext server): nothing is required. Otherwise the handshake
            # or the first read was refused for want of a certificate.
            return err.reason not in ("WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG")
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False  # the handshake completed and the server waits for a request
    return False


def probe_tls(endpoints: list[Endpoint], pods: list[dict[str, Any]] | None = None,
              name: str = "tls", timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
    """A ClusterProbeSnapshot with `tlsProbes` (and `pods`, when the cluster's were read: without
    them the snapshot says nothing of the running pods, and KZ-MTL-03 cannot pass)."""
    from kaze_policy.probes import snapshot

    fields: dict[str, Any] = {"tlsProbes": [probe_endpoint(e, timeout) for e in endpoints]}
    if pods is not None:
        fields["pods"] = pods
    return snapshot("ClusterProbeSnapshot", name, **fields)


def running_pods(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The `pods` of a ClusterProbeSnapshot from the Pod objects of a live read."""
    pods = []
    for pod in objects:
        metadata, spec, status = pod.get("metadata") or {}, pod.get("spec") or {}, pod.get("status") or {}
        containers = [c.get("name") for c in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]
                      if isinstance(c, dict)]
        pods.append({"namespace": metadata.get("namespace"), "name": metadata.get("name"), "containers": containers,
                     "phase": status.get("phase", "Running")})
    return pods


# The namespaces whose services must be meshed: a tenant's, and the shared plane's.
TENANT_LABEL, PLANE_LABEL, SHARED_PLANE = "kaze.io/tenant", "kaze.io/plane", "shared"


def service_endpoints(resources: list[Any]) -> list[Endpoint]:
    """Every TCP port of every Service in a tenant or shared-plane namespace of a live read, at
    its cluster DNS name (`--tls-probe auto`, from inside the cluster: `<svc>.<ns>.svc`)."""
    meshed = set()
    for r in resources:
        labels = ((r.obj.get("metadata") or {}).get("labels") or {}) if r.kind == "Namespace" else {}
        if labels.get(TENANT_LABEL) or labels.get(PLANE_LABEL) == SHARED_PLANE:
            meshed.add(r.name)
    endpoints = []
    for r in resources:
        if r.kind != "Service" or r.namespace not in meshed:
            continue
        spec = r.obj.get("spec") or {}
        if spec.get("type") == "ExternalName" or spec.get("clusterIP") == "None":
            continue  # no port of its own to probe (another name, or the pods' own addresses)
        for port in spec.get("ports") or []:
            if isinstance(port, dict) and port.get("protocol", "TCP") == "TCP" and isinstance(port.get("port"), int):
                endpoints.append(Endpoint(r.namespace, r.name, f"{r.name}.{r.namespace}.svc", port["port"]))
    return endpoints
