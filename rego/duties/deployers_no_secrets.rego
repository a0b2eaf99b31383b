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
#   names is an identity of its own). Reading production secrets is reading Kubernetes Secrets, or holding a Vault policy
#   that reads under a client's or the platform's key paths, through a Vault entity of the
#   identity or an auth role that admits one of its subjects (Kubernetes ServiceAccounts, OIDC
#   or JWT group claims). Not persons, and exempt: the break-glass group (time-boxed,
#   ticketed and audited), the platform's own controllers (kaze-policy.yaml groups.controllers,
#   e.g. the CloudNativePG operator and the Prometheus Operator, which create pods and read the
#   Secrets they generate) unless they are also configured deployers (the GitOps controller is
#   the deploy path itself, so it must never read a secret), and Kubernetes' system:masters.
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

import data.kaze.lib.duties
import data.kaze.lib.tenancy

errors contains msg if {
	some msg in duties.rbac_errors({"deployers", "secret_readers"})
}

# Without configuration, a subject that both deploys and reads fails (nothing is exempt); a
# deploy right and a read held by different subjects may be one person's: undecided.
undecided := duties.no_identities_reason if {
	not tenancy.has_config
	count(deployers) > 0
	joinable_reads
}

# A Secret read by a subject other than the one deployer (one subject that does both is judged).
joinable_reads if {
	count(readers) > 0
	count({duties.subject_key(e.subject) | some e in array.concat(deployers, readers)}) > 1
}

joinable_reads if count(vault_readers) > 0

# ---------------------------------------------------------------------------------------
# Who is exempt: the break-glass group, system:masters, and controllers that do not deploy
# by duty (a configured deployer is judged as one, whatever else it is).

exempt(entry) if duties.exempt(entry)

exempt(entry) if {
	duties.controller(entry)
	not duties.deployer_duty(entry)
}

deployers := [e | some e in duties.rbac_list("deployers"); not exempt(e)]

readers := [e | some e in duties.rbac_list("secret_readers"); not exempt(e)]

# ---------------------------------------------------------------------------------------
# Identities: the configured ones (the analyzer's table, subjects normalised), and every
# deploying subject that no identity names, as an identity of its own.

strings(value) := [x | some x in value; is_string(x)] if is_array(value)

strings(value) := [trim_space(x) | some x in split(value, ","); trim_space(x) != ""] if is_string(value)

strings(value) := [] if {
	not is_array(value)
	not is_string(value)
}

identity_table := duties.rbac_value("identities") if is_object(duties.rbac_value("identities"))

identity_table := {name: {"kubernetes": object.get(ident, "kubernetes", []), "vault": object.get(ident, "vault", [])} |
	some ident in objects(object.get(tenancy.config, "identities", []))
	name := ident.name
} if not is_object(duties.rbac_value("identities"))

objects(value) := [x | some x in value; is_object(x)] if is_array(value)

objects(value) := [] if not is_array(value)

configured_keys := {k | some ident in identity_table; some k in strings(object.get(ident, "kubernetes", []))}

identities contains {"name": name, "configured": true, "members": members, "vault": vault} if {
	some name, ident in identity_table
	members := {k | some k in strings(object.get(ident, "kubernetes", []))}
	vault := {x | some x in strings(object.get(ident, "vault", []))}
}

identities contains {"name": key, "configured": false, "members": {key}, "vault": set()} if {
	some e in array.concat(deployers, readers)
	key := duties.subject_key(e.subject)
	not key in configured_keys
}

# Groups every person is in: Kubernetes' system:authenticated, and Argo CD's policy.default
# (the analyzer's argocd:authenticated). No identity names them, yet a grant to them is a
# grant to each person and team. (ServiceAccounts in system:authenticated are already
# expanded by the analyzer.)
everyone_groups := {"Group:system:authenticated", "Group:argocd:authenticated"}

# The subjects whose grants an identity holds.
reach(ident) := ident.members | everyone_groups if person(ident)

reach(ident) := ident.members if not person(ident)

person(ident) if {
	some k in ident.members
	not startswith(k, "ServiceAccount:")
	not k in everyone_groups
}

# At least one half of the finding is the identity's own (when both halves come through the
# everyone groups, the group is reported once, as an identity of its own).
own_part(ident, grants, _) if {
	some g in grants
	duties.subject_key(g.subject) in ident.members
}

own_part(ident, _, reads) if {
	some r in reads
	duties.subject_key(r.subject) in ident.members
}

identity_name(ident) := sprintf("Identity %s", [ident.name]) if ident.configured

identity_name(ident) := duties.key_text(ident.name) if not ident.configured

# The deploy grants and Secret reads of each subject, grouped once: each identity then looks
# up only its own subjects.
deploy_rows := [{"key": duties.subject_key(e.subject), "grant": {"subject": e.subject, "namespace": e.namespace, "permissions": object.get(e, "permissions", []), "via": e.via}} |
	some e in deployers
]

read_rows := [{"key": duties.subject_key(e.subject), "read": {"subject": e.subject, "namespace": e.namespace, "verbs": object.get(e, "verbs", []), "resource_names": object.get(e, "resource_names", null), "via": w}} |
	some e in readers
	some w in e.via
]

deploys_by_subject := {key: [deploy_rows[i].grant | some i in indexes] |
	some key, indexes in duties.group_indexes([r.key | some r in deploy_rows])
}

reads_by_subject := {key: [read_rows[i].read | some i in indexes] |
	some key, indexes in duties.group_indexes([r.key | some r in read_rows])
}

# The deploy grants of an identity, and its Secret reads, subject by subject: its own subjects
# first (sorted), then the groups every user is in.
ordered_reach(ident) := array.concat(sort(ident.members), sort(reach(ident) - ident.members))

deploys(ident) := [g | some key in ordered_reach(ident); some g in object.get(deploys_by_subject, key, [])]

secret_reads(ident) := [r | some key in ordered_reach(ident); some r in object.get(reads_by_subject, key, [])]

# "Group kaze:deployers deploys cluster-wide through ClusterRoleBinding kaze-deployers (ClusterRole
# kaze-deployer)", and how many other deploy grants there are.
deploy_text(grants) := concat("", [
	sprintf("%s deploys %s %s", [duties.subject_text(grants[0].subject), duties.scope_text(grants[0].namespace), duties.via_text(grants[0].via[0])]),
	more_text(count([w | some g in grants; some w in g.via]) - 1),
])

more_text(0) := ""

more_text(n) := sprintf(" (and through %d other grants)", [n]) if n > 0

read_text(r) := sprintf("%s reads Secrets %s %s", [duties.subject_text(r.subject), duties.scope_text(r.namespace), duties.via_text(r.via)]) if {
	r.resource_names == null
}

read_text(r) := sprintf("%s reads the Secrets %s %s %s", [duties.subject_text(r.subject), concat(", ", r.resource_names), duties.scope_text(r.namespace), duties.via_text(r.via)]) if {
	r.resource_names != null
}

deploy_bindings(grants) := concat(", ", sort({duties.id_text(w.binding) | some g in grants; some w in g.via}))

closing := "whoever deploys may reach production secrets only through break-glass"

# ---------------------------------------------------------------------------------------
# Kubernetes Secrets: one finding per identity and binding that gives it the read.

violation contains v if {
	some ident in identities
	grants := deploys(ident)
	count(grants) > 0
	reads := secret_reads(ident)
	some binding in {r.via.binding | some r in reads}
	here := [r | some r in reads; r.via.binding == binding]
	own_part(ident, grants, here)
	v := {
		"msg": sprintf(
			"%s can both deploy and read production secrets: %s, and %s. Take one of the two away (the Secret read of %s, or the deploy right of %s): %s%s",
			[identity_name(ident), deploy_text(grants), read_text(here[0]), duties.id_text(binding), deploy_bindings(grants), closing, duties.unconfigured_note],
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
# Vault: policies held by the identity's entities (VaultSnapshot.entities), or through an
# auth role that admits one of its subjects, that read client or platform key paths
# (facts.vault_acl.secret_readers).

vault_acl := object.get(data.inventory, ["facts", "vault_acl"], null)

acl_value(field) := object.get(vault_acl, field, null) if is_object(vault_acl)

acl_value(_) := null if not is_object(vault_acl)

vault_readers := acl_value("secret_readers") if is_array(acl_value("secret_readers"))

vault_readers := [] if not is_array(acl_value("secret_readers"))

acl_errors := acl_value("errors") if is_array(acl_value("errors"))

acl_errors := [] if not is_array(acl_value("errors"))

unknown_client := acl_value("unknown_client") if is_string(acl_value("unknown_client"))

unknown_client := "kaze-probe-unknown-client" if not is_string(acl_value("unknown_client"))

resources_of(kind) := [data.inventory.resources[id] | some id in object.get(data.inventory.by_kind, kind, [])]

snapshots := resources_of("VaultSnapshot")

# Auth roles in one shape: the ServiceAccounts and IdP groups they admit, the policies they give.
auth_roles contains {
	"resource": r.id,
	"text": sprintf("Vault auth role %s", [r.name]),
	"policies": array.concat(strings(object.get(r.object, "token_policies", [])), strings(object.get(r.object, "policies", []))),
	"sa_names": strings(object.get(r.object, "bound_service_account_names", [])),
	"sa_namespaces": strings(object.get(r.object, "bound_service_account_namespaces", [])),
	"groups": claim_groups(object.get(r.object, "bound_claims", {}), object.get(r.object, "groups_claim", null)),
	"glob": object.get(r.object, "bound_claims_type", "string") == "glob",
} if {
	some r in resources_of("VaultAuthRole")
	is_object(r.object)
}

auth_roles contains {
	"resource": s.id,
	"text": sprintf("Vault auth role %v/%v (%s)", [object.get(role, "mount", "?"), object.get(role, "name", "?"), s.id]),
	"policies": array.concat(strings(object.get(role, "policies", [])), strings(object.get(role, "tokenPolicies", []))),
	"sa_names": strings(object.get(role, "boundServiceAccountNames", [])),
	"sa_namespaces": strings(object.get(role, "boundServiceAccountNamespaces", [])),
	"groups": claim_groups(object.get(role, "boundClaims", {}), object.get(role, "groupsClaim", null)),
	"glob": object.get(role, "boundClaimsType", "string") == "glob",
} if {
	some s in snapshots
	some role in objects(object.get(s.object, "authRoles", []))
}

# The groups an OIDC/JWT role binds through its groups claim ("groups" unless renamed).
claim_groups(claims, claim) := strings(object.get(claims, claim, [])) if {
	is_object(claims)
	is_string(claim)
}

claim_groups(claims, claim) := strings(object.get(claims, "groups", [])) if {
	is_object(claims)
	not is_string(claim)
}

claim_groups(claims, _) := [] if not is_object(claims)

# role_admits(role, key): the role lets the subject (kaze-policy.yaml form) log in.
role_admits(role, key) if {
	parts := split(key, ":")
	count(parts) == 3
	parts[0] == "ServiceAccount"
	some name in role.sa_names
	glob.match(name, [], parts[2])
	some ns in role.sa_namespaces
	glob.match(ns, [], parts[1])
}

role_admits(role, key) if {
	startswith(key, "Group:")
	some pattern in role.groups
	claim_matches(role, pattern, trim_prefix(key, "Group:"))
}

claim_matches(_, pattern, group) if pattern == group

claim_matches(role, pattern, group) if {
	role.glob
	glob.match(pattern, [], group)
}

# The Vault policies an identity holds: {resource, holder, fix, policy}.
holdings(ident) := entity_holdings(ident) | role_holdings(ident)

entity_holdings(ident) := {{
	"resource": s.id,
	"holder": sprintf("Vault entity %s (%s)", [entity.name, s.id]),
	"fix": sprintf("policy %s of Vault entity %s", [policy, entity.name]),
	"policy": policy,
} |
	some s in snapshots
	some entity in objects(object.get(s.object, "entities", []))
	entity.name in ident.vault
	some policy in strings(object.get(entity, "policies", []))
}

role_holdings(ident) := {{
	"resource": role.resource,
	"holder": sprintf("%s, which admits %s,", [role.text, duties.key_text(key)]),
	"fix": sprintf("policy %s of %s", [policy, role.text]),
	"policy": policy,
} |
	some role in auth_roles
	some key in ident.members
	role_admits(role, key)
	some policy in role.policies
}

# What a policy's reads reach, in words: "the keys of clients acme, globex and the platform's keys".
reach_text(reads) := concat(" and ", [part | some part in [clients_text(reads), platform_text(reads)]; part != ""])

clients_text(reads) := "the keys of every client" if {
	some e in reads
	e.scope == "client"
	e.client == unknown_client
}

clients_text(reads) := sprintf("the keys of client %s", [concat(", ", clients)]) if {
	not reads_every_client(reads)
	clients := sort({e.client | some e in reads; e.scope == "client"})
	count(clients) > 0
}

clients_text(reads) := "" if count({e | some e in reads; e.scope == "client"}) == 0

reads_every_client(reads) if {
	some e in reads
	e.scope == "client"
	e.client == unknown_client
}

platform_text(reads) := "the platform's keys" if {
	some e in reads
	e.scope == "platform"
}

platform_text(reads) := "" if count({e | some e in reads; e.scope == "platform"}) == 0

# The folders read ("kv/data/speedrun/"), the probe's unknown client shown as "*".
folders(reads) := sort({replace(regex.replace(e.path, `[^/]*$`, ""), unknown_client, "*") | some e in reads})

violation contains v if {
	some ident in identities
	grants := deploys(ident)
	count(grants) > 0
	some h in holdings(ident)
	reads := [e | some e in vault_readers; e.policy == h.policy]
	count(reads) > 0
	v := {
		"msg": sprintf(
			"%s can both deploy and read production secrets: %s, and %s holds Vault policy %s, which reads %s (under %s). Take one of the two away (the %s, or the deploy right of %s): %s%s",
			[identity_name(ident), deploy_text(grants), h.holder, h.policy, reach_text(reads), concat(", ", folders(reads)), h.fix, deploy_bindings(grants), closing, duties.unconfigured_note],
		),
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

# ---------------------------------------------------------------------------------------
# Vault evidence that cannot be read, for an identity that deploys: an error, never a pass.

deploying_holdings contains h if {
	some ident in identities
	count(deploys(ident)) > 0
	some h in holdings(ident)
}

errors contains msg if {
	count(deploying_holdings) > 0
	not is_array(acl_value("secret_readers"))
	msg := "the Vault ACL analysis (facts.vault_acl) is missing: whether deployers' Vault policies read secrets cannot be judged"
}

errors contains msg if {
	some h in deploying_holdings
	some e in acl_errors
	e.policy == h.policy
	msg := sprintf("Vault policy %s, held by a deployer through %s, cannot be read (%v): whether it reads secrets cannot be judged", [h.policy, h.holder, object.get(e, "error", "")])
}

errors contains msg if {
	some s in snapshots
	not is_array(object.get(s.object, "entities", null))
	some ident in identities
	count(ident.vault) > 0
	count(deploys(ident)) > 0
	msg := sprintf("%s has no entities: which Vault policies the deployer %s holds cannot be judged", [s.id, ident.name])
}
