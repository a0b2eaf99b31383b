# METADATA
# title: Tenancy helpers
# description: >-
#   Which tenant or plane a namespace belongs to, and the configuration. Per-object rules
#   import this package, and regorus evaluates every rule of an imported package on each
#   object: keep only cheap rules here; rules that walk the inventory go in kaze.lib.inventory.
package kaze.lib.tenancy

import rego.v1

tenant_label := "kaze.io/tenant"

plane_label := "kaze.io/plane"

namespace_info(ns) := object.get(data.inventory.namespaces, ns, {"labels": {}, "tenant": null, "plane": null})

tenant_of(ns) := t if {
	t := namespace_info(ns).tenant
	is_string(t)
}

is_tenant_namespace(ns) if tenant_of(ns)

is_shared_namespace(ns) if namespace_info(ns).plane == "shared"

# Tenant and shared-plane namespaces run tenant work: the strictest controls apply there.
is_workload_namespace(ns) if is_tenant_namespace(ns)

is_workload_namespace(ns) if is_shared_namespace(ns)

# config is kaze-policy.yaml, or {} when the target has none (see has_config).
default config := {}

config := c if {
	c := data.inventory.config
	is_object(c)
}

has_config if is_object(data.inventory.config)
