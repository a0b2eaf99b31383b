package kaze.supply_chain.admission_verification_test

import rego.v1

import data.kaze.supply_chain.admission_verification

include := {"policy.sigstore.dev/include": "true"}

namespaces(opted_in) := {
	"tenant-acme": {
		"tenant": "acme", "plane": null, "declared": true,
		"labels": object.union({"kaze.io/tenant": "acme"}, opted_in),
	},
	"kaze-agent-runtime": {
		"tenant": null, "plane": "shared", "declared": true,
		"labels": object.union({"kaze.io/plane": "shared"}, opted_in),
	},
	"kube-system": {"tenant": null, "plane": "system", "declared": true, "labels": {"kaze.io/plane": "system"}},
}

cip(mode) := {
	"id": "ClusterImagePolicy/signed", "kind": "ClusterImagePolicy", "apiVersion": "policy.sigstore.dev/v1beta1",
	"object": {"spec": object.union(
		{"images": [{"glob": "registry.kaze.io/kaze/**"}], "authorities": [{"keyless": {}}]},
		mode,
	)},
}

kyverno(rule, spec) := {
	"id": "ClusterPolicy/verify", "kind": "ClusterPolicy", "apiVersion": "kyverno.io/v1",
	"object": {"spec": object.union({"rules": [rule]}, spec)},
}

verify := {
	"imageReferences": ["registry.kaze.io/kaze/*"],
	"failureAction": "Enforce",
	"attestors": [{"entries": [{"keyless": {}}]}],
}

audit := object.remove(verify, ["failureAction"])

pods_where(selector) := {"resources": {"kinds": ["Pod"], "namespaceSelector": selector}}

select_tenant_and_shared := {"any": [
	pods_where({"matchExpressions": [{"key": "kaze.io/tenant", "operator": "Exists"}]}),
	pods_where({"matchLabels": {"kaze.io/plane": "shared"}}),
]}

rule(match, verify_images) := {"name": "r", "match": match, "verifyImages": [verify_images]}

excluding(exclude) := object.union(rule(select_tenant_and_shared, verify), {"exclude": exclude})

inventory(ns, policies) := {
	"namespaces": ns,
	"by_kind": {p.kind: [q.id | some q in policies; q.kind == p.kind] | some p in policies},
	"resources": {p.id: p | some p in policies},
}

both := {"Namespace/tenant-acme", "Namespace/kaze-agent-runtime"}

# Each case: the labels every covered namespace carries, the policies, and the namespaces named.
cases := {
	"policy controller, all opted in, passes": [include, [cip({"mode": "enforce"})], set()],
	"policy controller mode defaults to enforce": [include, [cip({})], set()],
	"namespace not opted in fails": [{}, [cip({"mode": "enforce"})], both],
	"warn mode covers nothing": [include, [cip({"mode": "warn"})], both],
	"no policy at all fails": [include, [], both],
	"kyverno selectors cover all": [{}, [kyverno(rule(select_tenant_and_shared, verify), {})], set()],
	"kyverno exclude leaves namespace out": [
		{},
		[kyverno(excluding({"any": [{"resources": {"namespaces": ["kaze-agent-*"]}}]}), {})],
		{"Namespace/kaze-agent-runtime"},
	],
	"kyverno exclude of some pods still leaves a gap": [
		{},
		[kyverno(
			excluding({"any": [{"resources": {
				"selector": {"matchLabels": {"app": "tools"}},
				"namespaces": ["tenant-acme"],
			}}]}),
			{},
		)],
		{"Namespace/tenant-acme"},
	],
	"kyverno audit does not cover": [{}, [kyverno(rule(select_tenant_and_shared, audit), {})], both],
	"kyverno legacy policy-level enforce covers": [
		{},
		[kyverno(rule(select_tenant_and_shared, audit), {"validationFailureAction": "Enforce"})],
		set(),
	],
	"kyverno override downgrades a namespace": [
		{},
		[kyverno(rule(select_tenant_and_shared, audit), {
			"validationFailureAction": "Enforce",
			"validationFailureActionOverrides": [{"action": "Audit", "namespaces": ["tenant-*"]}],
		})],
		{"Namespace/tenant-acme"},
	],
	"kyverno match all requires every filter": [
		{},
		[kyverno(
			rule(
				{"all": [
					{"resources": {"kinds": ["Pod"]}},
					{"resources": {"namespaceSelector": {"matchLabels": {"kaze.io/plane": "shared"}}}},
				]},
				verify,
			),
			{},
		)],
		{"Namespace/tenant-acme"},
	],
	"kyverno NotIn selector": [
		{},
		[kyverno(
			rule(
				{"any": [pods_where({"matchExpressions": [{
					"key": "kaze.io/plane",
					"operator": "NotIn",
					"values": ["system"],
				}]})]},
				verify,
			),
			{},
		)],
		set(),
	],
	"kyverno admission disabled does not cover": [
		{},
		[kyverno(rule(select_tenant_and_shared, verify), {"admission": false})],
		both,
	],
}

test_named[name] if {
	some name, [labels, policies, want] in cases
	inv := inventory(namespaces(labels), policies)
	vs := admission_verification.violation with data.inventory as inv
	{v.resource | some v in vs} == want
}

test_warn_mode_says_so if {
	inv := inventory(namespaces(include), [cip({"mode": "warn"})])
	some v in admission_verification.violation with data.inventory as inv
	contains(v.msg, "not in enforce mode")
}

test_kyverno_exclude_names_the_policy if {
	inv := inventory(namespaces({}), [kyverno(excluding({"any": [{"resources": {"namespaces": ["kaze-agent-*"]}}]}), {})])
	some v in admission_verification.violation with data.inventory as inv
	v.evidence.excluded_by == ["ClusterPolicy/verify"]
}

test_not_applicable_without_tenant_or_shared_namespace if {
	inv := inventory({"kube-system": {"tenant": null, "plane": "system", "declared": true, "labels": {}}}, [])
	admission_verification.not_applicable with data.inventory as inv
}
