package kaze.lib.duties_test

import rego.v1

import data.kaze.lib.duties

# Cases of the same shape are tables: {case name: [argument, expected result]}.

_user := {"kind": "User", "name": "bob@kaze.io", "namespace": null}

_bot := {"kind": "ServiceAccount", "name": "bot", "namespace": "ci"}

_aggregator := {"kind": "ServiceAccount", "name": "aggregator", "namespace": "kube-system"}

_group(name) := {"kind": "Group", "name": name, "namespace": null}

_configured := {"config": {"groups": {
	"breakGlass": ["Group:kaze:break-glass"],
	"controllers": ["ServiceAccount:kube-system:aggregator"],
	"deployers": ["Group:kaze:deployers"],
}}}

test_unconfigured_note_only_without_configuration if {
	duties.unconfigured_note == "" with data.inventory as _configured
	note := duties.unconfigured_note with data.inventory as {"config": null}
	note == concat("", [
		" (there is no kaze-policy.yaml: nothing declares any subject a platform controller",
		" or the break-glass group)",
	])
}

test_no_identities_reason_names_the_missing_identities if {
	startswith(duties.no_identities_reason, "there is no kaze-policy.yaml: nothing is exempt")
	contains(duties.no_identities_reason, "(identities) is unknown")
}

test_rbac_value_reads_a_field_or_null if {
	duties.rbac_value("deployers") == [1] with data.inventory as {"facts": {"rbac": {"deployers": [1]}}}
	duties.rbac_value("readers") == null with data.inventory as {"facts": {"rbac": {"deployers": [1]}}}
	duties.rbac_value("deployers") == null with data.inventory as {"facts": {}}
}

test_rbac_list_is_the_list_or_empty if {
	duties.rbac_list("deployers") == [1] with data.inventory as {"facts": {"rbac": {"deployers": [1]}}}
	duties.rbac_list("deployers") == [] with data.inventory as {"facts": {"rbac": {"deployers": "x"}}}
	duties.rbac_list("deployers") == [] with data.inventory as {"facts": {}}
}

test_rbac_errors_name_what_is_missing if {
	missing := duties.rbac_errors({"deployers"}) with data.inventory as {"facts": {}}
	missing == {"the effective RBAC analysis (facts.rbac) is missing: who may do what cannot be judged"}
	lists := duties.rbac_errors({"deployers", "x"}) with data.inventory as {"facts": {"rbac": {"x": []}}}
	lists == {"the effective RBAC analysis has no deployers list: who may do what cannot be judged"}
}

test_subjects_in_configuration_form_and_in_words[name] if {
	some name, [subject, want] in {
		"service account": [_bot, ["ServiceAccount:ci:bot", "ServiceAccount ci/bot"]],
		"group": [_group("kaze:operators"), ["Group:kaze:operators", "Group kaze:operators"]],
		"user": [_user, ["User:bob@kaze.io", "User bob@kaze.io"]],
	}
	[duties.subject_key(subject), duties.subject_text(subject)] == want
}

test_keys_in_words[name] if {
	some name, [key, text] in {
		"group": ["Group:system:serviceaccounts:ci", "Group system:serviceaccounts:ci"],
		"service account": ["ServiceAccount:ci:bot", "ServiceAccount ci/bot"],
		"user": ["User:bob@kaze.io", "User bob@kaze.io"],
	}
	duties.key_text(key) == text
}

test_identity_in_words_unless_the_subject_is_its_own[name] if {
	some name, [identity, text] in {
		"another identity": ["bob", " (identity bob)"],
		"the subject's own": ["User:bob@kaze.io", ""],
		"no identity": [null, ""],
	}
	duties.identity_text({"subject": _user, "identity": identity}) == text
}

test_ids_in_words[name] if {
	some name, [id, text] in {
		"namespaced": ["RoleBinding/tenant-acme/bob-debug", "RoleBinding tenant-acme/bob-debug"],
		"cluster-wide": ["ClusterRoleBinding/kaze-deployers", "ClusterRoleBinding kaze-deployers"],
		"Argo CD role": ["role:release-operator", "Argo CD role:release-operator"],
		"bare name": ["admin", "admin"],
	}
	duties.id_text(id) == text
}

test_witness_in_words[name] if {
	some name, [w, want] in {
		"direct binding": [
			{"binding": "ClusterRoleBinding/ops", "role": "ClusterRole/edit"},
			["ClusterRole edit", "through ClusterRoleBinding ops (ClusterRole edit)"],
		],
		"aggregated, through a group": [
			{
				"binding": "ClusterRoleBinding/all", "role": "ClusterRole/edit",
				"aggregated_from": "ClusterRole/extra", "group": "Group:system:serviceaccounts:ci",
			},
			[
				"ClusterRole edit, which aggregates ClusterRole extra",
				concat("", [
					"as a member of Group system:serviceaccounts:ci, through ClusterRoleBinding all ",
					"(ClusterRole edit, which aggregates ClusterRole extra)",
				]),
			],
		],
	}
	[duties.role_text(w), duties.via_text(w)] == want
}

test_scopes_in_words if {
	duties.scope_text("*") == "cluster-wide"
	duties.scope_text("tenant-acme") == "in namespace tenant-acme"
}

test_duties_from_the_facts_or_the_configuration[name] if {
	some name, [entry, want] in {
		"controller by duty": [{"subject": _bot, "duties": ["controllers"]}, {"controller"}],
		"controller by configuration": [{"subject": _aggregator}, {"controller"}],
		"no duty": [{"subject": _user, "duties": []}, set()],
		"deployer by configuration": [{"subject": _group("kaze:deployers")}, {"deployer"}],
		"deployer by duty": [{"subject": _user, "duties": ["deployers"]}, {"deployer"}],
		"break-glass by configuration": [{"subject": _group("kaze:break-glass")}, {"exempt"}],
		"break-glass by duty": [{"subject": _user, "duties": ["breakGlass"]}, {"exempt"}],
		"Kubernetes' bootstrap system:masters": [{"subject": _group("system:masters")}, {"exempt"}],
	}
	_duties_of(entry) == want with data.inventory as _configured
}

# What the library makes of an entry, as a set of words.
_duties_of(entry) := {word |
	some word in ["controller", "deployer", "exempt"]
	_is(word, entry)
}

_is("controller", entry) if duties.controller(entry)

_is("deployer", entry) if duties.deployer_duty(entry)

_is("exempt", entry) if duties.exempt(entry)

test_without_configuration_only_system_masters_is_exempt if {
	not duties.exempt({"subject": _group("kaze:break-glass")}) with data.inventory as {"config": null}
	not duties.controller({"subject": _aggregator}) with data.inventory as {"config": null}
	duties.exempt({"subject": _group("system:masters")}) with data.inventory as {"config": null}
}

test_a_null_group_has_no_members if {
	entry := {"subject": _group("x")}
	not duties.exempt(entry) with data.inventory as {"config": {"groups": {"breakGlass": null}}}
}

test_group_indexes_groups_equal_keys_in_order if {
	duties.group_indexes(["b", "a", "b", "c", "a"]) == {"a": [1, 4], "b": [0, 2], "c": [3]}
	duties.group_indexes(["a"]) == {"a": [0]}
}

test_group_indexes_of_nothing_is_empty if {
	duties.group_indexes([]) == {}
}

test_string_lists_from_arrays_or_comma_separated_strings[name] if {
	some name, [value, want] in {
		"comma-separated string": ["a, b,, c ", ["a", "b", "c"]],
		"array of strings and others": [["a", 1, "b"], ["a", "b"]],
		"null": [null, []],
		"object": [{"a": 1}, []],
	}
	duties.string_list(value) == want
}
