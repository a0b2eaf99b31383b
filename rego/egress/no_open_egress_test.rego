package kaze.egress.no_open_egress_test

import rego.v1

import data.kaze.egress.no_open_egress

inv := {"namespaces": {"tenant-a": {"tenant": "a", "plane": null}, "infra": {"tenant": null, "plane": "system"}}}

policy(ns, egress) := {"kind": "NetworkPolicy", "metadata": {"name": "p", "namespace": ns}, "spec": {"podSelector": {}, "policyTypes": ["Egress"], "egress": egress}}

test_world_with_except_fails if {
	p := policy("tenant-a", [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}}]}])
	count(no_open_egress.violation) == 1 with input as {"id": "x", "object": p} with data.inventory as inv
}

test_rule_without_to_fails if {
	p := policy("tenant-a", [{"ports": [{"port": 443}]}])
	count(no_open_egress.violation) == 1 with input as {"id": "x", "object": p} with data.inventory as inv
}

test_narrow_cidr_passes if {
	p := policy("tenant-a", [{"to": [{"ipBlock": {"cidr": "203.0.113.0/24"}}], "ports": [{"port": 443}]}])
	count(no_open_egress.violation) == 0 with input as {"id": "x", "object": p} with data.inventory as inv
}

test_system_namespace_out_of_scope if {
	p := policy("infra", [{}])
	count(no_open_egress.violation) == 0 with input as {"id": "x", "object": p} with data.inventory as inv
}

test_cilium_world_entity_fails if {
	p := {"kind": "CiliumNetworkPolicy", "metadata": {"name": "c", "namespace": "tenant-a"}, "spec": {"egress": [{"toEntities": ["world"]}]}}
	count(no_open_egress.violation) == 1 with input as {"id": "x", "object": p} with data.inventory as inv
}
