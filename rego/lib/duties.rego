# METADATA
# title: Separation-of-duties helpers
# description: >-
#   Subjects, witnesses and exemptions of facts.rbac (kaze_policy/analysis/rbac.py), shared by
#   KZ-SOD-01..03: who a subject is (kaze-policy.yaml groups and identities), how a grant is
#   named in a message, and which subjects are not persons (the platform's controllers, the
#   break-glass group, Kubernetes' system:masters). Functions and constants only; only
#   cross-resource controls import this package.
package kaze.lib.duties

import rego.v1

import data.kaze.lib.tenancy

# facts.rbac, or null when the analysis is missing.
_rbac := object.get(data.inventory, ["facts", "rbac"], null)

# Without kaze-policy.yaml nothing declares a subject break-glass or a platform controller, so
# nothing is exempt: the controls judge every subject. What stays unknown is which subjects
# are one person (its identities): see KZ-SOD-01's `undecided`.

# METADATA
# title: unconfigured_note
# description: >-
#   The end of a finding's message: without configuration, why nothing exempted the subject
#   (empty with a configuration).
# scope: document
unconfigured_note := "" if tenancy.has_config

unconfigured_note := concat("", [
	" (there is no kaze-policy.yaml: nothing declares any subject a platform controller",
	" or the break-glass group)",
]) if {
	not tenancy.has_config
}

# METADATA
# title: no_identities_reason
# description: >-
#   Why KZ-SOD-01 is undecided without configuration: the identities that join subjects
#   into one person are unknown.
no_identities_reason := concat("", [
	"there is no kaze-policy.yaml: nothing is exempt, but which subjects and Vault entities are one person ",
	"or team (identities) is unknown, so a deploy right and a secret read held by different subjects ",
	"cannot be joined",
])

# METADATA
# title: rbac_value
# description: One field of facts.rbac, null when it or the analysis is absent.
# scope: document
rbac_value(field) := object.get(_rbac, field, null) if is_object(_rbac)

rbac_value(_) := null if not is_object(_rbac)

# METADATA
# title: rbac_errors
# description: Why facts.rbac cannot be read for these lists (empty when it can).
rbac_errors(fields) := {"the effective RBAC analysis (facts.rbac) is missing: who may do what cannot be judged" |
	not is_object(_rbac)
} | {msg |
	is_object(_rbac)
	some field in fields
	not is_array(rbac_value(field))
	msg := sprintf("the effective RBAC analysis has no %s list: who may do what cannot be judged", [field])
}

# METADATA
# title: rbac_list
# description: One list of facts.rbac ([] when absent, which rbac_errors reports).
# scope: document
rbac_list(field) := list if {
	list := rbac_value(field)
	is_array(list)
}

rbac_list(field) := [] if not is_array(rbac_value(field))

# METADATA
# title: string_list
# description: >-
#   The strings of a list as kaze-policy.yaml and Vault write them: the string items of an
#   array, or the items of a comma-separated string (trimmed, empty ones dropped); else [].
# scope: document
string_list(value) := [x | some x in value; is_string(x)] if is_array(value)

string_list(value) := [trim_space(x) | some x in split(value, ","); trim_space(x) != ""] if is_string(value)

string_list(value) := [] if {
	not is_array(value)
	not is_string(value)
}

# ---------------------------------------------------------------------------------------
# Subjects, as kaze-policy.yaml writes them: User:<name>, Group:<name>, ServiceAccount:<ns>:<name>.

# METADATA
# title: subject_key
# description: >-
#   A subject ({kind, name, namespace}) as kaze-policy.yaml writes it: User:<name>,
#   Group:<name>, ServiceAccount:<ns>:<name>.
# scope: document
subject_key(s) := concat(":", ["ServiceAccount", s.namespace, s.name]) if s.kind == "ServiceAccount"

subject_key(s) := concat(":", [s.kind, s.name]) if s.kind != "ServiceAccount"

# METADATA
# title: subject_text
# description: 'A subject in words: "ServiceAccount ci/bot", "Group kaze:operators".'
# scope: document
subject_text(s) := sprintf("ServiceAccount %s/%s", [s.namespace, s.name]) if s.kind == "ServiceAccount"

subject_text(s) := sprintf("%s %s", [s.kind, s.name]) if s.kind != "ServiceAccount"

# METADATA
# title: key_text
# description: 'A key of the configuration''s form as words: "Group:kaze:operators" -> "Group kaze:operators".'
# scope: document
key_text(key) := subject_text({"kind": "ServiceAccount", "namespace": parts[1], "name": parts[2]}) if {
	parts := split(key, ":")
	parts[0] == "ServiceAccount"
	count(parts) == 3
}

key_text(key) := concat(" ", [kind, trim_prefix(key, concat("", [kind, ":"]))]) if {
	kind := split(key, ":")[0]
	kind != "ServiceAccount"
}

# METADATA
# title: identity_text
# description: >-
#   The configured identity of an entry, in words (nothing when the subject is its own
#   identity).
# scope: document
identity_text(entry) := sprintf(" (identity %s)", [entry.identity]) if {
	is_string(entry.identity)
	entry.identity != subject_key(entry.subject)
}

identity_text(entry) := "" if not is_string(entry.identity)

identity_text(entry) := "" if entry.identity == subject_key(entry.subject)

# ---------------------------------------------------------------------------------------
# Duties (kaze-policy.yaml groups): the analyzer's `duties`, or the configuration itself.

_group_members(group) := members if {
	members := object.get(tenancy.config, ["groups", group], [])
	is_array(members)
}

_group_members(group) := [] if not is_array(object.get(tenancy.config, ["groups", group], []))

_in_group(entry, group) if group in object.get(entry, "duties", [])

_in_group(entry, group) if subject_key(entry.subject) in _group_members(group)

# METADATA
# title: controller
# description: >-
#   The entry's subject is one of the platform's controllers (kaze-policy.yaml
#   groups.controllers, or the analyzer's duties).
controller(entry) if _in_group(entry, "controllers")

# METADATA
# title: deployer_duty
# description: >-
#   The entry's subject is a configured deployer (kaze-policy.yaml groups.deployers, or the
#   analyzer's duties).
deployer_duty(entry) if _in_group(entry, "deployers")

# METADATA
# title: exempt
# description: >-
#   The entry's subject is exempt from every separation-of-duties control: the break-glass
#   group (kaze-policy.yaml groups.breakGlass, whose membership is time-boxed, ticketed and
#   audited), or Kubernetes' system:masters. Members of system:masters bypass RBAC
#   altogether (the authorizer allows them everything before any binding is read), and
#   Kubernetes re-creates its bootstrap binding of cluster-admin to that group at every
#   start: the binding grants nothing that membership does not, and no change to RBAC can
#   remove it. Who holds a system:masters credential is not an RBAC question.
# scope: document
exempt(entry) if _in_group(entry, "breakGlass")

exempt(entry) if {
	entry.subject.kind == "Group"
	entry.subject.name == "system:masters"
}

# ---------------------------------------------------------------------------------------
# Witnesses: {binding, role, aggregated_from?, group?} in words.

# METADATA
# title: id_text
# description: >-
#   An inventory id in words: "ClusterRoleBinding/x" -> "ClusterRoleBinding x";
#   "RoleBinding/ns/x" -> "RoleBinding ns/x"; an Argo CD role ("role:release-operator") ->
#   "Argo CD role:release-operator".
# scope: document
id_text(id) := concat(" ", [parts[0], concat("/", array.slice(parts, 1, count(parts)))]) if {
	parts := split(id, "/")
	count(parts) > 1
}

id_text(id) := concat(" ", ["Argo CD", id]) if {
	not contains(id, "/")
	startswith(id, "role:")
}

id_text(id) := id if {
	not contains(id, "/")
	not startswith(id, "role:")
}

# METADATA
# title: role_text
# description: 'The role of a witness as granted: "ClusterRole kaze-deployer, which aggregates ClusterRole kaze-debug".'
# scope: document
role_text(w) := sprintf("%s, which aggregates %s", [id_text(w.role), id_text(w.aggregated_from)]) if {
	is_string(w.aggregated_from)
}

role_text(w) := id_text(w.role) if not is_string(object.get(w, "aggregated_from", null))

# METADATA
# title: via_text
# description: 'How the subject holds the grant: "through ClusterRoleBinding x (ClusterRole y)".'
# scope: document
via_text(w) := sprintf("through %s (%s)", [id_text(w.binding), role_text(w)]) if {
	not is_string(object.get(w, "group", null))
}

via_text(w) := sprintf(
	"as a member of %s, through %s (%s)",
	[key_text(w.group), id_text(w.binding), role_text(w)],
) if {
	is_string(w.group)
}

# METADATA
# title: scope_text
# description: 'Where a grant holds, in words: "cluster-wide" for "*", else "in namespace <ns>".'
# scope: document
scope_text("*") := "cluster-wide"

scope_text(ns) := sprintf("in namespace %s", [ns]) if ns != "*"

# ---------------------------------------------------------------------------------------

# METADATA
# title: group_indexes
# description: >-
#   {key: [indexes of keys holding it, ascending]}, by one sort rather than a scan per key
#   (regorus does not index comprehensions: a scan per key is quadratic).
# scope: document
group_indexes(keys) := {} if count(keys) == 0

group_indexes(keys) := _groups(sort([[k, i] | some i, k in keys])) if count(keys) > 0

# The groups of sorted [key, index] pairs: each starts where the key changes, and ends where
# the next starts.
_groups(sorted) := _groups_between(sorted, _starts(sorted))

_starts(sorted) := array.concat([0], [i | some i, pair in sorted; i > 0; pair[0] != sorted[i - 1][0]])

_groups_between(sorted, starts) := groups if {
	ends := array.concat(array.slice(starts, 1, count(starts)), [count(sorted)])
	groups := {sorted[start][0]: [sorted[i][1] | some i in numbers.range(start, ends[j] - 1)] |
		some j, start in starts
	}
}
