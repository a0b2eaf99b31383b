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

# METADATA
# title: linkerd_inject
# description: The annotation (or label) with which Linkerd injects its proxy.
linkerd_inject := "linkerd.io/inject"

# METADATA
# title: linkerd_inbound_policy
# description: The annotation that sets Linkerd's default inbound policy.
linkerd_inbound_policy := "config.linkerd.io/default-inbound-policy"

# METADATA
# title: authenticated_policies
# description: >-
#   Linkerd's default inbound policies that require a mesh identity (or refuse everything).
#   all-authenticated allows any meshed client; cluster-authenticated only meshed clients from
#   the cluster networks; deny nothing without an explicit authorization.
authenticated_policies := {"all-authenticated", "cluster-authenticated", "deny"}

# Annotations that make the proxy let traffic through unencrypted. Linkerd reads them on the
# namespace and on the pod; Istio on the pod. Linkerd's opaque-ports is not one: opaque
# traffic still goes through the proxy over mTLS.
_skip_annotations := {
	"config.linkerd.io/skip-inbound-ports": "inbound ports",
	"config.linkerd.io/skip-outbound-ports": "outbound ports",
	"config.linkerd.io/skip-subnets": "outbound subnets",
	"traffic.sidecar.istio.io/excludeInboundPorts": "inbound ports",
	"traffic.sidecar.istio.io/excludeOutboundPorts": "outbound ports",
	"traffic.sidecar.istio.io/excludeOutboundIPRanges": "outbound IP ranges",
	"traffic.sidecar.istio.io/excludeInterfaces": "network interfaces",
}

# Istio annotations that capture only what they list: anything but "*" leaves the rest out.
_capture_annotations := {
	"traffic.sidecar.istio.io/includeInboundPorts": "inbound ports",
	"traffic.sidecar.istio.io/includeOutboundIPRanges": "outbound IP ranges",
}

# METADATA
# title: is_mesh_namespace_object
# description: >-
#   The Namespace object is the mesh's own (the Linkerd control plane), which is not
#   injected and is exempt.
is_mesh_namespace_object(obj) if {
	obj.kind == "Namespace"
	k8s.labels(obj)["linkerd.io/is-control-plane"] == "true"
}

# METADATA
# title: is_mesh_namespace
# description: The namespace named is the mesh's own, by its labels in the inventory.
is_mesh_namespace(ns) if {
	info := object.get(data.inventory.namespaces, ns, {})
	info.labels["linkerd.io/is-control-plane"] == "true"
}

# METADATA
# title: injection
# description: >-
#   How a Namespace object turns proxy injection on ("linkerd", "istio" or "cilium");
#   undefined when it does not.
# scope: document
injection(obj) := "linkerd" if _linkerd_injected(obj)

injection(obj) := "istio" if {
	not _linkerd_injected(obj)
	k8s.labels(obj)["istio-injection"] == "enabled"
}

injection(obj) := "istio" if {
	not _linkerd_injected(obj)
	not k8s.labels(obj)["istio-injection"]
	k8s.labels(obj)["istio.io/rev"] != ""
}

injection(obj) := "cilium" if {
	not _linkerd_injected(obj)
	not _istio_labelled(obj)
	_cilium_mutual_auth(k8s.name(obj))
}

# METADATA
# title: _linkerd_injected
# description: >-
#   The object's linkerd.io/inject annotation turns injection on ("ingress" is Linkerd's
#   injection mode for ingress controllers: the proxy still does mTLS).
_linkerd_injected(obj) if k8s.annotations(obj)[linkerd_inject] in {"enabled", "ingress"}

# METADATA
# title: _istio_labelled
# description: The object's labels turn Istio injection on (istio-injection, or a revision).
# scope: document
_istio_labelled(obj) if k8s.labels(obj)["istio-injection"] == "enabled"

_istio_labelled(obj) if {
	not k8s.labels(obj)["istio-injection"]
	k8s.labels(obj)["istio.io/rev"] != ""
}

# METADATA
# title: _cilium_mutual_auth
# description: >-
#   Cilium mutual authentication: a CiliumNetworkPolicy of the namespace that selects every
#   endpoint and requires mutual authentication on each of its ingress rules.
_cilium_mutual_auth(ns) if {
	some id in object.get(data.inventory.by_namespace, ns, [])
	policy := data.inventory.resources[id]
	policy.kind == "CiliumNetworkPolicy"
	spec := object.get(policy.object, "spec", {})
	object.get(spec, ["endpointSelector", "matchLabels"], {}) == {}
	count(object.get(spec, ["endpointSelector", "matchExpressions"], [])) == 0
	rules := object.get(spec, "ingress", [])
	count(rules) > 0
	every rule in rules {
		rule.authentication.mode == "required"
	}
}

# METADATA
# title: opt_outs
# description: >-
#   The pod-level opt-outs of a workload (annotations of its pod template, and Istio's
#   label), each worded "key: value".
opt_outs(obj) := {sprintf("%s: %v", [key, value]) |
	meta := k8s.pod_metadata(obj)
	some key, value in object.get(meta, "annotations", {})
	_opts_out(key, value)
} | {sprintf("label %s: %v", [key, value]) |
	meta := k8s.pod_metadata(obj)
	some key, value in object.get(meta, "labels", {})
	key == "sidecar.istio.io/inject"
	lower(sprintf("%v", [value])) == "false"
}

# METADATA
# title: _opts_out
# description: The pod template annotation key, set to value, turns the mesh proxy off.
# scope: document
_opts_out(key, value) if {
	key == linkerd_inject
	value == "disabled"
}

_opts_out(key, value) if {
	key == "sidecar.istio.io/inject"
	lower(sprintf("%v", [value])) == "false"
}

# METADATA
# title: bypasses
# description: >-
#   The proxy bypasses set by a map of annotations: {annotation: {skips, value}}, where
#   skips says what the proxy lets through unencrypted.
bypasses(annotations) := {key: {"skips": what, "value": text} |
	some key, value in annotations
	text := trim_space(sprintf("%v", [value]))
	what := _bypass(key, text)
}

# METADATA
# title: _bypass
# description: >-
#   What the proxy annotation key, set to text, lets through unencrypted; undefined when
#   it lets nothing through.
# scope: document
_bypass(key, text) := _skip_annotations[key] if text != ""

_bypass(key, text) := _capture_annotations[key] if text != "*"
