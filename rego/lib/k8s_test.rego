package kaze.lib.k8s_test

import rego.v1

import data.kaze.lib.k8s

container := {"name": "app", "image": "registry.kaze.io/kaze/app@sha256:00"}

pod_spec := {"containers": [container]}

inv := {"pod_templates": {
	"argoproj.io/Rollout": ["spec", "template"],
	"keda.sh/ScaledJob": ["spec", "jobTargetRef", "template"],
	"serving.knative.dev/Service": ["spec", "template"],
	"serving.knative.dev/Revision": [],
}}

test_builtin_kinds_by_kind_alone if {
	k8s.pod_spec({"kind": "Deployment", "spec": {"template": {"spec": pod_spec}}}) == pod_spec
	k8s.pod_spec({"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"spec": pod_spec}}}}}) == pod_spec
	k8s.pod_spec({"kind": "Pod", "spec": pod_spec}) == pod_spec
	k8s.pod_metadata({"kind": "Pod", "metadata": {"name": "p"}, "spec": pod_spec}) == {"name": "p"}
}

test_custom_kinds_from_the_inventory if {
	rollout := {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "spec": {"template": {"metadata": {"labels": {"a": "b"}}, "spec": pod_spec}}}
	scaled := {"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledJob", "spec": {"jobTargetRef": {"template": {"spec": pod_spec}}}}
	revision := {"apiVersion": "serving.knative.dev/v1", "kind": "Revision", "metadata": {"name": "r"}, "spec": pod_spec}
	k8s.pod_spec(rollout) == pod_spec with data.inventory as inv
	k8s.pod_metadata(rollout) == {"labels": {"a": "b"}} with data.inventory as inv
	k8s.pod_spec(scaled) == pod_spec with data.inventory as inv
	k8s.pod_spec(revision) == pod_spec with data.inventory as inv
	k8s.images(rollout) == {container.image} with data.inventory as inv
	{"Rollout", "ScaledJob", "Service", "Revision", "Pod", "Deployment"} - k8s.workload_kinds == set() with data.inventory as inv
}

test_a_kind_is_a_workload_in_its_group_only if {
	knative := {"apiVersion": "serving.knative.dev/v1", "kind": "Service", "spec": {"template": {"spec": pod_spec}}}
	core := {"apiVersion": "v1", "kind": "Service", "spec": {"template": {"spec": pod_spec}}}
	k8s.is_workload(knative) with data.inventory as inv
	not k8s.is_workload(core) with data.inventory as inv
	not k8s.pod_spec(core) with data.inventory as inv
}

test_without_inventory_templates_custom_kinds_run_no_pods if {
	rollout := {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "spec": {"template": {"spec": pod_spec}}}
	not k8s.is_workload(rollout) with data.inventory as {}
	"Rollout" in k8s.workload_kinds with data.inventory as inv
}

test_a_missing_template_is_undefined if {
	not k8s.pod_spec({"kind": "Deployment", "spec": {}})
	not k8s.pod_metadata({"kind": "CronJob", "spec": {}})
}

test_field_paths_of_pod_metadata_and_containers if {
	sidecar := {"name": "proxy", "image": "proxy:1"}
	deployment := {"kind": "Deployment", "spec": {"template": {"spec": {"initContainers": [sidecar], "containers": [container]}}}}
	k8s.pod_metadata_path(deployment) == ["spec", "template", "metadata"]
	k8s.pod_metadata_path({"kind": "Pod", "spec": pod_spec}) == ["metadata"]
	k8s.container_path(deployment, "app") == ["spec", "template", "spec", "containers", 0]
	k8s.container_path(deployment, "proxy") == ["spec", "template", "spec", "initContainers", 0]
	k8s.container_path(deployment, "absent") == []
	k8s.below(["spec"], ["type"]) == ["spec", "type"]
	k8s.below([], ["type"]) == []
}
