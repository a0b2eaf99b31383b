# METADATA
# title: Every tenant namespace has a ResourceQuota and a LimitRange
# description: >-
#   Tenants of a shared cell share its nodes. Without a ResourceQuota one tenant can take the
#   cell's CPU, memory, storage and pods, and without a LimitRange its containers run without
#   requests and limits: either way a noisy or compromised tenant degrades every other one,
#   and the blast radius of one tenant is no longer contained to that tenant.
# custom:
#   id: KZ-TEN-06
#   severity: medium
#   scopes: [iac, cluster]
#   reference: "docs/requirements.md#cells; docs/requirements.md#tenant-isolation"
#   remediation: >-
#     Add to the tenant namespace a ResourceQuota with hard limits (requests and limits of CPU
#     and memory, storage, pods) and a LimitRange with default requests and limits for
#     containers, as the tenant template does (infra/kubernetes/base/tenant/quota.yaml).
#   frameworks:
#     soc2: [A1.1]
#     iso27001: [A.8.6]
#     nist80053: [SC-5, SC-6]
package kaze.tenancy.quota_limits

import rego.v1

import data.kaze.lib.inventory

_kinds := ["ResourceQuota", "LimitRange"]

# A quota counts only when it limits something, a LimitRange only when it has limits.
_effective("ResourceQuota", r) if count(object.get(r.object, ["spec", "hard"], {})) > 0

_effective("LimitRange", r) if count(object.get(r.object, ["spec", "limits"], [])) > 0

# present, empty (only objects that limit nothing) or missing.
_state(_, found) := "missing" if count(found) == 0

_state(kind, found) := "present" if _any_effective(found, kind)

_state(kind, found) := "empty" if {
	count(found) > 0
	not _any_effective(found, kind)
}

_any_effective(found, kind) if {
	some r in found
	_effective(kind, r)
}

_problem_text(kind, "missing") := sprintf("no %s", [kind])

_problem_text("ResourceQuota", "empty") := "only ResourceQuotas without hard limits"

_problem_text("LimitRange", "empty") := "only LimitRanges without limits"

violation contains v if {
	some ns in inventory.tenant_namespaces
	problems := {kind: s |
		some kind in _kinds
		s := _state(kind, inventory.resources_in(ns, kind))
		s != "present"
	}
	count(problems) > 0
	v := {
		"msg": sprintf(
			concat("", [
				"Tenant namespace %s has %s: ",
				"add a ResourceQuota with hard limits and a LimitRange with default container requests and limits",
			]),
			[ns, concat(" and ", [_problem_text(kind, s) | some kind in _kinds; s := problems[kind]])],
		),
		"resource": sprintf("Namespace/%s", [ns]),
		"evidence": {"missing": [kind | some kind in _kinds; problems[kind]], "state": problems},
	}
}
