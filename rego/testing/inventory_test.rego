# METADATA
# title: Inventories for the catalog's tests
# description: >-
#   Builds data.inventory the way kaze_policy/inventory.py does (resources by id, the kind
#   and namespace indexes), so that a control's tests state only the objects they judge.
#   Test-only: it lies in a _test.rego file, which neither the scan nor the exports load.
package kaze.testing.inventory

import rego.v1

# METADATA
# title: id_of
# description: An inventory id, as the inventory writes it ("Kind/name" without a namespace).
# scope: document
id_of(kind, null, name) := sprintf("%s/%s", [kind, name])

id_of(kind, ns, name) := sprintf("%s/%s/%s", [kind, ns, name]) if ns != null

# METADATA
# title: resource
# description: >-
#   The inventory's record of a Kubernetes object: its id, apiVersion (v1 unless obj names
#   one), kind, namespace (null for a cluster-scoped object) and name, and the object itself
#   with that metadata filled in.
resource(kind, ns, name, obj) := {
	"id": id_of(kind, ns, name),
	"apiVersion": api,
	"kind": kind,
	"namespace": ns,
	"name": name,
	"object": object.union({"apiVersion": api, "kind": kind, "metadata": _metadata(ns, name)}, obj),
} if {
	api := object.get(obj, "apiVersion", "v1")
}

_metadata(null, name) := {"name": name}

_metadata(ns, name) := {"name": name, "namespace": ns} if ns != null

# METADATA
# title: of
# description: The inventory of these resources, with the kind and namespace indexes.
of(resources) := {
	"resources": {r.id: r | some r in resources},
	"by_kind": {kind: [r.id | some r in resources; r.kind == kind] | some kind in {r.kind | some r in resources}},
	"by_namespace": {ns: [r.id | some r in resources; r.namespace == ns] |
		some ns in {r.namespace | some r in resources; is_string(object.get(r, "namespace", null))}
	},
}

# METADATA
# title: with_config
# description: The inventory of these resources under a kaze-policy.yaml configuration (null for none).
with_config(resources, config) := object.union(of(resources), {"config": config})
