# METADATA
# title: Kubernetes helpers
# description: Pod specs, containers and images of every workload kind.
package kaze.lib.k8s

import rego.v1

# Where each built-in kind keeps the pod it runs (a Pod is its own), by kind alone.
builtin_templates := {
	"Deployment": ["spec", "template"],
	"StatefulSet": ["spec", "template"],
	"DaemonSet": ["spec", "template"],
	"ReplicaSet": ["spec", "template"],
	"ReplicationController": ["spec", "template"],
	"Job": ["spec", "template"],
	"CronJob": ["spec", "jobTemplate", "spec", "template"],
}

# Custom kinds that run pods, "<API group>/<Kind>" → path of the pod template, as the inventory
# places them (kaze_policy/inventory.py: known kinds, kaze-policy.yaml podTemplates, and any
# kind with one template.spec.containers). An Argo Rollout or a Knative Service is a workload.
custom_templates := object.get(data.inventory, "pod_templates", {})

workload_kinds := ({"Pod"} | {kind | some kind, _ in builtin_templates}) | {kind_of_key(key) | some key, _ in custom_templates}

kind_of_key(key) := parts[count(parts) - 1] if parts := split(key, "/")

api_group(obj) := "" if not contains(object.get(obj, "apiVersion", ""), "/")

api_group(obj) := split(obj.apiVersion, "/")[0] if contains(obj.apiVersion, "/")

# template_path is where a workload keeps its pod template; undefined for what runs no pod.
template_path(obj) := builtin_templates[obj.kind]

template_path(obj) := path if {
	not builtin_templates[obj.kind]
	path := custom_templates[sprintf("%s/%s", [api_group(obj), obj.kind])]
}

# pod_template is the pod a workload creates: its metadata and spec.
pod_template(obj) := obj if obj.kind == "Pod"

pod_template(obj) := obj if {
	obj.kind != "Pod"
	template_path(obj) == []
}

pod_template(obj) := template if {
	obj.kind != "Pod"
	path := template_path(obj)
	count(path) > 0
	template := object.get(obj, path, null)
	is_object(template)
}

# is_workload holds for an object that runs pods (a Service of serving.knative.dev, not of v1).
is_workload(obj) if obj.kind == "Pod"

is_workload(obj) if template_path(obj)

# pod_spec is the pod template of any workload kind.
pod_spec(obj) := pod_template(obj).spec

# pod_metadata is the metadata of the pods a workload creates.
pod_metadata(obj) := object.get(pod_template(obj), "metadata", {})

# containers lists regular, init and ephemeral containers of a pod spec.
containers(spec) := [c |
	some field in ["initContainers", "containers", "ephemeralContainers"]
	some c in object.get(spec, field, [])
]

images(obj) := {c.image | some c in containers(pod_spec(obj))}

labels(obj) := object.get(obj, ["metadata", "labels"], {})

annotations(obj) := object.get(obj, ["metadata", "annotations"], {})

namespace(obj) := object.get(obj, ["metadata", "namespace"], "default")

name(obj) := object.get(obj, ["metadata", "name"], "")

resources_of_kind(kind) := [data.inventory.resources[id] | some id in object.get(data.inventory.by_kind, kind, [])]
