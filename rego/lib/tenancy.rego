# METADATA
# title: Tenancy helpers
# description: >-
#   Which tenant or plane a namespace belongs to, and the configuration. Per-object rules
#   import this package, and regorus evaluates every rule of an imported package on each
#   object: keep only cheap rules here; rules that walk the inventory go in kaze.lib.inventory.
package kaze.lib.tenancy

import rego.v1

# METADATA
# title: tenant_label
# description: The label that gives a namespace to a tenant.
tenant_label := "kaze.io/tenant"

# METADATA
# title: plane_label
# description: The label that puts a namespace in a plane (shared, platform).
plane_label := "kaze.io/plane"

_namespace_info(ns) := object.get(data.inventory.namespaces, ns, {"labels": {}, "tenant": null, "plane": null})

# METADATA
# title: tenant_of
# description: The tenant a namespace belongs to (by its label); undefined for none.
tenant_of(ns) := t if {
	t := _namespace_info(ns).tenant
	is_string(t)
}

# METADATA
# title: owner_of
# scope: document
# description: >-
#   The tenant of a namespace: its kaze.io/tenant label, or else the configuration's
#   tenants[].namespaces when they give it to one tenant only; undefined for none.
owner_of(ns) := tenant_of(ns)

owner_of(ns) := t if {
	not tenant_of(ns)
	declared := {tenant.name |
		some tenant in object.get(config, "tenants", [])
		ns in object.get(tenant, "namespaces", [])
	}
	count(declared) == 1
	some t in declared
}

# METADATA
# title: is_tenant_namespace
# description: The namespace belongs to a tenant.
is_tenant_namespace(ns) if tenant_of(ns)

# METADATA
# title: is_shared_namespace
# description: The namespace is in the shared plane.
is_shared_namespace(ns) if _namespace_info(ns).plane == "shared"

# METADATA
# title: is_workload_namespace
# scope: document
# description: >-
#   Tenant and shared-plane namespaces run tenant work: the strictest controls apply there.
is_workload_namespace(ns) if is_tenant_namespace(ns)

is_workload_namespace(ns) if is_shared_namespace(ns)

# METADATA
# title: config
# scope: document
# description: kaze-policy.yaml, or {} when the target has none (see has_config).
default config := {}

config := c if {
	c := data.inventory.config
	is_object(c)
}

# METADATA
# title: tenants
# description: The tenants kaze-policy.yaml declares ([] without).
tenants := object.get(config, "tenants", [])

# METADATA
# title: cell_mode
# description: The cell's mode (customer-vpc or agency) in kaze-policy.yaml; null when it says none.
cell_mode := object.get(config, ["cell", "mode"], null)

# METADATA
# title: has_config
# description: The target has a kaze-policy.yaml.
has_config if is_object(data.inventory.config)
