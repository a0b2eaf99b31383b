package kaze.mtls.runtime_mtls_test

import rego.v1

import data.kaze.mtls.runtime_mtls

namespace(name, labels, annotations) := {
	"id": sprintf("Namespace/%s", [name]), "kind": "Namespace", "apiVersion": "v1",
	"object": {"kind": "Namespace", "metadata": {"name": name, "labels": labels, "annotations": annotations}},
}

meshed := namespace("tenant-acme", {"kaze.io/tenant": "acme"}, {"linkerd.io/inject": "enabled"})

unmeshed := namespace("legacy", {}, {})

own := namespace("linkerd", {"linkerd.io/is-control-plane": "true"}, {"linkerd.io/inject": "disabled"})

agent := {"namespace": "tenant-acme", "name": "agent-1", "containers": ["agent", "linkerd-proxy"], "meshed": true}

mutual := {"namespace": "tenant-acme", "service": "agent", "port": 8080, "plaintextAccepted": false, "clientCertRequired": true}

inventory(probe) := {
	"by_kind": {"ClusterProbeSnapshot": ["ClusterProbeSnapshot/cell"]},
	"namespaces": {r.object.metadata.name: {"labels": r.object.metadata.labels} | some r in [meshed, unmeshed, own]},
	"resources": object.union(
		{r.id: r | some r in [meshed, unmeshed, own]},
		{"ClusterProbeSnapshot/cell": {"id": "ClusterProbeSnapshot/cell", "kind": "ClusterProbeSnapshot", "apiVersion": "snapshot.kaze.io/v1", "object": probe}},
	),
}

test_all_meshed_and_mutual_passes if {
	inv := inventory({"pods": [agent], "tlsProbes": [mutual]})
	count(runtime_mtls.violation) == 0 with data.inventory as inv
	count(runtime_mtls.errors) == 0 with data.inventory as inv
	not runtime_mtls.not_applicable with data.inventory as inv
}

test_pod_without_proxy_in_meshed_namespace_fails if {
	pod := {"namespace": "tenant-acme", "name": "report-1", "containers": ["report"], "meshed": false}
	some v in runtime_mtls.violation with data.inventory as inventory({"pods": [agent, pod], "tlsProbes": [mutual]})
	v.resource == "ClusterProbeSnapshot/cell"
	v.evidence.pod == "tenant-acme/report-1"
}

test_proxy_detected_from_containers_when_meshed_is_absent if {
	with_proxy := {"namespace": "tenant-acme", "name": "a", "containers": ["a", "linkerd-proxy"]}
	without := {"namespace": "tenant-acme", "name": "b", "containers": ["b"]}
	count(runtime_mtls.violation) == 0 with data.inventory as inventory({"pods": [with_proxy], "tlsProbes": []})
	count(runtime_mtls.violation) == 1 with data.inventory as inventory({"pods": [without], "tlsProbes": []})
}

test_finished_pod_is_ignored if {
	pod := {"namespace": "tenant-acme", "name": "job-1", "containers": ["job"], "meshed": false, "phase": "Succeeded"}
	count(runtime_mtls.violation) == 0 with data.inventory as inventory({"pods": [pod], "tlsProbes": []})
}

test_unmeshed_pods_outside_meshed_namespaces_are_not_judged if {
	pods := [
		{"namespace": "linkerd", "name": "destination", "containers": ["destination"], "meshed": false},
		{"namespace": "legacy", "name": "old", "containers": ["old"], "meshed": false},
	]
	count(runtime_mtls.violation) == 0 with data.inventory as inventory({"pods": pods, "tlsProbes": []})
}

test_plaintext_accepted_fails if {
	probe := object.union(mutual, {"plaintextAccepted": true, "clientCertRequired": false})
	some v in runtime_mtls.violation with data.inventory as inventory({"pods": [agent], "tlsProbes": [probe]})
	contains(v.msg, "accepts plaintext connections and accepts TLS connections without a client certificate")
}

test_tls_without_client_certificate_fails if {
	probe := object.union(mutual, {"port": 8443, "clientCertRequired": false})
	some v in runtime_mtls.violation with data.inventory as inventory({"pods": [agent], "tlsProbes": [probe]})
	v.evidence.port == 8443
}

test_probes_of_the_mesh_namespace_are_exempt if {
	probe := {"namespace": "linkerd", "service": "linkerd-identity", "port": 8080, "plaintextAccepted": false, "clientCertRequired": false}
	count(runtime_mtls.violation) == 0 with data.inventory as inventory({"pods": [], "tlsProbes": [probe]})
}

test_missing_lists_are_errors if {
	errs := runtime_mtls.errors with data.inventory as inventory({"pods": [agent]})
	count(errs) == 1
}

test_probe_without_verdict_fields_is_an_error if {
	probe := {"namespace": "tenant-acme", "service": "agent", "port": 8080}
	count(runtime_mtls.errors) == 2 with data.inventory as inventory({"pods": [], "tlsProbes": [probe]})
}

test_not_applicable_without_snapshot if {
	runtime_mtls.not_applicable with data.inventory as {"by_kind": {}, "resources": {}, "namespaces": {}}
}
