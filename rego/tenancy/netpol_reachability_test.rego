package kaze.tenancy.netpol_reachability_test

import rego.v1

import data.kaze.tenancy.netpol_reachability

resources := {
	"Deployment/tenant-a/agent": {
		"id": "Deployment/tenant-a/agent", "kind": "Deployment",
		"namespace": "tenant-a", "name": "agent",
	},
	"Deployment/tenant-b/agent": {
		"id": "Deployment/tenant-b/agent", "kind": "Deployment",
		"namespace": "tenant-b", "name": "agent",
	},
	"Deployment/shared/gateway": {
		"id": "Deployment/shared/gateway", "kind": "Deployment",
		"namespace": "shared", "name": "gateway",
	},
}

a_to_b := {
	"src_tenant": "a", "dst_tenant": "b",
	"src": "Deployment/tenant-a/agent", "dst": "Deployment/tenant-b/agent",
	"protocol": "TCP", "port": 8080,
	"policies": ["NetworkPolicy/tenant-a/egress-all", "NetworkPolicy/tenant-b/ingress-all"],
}

a_to_gateway := {
	"src_tenant": "a", "dst_tenant": null, "dst_plane": "shared",
	"src": "Deployment/tenant-a/agent", "dst": "Deployment/shared/gateway",
	"protocol": "TCP", "port": "8000-8442",
	"policies": ["NetworkPolicy/tenant-a/to-gateway", "NetworkPolicy/shared/from-tenants"],
}

inv(tenant_violations, shared_undeclared) := {
	"resources": resources,
	"facts": {"netpol": {"tenant_violations": tenant_violations, "shared_undeclared": shared_undeclared}},
}

test_cross_tenant_connection_names_the_source if {
	vs := netpol_reachability.violation with data.inventory as inv([a_to_b], [])
	count(vs) == 1
	some v in vs
	v.resource == "Deployment/tenant-a/agent"
	v.evidence.dst == "Deployment/tenant-b/agent"
	v.evidence.policies == a_to_b.policies
	contains(v.msg, "Deployment tenant-b/agent of tenant b")
	contains(v.msg, "TCP port 8080")
}

test_undeclared_shared_port_fails if {
	some v in netpol_reachability.violation with data.inventory as inv([], [a_to_gateway])
	v.resource == "Deployment/tenant-a/agent"
	v.evidence.dst_plane == "shared"
	contains(v.msg, "TCP ports 8000-8442")
}

test_isolated_tenants_pass if {
	count(netpol_reachability.violation) == 0 with data.inventory as inv([], [])
	count(netpol_reachability.errors) == 0 with data.inventory as inv([], [])
}

test_witness_without_policies_says_so if {
	w := object.union(a_to_b, {"policies": []})
	some v in netpol_reachability.violation with data.inventory as inv([w], [])
	contains(v.msg, "not isolated")
}

test_missing_facts_is_an_error if {
	count(netpol_reachability.errors) == 1 with data.inventory as {"resources": {}, "facts": {}}
}

test_incomplete_facts_is_an_error if {
	inv := {"resources": {}, "facts": {"netpol": {"tenant_violations": []}}}
	some e in netpol_reachability.errors with data.inventory as inv
	contains(e, "shared_undeclared")
}
