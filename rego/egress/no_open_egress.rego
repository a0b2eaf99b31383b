# METADATA
# title: No egress rule in a tenant or shared namespace allows any destination
# description: >-
#   Agents may reach only allowlisted endpoints. An egress rule to 0.0.0.0/0 or ::/0
#   (even with exceptions), or an egress rule with no destination at all, opens every
#   address on the internet and defeats the allowlist.
# custom:
#   id: KZ-EGR-02
#   severity: critical
#   scopes: [iac, cluster, admission]
#   kinds: [NetworkPolicy, CiliumNetworkPolicy]
#   reference: "docs/requirements.md#egress-filtering"
#   remediation: >-
#     Replace the rule by rules to the allowlisted CIDRs (or FQDNs with a
#     CiliumNetworkPolicy toFQDNs), each with its ports.
#   frameworks:
#     soc2: [CC6.6]
#     iso27001: [A.8.20, A.8.22]
#     nist80053: [SC-7(5), AC-4]
package kaze.egress.no_open_egress

import rego.v1

import data.kaze.lib.k8s
import data.kaze.lib.tenancy

_open_cidrs := {"0.0.0.0/0", "::/0"}

_applies if tenancy.is_workload_namespace(k8s.namespace(input.object))

# Kubernetes NetworkPolicy: an egress rule without `to` allows every destination.
_open_destinations contains "an egress rule with no destination (to is empty or missing)" if {
	input.object.kind == "NetworkPolicy"
	some rule in object.get(input.object, ["spec", "egress"], [])
	count(object.get(rule, "to", [])) == 0
}

_open_destinations contains sprintf("an egress rule to ipBlock %s", [peer.ipBlock.cidr]) if {
	input.object.kind == "NetworkPolicy"
	some rule in object.get(input.object, ["spec", "egress"], [])
	some peer in object.get(rule, "to", [])
	peer.ipBlock.cidr in _open_cidrs
}

# CiliumNetworkPolicy: toCIDR / toCIDRSet to everything, or the entities world/all.
_open_destinations contains sprintf("an egress rule to CIDR %s", [cidr]) if {
	input.object.kind == "CiliumNetworkPolicy"
	some rule in object.get(input.object, ["spec", "egress"], [])
	some cidr in array.concat(
		object.get(rule, "toCIDR", []),
		[s.cidr | some s in object.get(rule, "toCIDRSet", [])],
	)
	cidr in _open_cidrs
}

_open_destinations contains sprintf("an egress rule to the entity %s", [entity]) if {
	input.object.kind == "CiliumNetworkPolicy"
	some rule in object.get(input.object, ["spec", "egress"], [])
	some entity in object.get(rule, "toEntities", [])
	entity in {"world", "all"}
}

violation contains v if {
	_applies
	some what in _open_destinations
	v := {
		"msg": sprintf(
			"%s %s/%s has %s: allow only the allowlisted CIDRs or FQDNs, each with its ports",
			[input.object.kind, k8s.namespace(input.object), k8s.name(input.object), what],
		),
		"resource": input.id,
		"evidence": {"destination": what},
	}
}
