"""The session's live cluster: one etcd and one kube-apiserver for every test marked `cluster`."""

from __future__ import annotations

from typing import Iterator

import pytest

from tests.cluster.apiserver import LiveCluster, running_cluster
from tests.conftest import require_tool


@pytest.fixture(scope="session")
def live_cluster() -> Iterator[LiveCluster]:
    """A ready API server (admin kubeconfig); skipped without the binaries, failed under CI=true."""
    etcd, apiserver = require_tool("etcd"), require_tool("kube-apiserver")
    with running_cluster(etcd, apiserver) as cluster:
        yield cluster
