package kaze.mtls.runtime_mtls_test

import rego.v1

import data.kaze.mtls.runtime_mtls
import data.kaze.testing.inventory

_namespace(name, labels, annotations) := inventory.resource(
	"Namespace", null, name,
	{"metadata": {"name": name, "labels": labels, "annotations": annotations}},
)

_namespaces := [
	_namespace("tenant-acme", {"kaze.io/tenant": "acme"}, {"linkerd.io/inject": "enabled"}),
	_namespace("legacy", {}, {}),
	_namespace("linkerd", {"linkerd.io/is-control-plane": "true"}, {"linkerd.io/inject": "disabled"}),
]

_agent := {"namespace": "tenant-acme", "name": "agent-1", "containers": ["agent", "linkerd-proxy"], "meshed": true}

_mutual := {
	"namespace": "tenant-acme", "service": "agent", "port": 8080,
	"plaintextAccepted": false, "clientCertRequired": true,
}

# The cluster's namespaces and one probe snapshot holding what the probe recorded.
_probed(recorded) := object.union(
	inventory.of(array.concat(_namespaces, [inventory.resource(
		"ClusterProbeSnapshot", null, "cell",
		object.union({"apiVersion": "snapshot.kaze.io/v1"}, recorded),
	)])),
	{"namespaces": {r.name: {"labels": r.object.metadata.labels} | some r in _namespaces}},
)

test_all_meshed_and_mutual_passes if {
	probed := _probed({"pods": [_agent], "tlsProbes": [_mutual]})
	count(runtime_mtls.violation) == 0 with data.inventory as probed
	count(runtime_mtls.errors) == 0 with data.inventory as probed

	# Asserts that the package leaves not_applicable undefined, which Regal takes for a reference
	# to a rule that does not exist:
	# regal ignore:unresolved-reference
	not runtime_mtls.not_applicable with data.inventory as probed
}

test_pod_without_proxy_in_meshed_namespace_fails if {
	pod := {"namespace": "tenant-acme", "name": "report-1", "containers": ["report"], "meshed": false}
	probed := _probed({"pods": [_agent, pod], "tlsProbes": [_mutual]})
	some v in runtime_mtls.violation with data.inventory as probed
	v.resource == "ClusterProbeSnapshot/cell"
	v.evidence.pod == "tenant-acme/report-1"
}

# name: [the pods and service ports the probe recorded, how many findings]
_recorded := {
	"a proxy found among the containers": [
		{"pods": [{"namespace": "tenant-acme", "name": "a", "containers": ["a", "linkerd-proxy"]}], "tlsProbes": []},
		0,
	],
	"no proxy among the containers": [
		{"pods": [{"namespace": "tenant-acme", "name": "b", "containers": ["b"]}], "tlsProbes": []},
		1,
	],
	"a finished pod": [
		{
			"pods": [{
				"namespace": "tenant-acme", "name": "job-1", "containers": ["job"],
				"meshed": false, "phase": "Succeeded",
			}],
			"tlsProbes": [],
		},
		0,
	],
	"unmeshed pods outside meshed namespaces": [
		{
			"pods": [
				{"namespace": "linkerd", "name": "destination", "containers": ["destination"], "meshed": false},
				{"namespace": "legacy", "name": "old", "containers": ["old"], "meshed": false},
			],
			"tlsProbes": [],
		},
		0,
	],
	"the probes of the mesh's namespace": [
		{"pods": [], "tlsProbes": [{
			"namespace": "linkerd", "service": "linkerd-identity", "port": 8080,
			"plaintextAccepted": false, "clientCertRequired": false,
		}]},
		0,
	],
}

test_recorded[name] if {
	some name, [snapshot, want] in _recorded
	probed := _probed(snapshot)
	count(runtime_mtls.violation) == want with data.inventory as probed
}

test_plaintext_accepted_fails if {
	probe := object.union(_mutual, {"plaintextAccepted": true, "clientCertRequired": false})
	probed := _probed({"pods": [_agent], "tlsProbes": [probe]})
	some v in runtime_mtls.violation with data.inventory as probed
	contains(v.msg, "accepts plaintext connections and accepts TLS connections without a client certificate")
}

test_tls_without_client_certificate_fails if {
	probe := object.union(_mutual, {"port": 8443, "clientCertRequired": false})
	probed := _probed({"pods": [_agent], "tlsProbes": [probe]})
	some v in runtime_mtls.violation with data.inventory as probed
	v.evidence.port == 8443
}

test_missing_lists_are_errors if {
	errs := runtime_mtls.errors with data.inventory as _probed({"pods": [_agent]})
	count(errs) == 1
}

test_probe_without_verdict_fields_is_an_error if {
	probed := _probed({"pods": [], "tlsProbes": [{"namespace": "tenant-acme", "service": "agent", "port": 8080}]})
	count(runtime_mtls.errors) == 2 with data.inventory as probed
}

test_not_applicable_without_snapshot if {
	runtime_mtls.not_applicable with data.inventory as {"by_kind": {}, "resources": {}, "namespaces": {}}
}
