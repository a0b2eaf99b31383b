package kaze.lib.mesh_test

import rego.v1

import data.kaze.lib.mesh
import data.kaze.testing.inventory

_namespace(labels, annotations) := {
	"kind": "Namespace",
	"metadata": {"name": "tenant-acme", "labels": labels, "annotations": annotations},
}

_deployment(labels, annotations) := {
	"kind": "Deployment",
	"metadata": {"name": "api", "namespace": "tenant-acme"},
	"spec": {"template": {
		"metadata": {"labels": labels, "annotations": annotations},
		"spec": {"containers": [{"name": "api", "image": "x"}]},
	}},
}

_cilium_policy(spec) := inventory.resource("CiliumNetworkPolicy", "tenant-acme", "mtls", {"spec": spec})

_mutual_auth := {"endpointSelector": {}, "ingress": [{"authentication": {"mode": "required"}}]}

test_the_constants if {
	mesh.linkerd_inject == "linkerd.io/inject"
	mesh.linkerd_inbound_policy == "config.linkerd.io/default-inbound-policy"
	mesh.authenticated_policies == {"all-authenticated", "cluster-authenticated", "deny"}
}

test_the_control_plane_namespace_object_is_the_mesh_s if {
	mesh.is_mesh_namespace_object(_namespace({"linkerd.io/is-control-plane": "true"}, {}))
	not mesh.is_mesh_namespace_object(_namespace({"linkerd.io/is-control-plane": "false"}, {}))
	not mesh.is_mesh_namespace_object(_namespace({}, {}))
	not mesh.is_mesh_namespace_object(_deployment({"linkerd.io/is-control-plane": "true"}, {}))
}

test_the_control_plane_namespace_is_the_mesh_s if {
	namespaces := {
		"linkerd": {"labels": {"linkerd.io/is-control-plane": "true"}},
		"tenant-acme": {"labels": {}},
		"tenant-globex": {},
	}
	mesh.is_mesh_namespace("linkerd") with data.inventory.namespaces as namespaces
	not mesh.is_mesh_namespace("tenant-acme") with data.inventory.namespaces as namespaces
	not mesh.is_mesh_namespace("tenant-globex") with data.inventory.namespaces as namespaces
	not mesh.is_mesh_namespace("absent") with data.inventory.namespaces as namespaces
}

# name: [labels, annotations, the injection (null: none)]
_injections := {
	"linkerd enabled": [{}, {"linkerd.io/inject": "enabled"}, "linkerd"],
	"linkerd ingress mode": [{}, {"linkerd.io/inject": "ingress"}, "linkerd"],
	"linkerd disabled": [{}, {"linkerd.io/inject": "disabled"}, null],
	"linkerd wins over istio": [{"istio-injection": "enabled"}, {"linkerd.io/inject": "enabled"}, "linkerd"],
	"istio label": [{"istio-injection": "enabled"}, {}, "istio"],
	"istio label off": [{"istio-injection": "disabled"}, {}, null],
	"istio revision": [{"istio.io/rev": "1-20"}, {}, "istio"],
	"istio revision empty": [{"istio.io/rev": ""}, {}, null],
	"istio label off beats revision": [{"istio-injection": "disabled", "istio.io/rev": "1-20"}, {}, null],
	"nothing": [{}, {}, null],
}

_injection(obj) := how if {
	how := mesh.injection(obj)
} else := null

test_injection[name] if {
	some name, [labels, annotations, want] in _injections
	_injection(_namespace(labels, annotations)) == want
}

test_cilium_mutual_authentication_injects if {
	resources := [_cilium_policy(_mutual_auth)]
	mesh.injection(_namespace({}, {})) == "cilium" with data.inventory as inventory.of(resources)
}

# name: [the CiliumNetworkPolicy's spec that does not require mutual authentication everywhere]
_not_mutual_auth := {
	"selects some endpoints": json.patch(_mutual_auth, [{
		"op": "add", "path": "/endpointSelector/matchLabels", "value": {"app": "api"},
	}]),
	"selects by expression": json.patch(_mutual_auth, [{
		"op": "add", "path": "/endpointSelector/matchExpressions",
		"value": [{"key": "app", "operator": "Exists"}],
	}]),
	"no ingress rules": {"endpointSelector": {}, "ingress": []},
	"a rule without authentication": json.patch(_mutual_auth, [{"op": "add", "path": "/ingress/-", "value": {}}]),
	"authentication disabled": {"endpointSelector": {}, "ingress": [{"authentication": {"mode": "disabled"}}]},
}

test_cilium_without_mutual_authentication_does_not_inject[name] if {
	some name, spec in _not_mutual_auth
	resources := [_cilium_policy(spec)]
	not mesh.injection(_namespace({}, {})) with data.inventory as inventory.of(resources)
}

test_istio_labels_win_over_cilium if {
	resources := [_cilium_policy(_mutual_auth)]
	obj := _namespace({"istio-injection": "enabled"}, {})
	mesh.injection(obj) == "istio" with data.inventory as inventory.of(resources)
}

test_opt_outs if {
	labels := {"sidecar.istio.io/inject": "False", "app": "api"}
	annotations := {"linkerd.io/inject": "disabled", "sidecar.istio.io/inject": false, "other": "x"}
	mesh.opt_outs(_deployment(labels, annotations)) == {
		"linkerd.io/inject: disabled",
		"sidecar.istio.io/inject: false",
		"label sidecar.istio.io/inject: False",
	}
	count(mesh.opt_outs(_deployment({"sidecar.istio.io/inject": "true"}, {"linkerd.io/inject": "enabled"}))) == 0
}

test_bypasses if {
	annotations := {
		"config.linkerd.io/skip-outbound-ports": " 443,5432 ",
		"config.linkerd.io/skip-inbound-ports": "",
		"traffic.sidecar.istio.io/includeOutboundIPRanges": "10.0.0.0/8",
		"traffic.sidecar.istio.io/includeInboundPorts": "*",
		"traffic.sidecar.istio.io/excludeInterfaces": "eth1",
		"config.linkerd.io/opaque-ports": "5432",
	}
	mesh.bypasses(annotations) == {
		"config.linkerd.io/skip-outbound-ports": {"skips": "outbound ports", "value": "443,5432"},
		"traffic.sidecar.istio.io/includeOutboundIPRanges": {"skips": "outbound IP ranges", "value": "10.0.0.0/8"},
		"traffic.sidecar.istio.io/excludeInterfaces": {"skips": "network interfaces", "value": "eth1"},
	}
	mesh.bypasses({}) == {}
}
