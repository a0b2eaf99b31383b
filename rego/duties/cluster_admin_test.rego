package kaze.duties.cluster_admin_test

import rego.v1

import data.kaze.duties.cluster_admin

config := {"groups": {
	"breakGlass": ["Group:kaze:break-glass"],
	"controllers": ["ServiceAccount:kaze-system:kaze-operator"],
}}

# A facts.rbac.wildcard_admins entry.
admin(subject, identity, duties, ns, via) := {
	"subject": subject, "identity": identity, "duties": duties, "namespace": ns,
	"roles": [w.role | some w in via], "api_groups": ["*"], "via": via,
}

inventory(entries) := {"config": config, "facts": {"rbac": {"wildcard_admins": entries}}}

alice := {"kind": "User", "name": "alice@kaze.io", "namespace": null}

cluster_admin_of(binding) := [{"binding": binding, "role": "ClusterRole/cluster-admin"}]

test_cluster_admin_bound_to_a_person_fails if {
	e := admin(alice, "alice", [], "*", cluster_admin_of("ClusterRoleBinding/alice-admin"))
	some v in cluster_admin.violation with data.inventory as inventory([e])
	v.resource == "ClusterRoleBinding/alice-admin"
	v.evidence.role == "ClusterRole/cluster-admin"
	v.msg == "ClusterRoleBinding alice-admin gives User alice@kaze.io (identity alice) cluster-admin cluster-wide: remove User alice@kaze.io from the binding; cluster-admin and roles with * verbs on * resources may be bound only to the break-glass group, everyone else gets a role limited to what it needs"
}

test_cluster_admin_in_one_namespace_fails if {
	e := admin(alice, "alice", [], "tenant-acme", cluster_admin_of("RoleBinding/tenant-acme/alice-admin"))
	some v in cluster_admin.violation with data.inventory as inventory([e])
	v.resource == "RoleBinding/tenant-acme/alice-admin"
	contains(v.msg, "cluster-admin in namespace tenant-acme")
}

test_wildcard_role_is_named_as_such if {
	ops := {"kind": "Group", "name": "kaze:operators", "namespace": null}
	e := admin(ops, "Group:kaze:operators", ["operators"], "*", [{"binding": "ClusterRoleBinding/ops", "role": "ClusterRole/ops-all", "aggregated_from": "ClusterRole/everything"}])
	some v in cluster_admin.violation with data.inventory as inventory([e])
	contains(v.msg, "gives Group kaze:operators ClusterRole ops-all, which aggregates ClusterRole everything (every verb on every resource) cluster-wide")
}

test_break_glass_group_passes if {
	bg := {"kind": "Group", "name": "kaze:break-glass", "namespace": null}
	e := admin(bg, "Group:kaze:break-glass", ["breakGlass"], "*", cluster_admin_of("ClusterRoleBinding/break-glass"))
	count(cluster_admin.violation) == 0 with data.inventory as inventory([e])
}

test_break_glass_by_configuration_alone_passes if {
	bg := {"kind": "Group", "name": "kaze:break-glass", "namespace": null}
	e := admin(bg, "Group:kaze:break-glass", [], "*", cluster_admin_of("ClusterRoleBinding/break-glass"))
	count(cluster_admin.violation) == 0 with data.inventory as inventory([e])
}

test_platform_controller_is_not_exempt if {
	op := {"kind": "ServiceAccount", "name": "kaze-operator", "namespace": "kaze-system"}
	e := admin(op, "ServiceAccount:kaze-system:kaze-operator", ["controllers"], "*", cluster_admin_of("ClusterRoleBinding/kaze-operator"))
	some v in cluster_admin.violation with data.inventory as inventory([e])
	v.resource == "ClusterRoleBinding/kaze-operator"
}

test_kubernetes_bootstrap_system_masters_passes if {
	masters := {"kind": "Group", "name": "system:masters", "namespace": null}
	e := admin(masters, "Group:system:masters", [], "*", cluster_admin_of("ClusterRoleBinding/cluster-admin"))
	count(cluster_admin.violation) == 0 with data.inventory as inventory([e])
}

test_service_account_reached_through_a_group_is_reported_once_as_the_group if {
	group := {"kind": "Group", "name": "system:serviceaccounts:ci", "namespace": null}
	bot := {"kind": "ServiceAccount", "name": "bot", "namespace": "ci"}
	entries := [
		admin(group, "Group:system:serviceaccounts:ci", [], "*", cluster_admin_of("ClusterRoleBinding/ci-admin")),
		admin(bot, "ServiceAccount:ci:bot", [], "*", [{"binding": "ClusterRoleBinding/ci-admin", "role": "ClusterRole/cluster-admin", "group": "Group:system:serviceaccounts:ci"}]),
	]
	violations := cluster_admin.violation with data.inventory as inventory(entries)
	count(violations) == 1
	some v in violations
	v.evidence.subject == group
}

# Without configuration no group is declared break-glass: every holder of cluster-admin fails.
test_without_configuration_every_holder_fails if {
	group := {"kind": "Group", "name": "kaze:break-glass", "namespace": null}
	e := admin(group, "Group:kaze:break-glass", [], "*", cluster_admin_of("ClusterRoleBinding/break-glass"))
	count(cluster_admin.violation) == 0 with data.inventory as inventory([e])
	some v in cluster_admin.violation with data.inventory as {"config": null, "facts": {"rbac": {"wildcard_admins": [e]}}}
	v.resource == "ClusterRoleBinding/break-glass"
	endswith(v.msg, "(there is no kaze-policy.yaml: nothing declares any subject a platform controller or the break-glass group)")
	not cluster_admin.not_applicable with data.inventory as {"config": null, "facts": {"rbac": {"wildcard_admins": [e]}}}
}

test_without_configuration_missing_facts_is_an_error if {
	count(cluster_admin.errors) == 1 with data.inventory as {"config": null, "facts": {}}
}

test_missing_facts_is_an_error if {
	count(cluster_admin.errors) == 1 with data.inventory as {"config": config, "facts": {"rbac": {}}}
}
