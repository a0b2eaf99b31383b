# METADATA
# title: >-
#   Every running pod of a meshed namespace has its proxy, and every service port requires a
#   mesh client certificate
# description: >-
#   Injection is declared; the running cluster is what counts. A pod created while the proxy
#   injector was down, or restarted around it, runs without its proxy in a namespace that is
#   meant to be meshed, and a service port that accepts plaintext, or TLS without a client
#   certificate, lets any pod of the cluster (or anything that reaches the node) connect without
#   a mesh identity. A probe of the live cluster records both; this control reads that record.
# custom:
#   id: KZ-MTL-03
#   severity: high
#   scopes: [cluster]
#   reference: "docs/requirements.md#zero-trust-network; docs/requirements.md#workload-identity"
#   remediation: >-
#     Restart the pods that run without a proxy (kubectl rollout restart of their workload) once
#     the injector is healthy, and find why they escaped it. For a port that accepts plaintext or
#     no client certificate, mesh the pods behind it, remove any skip-inbound-ports for it, and
#     set the default inbound policy to all-authenticated.
#   frameworks:
#     soc2: [CC6.1, CC6.7, CC7.1]
#     iso27001: [A.8.20, A.8.21, A.8.24]
#     nist80053: [SC-8, SC-8(1), IA-3, CA-7]
package kaze.mtls.runtime_mtls

import rego.v1

import data.kaze.lib.mesh

_snapshot_ids := [id |
	some id in object.get(data.inventory.by_kind, "ClusterProbeSnapshot", [])
	data.inventory.resources[id].apiVersion == "snapshot.kaze.io/v1"
]

not_applicable := concat("", [
	"the target has no cluster probe (ClusterProbeSnapshot): ",
	"nothing records the running pods and their ports",
]) if {
	count(_snapshot_ids) == 0
}

errors contains sprintf("%s has no %s list: the probe did not record %s", [id, field, what]) if {
	some id in _snapshot_ids
	some field, what in {"pods": "the running pods", "tlsProbes": "the connection attempts to service ports"}
	not is_array(object.get(data.inventory.resources[id].object, field, null))
}

errors contains sprintf(
	"%s: pod %v/%v says neither whether it is meshed nor which containers it runs",
	[id, pod.namespace, pod.name],
) if {
	some [id, pod] in _pods
	not is_boolean(object.get(pod, "meshed", null))
	not is_array(object.get(pod, "containers", null))
}

errors contains sprintf(
	"%s: the probe of %v/%v port %v lacks %s",
	[id, probe.namespace, probe.service, probe.port, field],
) if {
	some [id, probe] in _probes
	some field in ["plaintextAccepted", "clientCertRequired"]
	not is_boolean(object.get(probe, field, null))
}

_pods contains [id, pod] if {
	some id in _snapshot_ids
	some pod in object.get(data.inventory.resources[id].object, "pods", [])
}

_probes contains [id, probe] if {
	some id in _snapshot_ids
	some probe in object.get(data.inventory.resources[id].object, "tlsProbes", [])
}

_proxy_containers := {"linkerd-proxy", "istio-proxy"}

_has_proxy(pod) := pod.meshed if is_boolean(pod.meshed)

_has_proxy(pod) if {
	not is_boolean(object.get(pod, "meshed", null))
	count(_proxies(pod)) > 0
}

_has_proxy(pod) := false if {
	not is_boolean(object.get(pod, "meshed", null))
	count(_proxies(pod)) == 0
}

_proxies(pod) := {c | some c in pod.containers; c in _proxy_containers}

# A namespace that injects the proxy (as declared by its Namespace object).
_meshed_namespace(ns) := mesh.injection(data.inventory.resources[sprintf("Namespace/%s", [ns])].object)

_finished(pod) if object.get(pod, "phase", "Running") in {"Succeeded", "Failed"}

violation contains v if {
	some [id, pod] in _pods
	not _finished(pod)
	not mesh.is_mesh_namespace(pod.namespace)
	_has_proxy(pod) == false
	by := _meshed_namespace(pod.namespace)
	v := {
		"msg": sprintf(
			concat("", [
				"Pod %s/%s runs without the mesh proxy although namespace %s is meshed (%s): ",
				"restart it through its workload once the proxy injector is healthy",
			]),
			[pod.namespace, pod.name, pod.namespace, by],
		),
		"resource": id,
		"evidence": {
			"pod": sprintf("%s/%s", [pod.namespace, pod.name]),
			"containers": object.get(pod, "containers", null),
			"meshed": object.get(pod, "meshed", null),
		},
	}
}

violation contains v if {
	some [id, probe] in _probes
	not mesh.is_mesh_namespace(probe.namespace)
	problems := _probe_problems(probe)
	count(problems) > 0
	v := {
		"msg": sprintf(
			concat("", [
				"Service %s/%s port %v %s: mesh the pods behind it and require a mesh identity ",
				"(default inbound policy all-authenticated, no skipped inbound port)",
			]),
			[probe.namespace, probe.service, probe.port, concat(" and ", problems)],
		),
		"resource": id,
		"evidence": {
			"service": sprintf("%s/%s", [probe.namespace, probe.service]),
			"port": probe.port,
			"plaintextAccepted": probe.plaintextAccepted,
			"clientCertRequired": probe.clientCertRequired,
		},
	}
}

_probe_problems(probe) := array.concat(
	["accepts plaintext connections" | probe.plaintextAccepted == true],
	["accepts TLS connections without a client certificate" | probe.clientCertRequired == false],
)
