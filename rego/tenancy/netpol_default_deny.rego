# METADATA
# title: Every tenant namespace has a default-deny NetworkPolicy for ingress and egress
# description: >-
#   Kubernetes allows every connection to and from a pod until a NetworkPolicy selects it.
#   A default-deny policy over all pods of a tenant namespace, for both directions, makes
#   every allowed connection an explicit, reviewable exception; without it, a new workload
#   of the tenant is reachable from, and can reach, everything.
# custom:
#   id: KZ-TEN-02
#   severity: critical
#   scopes: [iac, cluster]
#   reference: "docs/requirements.md#zero-trust-network; docs/requirements.md#tenant-isolation"
#   remediation: >-
#     Add to the tenant namespace a NetworkPolicy with podSelector {} and policyTypes
#     [Ingress, Egress] and no rules (or one such policy per direction).
#   frameworks:
#     soc2: [CC6.1, CC6.6]
#     iso27001: [A.8.20, A.8.22]
#     nist80053: [SC-7, AC-4]
#     cis_kubernetes: ["5.3.2"]
package kaze.tenancy.netpol_default_deny

import rego.v1

import data.kaze.lib.inventory

# A policy that selects every pod of its namespace and allows nothing in a direction.
denies_all(policy, direction) if {
	spec := object.get(policy.object, "spec", {})
	object.get(spec, "podSelector", {}) == {}
	direction in policy_types(spec)
	count(object.get(spec, lower(direction), [])) == 0
}

policy_types(spec) := spec.policyTypes

# Without policyTypes, the API server adds Egress only when there is at least one egress
# rule: `egress: []` leaves egress unrestricted.
policy_types(spec) := ["Ingress", "Egress"] if {
	not spec.policyTypes
	count(object.get(spec, "egress", [])) > 0
}

policy_types(spec) := ["Ingress"] if {
	not spec.policyTypes
	count(object.get(spec, "egress", [])) == 0
}

has_default_deny(ns, direction) if {
	some policy in inventory.resources_in(ns, "NetworkPolicy")
	denies_all(policy, direction)
}

violation contains v if {
	some ns in inventory.tenant_namespaces
	missing := [d | some d in ["Ingress", "Egress"]; not has_default_deny(ns, d)]
	count(missing) > 0
	v := {
		"msg": sprintf(
			concat("", [
				"Tenant namespace %s has no default-deny NetworkPolicy for %s: ",
				"add a NetworkPolicy with podSelector {} and policyTypes %v and no rules",
			]),
			[ns, concat(" and ", missing), missing],
		),
		"resource": sprintf("Namespace/%s", [ns]),
		"evidence": {"missing": missing},
	}
}
