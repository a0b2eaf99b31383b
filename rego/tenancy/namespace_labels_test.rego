package kaze.tenancy.namespace_labels_test

import rego.v1

import data.kaze.tenancy.namespace_labels

ns(labels) := {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n", "labels": labels}}

test_unlabelled_namespace_fails if {
	count(namespace_labels.violation) == 1 with input as {"id": "Namespace/n", "object": ns({})}
}

test_plane_namespace_passes if {
	count(namespace_labels.violation) == 0 with input as {"id": "Namespace/n", "object": ns({"kaze.io/plane": "system"})}
}

test_tenant_namespace_without_restricted_fails if {
	labels := {"kaze.io/tenant": "acme", "pod-security.kubernetes.io/enforce": "baseline"}
	doc := {"id": "Namespace/n", "object": ns(labels)}
	some v in namespace_labels.violation with input as doc
	v.resource == "Namespace/n"
	v.evidence["pod-security.kubernetes.io/enforce"] == "baseline"
}

test_tenant_namespace_restricted_passes if {
	labels := {"kaze.io/tenant": "acme", "pod-security.kubernetes.io/enforce": "restricted"}
	doc := {"id": "Namespace/n", "object": ns(labels)}
	count(namespace_labels.violation) == 0 with input as doc
}

test_other_kinds_ignored if {
	doc := {"id": "ConfigMap/n/c", "object": {"kind": "ConfigMap", "metadata": {"name": "c"}}}
	count(namespace_labels.violation) == 0 with input as doc
}
