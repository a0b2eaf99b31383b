# METADATA
# title: Every namespace is labelled with its tenant or plane; tenant namespaces enforce Pod Security restricted
# description: >-
#   Tenant isolation starts with knowing whose a namespace is. Every namespace must carry
#   kaze.io/tenant (it belongs to one tenant) or kaze.io/plane (shared or system), so that
#   network, RBAC and quota controls can be computed per tenant; and a tenant namespace must
#   enforce the Pod Security Standard "restricted", so no tenant workload can run privileged.
# custom:
#   id: KZ-TEN-01
#   severity: high
#   scopes: [iac, cluster, admission]
#   kinds: [Namespace]
#   reference: >-
#     docs/requirements.md#cells; docs/requirements.md#zero-trust-network;
#     docs/requirements.md#tenant-isolation
#   remediation: >-
#     Add the label kaze.io/tenant=<tenant> (or kaze.io/plane=shared|system) to the namespace,
#     and on tenant namespaces the label pod-security.kubernetes.io/enforce=restricted.
#   frameworks:
#     soc2: [CC6.1]
#     iso27001: [A.5.15, A.8.22]
#     nist80053: [AC-4, SC-7]
#     cis_kubernetes: ["5.2.1", "5.7.1"]
package kaze.tenancy.namespace_labels

import rego.v1

import data.kaze.lib.k8s

violation contains v if {
	input.object.kind == "Namespace"
	labels := k8s.labels(input.object)
	not labels["kaze.io/tenant"]
	not labels["kaze.io/plane"]
	v := {
		"msg": sprintf(
			concat("", [
				"Namespace %s has neither a kaze.io/tenant nor a kaze.io/plane label: ",
				"label it with the tenant that owns it, or with kaze.io/plane=shared|system",
			]),
			[k8s.name(input.object)],
		),
		"resource": input.id,
		"evidence": {"labels": labels, "field_path": ["metadata", "labels"]},
	}
}

violation contains v if {
	input.object.kind == "Namespace"
	labels := k8s.labels(input.object)
	tenant := labels["kaze.io/tenant"]
	enforce := object.get(labels, "pod-security.kubernetes.io/enforce", null)
	enforce != "restricted"
	v := {
		"msg": sprintf(
			"Namespace %s of tenant %s enforces Pod Security %v: set the label pod-security.kubernetes.io/enforce=restricted",
			[k8s.name(input.object), tenant, enforce],
		),
		"resource": input.id,
		"evidence": {"pod-security.kubernetes.io/enforce": enforce, "field_path": enforce_path(enforce)},
	}
}

# enforce_path is the enforce label's path, or the labels' when it is not set.
enforce_path(null) := ["metadata", "labels"]

enforce_path(enforce) := ["metadata", "labels", "pod-security.kubernetes.io/enforce"] if enforce != null
