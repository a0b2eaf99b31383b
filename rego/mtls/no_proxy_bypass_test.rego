package kaze.mtls.no_proxy_bypass_test

import rego.v1

import data.kaze.mtls.no_proxy_bypass

_ns(annotations) := {
	"apiVersion": "v1", "kind": "Namespace",
	"metadata": {"name": "tenant-acme", "labels": {}, "annotations": annotations},
}

_linkerd_ns(extra) := _ns(object.union(
	{"linkerd.io/inject": "enabled", "config.linkerd.io/default-inbound-policy": "all-authenticated"},
	extra,
))

_statefulset(annotations) := {
	"kind": "StatefulSet",
	"metadata": {"name": "db", "namespace": "tenant-acme"},
	"spec": {"template": {
		"metadata": {"annotations": annotations},
		"spec": {"containers": [{"name": "db", "image": "x"}]},
	}},
}

_mesh_namespaces := {"namespaces": {"linkerd": {"labels": {"linkerd.io/is-control-plane": "true"}}}}

_own := {"kind": "Namespace", "metadata": {
	"name": "linkerd",
	"labels": {"linkerd.io/is-control-plane": "true"},
	"annotations": {"config.linkerd.io/skip-inbound-ports": "443"},
}}

_server(spec) := {
	"apiVersion": "policy.linkerd.io/v1beta3", "kind": "Server",
	"metadata": {"name": "s", "namespace": "tenant-acme"},
	"spec": object.union({"port": "http"}, spec),
}

_peer_authentication(spec) := {
	"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication",
	"metadata": {"name": "p", "namespace": "tenant-globex"},
	"spec": spec,
}

_inbound_policy(policy) := {"config.linkerd.io/default-inbound-policy": policy}

# name: [the object, how many findings]
_objects := {
	"a Linkerd namespace, all-authenticated": [_linkerd_ns({}), 0],
	"a Linkerd namespace, cluster-authenticated": [_linkerd_ns(_inbound_policy("cluster-authenticated")), 0],
	"a Linkerd namespace, deny": [_linkerd_ns(_inbound_policy("deny")), 0],
	"a Linkerd namespace, all-unauthenticated": [_linkerd_ns(_inbound_policy("all-unauthenticated")), 1],
	"a Linkerd namespace, cluster-unauthenticated": [_linkerd_ns(_inbound_policy("cluster-unauthenticated")), 1],
	"a Linkerd namespace, audit": [_linkerd_ns(_inbound_policy("audit")), 1],
	"an Istio namespace needs no Linkerd policy": [
		{"kind": "Namespace", "metadata": {"name": "tenant-globex", "labels": {"istio-injection": "enabled"}}},
		0,
	],
	"Istio excluding outbound ports": [_statefulset({"traffic.sidecar.istio.io/excludeOutboundPorts": "5432"}), 1],
	"Istio excluding inbound ports": [_statefulset({"traffic.sidecar.istio.io/excludeInboundPorts": "5432"}), 1],
	"Istio excluding IP ranges": [_statefulset({"traffic.sidecar.istio.io/excludeOutboundIPRanges": "5432"}), 1],
	"Istio capturing some inbound ports": [_statefulset({"traffic.sidecar.istio.io/includeInboundPorts": "8080"}), 1],
	"Istio capturing every inbound port": [_statefulset({"traffic.sidecar.istio.io/includeInboundPorts": "*"}), 0],
	"skipped subnets": [_statefulset({"config.linkerd.io/skip-subnets": "10.0.0.0/8"}), 1],
	"an empty skip annotation": [_statefulset({"config.linkerd.io/skip-inbound-ports": ""}), 0],
	"opaque ports": [_statefulset({"config.linkerd.io/opaque-ports": "5432"}), 0],
	"a workload tightening the policy": [_statefulset(_inbound_policy("cluster-authenticated")), 0],
	"the mesh's own namespace": [_own, 0],
	"a Linkerd Server, all-unauthenticated": [_server({"accessPolicy": "all-unauthenticated"}), 1],
	"a Linkerd Server, the default access": [_server({}), 0],
	"a strict PeerAuthentication": [_peer_authentication({"mtls": {"mode": "STRICT"}}), 0],
}

test_objects[name] if {
	some name, [obj, want] in _objects
	review := {"id": "x", "object": obj}
	vs := no_proxy_bypass.violation with input as review with data.inventory as _mesh_namespaces
	count(vs) == want
}

# name: [the object, the evidence of its one finding]
_evidence := {
	"a Linkerd namespace without a policy": [
		_ns({"linkerd.io/inject": "enabled"}),
		{"config.linkerd.io/default-inbound-policy": null},
	],
	"skipped ports on a namespace": [
		_linkerd_ns({"config.linkerd.io/skip-outbound-ports": "443,5432"}),
		{
			"annotation": "config.linkerd.io/skip-outbound-ports", "value": "443,5432",
			"field_path": ["metadata", "annotations", "config.linkerd.io/skip-outbound-ports"],
		},
	],
	"skipped inbound ports on a workload": [
		_statefulset({"config.linkerd.io/skip-inbound-ports": "5432"}),
		{
			"annotation": "config.linkerd.io/skip-inbound-ports", "value": "5432",
			"field_path": ["spec", "template", "metadata", "annotations", "config.linkerd.io/skip-inbound-ports"],
		},
	],
	"a workload lowering the policy": [
		_statefulset(_inbound_policy("cluster-unauthenticated")),
		{
			"config.linkerd.io/default-inbound-policy": "cluster-unauthenticated",
			"field_path": ["spec", "template", "metadata", "annotations", "config.linkerd.io/default-inbound-policy"],
		},
	],
	"a PeerAuthentication disabling mTLS on a port": [
		_peer_authentication({"mtls": {"mode": "STRICT"}, "portLevelMtls": {"5432": {"mode": "DISABLE"}}}),
		{"scope": "on port 5432", "mode": "DISABLE"},
	],
}

test_evidence[name] if {
	some name, [obj, evidence] in _evidence
	review := {"id": "x", "object": obj}
	vs := no_proxy_bypass.violation with input as review with data.inventory as _mesh_namespaces
	[v.evidence | some v in vs] == [evidence]
}
