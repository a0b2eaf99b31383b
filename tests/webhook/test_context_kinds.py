"""The webhook's context (serve.CONTEXT_KINDS) is all that its controls' rules read.

For every fixture case of every admission control, each object the controls judge is decided
twice: with the whole case as context (what the scan sees) and with only the context kinds
(what the webhook watches; the object under review arrives in the request). The verdicts must
be equal: a rule that starts reading another kind fails this test, not a cluster.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kaze_policy.catalog import load_catalog
from kaze_policy.engine import create_engine
from kaze_policy.inventory import KNOWN_POD_TEMPLATES, Inventory, template_key
from kaze_policy.scan import ScanOptions, load_inventories
from kaze_policy.sources.cluster import ClusterRead
from kaze_policy.webhook.decider import Decider
from kaze_policy.webhook.review import parse_review
from kaze_policy.webhook.serve import CONTEXT_KINDS
from kaze_policy.webhook.settings import AdmissionSettings
from tests.conftest import FIXTURES
from tests.webhook.support import review

CATALOG = load_catalog()
COMPILED = create_engine("embedded")
COMPILED.load_policies(CATALOG.policy_files)
CONTROLS = [c for c in CATALOG.controls if "admission" in c.scopes and c.per_object]
JUDGED = {kind for c in CONTROLS for kind in c.kinds}
# Failing cases the webhook admits by design: at admission, a Secret is left to the controllers
# that fill it (KZ-SEC-04 judges the Secrets of a repository, and workloads everywhere).
ADMITTED = {"KZ-SEC-04/secret-with-data", "KZ-SEC-04/secret-with-stringdata"}
CASES = sorted(p for c in CONTROLS for verdict in ("fail", "pass") for p in (FIXTURES / c.id / verdict).iterdir()
               if p.is_dir())


def _decider(inventory: Inventory, keep: frozenset[str] | None) -> Decider:
    decider = Decider(CATALOG, AdmissionSettings(), inventory.config, inventory.config_file, COMPILED)
    context = Inventory(target=inventory.target, config=inventory.config, scopes={"cluster"})
    context.add([r for r in inventory.resources if keep is None or r.kind in keep])
    decider.set_context(ClusterRead(context))
    return decider


@pytest.mark.parametrize("case", CASES, ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}/{p.name}")
def test_the_context_kinds_give_the_verdicts_of_the_whole_inventory(case: Path) -> None:
    loaded = load_inventories(ScanOptions(paths=[str(case)], workers=1))
    found: set[str] = set()
    judged: list = []
    for inventory in loaded.inventories:
        judged = [r for r in inventory.resources if r.source in ("kubernetes", "kustomize") and (
            r.kind in JUDGED or template_key(r.api_version, r.kind) in KNOWN_POD_TEMPLATES)]
        if not judged:
            continue
        whole, context = _decider(inventory, None), _decider(inventory, CONTEXT_KINDS)
        for resource in judged:
            request = parse_review(_body(resource.obj))
            expected = [(v.control.id, v.message) for v in whole.decide(request).violations]
            assert [(v.control.id, v.message) for v in context.decide(request).violations] == expected, resource.id
            found.update(control for control, _ in expected)
    control, verdict = case.parent.parent.name, case.parent.name
    if verdict == "fail" and judged and f"{control}/{case.name}" not in ADMITTED:
        assert control in found, f"{case} judged at admission does not fail {control}"


def _body(obj: dict) -> bytes:
    import json
    return json.dumps(review(obj)).encode()
