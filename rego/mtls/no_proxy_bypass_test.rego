package kaze.mtls.no_proxy_bypass_test

import rego.v1

import data.kaze.mtls.no_proxy_bypass

ns(annotations) := {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "tenant-acme", "labels": {}, "annotations": annotations}}

linkerd_ns(extra) := ns(object.union({"linkerd.io/inject": "enabled", "config.linkerd.io/default-inbound-policy": "all-authenticated"}, extra))

statefulset(annotations) := {
	"kind": "StatefulSet",
	"metadata": {"name": "db", "namespace": "tenant-acme"},
	"spec": {"template": {"metadata": {"annotations": annotations}, "spec": {"containers": [{"name": "db", "image": "x"}]}}},
}

inventory := {"namespaces": {"linkerd": {"labels": {"linkerd.io/is-control-plane": "true"}}}}

check(obj) := found if {
	found := no_proxy_bypass.violation with input as {"id": "x", "object": obj} with data.inventory as inventory
}

test_linkerd_namespace_all_authenticated_passes if {
	count(check(linkerd_ns({}))) == 0
}

test_stricter_policies_pass if {
	every policy in ["cluster-authenticated", "deny"] {
		count(check(linkerd_ns({"config.linkerd.io/default-inbound-policy": policy}))) == 0
	}
}

test_unauthenticated_policies_fail if {
	every policy in ["all-unauthenticated", "cluster-unauthenticated", "audit"] {
		count(check(linkerd_ns({"config.linkerd.io/default-inbound-policy": policy}))) == 1
	}
}

test_linkerd_namespace_without_policy_fails if {
	some v in check(ns({"linkerd.io/inject": "enabled"}))
	v.evidence["config.linkerd.io/default-inbound-policy"] == null
}

test_istio_namespace_needs_no_linkerd_policy if {
	istio := {"kind": "Namespace", "metadata": {"name": "tenant-globex", "labels": {"istio-injection": "enabled"}}}
	count(check(istio)) == 0
}

test_skip_ports_on_namespace_fail if {
	some v in check(linkerd_ns({"config.linkerd.io/skip-outbound-ports": "443,5432"}))
	v.evidence == {
		"annotation": "config.linkerd.io/skip-outbound-ports", "value": "443,5432",
		"field_path": ["metadata", "annotations", "config.linkerd.io/skip-outbound-ports"],
	}
}

test_skip_inbound_ports_on_workload_fail if {
	some v in check(statefulset({"config.linkerd.io/skip-inbound-ports": "5432"}))
	v.evidence.annotation == "config.linkerd.io/skip-inbound-ports"
	v.evidence.field_path == ["spec", "template", "metadata", "annotations", "config.linkerd.io/skip-inbound-ports"]
}

test_istio_exclusions_fail if {
	every key in ["traffic.sidecar.istio.io/excludeOutboundPorts", "traffic.sidecar.istio.io/excludeInboundPorts", "traffic.sidecar.istio.io/excludeOutboundIPRanges"] {
		count(check(statefulset({key: "5432"}))) == 1
	}
}

test_istio_partial_capture_fails_and_full_capture_passes if {
	count(check(statefulset({"traffic.sidecar.istio.io/includeInboundPorts": "8080"}))) == 1
	count(check(statefulset({"traffic.sidecar.istio.io/includeInboundPorts": "*"}))) == 0
}

test_skip_subnets_fail if {
	count(check(statefulset({"config.linkerd.io/skip-subnets": "10.0.0.0/8"}))) == 1
}

test_empty_skip_annotation_passes if {
	count(check(statefulset({"config.linkerd.io/skip-inbound-ports": ""}))) == 0
}

test_opaque_ports_are_not_a_skip if {
	count(check(statefulset({"config.linkerd.io/opaque-ports": "5432"}))) == 0
}

test_workload_lowering_the_policy_fails if {
	some v in check(statefulset({"config.linkerd.io/default-inbound-policy": "cluster-unauthenticated"}))
	v.evidence["config.linkerd.io/default-inbound-policy"] == "cluster-unauthenticated"
}

test_workload_tightening_the_policy_passes if {
	count(check(statefulset({"config.linkerd.io/default-inbound-policy": "cluster-authenticated"}))) == 0
}

test_mesh_namespace_is_exempt if {
	own := {"kind": "Namespace", "metadata": {"name": "linkerd", "labels": {"linkerd.io/is-control-plane": "true"}, "annotations": {"config.linkerd.io/skip-inbound-ports": "443"}}}
	count(check(own)) == 0
}

test_linkerd_server_unauthenticated_fails if {
	server := {"apiVersion": "policy.linkerd.io/v1beta3", "kind": "Server", "metadata": {"name": "s", "namespace": "tenant-acme"}, "spec": {"port": "http", "accessPolicy": "all-unauthenticated"}}
	count(check(server)) == 1
}

test_linkerd_server_default_access_passes if {
	server := {"apiVersion": "policy.linkerd.io/v1beta3", "kind": "Server", "metadata": {"name": "s", "namespace": "tenant-acme"}, "spec": {"port": "http"}}
	count(check(server)) == 0
}

test_istio_permissive_peer_authentication_fails if {
	pa := {"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication", "metadata": {"name": "p", "namespace": "tenant-globex"}, "spec": {"mtls": {"mode": "STRICT"}, "portLevelMtls": {"5432": {"mode": "DISABLE"}}}}
	some v in check(pa)
	v.evidence == {"scope": "on port 5432", "mode": "DISABLE"}
}

test_istio_strict_peer_authentication_passes if {
	pa := {"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication", "metadata": {"name": "p", "namespace": "tenant-globex"}, "spec": {"mtls": {"mode": "STRICT"}}}
	count(check(pa)) == 0
}
