"""Analyzers compute what Rego is bad at (reachability, effective permissions, Vault ACLs,
what an allowlist entry opens) and hand it to the policies as `data.inventory.facts`."""

from __future__ import annotations

from kaze_policy.analysis import allowlist, netpol, rbac, vault_acl
from kaze_policy.inventory import Inventory

# facts key → analyzer; each exposes analyze(resources, config) -> dict.
ANALYZERS = {"netpol": netpol, "rbac": rbac, "vault_acl": vault_acl, "allowlist": allowlist}


def add_facts(inventory: Inventory) -> None:
    resources = [r.to_json() for r in inventory.resources]
    for key, module in ANALYZERS.items():
        inventory.facts[key] = module.analyze(resources, inventory.config)
