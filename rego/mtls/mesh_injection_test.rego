package kaze.mtls.mesh_injection_test

import rego.v1

import data.kaze.mtls.mesh_injection
import data.kaze.testing.inventory

_ns(name, labels, annotations) := {
	"apiVersion": "v1", "kind": "Namespace",
	"metadata": {"name": name, "labels": labels, "annotations": annotations},
}

_deployment(annotations, labels) := {
	"kind": "Deployment",
	"metadata": {"name": "agent", "namespace": "tenant-acme"},
	"spec": {"template": {
		"metadata": {"annotations": annotations, "labels": labels},
		"spec": {"containers": [{"name": "agent", "image": "x"}]},
	}},
}

_cron := {"kind": "CronJob", "metadata": {"name": "c", "namespace": "tenant-globex"}, "spec": {"jobTemplate": {"spec": {
	"template": {"metadata": {"annotations": {"linkerd.io/inject": "disabled"}}, "spec": {"containers": []}},
}}}}

_mesh_namespaces := {"namespaces": {"linkerd": {"labels": {"linkerd.io/is-control-plane": "true"}}}}

# name: [the object, how many findings]
_objects := {
	"a Linkerd annotation": [_ns("tenant-acme", {}, {"linkerd.io/inject": "enabled"}), 0],
	"Linkerd's ingress mode": [_ns("ingress", {}, {"linkerd.io/inject": "ingress"}), 0],
	"an Istio label": [_ns("kaze-llm-gateway", {"istio-injection": "enabled"}, {}), 0],
	"an Istio revision label": [_ns("kaze-llm-gateway", {"istio.io/rev": "1-24"}, {}), 0],
	"an Istio revision overridden by disabled injection": [
		_ns("kaze-llm-gateway", {"istio.io/rev": "1-24", "istio-injection": "disabled"}, {}),
		1,
	],
	"the mesh's own namespace": [
		_ns("linkerd", {"linkerd.io/is-control-plane": "true"}, {"linkerd.io/inject": "disabled"}),
		0,
	],
	"a workload's Istio opt-out annotation": [_deployment({"sidecar.istio.io/inject": "false"}, {}), 1],
	"a workload's Istio opt-out label": [_deployment({}, {"sidecar.istio.io/inject": "false"}), 1],
	"a workload repeating enabled": [_deployment({"linkerd.io/inject": "enabled"}, {}), 0],
	"a CronJob opting out three levels down": [_cron, 1],
	"an opt-out on the Deployment's own metadata only": [
		object.union(_deployment({}, {}), {"metadata": {
			"name": "agent", "namespace": "tenant-acme",
			"annotations": {"linkerd.io/inject": "disabled"},
		}}),
		0,
	],
	"a workload in the mesh's namespace": [
		object.union(
			_deployment({"linkerd.io/inject": "disabled"}, {}),
			{"metadata": {"name": "destination", "namespace": "linkerd"}},
		),
		0,
	],
}

test_objects[name] if {
	some name, [obj, want] in _objects
	review := {"id": "x", "object": obj}
	vs := mesh_injection.violation with input as review with data.inventory as _mesh_namespaces
	count(vs) == want
}

test_namespace_without_injection_fails if {
	review := {"id": "x", "object": _ns("tenant-globex", {}, {})}
	vs := mesh_injection.violation with input as review with data.inventory as _mesh_namespaces
	some v in vs
	v.resource == "x"
	v.evidence["linkerd.io/inject annotation"] == null
}

# name: [the Namespace, what the message says]
_messages := {
	"injection written as a label": [_ns("tenant-acme", {"linkerd.io/inject": "enabled"}, {}), "set as a label"],
	"injection disabled": [_ns("tenant-acme", {}, {"linkerd.io/inject": "disabled"}), "disabled"],
}

test_messages[name] if {
	some name, [namespace, says] in _messages
	review := {"id": "x", "object": namespace}
	vs := mesh_injection.violation with input as review with data.inventory as _mesh_namespaces
	some v in vs
	contains(v.msg, says)
}

_cilium_policy(ingress) := inventory.resource("CiliumNetworkPolicy", "tenant-acme", "mutual", {
	"apiVersion": "cilium.io/v2",
	"spec": {"endpointSelector": {}, "ingress": ingress},
})

test_cilium_mutual_auth_namespace_passes if {
	mutual := [{"fromEndpoints": [{}], "authentication": {"mode": "required"}}]
	policies := object.union(inventory.of([_cilium_policy(mutual)]), {"namespaces": {}})
	count(mesh_injection.violation) == 0 with input as {"id": "x", "object": _ns("tenant-acme", {}, {})}
		with data.inventory as policies
}

test_cilium_policy_without_authentication_is_not_a_mesh if {
	policies := object.union(inventory.of([_cilium_policy([{"fromEndpoints": [{}]}])]), {"namespaces": {}})
	count(mesh_injection.violation) == 1 with input as {"id": "x", "object": _ns("tenant-acme", {}, {})}
		with data.inventory as policies
}

test_workload_linkerd_opt_out_fails if {
	review := {"id": "x", "object": _deployment({"linkerd.io/inject": "disabled"}, {})}
	vs := mesh_injection.violation with input as review with data.inventory as _mesh_namespaces
	some v in vs
	v.evidence.opt_outs == ["linkerd.io/inject: disabled"]
}
