package kaze.lib.inventory_test

import rego.v1

import data.kaze.lib.inventory
import data.kaze.testing.inventory as build

namespaces := {
	"tenant-a": {"tenant": "a", "declared": true},
	"tenant-b": {"tenant": "b", "declared": false},
	"shared": {"tenant": null, "plane": "shared", "declared": true},
}

test_tenant_namespaces_are_the_declared_ones_of_a_tenant if {
	inventory.tenant_namespaces == {"tenant-a"} with data.inventory.namespaces as namespaces
}

test_resources_in_reads_one_namespace_of_one_kind if {
	agent := build.resource("Deployment", "tenant-a", "agent", {})
	quota := build.resource("ResourceQuota", "tenant-a", "quota", {})
	other := build.resource("Deployment", "tenant-b", "agent", {})
	inv := build.of([agent, quota, other])
	inventory.resources_in("tenant-a", "Deployment") == [agent] with data.inventory as inv
	inventory.resources_in("tenant-c", "Deployment") == [] with data.inventory as inv
}
