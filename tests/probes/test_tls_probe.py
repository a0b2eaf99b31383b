"""The mTLS probe against local servers on loopback: one that requires a client certificate
(TLS 1.3 and TLS 1.2), one that does not, one that speaks plaintext, and a closed port; and
the scan's KZ-MTL-03 verdict from what the probe saw."""

from __future__ import annotations

import json
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from kaze_policy.probes.tls import Endpoint, parse_endpoint, probe_endpoint
from tests.cluster.apiserver import free_port
from tests.conftest import run_cli
from tests.webhook.support import Pki, write_pki


class _Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"hello\n")

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def http_server(pki: Pki | None = None, client_cert: bool = False,
                maximum: ssl.TLSVersion = ssl.TLSVersion.TLSv1_3) -> Iterator[int]:
    """An HTTP server on loopback: plaintext, or TLS (requiring a client certificate or not)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    if pki is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.maximum_version = maximum
        context.load_cert_chain(pki.cert, pki.key)
        if client_cert:
            context.load_verify_locations(pki.ca)
            context.verify_mode = ssl.CERT_REQUIRED
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return write_pki(tmp_path_factory.mktemp("tls-probe"))


def _probe(port: int) -> dict:
    return probe_endpoint(Endpoint("tenant-acme", "agent", "127.0.0.1", port), timeout=2)


@pytest.mark.parametrize("maximum", [ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_2], ids=["tls1.3", "tls1.2"])
def test_a_port_that_requires_a_client_certificate(pki: Pki, maximum: ssl.TLSVersion) -> None:
    with http_server(pki, client_cert=True, maximum=maximum) as port:
        record = _probe(port)
    assert (record["plaintextAccepted"], record["clientCertRequired"]) == (False, True)


def test_a_tls_port_without_client_certificates(pki: Pki) -> None:
    with http_server(pki) as port:
        record = _probe(port)
    assert (record["plaintextAccepted"], record["clientCertRequired"]) == (False, False)


def test_a_plaintext_port() -> None:
    with http_server() as port:
        record = _probe(port)
    assert (record["plaintextAccepted"], record["clientCertRequired"]) == (True, False)


def test_a_port_that_takes_the_connection_and_says_nothing_accepts_plaintext() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    try:
        assert _probe(listener.getsockname()[1])["plaintextAccepted"] is True
    finally:
        listener.close()


def test_a_closed_port_gives_no_verdict() -> None:
    record = _probe(free_port())
    assert "plaintextAccepted" not in record and "clientCertRequired" not in record
    assert record["error"].startswith("cannot connect to 127.0.0.1:")


@pytest.mark.parametrize("text", ["acme/agent", "acme=host:1", "acme/agent=host", "acme/agent=host:0", "/a=h:1"])
def test_an_endpoint_is_namespace_service_host_port(text: str) -> None:
    with pytest.raises(ValueError):
        parse_endpoint(text)
    done = run_cli("scan", "--tls-probe", text)
    assert done.returncode == 2 and "--tls-probe" in done.stderr


def _mtl03(*args: str) -> tuple[int, dict]:
    done = run_cli("scan", *args, "--format", "json", "--no-progress", "--control", "KZ-MTL-03")
    (control,) = json.loads(done.stdout)["controls"]
    return done.returncode, control


def test_the_scan_fails_a_plaintext_port_and_errs_without_the_pods(pki: Pki, tmp_path: Path) -> None:
    with http_server() as plain, http_server(pki, client_cert=True) as mutual:
        code, control = _mtl03("--tls-probe", f"tenant-acme/agent=127.0.0.1:{plain}",
                               "--tls-probe", f"tenant-acme/gateway=127.0.0.1:{mutual}")
    # Without a cluster, nothing says which pods run: the control cannot pass, whatever the ports.
    assert code == 3 and control["status"] == "error"
    assert "has no pods list" in control["targets"][0]["reason"]


def test_auto_probes_every_tcp_port_of_the_tenant_and_shared_services() -> None:
    from kaze_policy.inventory import Origin
    from kaze_policy.probes.tls import service_endpoints
    from kaze_policy.sources.kubernetes import object_to_resource

    def namespace(name: str, labels: dict) -> dict:
        return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}

    def service(name: str, ns: str, spec: dict) -> dict:
        return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns}, "spec": spec}

    objects = [namespace("tenant-acme", {"kaze.io/tenant": "acme"}), namespace("runtime", {"kaze.io/plane": "shared"}),
               namespace("kube-system", {"kaze.io/plane": "system"}),
               service("agent", "tenant-acme", {"ports": [{"port": 8080}, {"port": 53, "protocol": "UDP"}]}),
               service("gateway", "runtime", {"ports": [{"port": 443, "protocol": "TCP"}]}),
               service("headless", "runtime", {"clusterIP": "None", "ports": [{"port": 9000}]}),
               service("dns", "kube-system", {"ports": [{"port": 53}]})]
    resources = [object_to_resource(o, Origin("live"), "cluster") for o in objects]
    assert [(e.namespace, e.service, e.host, e.port) for e in service_endpoints(resources)] == [
        ("tenant-acme", "agent", "agent.tenant-acme.svc", 8080), ("runtime", "gateway", "gateway.runtime.svc", 443)]


def test_auto_needs_a_cluster() -> None:
    done = run_cli("scan", "--tls-probe", "auto")
    assert done.returncode == 2 and "--tls-probe auto" in done.stderr
