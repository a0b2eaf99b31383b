# METADATA
# title: Admission-time image verification covers every tenant and shared namespace
# description: >-
#   Signed images protect nothing unless the cluster refuses unsigned ones when a pod is
#   created. The Sigstore policy-controller verifies images only in namespaces labelled
#   policy.sigstore.dev/include: "true", and only under a ClusterImagePolicy in enforce mode (in
#   warn mode an unsigned image is admitted with a warning); Kyverno verifies only the
#   namespaces its rules match and do not exclude, and only with failureAction Enforce. A tenant
#   or shared-plane namespace left out runs whatever image anyone manages to deploy there.
# custom:
#   id: KZ-SUP-03
#   severity: high
#   scopes: [iac, cluster]
#   whole_cell: true
#   reference: "docs/requirements.md#supply-chain"
#   remediation: >-
#     Label the namespace policy.sigstore.dev/include: "true" and keep a ClusterImagePolicy in
#     mode enforce; or, with Kyverno, match the namespace in a ClusterPolicy whose verifyImages
#     rule has failureAction: Enforce, and remove it from any exclude block.
#   frameworks:
#     soc2: [CC7.1, CC8.1]
#     iso27001: [A.5.21, A.8.19, A.8.32]
#     nist80053: [CM-14, SI-7, SI-7(15), SR-4]
#     cis_kubernetes: ["5.5.1"]
package kaze.supply_chain.admission_verification

import rego.v1

import data.kaze.lib.network

# Tenant and shared-plane namespaces declared in the target.
_covered_namespaces contains ns if {
	some ns, info in data.inventory.namespaces
	info.declared
	is_string(info.tenant)
}

_covered_namespaces contains ns if {
	some ns, info in data.inventory.namespaces
	info.declared
	info.plane == "shared"
}

not_applicable := "the target declares no tenant or shared-plane namespace" if count(_covered_namespaces) == 0

_declared_labels(ns) := object.get(data.inventory.namespaces[ns], "labels", {})

# Sigstore policy-controller ---------------------------------------------------------------

_cluster_image_policies := [r |
	some id in object.get(data.inventory.by_kind, "ClusterImagePolicy", [])
	r := data.inventory.resources[id]
	startswith(r.apiVersion, "policy.sigstore.dev/")
]

# The policy-controller's mode defaults to enforce.
_enforcing_cips := [r.id |
	some r in _cluster_image_policies
	lower(object.get(r.object, ["spec", "mode"], "enforce")) == "enforce"
	count(object.get(r.object, ["spec", "authorities"], [])) > 0
]

_by_policy_controller(ns) if {
	_declared_labels(ns)["policy.sigstore.dev/include"] == "true"
	count(_enforcing_cips) > 0
}

# Kyverno ------------------------------------------------------------------------------------

_kyverno_policies := [r |
	some kind in ["ClusterPolicy", "Policy"]
	some id in object.get(data.inventory.by_kind, kind, [])
	r := data.inventory.resources[id]
	startswith(r.apiVersion, "kyverno.io/")
	object.get(r.object, ["spec", "admission"], true) != false
]

# A namespaced Policy applies to its own namespace only.
_policy_scope_ok(policy, _) if policy.kind == "ClusterPolicy"

_policy_scope_ok(policy, ns) if {
	policy.kind == "Policy"
	policy.namespace == ns
}

# failureAction on the verifyImages entry (Kyverno ≥ 1.13), else the policy's
# validationFailureAction (default Audit), unless an override downgrades this namespace.
_enforces(policy, verify, ns) if {
	lower(object.get(verify, "failureAction", _policy_action(policy, ns))) == "enforce"
}

_policy_action(policy, ns) := override.action if {
	some override in object.get(policy.object, ["spec", "validationFailureActionOverrides"], [])
	some pattern in object.get(override, "namespaces", [])
	glob.match(pattern, [], ns)
} else := object.get(policy.object, ["spec", "validationFailureAction"], "Audit")

_verifying_rules(policy, ns) := [rule |
	some rule in object.get(policy.object, ["spec", "rules"], [])
	some verify in object.get(rule, "verifyImages", [])
	count(object.get(verify, "attestors", [])) > 0
	_enforces(policy, verify, ns)
]

_by_kyverno(ns) if {
	some policy in _kyverno_policies
	_policy_scope_ok(policy, ns)
	some rule in _verifying_rules(policy, ns)
	_matches(object.get(rule, "match", {}), ns, true)
	not _excluded(object.get(rule, "exclude", {}), ns)
}

# match/exclude: `any` (one filter), `all` (every filter), or the legacy single filter.
_matches(block, ns, whole) if {
	some filter in object.get(block, "any", [])
	_filter_matches(filter, ns, whole)
}

_matches(block, ns, whole) if {
	filters := object.get(block, "all", [])
	count(filters) > 0
	every filter in filters {
		_filter_matches(filter, ns, whole)
	}
}

_matches(block, ns, whole) if {
	not block.any
	not block.all
	block.resources
	_filter_matches(block, ns, whole)
}

# An exclude filter that removes any pod of the namespace leaves it partly unverified.
_excluded(block, ns) if _matches(block, ns, false)

# A filter _matches the namespace; `whole` asks that it match every pod created there by anyone.
_filter_matches(filter, ns, whole) if {
	resources := object.get(filter, "resources", {})
	_kinds_ok(object.get(resources, "kinds", ["*"]))
	_namespaces_ok(object.get(resources, "namespaces", ["*"]), ns)
	network.selector_matches(object.get(resources, "namespaceSelector", {}), _declared_labels(ns))
	_narrow_ok(filter, resources, whole)
}

_kinds_ok(kinds) if {
	some kind in kinds
	kind in {"*", "Pod", "v1/Pod"}
}

_namespaces_ok(patterns, ns) if {
	some pattern in patterns
	glob.match(pattern, [], ns)
}

# A clause with false as its argument would have no body, which regorus rejects (docs/rego.md):
# regal ignore:equals-pattern-matching
_narrow_ok(_, _, whole) if whole == false

_narrow_ok(filter, resources, true) if {
	count({key | some key in ["selector", "names", "name", "annotations"]; resources[key]}) == 0
	count({key | some key in ["subjects", "roles", "clusterRoles"]; count(object.get(filter, key, [])) > 0}) == 0
}

# ----------------------------------------------------------------------------------------

_covered(ns) if _by_policy_controller(ns)

_covered(ns) if _by_kyverno(ns)

violation contains v if {
	some ns in _covered_namespaces
	not _covered(ns)
	v := {
		"msg": sprintf(
			"%s namespace %s is not covered by admission-time image verification: %s; %s",
			[_kind_of(ns), ns, _why(ns), _fix(ns)],
		),
		"resource": sprintf("Namespace/%s", [ns]),
		"evidence": {
			"policy.sigstore.dev/include": object.get(_declared_labels(ns), "policy.sigstore.dev/include", null),
			"enforcing_cluster_image_policies": _enforcing_cips,
			"cluster_image_policies": [r.id | some r in _cluster_image_policies],
			"kyverno_policies": [r.id | some r in _kyverno_policies],
			"excluded_by": _excluded_by(ns),
		},
	}
}

_kind_of(ns) := "Tenant" if is_string(data.inventory.namespaces[ns].tenant)

_kind_of(ns) := "Shared-plane" if not is_string(object.get(data.inventory.namespaces[ns], "tenant", null))

# The enforcing Kyverno policies whose rule _matches the namespace but excludes some of it.
_excluded_by(ns) := sort({policy.id |
	some policy in _kyverno_policies
	_policy_scope_ok(policy, ns)
	some rule in _verifying_rules(policy, ns)
	_matches(object.get(rule, "match", {}), ns, true)
	_excluded(object.get(rule, "exclude", {}), ns)
})

_why(ns) := "no ClusterImagePolicy or Kyverno policy verifies images" if {
	count(_cluster_image_policies) + count(_kyverno_policies) == 0
} else := sprintf(
	"Kyverno policy %s matches it but its exclude block leaves it out",
	[concat(", ", _excluded_by(ns))],
) if {
	count(_excluded_by(ns)) > 0
} else := "the ClusterImagePolicy is not in enforce mode, so unsigned images are admitted with a warning" if {
	_declared_labels(ns)["policy.sigstore.dev/include"] == "true"
	count(_enforcing_cips) == 0
} else := concat("", [
	"it lacks the label policy.sigstore.dev/include: \"true\", ",
	"so the Sigstore policy-controller does not check it",
]) if {
	count(_enforcing_cips) > 0
} else := "no enforcing Kyverno verifyImages rule matches it"

_fix(ns) := "remove it from the exclude block" if {
	count(_excluded_by(ns)) > 0
} else := "set mode: enforce on the ClusterImagePolicy" if {
	count(_cluster_image_policies) > 0
	count(_enforcing_cips) == 0
	_declared_labels(ns)["policy.sigstore.dev/include"] == "true"
} else := "label it policy.sigstore.dev/include: \"true\"" if {
	count(_enforcing_cips) > 0
} else := concat("", [
	"label it policy.sigstore.dev/include: \"true\" under an enforcing ClusterImagePolicy, ",
	"or match it in a Kyverno verifyImages rule with failureAction: Enforce",
])
