package kaze.testing.inventory_test

import rego.v1

import data.kaze.testing.inventory

test_resource_fills_in_the_metadata if {
	r := inventory.resource("Deployment", "tenant-a", "agent", {"apiVersion": "apps/v1", "spec": {}})
	r.id == "Deployment/tenant-a/agent"
	r.object == {
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": {"name": "agent", "namespace": "tenant-a"}, "spec": {},
	}
}

test_cluster_scoped_resource_has_no_namespace if {
	r := inventory.resource("Namespace", null, "tenant-a", {})
	r.id == "Namespace/tenant-a"
	r.object.metadata == {"name": "tenant-a"}
	r.apiVersion == "v1"
}

test_of_indexes_by_kind_and_namespace if {
	a := inventory.resource("Deployment", "tenant-a", "agent", {})
	n := inventory.resource("Namespace", null, "tenant-a", {})
	inv := inventory.with_config([a, n], null)
	inv.by_kind == {"Deployment": [a.id], "Namespace": [n.id]}
	inv.by_namespace == {"tenant-a": [a.id]}
	inv.config == null
	inv.resources[a.id] == a
}
