# METADATA
# title: How findings name resources
# description: >-
#   The words a finding uses for an inventory resource: "namespace/name", or
#   "Kind namespace/name" from its inventory id. Functions only, each reading at most one
#   resource: per-object rules may import this package.
package kaze.lib.naming

import rego.v1

# METADATA
# title: display
# scope: document
# description: >-
#   An inventory resource record as namespace/name, or its name alone when it has no
#   namespace (a cluster-scoped object, a Terraform resource).
display(r) := concat("/", [r.namespace, r.name]) if is_string(r.namespace)

display(r) := r.name if not is_string(r.namespace)

# METADATA
# title: describe
# scope: document
# description: >-
#   A resource by its inventory id, as "Kind namespace/name" ("Kind name" without a
#   namespace); the id itself when the inventory holds no such resource.
describe(id) := sprintf("%s %s/%s", [r.kind, r.namespace, r.name]) if {
	r := data.inventory.resources[id]
	is_string(r.namespace)
}

describe(id) := sprintf("%s %s", [r.kind, r.name]) if {
	r := data.inventory.resources[id]
	not is_string(object.get(r, "namespace", null))
}

describe(id) := id if not data.inventory.resources[id]
