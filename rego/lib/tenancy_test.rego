package kaze.lib.tenancy_test

import rego.v1

import data.kaze.lib.tenancy

namespaces := {
	"tenant-a": {"tenant": "a", "plane": null, "labels": {"kaze.io/tenant": "a"}},
	"shared": {"tenant": null, "plane": "shared", "labels": {"kaze.io/plane": "shared"}},
	"kube-system": {"tenant": null, "plane": null, "labels": {}},
}

test_labels if {
	tenancy.tenant_label == "kaze.io/tenant"
	tenancy.plane_label == "kaze.io/plane"
}

# Each namespace: its tenant (or none), and whether it is a tenant, shared or workload namespace.
test_namespace[ns] if {
	some ns, [tenants, kinds] in {
		"tenant-a": [{"a"}, {"tenant", "workload"}],
		"shared": [set(), {"shared", "workload"}],
		"kube-system": [set(), set()],
		"undeclared": [set(), set()],
	}
	{t | t := tenancy.tenant_of(ns)} == tenants with data.inventory.namespaces as namespaces
	tenant := {"tenant" | tenancy.is_tenant_namespace(ns)} with data.inventory.namespaces as namespaces
	shared := {"shared" | tenancy.is_shared_namespace(ns)} with data.inventory.namespaces as namespaces
	workload := {"workload" | tenancy.is_workload_namespace(ns)} with data.inventory.namespaces as namespaces
	union({tenant, shared, workload}) == kinds
}

test_config[name] if {
	some name, [config, want, has] in {
		"configured": [{"cell": {"mode": "agency"}}, {"cell": {"mode": "agency"}}, {true}],
		"no configuration": [null, {}, set()],
		"not an object": ["cell", {}, set()],
	}
	tenancy.config == want with data.inventory.config as config
	{true | tenancy.has_config} == has with data.inventory.config as config
}

# tenant-d is given to two tenants by the configuration: to neither.
owner_config := {"tenants": [
	{"name": "c", "namespaces": ["tenant-c", "tenant-d"]},
	{"name": "d", "namespaces": ["tenant-d"]},
]}

test_owner_of[ns] if {
	some ns, want in {
		"tenant-a": {"a"},
		"tenant-c": {"c"},
		"tenant-d": set(),
		"shared": set(),
	}
	owners := {t | t := tenancy.owner_of(ns)} with data.inventory as {"namespaces": namespaces, "config": owner_config}
	owners == want
}

test_tenants_and_cell_mode_of_the_configuration if {
	cfg := {"cell": {"name": "acme-vpc", "mode": "customer-vpc"}, "tenants": [{"name": "acme", "vertical": "legal"}]}
	tenancy.tenants == [{"name": "acme", "vertical": "legal"}] with data.inventory.config as cfg
	tenancy.cell_mode == "customer-vpc" with data.inventory.config as cfg
	tenancy.tenants == [] with data.inventory.config as null
	tenancy.cell_mode == null with data.inventory.config as {"tenants": []}
}
