"""One API server per test module that registers the webhook (tests/webhook/live.py)."""

from __future__ import annotations

from typing import Iterator

import pytest

from tests.cluster.apiserver import LiveCluster, running_cluster
from tests.conftest import require_tool
from tests.webhook.live import grant_reader


@pytest.fixture(scope="module")
def cluster() -> Iterator[LiveCluster]:
    etcd, apiserver = require_tool("etcd"), require_tool("kube-apiserver")
    with running_cluster(etcd, apiserver) as live:
        grant_reader(live)
        yield live
