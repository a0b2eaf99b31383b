"""`kaze-policy serve` put together: configuration, catalog, context, decider, app, server.

Everything that can be wrong with the command line or its files is found before the port
opens (a bad key pair, configuration or policy is one line and exit 2, or 3 for a cluster that
cannot be read), so that a pod that cannot serve never becomes ready.
"""

from __future__ import annotations

import gc
import json
import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, TextIO

from kaze_policy.catalog import load_catalog
from kaze_policy.config import load_config
from kaze_policy.errors import InputError, UsageError
from kaze_policy.sources.cluster import ClusterRead, ReadOptions, is_snapshot, load_snapshot
from kaze_policy.sources.files import read_bytes
from kaze_policy.webhook.app import DecisionLog, WebhookApp
from kaze_policy.webhook.decider import Decider
from kaze_policy.webhook.metrics import WebhookMetrics
from kaze_policy.webhook.server import Listen, check_key_pair, configure_logging, run_server
from kaze_policy.webhook.settings import admission_settings

log = logging.getLogger("kaze_policy.webhook")
MAX_SNAPSHOT_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True)
class ServeOptions:
    listen: Listen
    policies: Path
    config: Path | None = None
    cluster: ReadOptions | None = None  # the live context (list and watch)
    snapshot: Path | None = None  # or a ClusterSnapshot file
    workers: int = 2
    decision_log: Path | None = None  # default: stdout


# What the admission controls' rules read from `data.inventory` besides the object under review:
# the namespaces (tenant, plane and mesh labels), the claims a hostPath volume may be bound by
# (KZ-TEN-05), the Cilium policies that give a namespace mutual authentication (KZ-MTL-01/02).
# tests/webhook/test_context_kinds.py proves it enough: on every fixture of these controls, the
# verdicts with this context equal those with the whole inventory.
CONTEXT_KINDS = frozenset({"Namespace", "PersistentVolumeClaim", "CiliumNetworkPolicy"})


def build(options: ServeOptions, log_stream: TextIO) -> WebhookApp:
    """The application, its context read (a snapshot) or being kept current (a live cluster)."""
    if (options.cluster is None) == (options.snapshot is None):
        raise UsageError("serve reads the cluster's state from one place: --in-cluster, --kubeconfig FILE "
                         "or --snapshot FILE")
    try:
        check_key_pair(options.listen.cert, options.listen.key)
    except (OSError, ValueError) as err:
        raise InputError(f"not a usable certificate and key: {err}", str(options.listen.cert)) from None
    config = load_config(options.config) if options.config else None
    settings = admission_settings(config)
    decider = Decider(load_catalog(options.policies), settings, config, str(options.config) if options.config else None)
    metrics = WebhookMetrics()
    ready: Callable[[], bool] = lambda: decider.ready  # noqa: E731
    if options.snapshot is not None:
        decider.set_context(_snapshot(options.snapshot))
    else:
        from kaze_policy.sources.cluster_watch import ClusterWatch
        watch = ClusterWatch(options.cluster, CONTEXT_KINDS, decider.set_context)
        watch.start()  # connects and discovers now: an unreachable cluster stops serve here
        ready = lambda: decider.ready and watch.synced  # noqa: E731
    for control_id, why in decider.not_run.items():
        log.warning("%s is not run at admission: %s", control_id, why)
    app = WebhookApp(decider, ready, metrics, DecisionLog(log_stream), options.workers, settings.budget_seconds)
    return app


def _snapshot(path: Path) -> ClusterRead:
    shown = str(path)
    try:
        value = json.loads(read_bytes(path, MAX_SNAPSHOT_BYTES))
    except ValueError as err:
        raise InputError(f"not a JSON cluster snapshot ({err})", shown) from None
    if not is_snapshot(value):
        raise InputError("not a cluster snapshot (kaze-policy snapshot writes one)", shown)
    return load_snapshot(value, shown)


def serve(options: ServeOptions) -> None:
    configure_logging()
    stream: Any = sys.stdout
    if options.decision_log is not None:
        try:
            stream = open(options.decision_log, "a", encoding="utf-8")  # noqa: SIM115 (open for the server's life)
        except OSError as err:
            raise UsageError(f"--decision-log {options.decision_log}: {err.strerror}") from None
    app = build(options, stream)
    # What start-up built (the catalog, the compiled engine, the context) lives as long as the
    # process: out of the collector's sight, a full collection no longer walks it mid-request.
    gc.collect()
    gc.freeze()
    run_server(app, options.listen, app.metrics)
