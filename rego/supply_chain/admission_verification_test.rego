package kaze.supply_chain.admission_verification_test

import rego.v1

import data.kaze.supply_chain.admission_verification

include := {"policy.sigstore.dev/include": "true"}

namespaces(opted_in) := {
	"tenant-acme": {"tenant": "acme", "plane": null, "declared": true, "labels": object.union({"kaze.io/tenant": "acme"}, opted_in)},
	"kaze-agent-runtime": {"tenant": null, "plane": "shared", "declared": true, "labels": object.union({"kaze.io/plane": "shared"}, opted_in)},
	"kube-system": {"tenant": null, "plane": "system", "declared": true, "labels": {"kaze.io/plane": "system"}},
}

cip(mode) := {
	"id": "ClusterImagePolicy/signed", "kind": "ClusterImagePolicy", "apiVersion": "policy.sigstore.dev/v1beta1",
	"object": {"spec": object.union({"images": [{"glob": "registry.kaze.io/kaze/**"}], "authorities": [{"keyless": {}}]}, mode)},
}

kyverno(rule, spec) := {
	"id": "ClusterPolicy/verify", "kind": "ClusterPolicy", "apiVersion": "kyverno.io/v1",
	"object": {"spec": object.union({"rules": [rule]}, spec)},
}

verify := {"imageReferences": ["registry.kaze.io/kaze/*"], "failureAction": "Enforce", "attestors": [{"entries": [{"keyless": {}}]}]}

select_tenant_and_shared := {"any": [
	{"resources": {"kinds": ["Pod"], "namespaceSelector": {"matchExpressions": [{"key": "kaze.io/tenant", "operator": "Exists"}]}}},
	{"resources": {"kinds": ["Pod"], "namespaceSelector": {"matchLabels": {"kaze.io/plane": "shared"}}}},
]}

inventory(ns, policies) := {
	"namespaces": ns,
	"by_kind": {p.kind: [q.id | some q in policies; q.kind == p.kind] | some p in policies},
	"resources": {p.id: p | some p in policies},
}

names(vs) := {v.resource | some v in vs}

test_policy_controller_all_opted_in_passes if {
	count(admission_verification.violation) == 0 with data.inventory as inventory(namespaces(include), [cip({"mode": "enforce"})])
}

test_policy_controller_mode_defaults_to_enforce if {
	count(admission_verification.violation) == 0 with data.inventory as inventory(namespaces(include), [cip({})])
}

test_namespace_not_opted_in_fails if {
	names(admission_verification.violation) == {"Namespace/tenant-acme", "Namespace/kaze-agent-runtime"} with data.inventory as inventory(namespaces({}), [cip({"mode": "enforce"})])
}

test_warn_mode_covers_nothing if {
	some v in admission_verification.violation with data.inventory as inventory(namespaces(include), [cip({"mode": "warn"})])
	contains(v.msg, "not in enforce mode")
}

test_no_policy_at_all_fails if {
	count(admission_verification.violation) == 2 with data.inventory as inventory(namespaces(include), [])
}

test_kyverno_selectors_cover_all if {
	rule := {"name": "r", "match": select_tenant_and_shared, "verifyImages": [verify]}
	count(admission_verification.violation) == 0 with data.inventory as inventory(namespaces({}), [kyverno(rule, {})])
}

test_kyverno_exclude_leaves_namespace_out if {
	rule := {"name": "r", "match": select_tenant_and_shared, "exclude": {"any": [{"resources": {"namespaces": ["kaze-agent-*"]}}]}, "verifyImages": [verify]}
	vs := admission_verification.violation with data.inventory as inventory(namespaces({}), [kyverno(rule, {})])
	names(vs) == {"Namespace/kaze-agent-runtime"}
	some v in vs
	v.evidence.excluded_by == ["ClusterPolicy/verify"]
}

test_kyverno_exclude_of_some_pods_still_leaves_a_gap if {
	partial := {"any": [{"resources": {"selector": {"matchLabels": {"app": "tools"}}, "namespaces": ["tenant-acme"]}}]}
	rule := {"name": "r", "match": select_tenant_and_shared, "exclude": partial, "verifyImages": [verify]}
	names(admission_verification.violation) == {"Namespace/tenant-acme"} with data.inventory as inventory(namespaces({}), [kyverno(rule, {})])
}

test_kyverno_audit_does_not_cover if {
	rule := {"name": "r", "match": select_tenant_and_shared, "verifyImages": [object.remove(verify, ["failureAction"])]}
	count(admission_verification.violation) == 2 with data.inventory as inventory(namespaces({}), [kyverno(rule, {})])
}

test_kyverno_legacy_policy_level_enforce_covers if {
	rule := {"name": "r", "match": select_tenant_and_shared, "verifyImages": [object.remove(verify, ["failureAction"])]}
	count(admission_verification.violation) == 0 with data.inventory as inventory(namespaces({}), [kyverno(rule, {"validationFailureAction": "Enforce"})])
}

test_kyverno_override_downgrades_a_namespace if {
	rule := {"name": "r", "match": select_tenant_and_shared, "verifyImages": [object.remove(verify, ["failureAction"])]}
	spec := {"validationFailureAction": "Enforce", "validationFailureActionOverrides": [{"action": "Audit", "namespaces": ["tenant-*"]}]}
	names(admission_verification.violation) == {"Namespace/tenant-acme"} with data.inventory as inventory(namespaces({}), [kyverno(rule, spec)])
}

test_kyverno_match_all_requires_every_filter if {
	match := {"all": [
		{"resources": {"kinds": ["Pod"]}},
		{"resources": {"namespaceSelector": {"matchLabels": {"kaze.io/plane": "shared"}}}},
	]}
	rule := {"name": "r", "match": match, "verifyImages": [verify]}
	names(admission_verification.violation) == {"Namespace/tenant-acme"} with data.inventory as inventory(namespaces({}), [kyverno(rule, {})])
}

test_kyverno_not_in_selector if {
	match := {"any": [{"resources": {"kinds": ["Pod"], "namespaceSelector": {"matchExpressions": [{"key": "kaze.io/plane", "operator": "NotIn", "values": ["system"]}]}}}]}
	rule := {"name": "r", "match": match, "verifyImages": [verify]}
	count(admission_verification.violation) == 0 with data.inventory as inventory(namespaces({}), [kyverno(rule, {})])
}

test_kyverno_admission_disabled_does_not_cover if {
	rule := {"name": "r", "match": select_tenant_and_shared, "verifyImages": [verify]}
	count(admission_verification.violation) == 2 with data.inventory as inventory(namespaces({}), [kyverno(rule, {"admission": false})])
}

test_not_applicable_without_tenant_or_shared_namespace if {
	admission_verification.not_applicable with data.inventory as inventory({"kube-system": {"tenant": null, "plane": "system", "declared": true, "labels": {}}}, [])
}
