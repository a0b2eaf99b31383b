# METADATA
# title: Kubernetes helpers
# description: >-
#   Pod specs, containers and images of every workload kind, where they lie in the object,
#   and an object's labels, annotations, namespace and name. Per-object rules import this
#   package: it holds functions and constants only, and the two lookups that read the
#   inventory use its indexes.
package kaze.lib.k8s

import rego.v1

import data.kaze.lib.coerce

# Custom kinds that run pods are in data.inventory.pod_templates: "<API group>/<Kind>" → path of
# the pod template, as the inventory places them (kaze_policy/inventory.py: known kinds,
# kaze-policy.yaml podTemplates, any kind with one template.spec.containers). An Argo Rollout
# or a Knative Service is a workload.

# Kinds that run pods by their kind alone (`apps.kruise.io` StatefulSets too).
_builtin_workload_kinds := {
	"Pod", "Deployment", "StatefulSet", "DaemonSet",
	"ReplicaSet", "Job", "CronJob", "ReplicationController",
}

# METADATA
# title: workload_kinds
# description: >-
#   The names of the kinds that run pods: the built-in ones and the custom kinds of the
#   inventory's pod templates. A name alone: `Service` when Knative's is there (is_workload
#   tells them apart). Per-object rules read it for every object: without custom kinds it is
#   the default, a constant (the same set as the built-in kinds).
# scope: document
default workload_kinds := {
	"Pod", "Deployment", "StatefulSet", "DaemonSet",
	"ReplicaSet", "Job", "CronJob", "ReplicationController",
}

workload_kinds := _builtin_workload_kinds | {_kind_of_key(key) | some key, _ in data.inventory.pod_templates} if {
	count(data.inventory.pod_templates) > 0
}

_kind_of_key(key) := parts[count(parts) - 1] if parts := split(key, "/")

_api_group(obj) := "" if not contains(object.get(obj, "apiVersion", ""), "/")

_api_group(obj) := split(obj.apiVersion, "/")[0] if contains(obj.apiVersion, "/")

# _custom_template_path is where a custom kind keeps its pod template (undefined for the others).
_custom_template_path(obj) := data.inventory.pod_templates[sprintf("%s/%s", [_api_group(obj), obj.kind])] if {
	not obj.kind in _builtin_workload_kinds
}

# _pod_template is the pod a workload creates: its metadata and spec. Built-in kinds (by kind
# alone) by plain references: per-object rules read it for every object, keep that path cheap.
_pod_template(obj) := obj if obj.kind == "Pod"

_pod_template(obj) := obj.spec.jobTemplate.spec.template if obj.kind == "CronJob"

_pod_template(obj) := obj.spec.template if obj.kind in _template_kinds

_pod_template(obj) := template if {
	not obj.kind in _builtin_workload_kinds
	path := _custom_template_path(obj)
	template := _custom_template(obj, path)
}

_template_kinds := {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job"}

_custom_template(obj, path) := obj if path == []

_custom_template(obj, path) := template if {
	count(path) > 0
	template := object.get(obj, path, null)
	is_object(template)
}

# METADATA
# title: is_workload
# description: >-
#   Holds for an object that runs pods: a built-in workload kind, or a kind of the
#   inventory's pod templates in its API group (a Service of serving.knative.dev, not of v1).
# scope: document
is_workload(obj) if obj.kind in _builtin_workload_kinds

is_workload(obj) if _custom_template_path(obj)

# METADATA
# title: pod_spec
# description: The pod spec of any workload kind's pod template (undefined when it has none).
pod_spec(obj) := _pod_template(obj).spec

# METADATA
# title: pod_metadata
# description: The metadata of the pods a workload creates ({} when its template has none).
pod_metadata(obj) := object.get(_pod_template(obj), "metadata", {})

# METADATA
# title: container_fields
# description: The fields of a pod spec that list containers, in order; regular, init and ephemeral.
container_fields := ["initContainers", "containers", "ephemeralContainers"]

# METADATA
# title: containers
# description: The regular, init and ephemeral containers of a pod spec.
containers(spec) := [c |
	some field in container_fields
	some c in object.get(spec, field, [])
]

# METADATA
# title: pod_containers
# description: >-
#   The containers of a workload's pod template (regular, init and ephemeral) that are
#   objects, whatever malformed lists or entries a hand-written manifest holds.
pod_containers(obj) := [c |
	spec := pod_spec(obj)
	is_object(spec)
	some field in container_fields
	some c in coerce.as_list(object.get(spec, field, []))
	is_object(c)
]

# METADATA
# title: pod_spec_path
# description: >-
#   Where pod_spec(obj) lies in the object: the keys and indexes from its root. A finding's
#   evidence names the offending field by such a path (field_path), so that the report points
#   at the field's line. Defined wherever pod_spec is (the same cases).
# scope: document
pod_spec_path(obj) := ["spec"] if obj.kind == "Pod"

pod_spec_path(obj) := ["spec", "jobTemplate", "spec", "template", "spec"] if obj.kind == "CronJob"

pod_spec_path(obj) := ["spec", "template", "spec"] if obj.kind in _template_kinds

pod_spec_path(obj) := array.concat(path, ["spec"]) if {
	not obj.kind in _builtin_workload_kinds
	path := _custom_template_path(obj)
	_custom_template(obj, path)
}

# METADATA
# title: image_path
# description: >-
#   The path of the first container's image field that holds image ([]: the object itself,
#   for an image not found that way). Total: a violation never hangs on it.
image_path(obj, image) := _first_path([array.concat(pod_spec_path(obj), [field, i, "image"]) |
	some field in container_fields
	some i, c in object.get(pod_spec(obj), field, [])
	c.image == image
])

# METADATA
# title: pod_metadata_path
# description: >-
#   Where pod_metadata(obj) lies: beside the pod spec, in its template.
pod_metadata_path(obj) := array.concat(array.slice(path, 0, count(path) - 1), ["metadata"]) if {
	path := pod_spec_path(obj)
}

# METADATA
# title: container_path
# description: >-
#   The path of the first container named name ([]: none found that way).
container_path(obj, name) := _first_path([array.concat(pod_spec_path(obj), [field, i]) |
	some field in container_fields
	some i, c in object.get(pod_spec(obj), field, [])
	c.name == name
])

# METADATA
# title: below
# description: The path of a field under base; [] (the object itself) when base is not known ([]).
# scope: document
below(base, _) := [] if base == []

below(base, rest) := array.concat(base, rest) if base != []

# _first_path is the first of a list of field paths, [] (the object itself) when there is none.
_first_path(paths) := paths[0] if count(paths) > 0

_first_path(paths) := [] if count(paths) == 0

# METADATA
# title: images
# description: The set of images of a workload's containers.
images(obj) := {c.image | some c in containers(pod_spec(obj))}

# METADATA
# title: labels
# description: An object's labels ({} without).
labels(obj) := object.get(obj, ["metadata", "labels"], {})

# METADATA
# title: annotations
# description: An object's annotations ({} without).
annotations(obj) := object.get(obj, ["metadata", "annotations"], {})

# METADATA
# title: namespace
# description: An object's namespace, "default" without one (what the API server gives it).
namespace(obj) := object.get(obj, ["metadata", "namespace"], "default")

# METADATA
# title: name
# description: An object's name ("" without).
name(obj) := object.get(obj, ["metadata", "name"], "")

# METADATA
# title: resources_of_kind
# description: The inventory's resources of a kind, through the kind index.
resources_of_kind(kind) := [data.inventory.resources[id] | some id in object.get(data.inventory.by_kind, kind, [])]

# METADATA
# title: labelled
# description: >-
#   The resources carrying a kaze.io/ label with the given value, from the inventory's
#   index: a per-object rule looking for them costs their number, not the kind's.
labelled(key, value) := [resource |
	some id in object.get(data.inventory.by_kaze_label, sprintf("%s=%s", [key, value]), [])
	resource := data.inventory.resources[id]
]
