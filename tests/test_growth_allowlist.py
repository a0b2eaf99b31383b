"""Growth guards of the egress allowlists (issue 9: 100,000 entries took 29 s): the
configuration's validation and facts, KZ-EGR-03/04 in a scan, and one `decide egress`,
each at N and 8N entries in one run (tests/linearity.py)."""

from __future__ import annotations

from typing import Any, Iterator

import pytest

from kaze_policy.analysis.allowlist import allowlist_facts
from kaze_policy.catalog import load_catalog
from kaze_policy.config import MAX_ALLOWLIST_ENTRIES, validate_config
from kaze_policy.decide import decide, egress_data
from kaze_policy.engine import create_engine
from kaze_policy.engine.base import Engine
from tests.linearity import FACTOR, assert_linear

PER_TENANT = 10
VERTICALS = 5


def allowlists(n: int) -> dict[str, Any]:
    """n entries over n/10 tenants (names, wildcards and CIDRs), each vertical with one more."""
    def entry(k: int) -> dict[str, Any]:
        destination = ({"cidr": f"198.51.{k % 256}.0/24"} if k % 3 == 0 else
                       {"fqdn": f"*.h{k}.acme-corp.example"} if k % 3 == 1 else {"fqdn": f"h{k}.acme-corp.co.uk"})
        return {**destination, "ports": [443], "owner": "acme-integrations", "reason": "why"}

    tenants = [{"name": f"t{t}", "vertical": f"v{t % VERTICALS}",
                "egress": [entry(t * PER_TENANT + i) for i in range(PER_TENANT)]}
               for t in range(n // PER_TENANT - 1)]
    verticals = {f"v{j}": {"egress": [entry(n + j)]} for j in range(VERTICALS)}
    return {"apiVersion": "kaze.io/v1", "kind": "KazePolicyConfig", "tenants": tenants, "verticals": verticals}


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    with create_engine("embedded", None) as rego:
        rego.load_policies(load_catalog().policy_files)
        yield rego


def test_configuration_validation_and_facts_grow_linearly() -> None:
    n = MAX_ALLOWLIST_ENTRIES // FACTOR  # 8N is the most a configuration may hold

    def run(value: dict[str, Any]) -> None:
        validate_config(value, "kaze-policy.yaml")
        allowlist_facts(value)

    # Never past the limit, however fast the machine (its calibration doubles a quick N).
    assert_linear(allowlists, run, n, max_n=MAX_ALLOWLIST_ENTRIES)


def test_the_allowlist_controls_grow_linearly(engine: Engine) -> None:
    def build(n: int) -> dict[str, Any]:
        return egress_data(allowlists(n))

    def run(data: dict[str, Any]) -> None:
        engine.set_data(data)
        for package in ("allowlist_config", "url_allowlist"):
            assert engine.query(f"data.kaze.egress.{package}.violation") == []

    assert_linear(build, run, 250)


def test_one_decision_grows_linearly() -> None:
    """The last tenant, which holds every entry, and hosts that none matches: every tenant and
    every entry is looked at. Each size has its own engine, its data loaded outside the timing."""
    engines: list[Engine] = []

    def build(n: int) -> tuple[Engine, str]:
        value = allowlists(n)
        value["tenants"][-1]["egress"] = [e for t in value["tenants"] for e in t["egress"]]
        rego = create_engine("embedded", None)
        engines.append(rego)
        rego.load_policies(load_catalog().policy_files)
        rego.set_data(egress_data(value))
        return rego, value["tenants"][-1]["name"]

    urls = [f"https://{host}/" for host in ("api.example", "203.0.113.9", "x.acme-corp.example", "h1.acme-corp.example")]

    def run(built: tuple[Engine, str]) -> None:
        rego, tenant = built
        for url in urls:
            assert decide(rego, tenant, url)["allow"] is False

    try:
        assert_linear(build, run, 250)
    finally:
        for rego in engines:
            rego.close()
