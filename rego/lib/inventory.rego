# METADATA
# title: Inventory helpers for cross-resource controls
# description: >-
#   Rules that walk the whole inventory. Only cross-resource controls import this package:
#   per-object rules must not, or every object would pay for the walk.
package kaze.lib.inventory

import rego.v1

# METADATA
# title: tenant_namespaces
# description: The tenant namespaces whose Namespace object is among the scanned resources.
tenant_namespaces contains ns if {
	some ns, info in data.inventory.namespaces
	info.declared
	is_string(info.tenant)
}

# METADATA
# title: resources_in
# description: The resources of a kind in one namespace, through the namespace index.
resources_in(ns, kind) := [r |
	some id in object.get(data.inventory.by_namespace, ns, [])
	r := data.inventory.resources[id]
	r.kind == kind
]
