package kaze.tenancy.quota_limits_test

import rego.v1

import data.kaze.tenancy.quota_limits

object_of(kind, ns, spec) := {
	"id": sprintf("%s/%s/%s", [kind, ns, lower(kind)]), "kind": kind, "namespace": ns,
	"object": {"kind": kind, "metadata": {"name": lower(kind), "namespace": ns}, "spec": spec},
}

quota(ns) := object_of("ResourceQuota", ns, {"hard": {"pods": "50"}})

limits(ns) := object_of("LimitRange", ns, {"limits": [{"type": "Container", "default": {"memory": "512Mi"}}]})

inventory(objects) := {
	"namespaces": {
		"tenant-a": {"tenant": "a", "plane": null, "labels": {}, "declared": true},
		"shared": {"tenant": null, "plane": "shared", "labels": {}, "declared": true},
	},
	"by_namespace": {ns: [o.id | some o in objects; o.namespace == ns] | some ns in {"tenant-a", "shared"}},
	"resources": {o.id: o | some o in objects},
}

test_quota_and_limits_pass if {
	count(quota_limits.violation) == 0 with data.inventory as inventory([quota("tenant-a"), limits("tenant-a")])
}

test_missing_limit_range_fails if {
	some v in quota_limits.violation with data.inventory as inventory([quota("tenant-a")])
	v.resource == "Namespace/tenant-a"
	v.evidence.missing == ["LimitRange"]
}

test_nothing_fails_with_both_missing if {
	some v in quota_limits.violation with data.inventory as inventory([])
	v.evidence.missing == ["ResourceQuota", "LimitRange"]
	contains(v.msg, "no ResourceQuota and no LimitRange")
}

test_quota_in_other_namespace_does_not_count if {
	some v in quota_limits.violation with data.inventory as inventory([quota("shared"), limits("tenant-a")])
	v.evidence.missing == ["ResourceQuota"]
}

test_empty_quota_does_not_count if {
	empty := object_of("ResourceQuota", "tenant-a", {"hard": {}})
	some v in quota_limits.violation with data.inventory as inventory([empty, limits("tenant-a")])
	v.evidence.state.ResourceQuota == "empty"
	contains(v.msg, "without hard limits")
}

test_shared_plane_needs_no_quota if {
	vs := quota_limits.violation with data.inventory as inventory([quota("tenant-a"), limits("tenant-a")])
	every v in vs {
		v.resource != "Namespace/shared"
	}
}
