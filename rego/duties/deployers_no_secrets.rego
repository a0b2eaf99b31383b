# METADATA
# title: No identity can both deploy and read production secrets
# description: >-
#   Whoever can both change what runs and read the secrets it runs with can ship code that
#   exfiltrates a client's keys, or use the keys and cover it with a deploy: separation of
#   duties requires that no single person hold both. Each is judged as it is effectively
#   granted, not as it is written: every RoleBinding and ClusterRoleBinding, aggregated
#   ClusterRoles, ServiceAccount groups and Argo CD's own RBAC (a sync deploys), joined per
#   identity of kaze-policy.yaml (a person or team is all its Kubernetes subjects, its IdP groups
#   included, the groups every user is in, and all its Vault entities; a subject no identity
#   names is an identity of its own). Reading production secrets is reading Kubernetes
#   Secrets, or holding a Vault policy that reads under a client's or the platform's key
#   paths, through a Vault entity of the identity or an auth role that admits one of its
#   subjects (Kubernetes ServiceAccounts, OIDC or JWT group claims). Not persons, and exempt:
#   the break-glass group (time-boxed, ticketed and audited), the platform's own controllers
#   (kaze-policy.yaml groups.controllers, e.g. the CloudNativePG operator and the Prometheus
#   Operator, which create pods and read the Secrets they generate) unless they are also
#   configured deployers (the GitOps controller is the deploy path itself, so it must never
#   read a secret), and Kubernetes' system:masters.
# custom:
#   id: KZ-SOD-01
#   severity: critical
#   scopes: [iac, cluster, vault]
#   reference: "docs/requirements.md#operator-access; docs/requirements.md#credential-lifecycle"
#   remediation: >-
#     Take one of the two duties away from the identity: remove the Secret read from the role
#     (or the aggregated role that adds it) or the subject from the binding, detach the Vault
#     policy from the entity or auth role, or take the subject out of the deployers. A deployer
#     who needs a secret goes through break-glass; a controller that needs its own Secrets is
#     listed in kaze-policy.yaml groups.controllers and is not a deployer.
#   frameworks:
#     soc2: [CC6.1, CC6.3, CC8.1]
#     iso27001: [A.5.3, A.5.15, A.8.2]
#     nist80053: [AC-5, AC-6]
#     cis_kubernetes: ["5.1.2"]
package kaze.duties.deployers_no_secrets

import rego.v1

import data.kaze.lib.coerce
import data.kaze.lib.duties
import data.kaze.lib.tenancy
import data.kaze.lib.vault_holders

errors contains msg if {
	some msg in duties.rbac_errors({"deployers", "secret_readers"})
}

# Vault evidence that cannot be read, for an identity that deploys: an error, never a pass.
errors contains msg if {
	count(_deploying_holdings) > 0
	vault_holders.acl_missing
	msg := concat("", [
		"the Vault ACL analysis (facts.vault_acl) is missing: ",
		"whether deployers' Vault policies read secrets cannot be judged",
	])
}

errors contains msg if {
	some h in _deploying_holdings
	some e in vault_holders.acl_errors
	e.policy == h.policy
	msg := sprintf(
		"Vault policy %s, held by a deployer through %s, cannot be read (%v): whether it reads secrets cannot be judged",
		[h.policy, h.holder, object.get(e, "error", "")],
	)
}

errors contains msg if {
	some s in vault_holders.snapshots
	not is_array(object.get(s.object, "entities", null))
	some ident in _identities
	count(ident.vault) > 0
	count(_deploys(ident)) > 0
	msg := sprintf("%s has no entities: which Vault policies the deployer %s holds cannot be judged", [s.id, ident.name])
}

# Without configuration, a subject that both deploys and reads fails (nothing is exempt); a
# deploy right and a read held by different subjects may be one person's: undecided.
undecided := duties.no_identities_reason if {
	not tenancy.has_config
	count(_deployers) > 0
	_joinable_reads
}

# A Secret read by a subject other than the one deployer (one subject that does both is judged).
_joinable_reads if {
	count(_readers) > 0
	count({duties.subject_key(e.subject) | some e in array.concat(_deployers, _readers)}) > 1
}

_joinable_reads if count(vault_holders.secret_readers) > 0

# ---------------------------------------------------------------------------------------
# Who is exempt: the break-glass group, system:masters, and controllers that do not deploy
# by duty (a configured deployer is judged as one, whatever else it is).

_exempt(entry) if duties.exempt(entry)

_exempt(entry) if {
	duties.controller(entry)
	not duties.deployer_duty(entry)
}

_deployers := [e | some e in duties.rbac_list("deployers"); not _exempt(e)]

_readers := [e | some e in duties.rbac_list("secret_readers"); not _exempt(e)]

# ---------------------------------------------------------------------------------------
# Identities: the configured ones (the analyzer's table, subjects normalised), and every
# deploying subject that no identity names, as an identity of its own.

_identity_table := duties.rbac_value("identities") if is_object(duties.rbac_value("identities"))

_identity_table := {ident.name: {
	"kubernetes": object.get(ident, "kubernetes", []),
	"vault": object.get(ident, "vault", []),
} |
	some ident in coerce.as_list(object.get(tenancy.config, "identities", []))
	is_object(ident)
} if {
	not is_object(duties.rbac_value("identities"))
}

_configured_keys contains k if {
	some ident in _identity_table
	some k in duties.string_list(object.get(ident, "kubernetes", []))
}

_identities contains {"name": name, "configured": true, "members": members, "vault": vault} if {
	some name, ident in _identity_table
	members := {k | some k in duties.string_list(object.get(ident, "kubernetes", []))}
	vault := {x | some x in duties.string_list(object.get(ident, "vault", []))}
}

_identities contains {"name": key, "configured": false, "members": {key}, "vault": set()} if {
	some e in array.concat(_deployers, _readers)
	key := duties.subject_key(e.subject)
	not key in _configured_keys
}

# Groups every person is in: Kubernetes' system:authenticated, and Argo CD's policy.default
# (the analyzer's argocd:authenticated). No identity names them, yet a grant to them is a
# grant to each person and team. (ServiceAccounts in system:authenticated are already
# expanded by the analyzer.)
_everyone_groups := {"Group:system:authenticated", "Group:argocd:authenticated"}

# The subjects whose grants an identity holds.
_reach(ident) := ident.members | _everyone_groups if _person(ident)

_reach(ident) := ident.members if not _person(ident)

_person(ident) if {
	some k in ident.members
	not startswith(k, "ServiceAccount:")
	not k in _everyone_groups
}

# At least one half of the finding is the identity's own (when both halves come through the
# everyone groups, the group is reported once, as an identity of its own).
_own_part(ident, grants, _) if {
	some g in grants
	duties.subject_key(g.subject) in ident.members
}

_own_part(ident, _, reads) if {
	some r in reads
	duties.subject_key(r.subject) in ident.members
}

_identity_name(ident) := sprintf("Identity %s", [ident.name]) if ident.configured

_identity_name(ident) := duties.key_text(ident.name) if not ident.configured

# The deploy grants and Secret reads of each subject, grouped once: each identity then looks
# up only its own subjects.
_deploy_rows := [{"key": duties.subject_key(e.subject), "grant": {
	"subject": e.subject,
	"namespace": e.namespace,
	"permissions": object.get(e, "permissions", []),
	"via": e.via,
}} |
	some e in _deployers
]

_read_rows := [{"key": duties.subject_key(e.subject), "read": {
	"subject": e.subject,
	"namespace": e.namespace,
	"verbs": object.get(e, "verbs", []),
	"resource_names": object.get(e, "resource_names", null),
	"via": w,
}} |
	some e in _readers
	some w in e.via
]

_deploys_by_subject[key] := [_deploy_rows[i].grant | some i in indexes] if {
	some key, indexes in duties.group_indexes([r.key | some r in _deploy_rows])
}

_reads_by_subject[key] := [_read_rows[i].read | some i in indexes] if {
	some key, indexes in duties.group_indexes([r.key | some r in _read_rows])
}

# The deploy grants of an identity, and its Secret reads, subject by subject: its own subjects
# first (sorted), then the groups every user is in.
_ordered_reach(ident) := array.concat(sort(ident.members), sort(_reach(ident) - ident.members))

_deploys(ident) := [g | some key in _ordered_reach(ident); some g in object.get(_deploys_by_subject, key, [])]

_secret_reads(ident) := [r | some key in _ordered_reach(ident); some r in object.get(_reads_by_subject, key, [])]

# "Group kaze:deployers deploys cluster-wide through ClusterRoleBinding kaze-deployers (ClusterRole
# kaze-deployer)", and how many other deploy grants there are.
_deploy_text(grants) := concat("", [
	sprintf(
		"%s deploys %s %s",
		[duties.subject_text(grants[0].subject), duties.scope_text(grants[0].namespace), duties.via_text(grants[0].via[0])],
	),
	_more_text(count([w | some g in grants; some w in g.via]) - 1),
])

_more_text(0) := ""

_more_text(n) := sprintf(" (and through %d other grants)", [n]) if n > 0

_read_text(r) := sprintf(
	"%s reads Secrets %s %s",
	[duties.subject_text(r.subject), duties.scope_text(r.namespace), duties.via_text(r.via)],
) if {
	r.resource_names == null
}

_read_text(r) := sprintf(
	"%s reads the Secrets %s %s %s",
	[
		duties.subject_text(r.subject), concat(", ", r.resource_names),
		duties.scope_text(r.namespace), duties.via_text(r.via),
	],
) if {
	r.resource_names != null
}

_deploy_bindings(grants) := concat(", ", sort({duties.id_text(w.binding) | some g in grants; some w in g.via}))

_closing := "whoever deploys may reach production secrets only through break-glass"

# ---------------------------------------------------------------------------------------
# Kubernetes Secrets: one finding per identity and binding that gives it the read.

violation contains v if {
	some ident in _identities
	grants := _deploys(ident)
	count(grants) > 0
	reads := _secret_reads(ident)
	some binding in {r.via.binding | some r in reads}
	here := [r | some r in reads; r.via.binding == binding]
	_own_part(ident, grants, here)
	v := {
		"msg": sprintf(
			concat("", [
				"%s can both deploy and read production secrets: %s, and %s. ",
				"Take one of the two away (the Secret read of %s, or the deploy right of %s): %s%s",
			]),
			[
				_identity_name(ident), _deploy_text(grants), _read_text(here[0]), duties.id_text(binding),
				_deploy_bindings(grants), _closing, duties.unconfigured_note,
			],
		),
		"resource": binding,
		"evidence": {
			"identity": ident.name,
			"identity_subjects": sort(ident.members),
			"deploys": grants,
			"reads": here,
		},
	}
}

# ---------------------------------------------------------------------------------------
# Vault: policies held by the identity's entities, or through an auth role that admits one of
# its subjects, that read client or platform key paths (kaze.lib.vault_holders).

violation contains v if {
	some ident in _identities
	grants := _deploys(ident)
	count(grants) > 0
	some h in vault_holders.holdings(ident)
	reads := [e | some e in vault_holders.secret_readers; e.policy == h.policy]
	count(reads) > 0
	v := {
		"msg": _vault_message(ident, grants, h, reads),
		"resource": h.resource,
		"evidence": {
			"identity": ident.name,
			"identity_subjects": sort(ident.members),
			"identity_vault_entities": sort(ident.vault),
			"deploys": grants,
			"vault": {
				"holder": h.holder,
				"policy": h.policy,
				"paths": sort({e.path | some e in reads}),
				"clients": sort({e.client | some e in reads; e.scope == "client"}),
				"platform": count({e | some e in reads; e.scope == "platform"}) > 0,
			},
		},
	}
}

_vault_message(ident, grants, h, reads) := sprintf(
	concat("", [
		"%s can both deploy and read production secrets: %s, and %s holds Vault policy %s, ",
		"which reads %s (under %s). Take one of the two away (the %s, or the deploy right of %s): %s%s",
	]),
	[
		_identity_name(ident), _deploy_text(grants), h.holder, h.policy, vault_holders.reach_text(reads),
		concat(", ", vault_holders.folders(reads)), h.fix, _deploy_bindings(grants), _closing,
		duties.unconfigured_note,
	],
)

_deploying_holdings contains h if {
	some ident in _identities
	count(_deploys(ident)) > 0
	some h in vault_holders.holdings(ident)
}
