"""The mutation suite: every mutation of the shipped stack must be caught by the control it names.

The kill rate over all mutations is printed (run with -s, or see the captured output); a
mutation whose control is not written yet counts as not caught.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kaze_policy.catalog import load_catalog
from tests.conftest import INFRA
from tests.mutation.harness import MaterializedStack, render_report, run_mutations
from tests.mutation.mutations import MUTATIONS


def test_at_least_three_mutations_per_family() -> None:
    families: dict[str, int] = {}
    for mutation in MUTATIONS:
        families[mutation.family] = families.get(mutation.family, 0) + 1
    assert set(families) == {"TEN", "EGR", "MTL", "SUP", "SOD", "SEC", "AUD", "POR"}
    thin = {f: n for f, n in families.items() if n < 3}
    assert thin == {}, f"families with fewer than three mutations: {thin}"


def test_mutations_are_caught(tmp_path: Path, kustomize: str, capsys: pytest.CaptureFixture[str]) -> None:
    catalog = load_catalog()
    stack = MaterializedStack(INFRA, tmp_path / "stack")
    outcomes = run_mutations(stack, MUTATIONS, catalog, tmp_path / "mutants")
    report = render_report(outcomes)
    with capsys.disabled():
        print("\n" + report)
    missed = [o.mutation.name for o in outcomes if not o.killed]
    assert missed == [], report


def test_every_mutation_names_the_resource_its_finding_must_name() -> None:
    assert [m.name for m in MUTATIONS if not m.names] == []


def _one_cell_stack(tmp_path: Path) -> MaterializedStack:
    """A stack of one rendered cell (two compliant agents of tenant-acme), without kustomize."""
    import copy

    import yaml

    from tests.conftest import FIXTURES

    case = FIXTURES / "KZ-TEN-05" / "fail" / "hostnetwork-deployment"
    docs = [d for f in sorted(case.glob("*.yaml")) if f.name != "expect.yaml" for d in yaml.safe_load_all(f.read_text()) if d]
    agent = next(d for d in docs if d["kind"] == "Deployment")
    agent["spec"]["template"]["spec"].pop("hostNetwork")
    helper = copy.deepcopy(agent)
    helper["metadata"]["name"] = "helper"
    cell = tmp_path / "base" / "cell"
    cell.mkdir(parents=True)
    (cell / "rendered.yaml").write_text(yaml.safe_dump_all([*docs, helper], sort_keys=False))
    (cell / "kaze-policy.yaml").write_text((FIXTURES / "kaze-policy.yaml").read_text())
    stack = MaterializedStack.__new__(MaterializedStack)
    stack.infra, stack.base, stack.targets = INFRA, tmp_path / "base", ["cell"]
    return stack


def test_a_mutation_is_caught_only_by_a_finding_on_the_resource_it_names(tmp_path: Path) -> None:
    """The control failing is not enough: its finding must be on the mutated resource."""
    from tests.mutation.harness import Mutation

    def host_network(docs: list[dict]) -> None:
        next(d for d in docs if d["metadata"]["name"] == "agent")["spec"]["template"]["spec"]["hostNetwork"] = True

    mutations = [Mutation("agent-on-host-network", "KZ-TEN-05", "cell", docs=host_network,
                          names="Deployment/tenant-acme/agent"),
                 Mutation("helper-on-host-network", "KZ-TEN-05", "cell", docs=host_network,
                          names="Deployment/tenant-acme/helper")]
    right, wrong = run_mutations(_one_cell_stack(tmp_path), mutations, load_catalog(), tmp_path / "mutants",
                                 controls=["KZ-TEN-05"])
    assert (right.killed, right.control_status, right.note) == (True, "fail", "")
    assert (wrong.killed, wrong.control_status) == (False, "fail")
    assert wrong.note == "no finding names Deployment/tenant-acme/helper; findings name ['Deployment/tenant-acme/agent']"
