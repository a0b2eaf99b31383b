# METADATA
# title: cluster-admin, and any role with wildcard verbs on wildcard resources, is bound only to the break-glass group
# description: >-
#   cluster-admin, or any role that allows every verb on every resource (under another name,
#   through aggregation, or bound in one namespace by a RoleBinding), lets its holder read every
#   Secret, deploy anything, grant itself anything and erase the traces: whoever holds it
#   permanently makes separation of duties void. Only the break-glass group, whose membership
#   is time-boxed, ticketed and audited, may hold it. The platform's controllers are not
#   exempt: each gets a role limited to what it manages, so that a compromised controller is
#   not a compromised cluster. The one exception is Kubernetes' own bootstrap binding to the
#   group system:masters, which bypasses RBAC anyway and which the API server re-creates.
# custom:
#   id: KZ-SOD-02
#   severity: high
#   scopes: [iac, cluster]
#   reference: "docs/requirements.md#operator-access"
#   remediation: >-
#     Remove the subject from the binding. People get cluster-admin only through membership of
#     the break-glass group (kaze-policy.yaml groups.breakGlass); controllers and automation get
#     a role listing the verbs and resources they need, never "*" on "*".
#   frameworks:
#     soc2: [CC6.1, CC6.3]
#     iso27001: [A.5.3, A.5.15, A.8.2]
#     nist80053: [AC-5, AC-6, AC-6(5)]
#     cis_kubernetes: ["5.1.1", "5.1.3"]
package kaze.duties.cluster_admin

import rego.v1

import data.kaze.lib.duties

# Without kaze-policy.yaml no group is declared break-glass: every holder is judged.
errors contains msg if {
	some msg in duties.rbac_errors({"wildcard_admins"})
}

# What the role is, in words.
_grant_text(w) := "cluster-admin" if w.role == "ClusterRole/cluster-admin"

_grant_text(w) := sprintf("%s (every verb on every resource)", [duties.role_text(w)]) if {
	w.role != "ClusterRole/cluster-admin"
}

violation contains v if {
	some entry in duties.rbac_list("wildcard_admins")
	not duties.exempt(entry)
	some w in entry.via

	# A ServiceAccount reached through a group binding: the group itself is reported.
	not is_string(object.get(w, "group", null))
	v := {
		"msg": _message(entry, w),
		"resource": w.binding,
		"evidence": {
			"subject": entry.subject,
			"identity": object.get(entry, "identity", null),
			"duties": object.get(entry, "duties", []),
			"namespace": entry.namespace,
			"binding": w.binding,
			"role": w.role,
			"via": w,
			"api_groups": object.get(entry, "api_groups", []),
		},
	}
}

_message(entry, w) := sprintf(
	concat("", [
		"%s gives %s%s %s %s: remove %s from the binding; cluster-admin and roles with * verbs on * resources ",
		"may be bound only to the break-glass group, everyone else gets a role limited to what it needs%s",
	]),
	[
		duties.id_text(w.binding), duties.subject_text(entry.subject), duties.identity_text(entry),
		_grant_text(w), duties.scope_text(entry.namespace), duties.subject_text(entry.subject),
		duties.unconfigured_note,
	],
)
