# METADATA
# title: Kubernetes helpers
# description: Pod specs, containers and images of every workload kind.
package kaze.lib.k8s

import rego.v1

import data.kaze.lib.coerce

# Custom kinds that run pods are in data.inventory.pod_templates: "<API group>/<Kind>" → path of
# the pod template, as the inventory places them (kaze_policy/inventory.py: known kinds,
# kaze-policy.yaml podTemplates, any kind with one template.spec.containers). An Argo Rollout
# or a Knative Service is a workload.

# Kinds that run pods by their kind alone (`apps.kruise.io` StatefulSets too).
builtin_workload_kinds := {"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "ReplicationController"}

# The names of the kinds that run pods (a name alone: `Service` when Knative's is there; is_workload
# tells them apart). Per-object rules read it for every object: without custom kinds it is the
# default, a constant (the same set as builtin_workload_kinds).
default workload_kinds := {"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "ReplicationController"}

workload_kinds := builtin_workload_kinds | {kind_of_key(key) | some key, _ in data.inventory.pod_templates} if {
	count(data.inventory.pod_templates) > 0
}

kind_of_key(key) := parts[count(parts) - 1] if parts := split(key, "/")

api_group(obj) := "" if not contains(object.get(obj, "apiVersion", ""), "/")

api_group(obj) := split(obj.apiVersion, "/")[0] if contains(obj.apiVersion, "/")

# custom_template_path is where a custom kind keeps its pod template (undefined for the others).
custom_template_path(obj) := data.inventory.pod_templates[sprintf("%s/%s", [api_group(obj), obj.kind])] if {
	not obj.kind in builtin_workload_kinds
}

# pod_template is the pod a workload creates: its metadata and spec. Built-in kinds (by kind
# alone) by plain references: per-object rules read it for every object, keep that path cheap.
pod_template(obj) := obj if obj.kind == "Pod"

pod_template(obj) := obj.spec.jobTemplate.spec.template if obj.kind == "CronJob"

pod_template(obj) := obj.spec.template if obj.kind in template_kinds

pod_template(obj) := template if {
	not obj.kind in builtin_workload_kinds
	path := custom_template_path(obj)
	template := custom_template(obj, path)
}

template_kinds := {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job"}

custom_template(obj, path) := obj if path == []

custom_template(obj, path) := template if {
	count(path) > 0
	template := object.get(obj, path, null)
	is_object(template)
}

# is_workload holds for an object that runs pods (a Service of serving.knative.dev, not of v1).
is_workload(obj) if obj.kind in builtin_workload_kinds

is_workload(obj) if custom_template_path(obj)

# pod_spec is the pod template of any workload kind.
pod_spec(obj) := pod_template(obj).spec

# pod_metadata is the metadata of the pods a workload creates.
pod_metadata(obj) := object.get(pod_template(obj), "metadata", {})

# The fields of a pod spec that list containers: regular, init and ephemeral.
container_fields := ["initContainers", "containers", "ephemeralContainers"]

# containers lists regular, init and ephemeral containers of a pod spec.
containers(spec) := [c |
	some field in container_fields
	some c in object.get(spec, field, [])
]

# pod_containers lists the containers of a workload's pod template (regular, init and ephemeral)
# that are objects, whatever malformed lists or entries a hand-written manifest holds.
pod_containers(obj) := [c |
	spec := pod_spec(obj)
	is_object(spec)
	some field in container_fields
	some c in coerce.as_list(object.get(spec, field, []))
	is_object(c)
]

# pod_spec_path is where pod_spec(obj) lies in the object, the keys and indexes from its root:
# a finding's evidence names the offending field by such a path (`field_path`), so that the
# report points at the field's line. Defined wherever pod_spec is (the same cases).
pod_spec_path(obj) := ["spec"] if obj.kind == "Pod"

pod_spec_path(obj) := ["spec", "jobTemplate", "spec", "template", "spec"] if obj.kind == "CronJob"

pod_spec_path(obj) := ["spec", "template", "spec"] if obj.kind in template_kinds

pod_spec_path(obj) := array.concat(path, ["spec"]) if {
	not obj.kind in builtin_workload_kinds
	path := custom_template_path(obj)
	custom_template(obj, path)
}

# image_path is the path of the first container's `image` field that holds image ([]: the
# object itself, for an image not found that way). Total: a violation never hangs on it.
image_path(obj, image) := first_path([array.concat(pod_spec_path(obj), [field, i, "image"]) |
	some field in container_fields
	some i, c in object.get(pod_spec(obj), field, [])
	c.image == image
])

# pod_metadata_path is where pod_metadata(obj) lies: beside the pod spec, in its template.
pod_metadata_path(obj) := array.concat(array.slice(path, 0, count(path) - 1), ["metadata"]) if {
	path := pod_spec_path(obj)
}

# container_path is the path of the first container named name ([]: none found that way).
container_path(obj, name) := first_path([array.concat(pod_spec_path(obj), [field, i]) |
	some field in container_fields
	some i, c in object.get(pod_spec(obj), field, [])
	c.name == name
])

# below is the path of a field under base: [] (the object itself) when base is not known.
below(base, _) := [] if base == []

below(base, rest) := array.concat(base, rest) if base != []

# first_path is the first of a list of field paths, [] (the object itself) when there is none.
first_path(paths) := paths[0] if count(paths) > 0

first_path(paths) := [] if count(paths) == 0

images(obj) := {c.image | some c in containers(pod_spec(obj))}

labels(obj) := object.get(obj, ["metadata", "labels"], {})

annotations(obj) := object.get(obj, ["metadata", "annotations"], {})

namespace(obj) := object.get(obj, ["metadata", "namespace"], "default")

name(obj) := object.get(obj, ["metadata", "name"], "")

resources_of_kind(kind) := [data.inventory.resources[id] | some id in object.get(data.inventory.by_kind, kind, [])]

# labelled lists the resources carrying a kaze.io/ label with the given value, from the
# inventory's index: a per-object rule looking for them costs their number, not the kind's.
labelled(key, value) := [data.inventory.resources[id] |
	some id in data.inventory.by_kaze_label[sprintf("%s=%s", [key, value])]
]
