package kaze.lib.k8s_test

import rego.v1

import data.kaze.lib.k8s
import data.kaze.testing.inventory

container := {"name": "app", "image": "registry.kaze.io/kaze/app@sha256:00"}

sidecar := {"name": "proxy", "image": "proxy:1"}

pod_spec := {"containers": [container]}

inv := {"pod_templates": {
	"argoproj.io/Rollout": ["spec", "template"],
	"keda.sh/ScaledJob": ["spec", "jobTargetRef", "template"],
	"serving.knative.dev/Service": ["spec", "template"],
	"serving.knative.dev/Revision": [],
}}

rollout := {
	"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
	"spec": {"template": {"metadata": {"labels": {"a": "b"}}, "spec": pod_spec}},
}

deployment := {
	"kind": "Deployment",
	"spec": {"template": {"spec": {"initContainers": [sidecar], "containers": [container]}}},
}

# Each built-in kind by its kind alone: [object, its pod spec's path].
builtin_kinds := {
	"Deployment": [{"kind": "Deployment", "spec": {"template": {"spec": pod_spec}}}, ["spec", "template", "spec"]],
	"CronJob": [
		{"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"spec": pod_spec}}}}},
		["spec", "jobTemplate", "spec", "template", "spec"],
	],
	"Pod": [{"kind": "Pod", "metadata": {"name": "p"}, "spec": pod_spec}, ["spec"]],
	"Job": [{"kind": "Job", "spec": {"template": {"spec": pod_spec}}}, ["spec", "template", "spec"]],
}

test_builtin_kinds_by_kind_alone[kind] if {
	some kind, [obj, path] in builtin_kinds
	k8s.pod_spec(obj) == pod_spec
	k8s.pod_spec_path(obj) == path
	k8s.is_workload(obj)
}

test_pod_metadata_of_a_pod_is_its_own if {
	k8s.pod_metadata(builtin_kinds.Pod[0]) == {"name": "p"}
	k8s.pod_metadata(builtin_kinds.Deployment[0]) == {}
}

# Each custom kind of the inventory's pod templates: [object, its pod spec's path].
custom_kinds := {
	"Rollout": [rollout, ["spec", "template", "spec"]],
	"ScaledJob": [
		{"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledJob", "spec": {"jobTargetRef": {"template": {"spec": pod_spec}}}},
		["spec", "jobTargetRef", "template", "spec"],
	],
	"Revision": [
		{"apiVersion": "serving.knative.dev/v1", "kind": "Revision", "metadata": {"name": "r"}, "spec": pod_spec},
		["spec"],
	],
}

test_custom_kinds_from_the_inventory[kind] if {
	some kind, [obj, path] in custom_kinds
	k8s.pod_spec(obj) == pod_spec with data.inventory as inv
	k8s.pod_spec_path(obj) == path with data.inventory as inv
	k8s.images(obj) == {container.image} with data.inventory as inv
}

test_custom_kinds_are_workload_kinds if {
	k8s.pod_metadata(rollout) == {"labels": {"a": "b"}} with data.inventory as inv
	kinds := {"Rollout", "ScaledJob", "Service", "Revision", "Pod", "Deployment"}
	kinds - k8s.workload_kinds == set() with data.inventory as inv
}

test_a_kind_is_a_workload_in_its_group_only if {
	knative := {"apiVersion": "serving.knative.dev/v1", "kind": "Service", "spec": {"template": {"spec": pod_spec}}}
	k8s.is_workload(knative) with data.inventory as inv
	core := {"apiVersion": "v1", "kind": "Service", "spec": {"template": {"spec": pod_spec}}}
	not k8s.is_workload(core) with data.inventory as inv
	not k8s.pod_spec(core) with data.inventory as inv
}

test_without_inventory_templates_custom_kinds_run_no_pods if {
	not k8s.is_workload(rollout) with data.inventory as {}
	not "Rollout" in k8s.workload_kinds with data.inventory as {"pod_templates": {}}
	"Rollout" in k8s.workload_kinds with data.inventory as inv
}

test_a_missing_template_is_undefined if {
	not k8s.pod_spec({"kind": "Deployment", "spec": {}})
	not k8s.pod_metadata({"kind": "CronJob", "spec": {}})
}

test_field_paths_of_pod_metadata_and_containers if {
	k8s.pod_metadata_path(deployment) == ["spec", "template", "metadata"]
	k8s.pod_metadata_path({"kind": "Pod", "spec": pod_spec}) == ["metadata"]
	k8s.container_path(deployment, "app") == ["spec", "template", "spec", "containers", 0]
	k8s.container_path(deployment, "proxy") == ["spec", "template", "spec", "initContainers", 0]
	k8s.container_path(deployment, "absent") == []
}

test_image_path_names_the_first_container_with_the_image if {
	k8s.image_path(deployment, "proxy:1") == ["spec", "template", "spec", "initContainers", 0, "image"]
	k8s.image_path(deployment, container.image) == ["spec", "template", "spec", "containers", 0, "image"]
	k8s.image_path(deployment, "elsewhere:1") == []
}

test_below if {
	k8s.below(["spec"], ["type"]) == ["spec", "type"]
	k8s.below([], ["type"]) == []
}

test_containers_of_every_list_in_order if {
	k8s.container_fields == ["initContainers", "containers", "ephemeralContainers"]
	spec := {"ephemeralContainers": [{"name": "debug"}], "containers": [container], "initContainers": [sidecar]}
	k8s.containers(spec) == [sidecar, container, {"name": "debug"}]
	k8s.containers({}) == []
}

test_pod_containers_passes_over_what_is_not_a_container if {
	malformed := {"kind": "Deployment", "spec": {"template": {"spec": {
		"initContainers": "not a list",
		"containers": [container, "not an object", 3],
	}}}}
	k8s.pod_containers(malformed) == [container]
	k8s.pod_containers(deployment) == [sidecar, container]
	k8s.pod_containers({"kind": "Deployment", "spec": {"template": {"spec": "not an object"}}}) == []
}

test_metadata_fields_and_their_defaults if {
	obj := {"metadata": {"name": "agent", "namespace": "tenant-a", "labels": {"a": "b"}, "annotations": {"c": "d"}}}
	k8s.name(obj) == "agent"
	k8s.namespace(obj) == "tenant-a"
	k8s.labels(obj) == {"a": "b"}
	k8s.annotations(obj) == {"c": "d"}
	k8s.name({}) == ""
	k8s.namespace({}) == "default"
	k8s.labels({}) == {}
	k8s.annotations({}) == {}
}

test_resources_of_kind_and_labelled_read_the_indexes if {
	agent := inventory.resource("Deployment", "tenant-a", "agent", {})
	gateway := inventory.resource("Gateway", "tenant-a", "cells", {})
	labels := {"by_kaze_label": {"kaze.io/gateway=cross-cell": [gateway.id]}}
	inv_with_labels := object.union(inventory.of([agent, gateway]), labels)
	k8s.resources_of_kind("Deployment") == [agent] with data.inventory as inv_with_labels
	k8s.resources_of_kind("Secret") == [] with data.inventory as inv_with_labels
	k8s.labelled("kaze.io/gateway", "cross-cell") == [gateway] with data.inventory as inv_with_labels
	k8s.labelled("kaze.io/gateway", "other") == [] with data.inventory as inv_with_labels
}
