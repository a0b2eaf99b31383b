# METADATA
# title: Service mesh helpers
# description: >-
#   Which namespace is the mesh's own, whether a namespace injects the mesh proxy, and how a
#   pod template opts out of it or lowers its inbound policy (Linkerd, Istio, Cilium). Per-object
#   rules import this package: it holds only functions and constants, none of which walks the
#   inventory (the Cilium lookup reads one namespace's index entry).
package kaze.lib.mesh

import rego.v1

import data.kaze.lib.k8s

linkerd_inject := "linkerd.io/inject"

linkerd_inbound_policy := "config.linkerd.io/default-inbound-policy"

# Linkerd's default inbound policies that require a mesh identity (or refuse everything).
# all-authenticated allows any meshed client; cluster-authenticated only meshed clients from
# the cluster networks; deny nothing without an explicit authorization.
authenticated_policies := {"all-authenticated", "cluster-authenticated", "deny"}

# Annotations that make the proxy let traffic through unencrypted. Linkerd reads them on the
# namespace and on the pod; Istio on the pod. Linkerd's opaque-ports is not one: opaque
# traffic still goes through the proxy over mTLS.
skip_annotations := {
	"config.linkerd.io/skip-inbound-ports": "inbound ports",
	"config.linkerd.io/skip-outbound-ports": "outbound ports",
	"config.linkerd.io/skip-subnets": "outbound subnets",
	"traffic.sidecar.istio.io/excludeInboundPorts": "inbound ports",
	"traffic.sidecar.istio.io/excludeOutboundPorts": "outbound ports",
	"traffic.sidecar.istio.io/excludeOutboundIPRanges": "outbound IP ranges",
	"traffic.sidecar.istio.io/excludeInterfaces": "network interfaces",
}

# Istio annotations that capture only what they list: anything but "*" leaves the rest out.
capture_annotations := {
	"traffic.sidecar.istio.io/includeInboundPorts": "inbound ports",
	"traffic.sidecar.istio.io/includeOutboundIPRanges": "outbound IP ranges",
}

# The mesh's own namespace (the Linkerd control plane) is not injected and is exempt.
is_mesh_namespace_object(obj) if {
	obj.kind == "Namespace"
	k8s.labels(obj)["linkerd.io/is-control-plane"] == "true"
}

is_mesh_namespace(ns) if {
	info := object.get(data.inventory.namespaces, ns, {})
	object.get(info, ["labels", "linkerd.io/is-control-plane"], null) == "true"
}

# How a Namespace object turns proxy injection on; undefined when it does not.
injection(obj) := "linkerd" if linkerd_injected(obj)

injection(obj) := "istio" if {
	not linkerd_injected(obj)
	k8s.labels(obj)["istio-injection"] == "enabled"
}

injection(obj) := "istio" if {
	not linkerd_injected(obj)
	not k8s.labels(obj)["istio-injection"]
	k8s.labels(obj)["istio.io/rev"] != ""
}

injection(obj) := "cilium" if {
	not linkerd_injected(obj)
	not istio_labelled(obj)
	cilium_mutual_auth(k8s.name(obj))
}

# "ingress" is Linkerd's injection mode for ingress controllers: the proxy still does mTLS.
linkerd_injected(obj) if k8s.annotations(obj)[linkerd_inject] in {"enabled", "ingress"}

istio_labelled(obj) if k8s.labels(obj)["istio-injection"] == "enabled"

istio_labelled(obj) if {
	not k8s.labels(obj)["istio-injection"]
	k8s.labels(obj)["istio.io/rev"] != ""
}

# Cilium mutual authentication: a CiliumNetworkPolicy of the namespace that selects every
# endpoint and requires mutual authentication on each of its ingress rules.
cilium_mutual_auth(ns) if {
	some id in object.get(data.inventory.by_namespace, ns, [])
	policy := data.inventory.resources[id]
	policy.kind == "CiliumNetworkPolicy"
	spec := object.get(policy.object, "spec", {})
	object.get(spec, ["endpointSelector", "matchLabels"], {}) == {}
	count(object.get(spec, ["endpointSelector", "matchExpressions"], [])) == 0
	rules := object.get(spec, "ingress", [])
	count(rules) > 0
	every rule in rules {
		object.get(rule, ["authentication", "mode"], "") == "required"
	}
}

# The pod-level opt-outs of a workload (annotations of its pod template, and Istio's label).
opt_outs(obj) := {sprintf("%s: %v", [key, value]) |
	meta := k8s.pod_metadata(obj)
	some key, value in object.get(meta, "annotations", {})
	opts_out(key, value)
} | {sprintf("label %s: %v", [key, value]) |
	meta := k8s.pod_metadata(obj)
	some key, value in object.get(meta, "labels", {})
	key == "sidecar.istio.io/inject"
	lower(sprintf("%v", [value])) == "false"
}

opts_out(key, value) if {
	key == linkerd_inject
	value == "disabled"
}

opts_out(key, value) if {
	key == "sidecar.istio.io/inject"
	lower(sprintf("%v", [value])) == "false"
}

# The proxy bypasses set by a map of annotations: {annotation: {skips, value}}.
bypasses(annotations) := {key: {"skips": what, "value": text} |
	some key, value in annotations
	text := trim_space(sprintf("%v", [value]))
	what := bypass(key, text)
}

bypass(key, text) := skip_annotations[key] if text != ""

bypass(key, text) := capture_annotations[key] if text != "*"
