# METADATA
# title: Every namespace but the mesh's own injects the mesh proxy, and no workload opts out
# description: >-
#   mTLS everywhere, even inside the cluster, holds only for pods that run the mesh proxy. The
#   proxy is injected into the pods of a namespace that asks for it (Linkerd's annotation
#   linkerd.io/inject: enabled, or Istio's istio-injection label), or the namespace's traffic
#   is mutually authenticated by Cilium; a pod template can still opt out. A namespace without
#   injection, or a workload that opts out, talks plaintext to everything it reaches and
#   accepts plaintext from anyone. Only the mesh's own control-plane namespace runs without it.
# custom:
#   id: KZ-MTL-01
#   severity: critical
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
#   reference: "docs/requirements.md#zero-trust-network; docs/requirements.md#workload-identity"
#   remediation: >-
#     Annotate the namespace with linkerd.io/inject: enabled (an annotation, not a label), or
#     label it istio-injection: enabled where Istio is the mesh; and remove
#     linkerd.io/inject: disabled or sidecar.istio.io/inject: "false" from the workload's pod
#     template.
#   frameworks:
#     soc2: [CC6.1, CC6.7]
#     iso27001: [A.8.20, A.8.21, A.8.24]
#     nist80053: [SC-8, SC-8(1), IA-3]
package kaze.mtls.mesh_injection

import rego.v1

import data.kaze.lib.k8s
import data.kaze.lib.mesh

violation contains v if {
	input.object.kind == "Namespace"
	not mesh.is_mesh_namespace_object(input.object)
	not mesh.injection(input.object)
	annotations := k8s.annotations(input.object)
	v := {
		"msg": sprintf(
			concat("", [
				"Namespace %s does not inject the mesh proxy%s: annotate it with linkerd.io/inject: enabled ",
				"(or label it istio-injection: enabled where Istio is the mesh)",
			]),
			[k8s.name(input.object), _why_not(input.object)],
		),
		"resource": input.id,
		"evidence": {
			"linkerd.io/inject annotation": object.get(annotations, mesh.linkerd_inject, null),
			"linkerd.io/inject label": object.get(k8s.labels(input.object), mesh.linkerd_inject, null),
			"istio-injection label": object.get(k8s.labels(input.object), "istio-injection", null),
		},
	}
}

violation contains v if {
	input.object.kind in k8s.workload_kinds
	not mesh.is_mesh_namespace(k8s.namespace(input.object))
	opt_outs := mesh.opt_outs(input.object)
	count(opt_outs) > 0
	v := {
		"msg": sprintf(
			concat("", [
				"%s %s/%s opts its pods out of the mesh (%s): ",
				"remove the opt-out from its pod template so that the proxy is injected",
			]),
			[input.object.kind, k8s.namespace(input.object), k8s.name(input.object), concat(", ", sort(opt_outs))],
		),
		"resource": input.id,
		"evidence": {"opt_outs": sort(opt_outs)},
	}
}

_why_not(obj) := " (linkerd.io/inject is set as a label, which Linkerd ignores: it reads the annotation)" if {
	k8s.labels(obj)[mesh.linkerd_inject] == "enabled"
} else := sprintf(" (linkerd.io/inject is %v)", [k8s.annotations(obj)[mesh.linkerd_inject]]) if {
	k8s.annotations(obj)[mesh.linkerd_inject]
} else := ""
