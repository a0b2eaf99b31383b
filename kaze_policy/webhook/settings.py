"""How the webhook enforces each control, from kaze-policy.yaml `admission` (never from code)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DENY, WARN, DRYRUN = "deny", "warn", "dryrun"
MODES = (DENY, WARN, DRYRUN)
DEFAULT_BUDGET_SECONDS = 2.0


@dataclass(frozen=True)
class AdmissionSettings:
    """Enforcement per control (`deny` unless configured), the exempt namespaces, the budget."""

    enforcement: dict[str, str] = field(default_factory=dict)
    default: str = DENY
    exempt_namespaces: frozenset[str] = frozenset()
    budget_seconds: float = DEFAULT_BUDGET_SECONDS

    def mode(self, control_id: str) -> str:
        return self.enforcement.get(control_id, self.default)

    def exempt(self, namespace: str | None, kind: str, name: str) -> bool:
        """An object of an exempt namespace, or the exempt Namespace itself."""
        if kind == "Namespace":
            return name in self.exempt_namespaces
        return namespace is not None and namespace in self.exempt_namespaces


def admission_settings(config: dict[str, Any] | None) -> AdmissionSettings:
    """The `admission` section of a validated configuration (its schema fixed the shapes)."""
    section = (config or {}).get("admission") or {}
    enforcement = dict(section.get("enforcement") or {})
    default = enforcement.pop("default", DENY)
    return AdmissionSettings(enforcement=enforcement, default=default,
                             exempt_namespaces=frozenset(section.get("exemptNamespaces") or ()),
                             budget_seconds=float(section.get("timeoutSeconds") or DEFAULT_BUDGET_SECONDS))
