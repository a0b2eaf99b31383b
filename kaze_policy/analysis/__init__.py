"""Analyzers compute what Rego is bad at (reachability, effective permissions, Vault ACLs)
and hand it to the policies as `data.inventory.facts`."""

from __future__ import annotations

import importlib
from typing import Any

from kaze_policy.inventory import Inventory

# facts key → analyzer module; each module exposes analyze(resources, config) -> dict.
ANALYZERS = {"netpol": "netpol", "rbac": "rbac", "vault_acl": "vault_acl"}


def add_facts(inventory: Inventory) -> None:
    resources = [r.to_json() for r in inventory.resources]
    for key, module_name in ANALYZERS.items():
        try:
            module = importlib.import_module(f"kaze_policy.analysis.{module_name}")
        except ModuleNotFoundError:
            continue  # not built yet; controls that need these facts report an error
        facts: dict[str, Any] = module.analyze(resources, inventory.config)
        inventory.facts[key] = facts
