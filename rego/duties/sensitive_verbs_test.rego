package kaze.duties.sensitive_verbs_test

import rego.v1

import data.kaze.duties.sensitive_verbs

config := {"groups": {
	"breakGlass": ["Group:kaze:break-glass"],
	"controllers": ["ServiceAccount:kube-system:clusterrole-aggregation-controller"],
}}

# A facts.rbac.sensitive_verbs entry.
grant(subject, duties, ns, permission, verbs, resources, via) := {
	"subject": subject, "identity": "x", "duties": duties, "namespace": ns, "permission": permission,
	"verbs": verbs, "resources": resources, "via": via,
}

inventory(entries) := {"config": config, "facts": {"rbac": {"sensitive_verbs": entries}}}

operators := {"kind": "Group", "name": "kaze:operators", "namespace": null}

debug := [{"binding": "RoleBinding/tenant-acme/operators-debug", "role": "Role/tenant-acme/debug"}]

test_exec_for_operators_fails if {
	e := grant(operators, ["operators"], "tenant-acme", "pods/exec", ["create"], ["pods/exec"], debug)
	some v in sensitive_verbs.violation with data.inventory as inventory([e])
	v.resource == "RoleBinding/tenant-acme/operators-debug"
	v.evidence.permissions == [{"permission": "pods/exec", "verbs": ["create"], "resources": ["pods/exec"]}]
	contains(v.msg, "RoleBinding tenant-acme/operators-debug (Role tenant-acme/debug) gives Group kaze:operators (identity x) in namespace tenant-acme: pods/exec (create).")
}

test_permissions_of_one_binding_make_one_finding if {
	rbac := [{"binding": "ClusterRoleBinding/ci", "role": "ClusterRole/rbac-manager"}]
	bot := {"kind": "ServiceAccount", "name": "bot", "namespace": "ci"}
	entries := [
		grant(bot, [], "*", "bind", ["bind"], ["clusterroles", "roles"], rbac),
		grant(bot, [], "*", "escalate", ["escalate"], ["clusterroles", "roles"], rbac),
	]
	violations := sensitive_verbs.violation with data.inventory as inventory(entries)
	count(violations) == 1
	some v in violations
	contains(v.msg, "bind on clusterroles, roles; escalate on clusterroles, roles")
}

test_same_subject_through_two_bindings_makes_two_findings if {
	both := [
		{"binding": "RoleBinding/tenant-acme/a", "role": "Role/tenant-acme/debug"},
		{"binding": "RoleBinding/tenant-acme/b", "role": "Role/tenant-acme/debug"},
	]
	e := grant(operators, [], "tenant-acme", "pods/attach", ["get"], ["pods/attach"], both)
	violations := sensitive_verbs.violation with data.inventory as inventory([e])
	{v.resource | some v in violations} == {"RoleBinding/tenant-acme/a", "RoleBinding/tenant-acme/b"}
}

test_configured_controller_passes if {
	agg := {"kind": "ServiceAccount", "name": "clusterrole-aggregation-controller", "namespace": "kube-system"}
	e := grant(agg, ["controllers"], "*", "escalate", ["escalate"], ["clusterroles"], [{"binding": "ClusterRoleBinding/agg", "role": "ClusterRole/agg"}])
	count(sensitive_verbs.violation) == 0 with data.inventory as inventory([e])
}

test_controller_by_configuration_alone_passes if {
	agg := {"kind": "ServiceAccount", "name": "clusterrole-aggregation-controller", "namespace": "kube-system"}
	e := grant(agg, [], "*", "escalate", ["escalate"], ["clusterroles"], [{"binding": "ClusterRoleBinding/agg", "role": "ClusterRole/agg"}])
	count(sensitive_verbs.violation) == 0 with data.inventory as inventory([e])
}

test_break_glass_passes if {
	bg := {"kind": "Group", "name": "kaze:break-glass", "namespace": null}
	e := grant(bg, ["breakGlass"], "*", "pods/exec", ["create", "get"], ["pods/exec"], [{"binding": "ClusterRoleBinding/bg", "role": "ClusterRole/shell"}])
	count(sensitive_verbs.violation) == 0 with data.inventory as inventory([e])
}

test_unconfigured_service_account_fails if {
	other := {"kind": "ServiceAccount", "name": "helper", "namespace": "kube-system"}
	e := grant(other, [], "*", "impersonate", ["impersonate"], ["users"], [{"binding": "ClusterRoleBinding/h", "role": "ClusterRole/h"}])
	count(sensitive_verbs.violation) == 1 with data.inventory as inventory([e])
}

test_service_account_through_a_group_is_reported_as_the_group if {
	group := {"kind": "Group", "name": "system:serviceaccounts:kube-system", "namespace": null}
	agg := {"kind": "ServiceAccount", "name": "clusterrole-aggregation-controller", "namespace": "kube-system"}
	other := {"kind": "ServiceAccount", "name": "helper", "namespace": "kube-system"}
	via_group := [{"binding": "ClusterRoleBinding/all-sa", "role": "ClusterRole/escalate", "group": "Group:system:serviceaccounts:kube-system"}]
	entries := [
		grant(group, [], "*", "escalate", ["escalate"], ["roles"], [{"binding": "ClusterRoleBinding/all-sa", "role": "ClusterRole/escalate"}]),
		grant(agg, ["controllers"], "*", "escalate", ["escalate"], ["roles"], via_group),
		grant(other, [], "*", "escalate", ["escalate"], ["roles"], via_group),
	]
	violations := sensitive_verbs.violation with data.inventory as inventory(entries)
	count(violations) == 1
	some v in violations
	v.evidence.subject == group
}

# Without configuration nothing is declared a controller: the aggregation controller is judged.
test_without_configuration_no_controller_is_exempt if {
	aggregator := {"kind": "ServiceAccount", "name": "clusterrole-aggregation-controller", "namespace": "kube-system"}
	via := [{"binding": "ClusterRoleBinding/aggregator", "role": "ClusterRole/aggregator"}]
	e := grant(aggregator, [], "*", "escalate", ["escalate"], ["clusterroles"], via)
	count(sensitive_verbs.violation) == 0 with data.inventory as inventory([e])
	some v in sensitive_verbs.violation with data.inventory as {"config": null, "facts": {"rbac": {"sensitive_verbs": [e]}}}
	v.resource == "ClusterRoleBinding/aggregator"
	contains(v.msg, "there is no kaze-policy.yaml")
	not sensitive_verbs.not_applicable with data.inventory as {"config": null, "facts": {"rbac": {"sensitive_verbs": [e]}}}
}

test_without_configuration_missing_facts_is_an_error if {
	count(sensitive_verbs.errors) == 1 with data.inventory as {"config": null, "facts": {}}
}

test_missing_facts_is_an_error if {
	count(sensitive_verbs.errors) == 1 with data.inventory as {"config": config, "facts": {}}
}
