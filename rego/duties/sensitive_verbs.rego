# METADATA
# title: >-
#   escalate, bind, impersonate, pods/exec, pods/attach and pods/portforward are granted only
#   to the platform's controllers and the break-glass group
# description: >-
#   Some permissions are a way around every other one. escalate and bind let a subject create
#   or bind a role with more than it holds; impersonate lets it act as any user, group or
#   ServiceAccount; pods/exec, pods/attach and pods/portforward open a shell or a connection
#   inside a running workload, where its mounted secrets, its tokens and its tenant's data are.
#   A person who holds any of them can do what separation of duties forbids, without a trace in
#   RBAC. Only the platform's own controllers (kaze-policy.yaml groups.controllers, e.g. the
#   aggregation controller, which needs escalate) and the break-glass group may hold them;
#   `*` verbs, `*` resources, `*/exec` and the GET form of exec (WebSocket) count.
# custom:
#   id: KZ-SOD-03
#   severity: high
#   scopes: [iac, cluster]
#   reference: "docs/requirements.md#operator-access"
#   remediation: >-
#     Remove these verbs (and any "*" that includes them) from the role, or the subject from
#     the binding. Operators debug through logs, metrics and traces; a shell in a pod goes
#     through break-glass. A controller that needs one of them is listed in kaze-policy.yaml
#     groups.controllers.
#   frameworks:
#     soc2: [CC6.1, CC6.3]
#     iso27001: [A.5.3, A.5.15, A.8.2]
#     nist80053: [AC-5, AC-6, AC-6(5)]
#     cis_kubernetes: ["5.1.8"]
package kaze.duties.sensitive_verbs

import rego.v1

import data.kaze.lib.duties

# Without kaze-policy.yaml nothing is declared a controller or break-glass: every holder is judged.
errors contains msg if {
	some msg in duties.rbac_errors({"sensitive_verbs"})
}

_entries := [entry |
	some entry in duties.rbac_list("sensitive_verbs")
	not duties.exempt(entry)
	not duties.controller(entry)
]

# One finding per subject, scope and witness (binding and role), whatever it permits there.
# A ServiceAccount reached through a group binding is not listed: the group itself is.
_rows := [{"grant": grant, "entry": entry, "witness": w} |
	some entry in _entries
	some w in entry.via
	not is_string(object.get(w, "group", null))
	grant := concat("|", [
		duties.subject_key(entry.subject), entry.namespace, w.binding, w.role,
		object.get(w, "aggregated_from", ""),
	])
]

# grant -> its _rows, in the facts' order.
_grants[grant] := [_rows[i] | some i in indexes] if {
	some grant, indexes in duties.group_indexes([r.grant | some r in _rows])
}

# "bind on clusterroles, roles"; "pods/exec (create, get)": the verbs that open it.
_permission_text(p) := sprintf("%s on %s", [p.permission, concat(", ", p.resources)]) if {
	p.permission in {"escalate", "bind", "impersonate"}
}

_permission_text(p) := sprintf("%s (%s)", [p.permission, concat(", ", p.verbs)]) if {
	not p.permission in {"escalate", "bind", "impersonate"}
}

violation contains v if {
	some matching in _grants
	first := matching[0].entry
	witness := matching[0].witness
	permissions := [{
		"permission": r.entry.permission,
		"verbs": object.get(r.entry, "verbs", []),
		"resources": object.get(r.entry, "resources", []),
	} |
		some r in matching
	]
	v := {
		"msg": _message(first, witness, permissions),
		"resource": witness.binding,
		"evidence": {
			"subject": first.subject,
			"identity": object.get(first, "identity", null),
			"duties": object.get(first, "duties", []),
			"namespace": first.namespace,
			"binding": witness.binding,
			"role": witness.role,
			"via": witness,
			"permissions": permissions,
		},
	}
}

_message(first, witness, permissions) := sprintf(
	concat("", [
		"%s (%s) gives %s%s %s: %s. Remove these verbs from the role, or the subject from the binding: ",
		"only the platform's controllers (kaze-policy.yaml groups.controllers) and the break-glass group ",
		"may escalate, bind, impersonate, or exec, attach or port-forward into pods%s",
	]),
	[
		duties.id_text(witness.binding), duties.role_text(witness), duties.subject_text(first.subject),
		duties.identity_text(first), duties.scope_text(first.namespace),
		concat("; ", [_permission_text(p) | some p in permissions]), duties.unconfigured_note,
	],
)
