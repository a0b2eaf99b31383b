package kaze.tenancy.netpol_default_deny_test

import rego.v1

import data.kaze.tenancy.netpol_default_deny

netpol(name, spec) := {
	"id": sprintf("NetworkPolicy/tenant-a/%s", [name]),
	"kind": "NetworkPolicy",
	"namespace": "tenant-a",
	"object": {"kind": "NetworkPolicy", "metadata": {"name": name, "namespace": "tenant-a"}, "spec": spec},
}

inventory(policies) := {
	"namespaces": {"tenant-a": {"tenant": "a", "plane": null, "labels": {}, "declared": true}},
	"by_namespace": {"tenant-a": [p.id | some p in policies]},
	"resources": {p.id: p | some p in policies},
}

deny_both := netpol("deny", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})

test_no_policy_fails if {
	some v in netpol_default_deny.violation with data.inventory as inventory([])
	v.resource == "Namespace/tenant-a"
	v.evidence.missing == ["Ingress", "Egress"]
}

test_deny_both_passes if {
	count(netpol_default_deny.violation) == 0 with data.inventory as inventory([deny_both])
}

test_two_policies_one_per_direction_pass if {
	policies := [
		netpol("in", {"podSelector": {}, "policyTypes": ["Ingress"]}),
		netpol("out", {"podSelector": {}, "policyTypes": ["Egress"]}),
	]
	count(netpol_default_deny.violation) == 0 with data.inventory as inventory(policies)
}

test_default_policy_types_cover_ingress_only if {
	some v in netpol_default_deny.violation with data.inventory as inventory([netpol("d", {"podSelector": {}})])
	v.evidence.missing == ["Egress"]
}

test_policy_with_rules_is_not_a_deny if {
	allow_all := netpol("d", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"], "egress": [{}]})
	some v in netpol_default_deny.violation with data.inventory as inventory([allow_all])
	v.evidence.missing == ["Egress"]
}

test_policy_selecting_some_pods_is_not_a_deny if {
	partial := netpol("d", {"podSelector": {"matchLabels": {"app": "x"}}, "policyTypes": ["Ingress", "Egress"]})
	count(netpol_default_deny.violation) == 1 with data.inventory as inventory([partial])
}

test_empty_egress_list_without_policy_types_is_ingress_only if {
	p := netpol("d", {"podSelector": {}, "ingress": [], "egress": []})
	some v in netpol_default_deny.violation with data.inventory as inventory([p])
	v.evidence.missing == ["Egress"]
}
