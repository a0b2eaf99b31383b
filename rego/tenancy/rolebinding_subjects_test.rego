package kaze.tenancy.rolebinding_subjects_test

import rego.v1

import data.kaze.tenancy.rolebinding_subjects

inv := {
	"namespaces": {
		"tenant-a": {"tenant": "a", "plane": null, "labels": {}},
		"tenant-b": {"tenant": "b", "plane": null, "labels": {}},
		"shared": {"tenant": null, "plane": "shared", "labels": {}},
	},
	"config": {"tenants": [{"name": "c", "vertical": "retail", "namespaces": ["tenant-c"]}]},
}

binding(ns, subjects) := {
	"kind": "RoleBinding",
	"metadata": {"name": "rb", "namespace": ns},
	"roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"},
	"subjects": subjects,
}

sa(ns) := {"kind": "ServiceAccount", "name": "agent", "namespace": ns}

# Each case: the binding, and the tenants of the subjects its findings name.
cases := {
	"other tenant's service account fails": [binding("tenant-a", [sa("tenant-b")]), {"b"}],
	"user form of service account fails": [
		binding("tenant-a", [{"kind": "User", "name": "system:serviceaccount:tenant-b:agent"}]),
		{"b"},
	],
	"service accounts group fails": [
		binding("tenant-a", [{"kind": "Group", "name": "system:serviceaccounts:tenant-b"}]),
		{"b"},
	],
	"everyone group fails": [binding("tenant-a", [{"kind": "Group", "name": "system:authenticated"}]), {"*"}],
	"tenant known from configuration only": [binding("tenant-a", [sa("tenant-c")]), {"c"}],
	"own and shared subjects pass": [
		binding("tenant-a", [
			sa("tenant-a"),
			{"kind": "ServiceAccount", "name": "agent"},
			{"kind": "Group", "name": "system:serviceaccounts:tenant-a"},
			{"kind": "ServiceAccount", "name": "runtime", "namespace": "shared"},
			{"kind": "User", "name": "alice@kaze.io"},
		]),
		set(),
	],
	"binding outside tenant namespaces passes": [binding("shared", [sa("tenant-b")]), set()],
	"cluster role binding ignored": [
		object.union(binding("tenant-a", [sa("tenant-b")]), {"kind": "ClusterRoleBinding"}),
		set(),
	],
}

test_subject_tenants[name] if {
	some name, [obj, want] in cases
	doc := {"id": "RoleBinding/x/rb", "object": obj}
	vs := rolebinding_subjects.violation with input as doc with data.inventory as inv
	{v.evidence.subject_tenant | some v in vs} == want
}

test_finding_names_the_subject if {
	doc := {"id": "RoleBinding/x/rb", "object": binding("tenant-a", [sa("tenant-b")])}
	some v in rolebinding_subjects.violation with input as doc with data.inventory as inv
	v.resource == "RoleBinding/x/rb"
	contains(v.msg, "ServiceAccount tenant-b/agent")
}
