package kaze.tenancy.quota_limits_test

import rego.v1

import data.kaze.tenancy.quota_limits
import data.kaze.testing.inventory

quota(ns) := inventory.resource("ResourceQuota", ns, "resourcequota", {"spec": {"hard": {"pods": "50"}}})

limits(ns) := inventory.resource("LimitRange", ns, "limitrange", {"spec": {"limits": [{
	"type": "Container",
	"default": {"memory": "512Mi"},
}]}})

namespaces := {
	"tenant-a": {"tenant": "a", "plane": null, "labels": {}, "declared": true},
	"shared": {"tenant": null, "plane": "shared", "labels": {}, "declared": true},
}

_inv(objects) := object.union(inventory.of(objects), {"namespaces": namespaces})

# Each case: the objects, and the evidence of the finding on tenant-a (null for none); the
# shared plane needs no quota.
test_decision[name] if {
	some name, [objects, want] in {
		"quota and limits pass": [[quota("tenant-a"), limits("tenant-a")], null],
		"missing limit range fails": [[quota("tenant-a")], {"missing": ["LimitRange"], "state": {"LimitRange": "missing"}}],
		"both missing fail": [
			[],
			{"missing": ["ResourceQuota", "LimitRange"], "state": {"ResourceQuota": "missing", "LimitRange": "missing"}},
		],
		"quota in other namespace does not count": [
			[quota("shared"), limits("tenant-a")],
			{"missing": ["ResourceQuota"], "state": {"ResourceQuota": "missing"}},
		],
		"empty quota does not count": [
			[inventory.resource("ResourceQuota", "tenant-a", "q", {"spec": {"hard": {}}}), limits("tenant-a")],
			{"missing": ["ResourceQuota"], "state": {"ResourceQuota": "empty"}},
		],
	}
	inv := _inv(objects)
	findings := quota_limits.violation with data.inventory as inv
	{v.resource | some v in findings} == {"Namespace/tenant-a" | want != null}
	every v in findings {
		v.evidence == want
	}
}

test_messages[name] if {
	some name, [objects, want] in {
		"both missing": [[], "Tenant namespace tenant-a has no ResourceQuota and no LimitRange: "],
		"empty quota": [
			[inventory.resource("ResourceQuota", "tenant-a", "q", {"spec": {"hard": {}}}), limits("tenant-a")],
			"Tenant namespace tenant-a has only ResourceQuotas without hard limits: ",
		],
		"empty limit range": [
			[quota("tenant-a"), inventory.resource("LimitRange", "tenant-a", "l", {"spec": {"limits": []}})],
			"Tenant namespace tenant-a has only LimitRanges without limits: ",
		],
	}
	inv := _inv(objects)
	findings := quota_limits.violation with data.inventory as inv
	[v.msg | some v in findings] == [concat("", [
		want,
		"add a ResourceQuota with hard limits and a LimitRange with default container requests and limits",
	])]
}
