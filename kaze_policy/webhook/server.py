"""`kaze-policy serve`: the webhook application behind uvicorn, over TLS, with its context.

uvicorn was chosen over granian by measurement (docs/webhook.md), and for a property granian
lacks: its TLS context is Python's own `ssl.SSLContext`, so a certificate that cert-manager
rotates on disk is loaded into the running context (new handshakes use it, connections open
keep theirs) with no restart and no dropped request.
"""

from __future__ import annotations

import asyncio
import logging
import os
import ssl
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from kaze_policy.webhook.metrics import WebhookMetrics

CERT_POLL_SECONDS = 1.0
log = logging.getLogger("kaze_policy.webhook")


@dataclass(frozen=True)
class Listen:
    host: str
    port: int
    cert: Path
    key: Path
    metrics_port: int = 0  # plain-HTTP /metrics for Prometheus; 0: only on the HTTPS port


def check_key_pair(cert: Path, key: Path) -> None:
    """Load the pair once (raising ssl.SSLError or OSError): a bad pair stops `serve` at start."""
    ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(str(cert), str(key))


class CertificateReloader:
    """Watches the certificate and key files; when they change, loads them into the live context.

    cert-manager (through the kubelet's atomic symlink swap of the Secret's volume) writes both
    at once; a pair caught half-written does not load, and is tried again at the next poll
    while the old pair keeps serving."""

    def __init__(self, context: ssl.SSLContext, cert: Path, key: Path, metrics: WebhookMetrics) -> None:
        self._context, self._cert, self._key, self._metrics = context, cert, key, metrics
        self._seen = self._stamp()

    def _stamp(self) -> tuple[Any, ...]:
        stamps = []
        for path in (self._cert, self._key):
            try:
                st = os.stat(path)
                stamps.append((st.st_ino, st.st_mtime_ns, st.st_size))
            except OSError:
                stamps.append(None)
        return tuple(stamps)

    def poll(self) -> bool:
        stamp = self._stamp()
        if stamp == self._seen:
            return False
        try:
            check_key_pair(self._cert, self._key)
            self._context.load_cert_chain(str(self._cert), str(self._key))
        except (ssl.SSLError, OSError) as err:
            log.warning("the changed certificate %s does not load yet (%s); the previous one serves", self._cert, err)
            return False
        self._seen = stamp
        self._metrics.certificate_reloads.inc()
        log.info("certificate %s reloaded", self._cert)
        return True

    async def run(self) -> None:
        while True:
            await asyncio.sleep(CERT_POLL_SECONDS)
            self.poll()


def run_server(app: Any, listen: Listen, metrics: WebhookMetrics) -> None:
    """Serve until SIGTERM or SIGINT (uvicorn's graceful shutdown: requests in flight are answered)."""
    import uvicorn

    config = uvicorn.Config(app, host=listen.host, port=listen.port, ssl_certfile=str(listen.cert),
                            ssl_keyfile=str(listen.key), http="httptools", loop="none", lifespan="on",
                            access_log=False, log_level="info", timeout_keep_alive=75,
                            log_config=None, server_header=False)
    config.load()
    if listen.metrics_port:
        from prometheus_client import start_http_server
        start_http_server(listen.metrics_port, addr=listen.host, registry=metrics.registry)
    server = uvicorn.Server(config)
    reloader = CertificateReloader(config.ssl, listen.cert, listen.key, metrics)

    async def main() -> None:
        watcher = asyncio.create_task(reloader.run())
        try:
            await server.serve()
        finally:
            watcher.cancel()

    _run(main)


def _run(main: Callable[[], Any]) -> None:
    """On uvloop where it is installed (the faster loop), else on asyncio's own."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(main())
        return
    uvloop.run(main())


def configure_logging() -> None:
    """The server's own lines (and uvicorn's) on stderr; stdout is the decision log's."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for name in ("kaze_policy.webhook", "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(logging.INFO)
        logger.propagate = False
