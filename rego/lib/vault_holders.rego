# METADATA
# title: Who holds which Vault policy, and what the policies read
# description: >-
#   The Vault half of KZ-SOD-01: the policies an identity holds through its Vault entities
#   (VaultSnapshot.entities) or through an auth role that admits one of its Kubernetes
#   subjects or IdP groups (VaultAuthRole, VaultSnapshot.authRoles), and the Vault ACL
#   analysis (facts.vault_acl, kaze_policy/analysis) of which policies read a client's or the
#   platform's key paths. Its rules walk the inventory's Vault resources: only cross-resource
#   controls import this package.
package kaze.lib.vault_holders

import rego.v1

import data.kaze.lib.coerce
import data.kaze.lib.duties
import data.kaze.lib.k8s
import data.kaze.lib.vault

_acl := vault.acl_fact

_acl_value(field) := object.get(_acl, field, null) if is_object(_acl)

_acl_value(_) := null if not is_object(_acl)

# METADATA
# title: acl_missing
# description: The Vault ACL analysis (facts.vault_acl) has no secret_readers list.
acl_missing if not is_array(_acl_value("secret_readers"))

# METADATA
# title: secret_readers
# description: >-
#   The analysis' reads of key paths, [{policy, path, scope (client or platform), client}]
#   ([] when it is missing: see acl_missing).
# scope: document
secret_readers := _acl_value("secret_readers") if is_array(_acl_value("secret_readers"))

secret_readers := [] if not is_array(_acl_value("secret_readers"))

# METADATA
# title: acl_errors
# description: The policies the analysis could not read, [{policy, error}] ([] when none).
# scope: document
acl_errors := _acl_value("errors") if is_array(_acl_value("errors"))

acl_errors := [] if not is_array(_acl_value("errors"))

# The name the analysis gives to the client it does not know (a path of every client).
_unknown_client := _acl_value("unknown_client") if is_string(_acl_value("unknown_client"))

_unknown_client := "kaze-probe-unknown-client" if not is_string(_acl_value("unknown_client"))

# METADATA
# title: snapshots
# description: The inventory's VaultSnapshot resources.
snapshots := k8s.resources_of_kind("VaultSnapshot")

# Auth roles in one shape: the ServiceAccounts and IdP groups they admit, the policies they give.
_auth_roles contains {
	"resource": r.id,
	"text": sprintf("Vault auth role %s", [r.name]),
	"policies": array.concat(
		duties.string_list(object.get(r.object, "token_policies", [])),
		duties.string_list(object.get(r.object, "policies", [])),
	),
	"sa_names": duties.string_list(object.get(r.object, "bound_service_account_names", [])),
	"sa_namespaces": duties.string_list(object.get(r.object, "bound_service_account_namespaces", [])),
	"groups": _claim_groups(object.get(r.object, "bound_claims", {}), object.get(r.object, "groups_claim", null)),
	"glob": object.get(r.object, "bound_claims_type", "string") == "glob",
} if {
	some r in k8s.resources_of_kind("VaultAuthRole")
	is_object(r.object)
}

_auth_roles contains {
	"resource": s.id,
	"text": sprintf("Vault auth role %v/%v (%s)", [object.get(role, "mount", "?"), object.get(role, "name", "?"), s.id]),
	"policies": array.concat(
		duties.string_list(object.get(role, "policies", [])),
		duties.string_list(object.get(role, "tokenPolicies", [])),
	),
	"sa_names": duties.string_list(object.get(role, "boundServiceAccountNames", [])),
	"sa_namespaces": duties.string_list(object.get(role, "boundServiceAccountNamespaces", [])),
	"groups": _claim_groups(object.get(role, "boundClaims", {}), object.get(role, "groupsClaim", null)),
	"glob": object.get(role, "boundClaimsType", "string") == "glob",
} if {
	some s in snapshots
	some role in _objects(object.get(s.object, "authRoles", []))
}

_objects(value) := [x | some x in coerce.as_list(value); is_object(x)]

# The groups an OIDC/JWT role binds through its groups claim ("groups" unless renamed).
_claim_groups(claims, claim) := duties.string_list(object.get(claims, claim, [])) if {
	is_object(claims)
	is_string(claim)
}

_claim_groups(claims, claim) := duties.string_list(object.get(claims, "groups", [])) if {
	is_object(claims)
	not is_string(claim)
}

_claim_groups(claims, _) := [] if not is_object(claims)

# _role_admits(role, key): the role lets the subject (kaze-policy.yaml form) log in.
_role_admits(role, key) if {
	parts := split(key, ":")
	count(parts) == 3
	parts[0] == "ServiceAccount"
	some name in role.sa_names
	glob.match(name, [], parts[2])
	some ns in role.sa_namespaces
	glob.match(ns, [], parts[1])
}

_role_admits(role, key) if {
	startswith(key, "Group:")
	some pattern in role.groups
	_claim_matches(role, pattern, trim_prefix(key, "Group:"))
}

_claim_matches(_, pattern, group) if pattern == group

_claim_matches(role, pattern, group) if {
	role.glob
	glob.match(pattern, [], group)
}

# METADATA
# title: holdings
# description: >-
#   The Vault policies an identity ({members: its subjects' keys, vault: its entities' names})
#   holds: {resource, holder, fix, policy}, where holder and fix name the entity or auth role
#   in words.
holdings(ident) := _entity_holdings(ident) | _role_holdings(ident)

_entity_holdings(ident) := {{
	"resource": s.id,
	"holder": sprintf("Vault entity %s (%s)", [entity.name, s.id]),
	"fix": sprintf("policy %s of Vault entity %s", [policy, entity.name]),
	"policy": policy,
} |
	some s in snapshots
	some entity in _objects(object.get(s.object, "entities", []))
	entity.name in ident.vault
	some policy in duties.string_list(object.get(entity, "policies", []))
}

_role_holdings(ident) := {{
	"resource": role.resource,
	"holder": sprintf("%s, which admits %s,", [role.text, duties.key_text(key)]),
	"fix": sprintf("policy %s of %s", [policy, role.text]),
	"policy": policy,
} |
	some role in _auth_roles
	some key in ident.members
	_role_admits(role, key)
	some policy in role.policies
}

# METADATA
# title: reach_text
# description: >-
#   What reads of the analysis reach, in words: "the keys of client acme, globex and the
#   platform's keys", "the keys of every client".
reach_text(reads) := concat(" and ", [part | some part in [_clients_text(reads), _platform_text(reads)]; part != ""])

_clients_text(reads) := "the keys of every client" if _reads_every_client(reads)

_clients_text(reads) := sprintf("the keys of client %s", [concat(", ", clients)]) if {
	not _reads_every_client(reads)
	clients := sort({e.client | some e in reads; e.scope == "client"})
	count(clients) > 0
}

_clients_text(reads) := "" if count({e | some e in reads; e.scope == "client"}) == 0

_reads_every_client(reads) if {
	some e in reads
	e.scope == "client"
	e.client == _unknown_client
}

_platform_text(reads) := "the platform's keys" if {
	some e in reads
	e.scope == "platform"
}

_platform_text(reads) := "" if count({e | some e in reads; e.scope == "platform"}) == 0

# METADATA
# title: folders
# description: 'The folders the reads are under ("kv/data/speedrun/"), the unknown client shown as "*".'
folders(reads) := sort({replace(regex.replace(e.path, `[^/]*$`, ""), _unknown_client, "*") | some e in reads})
