package kaze.mtls.mesh_injection_test

import rego.v1

import data.kaze.mtls.mesh_injection

ns(name, labels, annotations) := {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels, "annotations": annotations}}

deployment(annotations, labels) := {
	"kind": "Deployment",
	"metadata": {"name": "agent", "namespace": "tenant-acme"},
	"spec": {"template": {"metadata": {"annotations": annotations, "labels": labels}, "spec": {"containers": [{"name": "agent", "image": "x"}]}}},
}

inventory := {"namespaces": {"linkerd": {"labels": {"linkerd.io/is-control-plane": "true"}}}}

check(obj) := found if {
	found := mesh_injection.violation with input as {"id": "x", "object": obj} with data.inventory as inventory
}

test_linkerd_annotation_passes if {
	count(check(ns("tenant-acme", {}, {"linkerd.io/inject": "enabled"}))) == 0
}

test_linkerd_ingress_mode_passes if {
	count(check(ns("ingress", {}, {"linkerd.io/inject": "ingress"}))) == 0
}

test_istio_label_passes if {
	count(check(ns("kaze-llm-gateway", {"istio-injection": "enabled"}, {}))) == 0
}

test_istio_revision_label_passes if {
	count(check(ns("kaze-llm-gateway", {"istio.io/rev": "1-24"}, {}))) == 0
}

test_istio_revision_overridden_by_disabled_injection_fails if {
	count(check(ns("kaze-llm-gateway", {"istio.io/rev": "1-24", "istio-injection": "disabled"}, {}))) == 1
}

test_namespace_without_injection_fails if {
	some v in check(ns("tenant-globex", {}, {}))
	v.resource == "x"
	v.evidence["linkerd.io/inject annotation"] == null
}

test_injection_written_as_label_fails_and_says_so if {
	some v in check(ns("tenant-acme", {"linkerd.io/inject": "enabled"}, {}))
	contains(v.msg, "set as a label")
}

test_injection_disabled_fails if {
	some v in check(ns("tenant-acme", {}, {"linkerd.io/inject": "disabled"}))
	contains(v.msg, "disabled")
}

test_mesh_own_namespace_is_exempt if {
	count(check(ns("linkerd", {"linkerd.io/is-control-plane": "true"}, {"linkerd.io/inject": "disabled"}))) == 0
}

test_cilium_mutual_auth_namespace_passes if {
	policy := {
		"id": "CiliumNetworkPolicy/tenant-acme/mutual", "kind": "CiliumNetworkPolicy", "namespace": "tenant-acme",
		"object": {"kind": "CiliumNetworkPolicy", "spec": {"endpointSelector": {}, "ingress": [{"fromEndpoints": [{}], "authentication": {"mode": "required"}}]}},
	}
	inventory := {"namespaces": {}, "by_namespace": {"tenant-acme": [policy.id]}, "resources": {policy.id: policy}}
	count(mesh_injection.violation) == 0 with input as {"id": "x", "object": ns("tenant-acme", {}, {})}
		with data.inventory as inventory
}

test_cilium_policy_without_authentication_is_not_a_mesh if {
	policy := {
		"id": "CiliumNetworkPolicy/tenant-acme/plain", "kind": "CiliumNetworkPolicy", "namespace": "tenant-acme",
		"object": {"kind": "CiliumNetworkPolicy", "spec": {"endpointSelector": {}, "ingress": [{"fromEndpoints": [{}]}]}},
	}
	inventory := {"namespaces": {}, "by_namespace": {"tenant-acme": [policy.id]}, "resources": {policy.id: policy}}
	count(mesh_injection.violation) == 1 with input as {"id": "x", "object": ns("tenant-acme", {}, {})}
		with data.inventory as inventory
}

test_workload_linkerd_opt_out_fails if {
	some v in check(deployment({"linkerd.io/inject": "disabled"}, {}))
	v.evidence.opt_outs == ["linkerd.io/inject: disabled"]
}

test_workload_istio_opt_out_annotation_fails if {
	count(check(deployment({"sidecar.istio.io/inject": "false"}, {}))) == 1
}

test_workload_istio_opt_out_label_fails if {
	count(check(deployment({}, {"sidecar.istio.io/inject": "false"}))) == 1
}

test_workload_repeating_enabled_passes if {
	count(check(deployment({"linkerd.io/inject": "enabled"}, {}))) == 0
}

test_cronjob_opt_out_three_levels_down_fails if {
	cron := {"kind": "CronJob", "metadata": {"name": "c", "namespace": "tenant-globex"}, "spec": {"jobTemplate": {"spec": {"template": {"metadata": {"annotations": {"linkerd.io/inject": "disabled"}}, "spec": {"containers": []}}}}}}
	count(check(cron)) == 1
}

test_opt_out_on_deployment_metadata_only_is_ignored if {
	d := object.union(deployment({}, {}), {"metadata": {"name": "agent", "namespace": "tenant-acme", "annotations": {"linkerd.io/inject": "disabled"}}})
	count(check(d)) == 0
}

test_workload_in_mesh_namespace_is_exempt if {
	d := object.union(deployment({"linkerd.io/inject": "disabled"}, {}), {"metadata": {"name": "destination", "namespace": "linkerd"}})
	count(check(d)) == 0
}
