# METADATA
# title: No workload skips the mesh proxy for any port, and the default inbound policy requires mTLS
# description: >-
#   A meshed pod is only as protected as the traffic its proxy carries. Linkerd's
#   skip-inbound-ports, skip-outbound-ports and skip-subnets, and Istio's exclude/include
#   traffic annotations, make the proxy let some traffic through as plaintext, unauthenticated
#   and unseen by mesh policy. And a proxy whose default inbound policy admits unauthenticated
#   clients (all-unauthenticated, cluster-unauthenticated, audit) accepts connections that
#   present no mesh identity; the policy must be all-authenticated or stricter
#   (cluster-authenticated, deny) on every namespace, pod template, Linkerd Server and Istio
#   PeerAuthentication.
# custom:
#   id: KZ-MTL-02
#   severity: high
#   scopes: [iac, cluster, admission]
#   kinds:
#     - Namespace
#     - Pod
#     - Deployment
#     - StatefulSet
#     - DaemonSet
#     - ReplicaSet
#     - Job
#     - CronJob
#     - ReplicationController
#     - Server
#     - PeerAuthentication
#   reference: "docs/requirements.md#zero-trust-network; docs/requirements.md#workload-identity"
#   remediation: >-
#     Remove the skip/exclude annotations (use config.linkerd.io/opaque-ports for protocols the
#     proxy cannot detect: opaque traffic stays in mTLS). Annotate Linkerd namespaces with
#     config.linkerd.io/default-inbound-policy: all-authenticated (or cluster-authenticated, or
#     deny) and do not lower it on pod templates or Servers; set Istio PeerAuthentication mtls.mode
#     to STRICT.
#   frameworks:
#     soc2: [CC6.1, CC6.7]
#     iso27001: [A.8.20, A.8.21, A.8.24]
#     nist80053: [SC-8, SC-8(1), IA-3, AC-4]
package kaze.mtls.no_proxy_bypass

import rego.v1

import data.kaze.lib.k8s
import data.kaze.lib.mesh

# The annotations that configure the proxy: the namespace's own, or a workload's pod template.
_proxy_annotations := k8s.annotations(input.object) if input.object.kind == "Namespace"

_proxy_annotations := object.get(k8s.pod_metadata(input.object), "annotations", {}) if {
	input.object.kind in k8s.workload_kinds
}

# annotations_path is where proxy_annotations lie, for a finding's line ([]: the object's).
default _annotations_path := []

_annotations_path := ["metadata", "annotations"] if input.object.kind == "Namespace"

_annotations_path := array.concat(k8s.pod_metadata_path(input.object), ["annotations"]) if {
	input.object.kind in k8s.workload_kinds
}

_exempt if mesh.is_mesh_namespace_object(input.object)

_exempt if {
	input.object.kind != "Namespace"
	mesh.is_mesh_namespace(k8s.namespace(input.object))
}

_subject := sprintf("Namespace %s", [k8s.name(input.object)]) if input.object.kind == "Namespace"

_subject := sprintf("%s %s/%s", [input.object.kind, k8s.namespace(input.object), k8s.name(input.object)]) if {
	input.object.kind != "Namespace"
}

_where := "its pods" if input.object.kind == "Namespace"

_where := "its pod template" if input.object.kind != "Namespace"

violation contains v if {
	not _exempt
	some key, bypass in mesh.bypasses(_proxy_annotations)
	v := {
		"msg": sprintf(
			"%s makes the mesh proxy of %s let %s %s through without mTLS (%s: %s): remove the annotation",
			[_subject, _where, bypass.skips, bypass.value, key, bypass.value],
		),
		"resource": input.id,
		"evidence": {"annotation": key, "value": bypass.value, "field_path": k8s.below(_annotations_path, [key])},
	}
}

violation contains v if {
	not _exempt
	policy := _proxy_annotations[mesh.linkerd_inbound_policy]
	not policy in mesh.authenticated_policies
	v := {
		"msg": sprintf(
			concat("", [
				"%s sets the Linkerd default inbound policy to %v, which admits clients without a mesh identity: ",
				"set %s to all-authenticated (or cluster-authenticated, or deny)",
			]),
			[_subject, policy, mesh.linkerd_inbound_policy],
		),
		"resource": input.id,
		"evidence": {
			mesh.linkerd_inbound_policy: policy,
			"field_path": k8s.below(_annotations_path, [mesh.linkerd_inbound_policy]),
		},
	}
}

# A Linkerd-injected namespace without the annotation falls back to the cluster-wide default,
# which is all-unauthenticated unless Linkerd was installed otherwise.
violation contains v if {
	input.object.kind == "Namespace"
	not _exempt
	mesh.injection(input.object) == "linkerd"
	not k8s.annotations(input.object)[mesh.linkerd_inbound_policy]
	v := {
		"msg": sprintf(
			concat("", [
				"Namespace %s is meshed by Linkerd but does not set its default inbound policy, so it falls back to ",
				"the installation's default (all-unauthenticated unless configured otherwise): ",
				"annotate it with %s: all-authenticated",
			]),
			[k8s.name(input.object), mesh.linkerd_inbound_policy],
		),
		"resource": input.id,
		"evidence": {mesh.linkerd_inbound_policy: null},
	}
}

# A Linkerd Server's accessPolicy is the default inbound policy of the ports it selects.
violation contains v if {
	input.object.kind == "Server"
	startswith(object.get(input.object, "apiVersion", ""), "policy.linkerd.io/")
	not _exempt
	policy := input.object.spec.accessPolicy
	not policy in mesh.authenticated_policies
	v := {
		"msg": sprintf(
			concat("", [
				"Linkerd Server %s/%s sets accessPolicy %v, which admits clients without a mesh identity on its port: ",
				"set accessPolicy to deny (the default) or all-authenticated and authorize clients by mesh identity",
			]),
			[k8s.namespace(input.object), k8s.name(input.object), policy],
		),
		"resource": input.id,
		"evidence": {"accessPolicy": policy},
	}
}

# Istio: PeerAuthentication PERMISSIVE or DISABLE accepts plaintext, for the whole selection or a port.
violation contains v if {
	input.object.kind == "PeerAuthentication"
	not _exempt
	some where_, mode in _peer_modes
	mode in {"PERMISSIVE", "DISABLE"}
	v := {
		"msg": sprintf(
			"Istio PeerAuthentication %s/%s sets mTLS mode %s %s, which accepts plaintext: set mtls.mode to STRICT",
			[k8s.namespace(input.object), k8s.name(input.object), mode, where_],
		),
		"resource": input.id,
		"evidence": {"scope": where_, "mode": mode},
	}
}

_peer_modes["for the workloads it selects"] := upper(input.object.spec.mtls.mode)

_peer_modes[where_] := upper(setting.mode) if {
	some port, setting in object.get(input.object, ["spec", "portLevelMtls"], {})
	where_ := sprintf("on port %v", [port])
}
