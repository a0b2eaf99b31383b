package kaze.lib.duties_test

import rego.v1

import data.kaze.lib.duties

test_group_indexes_groups_equal_keys_in_order if {
	duties.group_indexes(["b", "a", "b", "c", "a"]) == {"a": [1, 4], "b": [0, 2], "c": [3]}
}

test_group_indexes_of_nothing_is_empty if {
	duties.group_indexes([]) == {}
}

test_subject_keys_are_the_configuration_form if {
	duties.subject_key({"kind": "ServiceAccount", "namespace": "argocd", "name": "controller"}) == "ServiceAccount:argocd:controller"
	duties.subject_key({"kind": "Group", "name": "kaze:operators", "namespace": null}) == "Group:kaze:operators"
}

test_keys_in_words if {
	duties.key_text("Group:system:serviceaccounts:ci") == "Group system:serviceaccounts:ci"
	duties.key_text("ServiceAccount:ci:bot") == "ServiceAccount ci/bot"
	duties.key_text("User:bob@kaze.io") == "User bob@kaze.io"
}

test_ids_in_words if {
	duties.id_text("RoleBinding/tenant-acme/bob-debug") == "RoleBinding tenant-acme/bob-debug"
	duties.id_text("ClusterRoleBinding/kaze-deployers") == "ClusterRoleBinding kaze-deployers"
	duties.id_text("role:release-operator") == "Argo CD role:release-operator"
}

test_witness_in_words if {
	w := {"binding": "ClusterRoleBinding/all", "role": "ClusterRole/edit", "aggregated_from": "ClusterRole/extra", "group": "Group:system:serviceaccounts:ci"}
	duties.via_text(w) == "as a member of Group system:serviceaccounts:ci, through ClusterRoleBinding all (ClusterRole edit, which aggregates ClusterRole extra)"
}

test_duties_from_the_configuration_when_the_facts_have_none if {
	entry := {"subject": {"kind": "Group", "name": "kaze:break-glass", "namespace": null}}
	duties.break_glass(entry) with data.inventory as {"config": {"groups": {"breakGlass": ["Group:kaze:break-glass"]}}}
	not duties.controller(entry) with data.inventory as {"config": {"groups": {"breakGlass": ["Group:kaze:break-glass"]}}}
}

test_a_null_group_has_no_members if {
	entry := {"subject": {"kind": "Group", "name": "x", "namespace": null}}
	not duties.break_glass(entry) with data.inventory as {"config": {"groups": {"breakGlass": null}}}
}
