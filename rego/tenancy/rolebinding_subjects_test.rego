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

findings(obj) := vs if {
	vs := rolebinding_subjects.violation with input as {"id": "RoleBinding/x/rb", "object": obj} with data.inventory as inv
}

test_other_tenants_service_account_fails if {
	some v in findings(binding("tenant-a", [{"kind": "ServiceAccount", "name": "agent", "namespace": "tenant-b"}]))
	v.resource == "RoleBinding/x/rb"
	v.evidence.subject_tenant == "b"
	contains(v.msg, "ServiceAccount tenant-b/agent")
}

test_user_form_of_service_account_fails if {
	some v in findings(binding("tenant-a", [{"kind": "User", "name": "system:serviceaccount:tenant-b:agent"}]))
	v.evidence.subject_tenant == "b"
}

test_service_accounts_group_fails if {
	some v in findings(binding("tenant-a", [{"kind": "Group", "name": "system:serviceaccounts:tenant-b"}]))
	v.evidence.subject_tenant == "b"
}

test_everyone_group_fails if {
	some v in findings(binding("tenant-a", [{"kind": "Group", "name": "system:authenticated"}]))
	v.evidence.subject_tenant == "*"
}

test_tenant_known_from_configuration_only if {
	some v in findings(binding("tenant-a", [{"kind": "ServiceAccount", "name": "agent", "namespace": "tenant-c"}]))
	v.evidence.subject_tenant == "c"
}

test_own_and_shared_subjects_pass if {
	subjects := [
		{"kind": "ServiceAccount", "name": "agent", "namespace": "tenant-a"},
		{"kind": "ServiceAccount", "name": "agent"},
		{"kind": "Group", "name": "system:serviceaccounts:tenant-a"},
		{"kind": "ServiceAccount", "name": "runtime", "namespace": "shared"},
		{"kind": "User", "name": "alice@kaze.io"},
	]
	count(findings(binding("tenant-a", subjects))) == 0
}

test_binding_outside_tenant_namespaces_passes if {
	count(findings(binding("shared", [{"kind": "ServiceAccount", "name": "agent", "namespace": "tenant-b"}]))) == 0
}

test_cluster_role_binding_ignored if {
	crb := object.union(binding("tenant-a", [{"kind": "ServiceAccount", "name": "agent", "namespace": "tenant-b"}]), {"kind": "ClusterRoleBinding"})
	count(findings(crb)) == 0
}
