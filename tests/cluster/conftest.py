"""The session's live cluster: one etcd and one kube-apiserver for every test marked `cluster`.

`make mutation` runs each mutant in a pytest session of its own: it starts one API server for
the whole run and names it in KAZE_TEST_CLUSTER (tools/mutation/run.py), which the fixture then
uses instead of starting its own. The tests of such a server leave it as they found it, and
none assumes that it holds only what a fresh server holds.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Iterator

import pytest

from tests.cluster.apiserver import SHARED_CLUSTER, LiveCluster, running_cluster
from tests.conftest import require_tool


@pytest.fixture(scope="session")
def live_cluster() -> Iterator[LiveCluster]:
    """A ready API server (admin kubeconfig); skipped without the binaries, failed under CI=true."""
    shared = os.environ.get(SHARED_CLUSTER)
    if shared:
        named = json.loads(shared)
        yield LiveCluster(named["server"], Path(named["kubeconfig"]), Path(named["ca_file"]), 0.0)
        return
    etcd, apiserver = require_tool("etcd"), require_tool("kube-apiserver")
    with running_cluster(etcd, apiserver) as cluster:
        yield cluster
