# METADATA
# title: Kubernetes helpers
# description: Pod specs, containers and images of every workload kind.
package kaze.lib.k8s

import rego.v1

workload_kinds := {"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "ReplicationController"}

# pod_spec is the pod template of any workload kind.
pod_spec(obj) := obj.spec if obj.kind == "Pod"

pod_spec(obj) := obj.spec.jobTemplate.spec.template.spec if obj.kind == "CronJob"

pod_spec(obj) := obj.spec.template.spec if {
	obj.kind in (workload_kinds - {"Pod", "CronJob"})
}

# pod_metadata is the metadata of the pods a workload creates.
pod_metadata(obj) := object.get(obj, "metadata", {}) if obj.kind == "Pod"

pod_metadata(obj) := object.get(obj.spec.jobTemplate.spec.template, "metadata", {}) if obj.kind == "CronJob"

pod_metadata(obj) := object.get(obj.spec.template, "metadata", {}) if {
	obj.kind in (workload_kinds - {"Pod", "CronJob"})
}

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
