"""The live API server of tests/cluster, for the probe tests that need one (the Vault probe's
Kubernetes login): a server of this folder's own in the session, as the webhook tests have."""

from tests.cluster.conftest import live_cluster  # noqa: F401 (a fixture)
