# METADATA
# title: A client's keys in Vault are readable only by that client's agents (and break-glass)
# description: >-
#   Client keys live under clients/<client>/ and must be readable only by the agents that work
#   for that client, or a compromised agent of one client reads every other client's API keys.
#   What a policy grants is judged as Vault computes it (facts.vault_acl, from the policy
#   files and the live server's policies): a `+` segment or a `*` glob that covers
#   clients/<client>/ reaches every client although it names none, `list` on
#   kv/metadata/clients/* enumerates every client's keys, and a deny rule grants nothing. A
#   policy may read (or list) under clients/<client>/ only when it is that client's own
#   policy (named client-<client> or client-<client>-…); only the platform's break-glass
#   policy (named break-glass) may reach every client. And an auth role (VaultAuthRole file,
#   the live server's auth roles, or a Terraform vault_*_auth_backend_role) bound to a
#   tenant's ServiceAccounts (a namespace of the tenant, or a glob or "*" that admits one)
#   must not hand them another client's policy (client-<other>-…) or the break-glass policy:
#   each policy may be sound and the tenant still reads another client's keys.
#   Clients are the tenants of kaze-policy.yaml; the analysis also probes one unnamed client,
#   which stands for "every client".
# custom:
#   id: KZ-SEC-01
#   severity: critical
#   scopes: [vault, iac]
#   reference: "docs/requirements.md#provider-keys; docs/requirements.md#credential-lifecycle"
#   remediation: >-
#     Give each client's agents one policy, client-<client>-agent, whose paths name that
#     client (kv/data/clients/<client>/* and kv/metadata/clients/<client>/*), never a `+`
#     segment or a glob over clients/; read platform keys from kv/data/speedrun/ or
#     kv/data/platform/ in a policy of their own; and attach a client's policy only to the
#     auth role bound to that client's tenant namespace. Reading every client's keys belongs to
#     the break-glass policy alone.
#   frameworks:
#     soc2: [CC6.1, CC6.3]
#     iso27001: [A.5.15, A.8.2, A.8.3]
#     nist80053: [AC-3, AC-6, SC-12]
package kaze.secrets.client_key_isolation

import rego.v1

import data.kaze.lib.vault

_acl := vault.acl_fact if is_object(vault.acl_fact)

_acl := {} if not is_object(vault.acl_fact)

_unknown_client := object.get(_acl, "unknown_client", "kaze-probe-unknown-client")

# (A local copy: regorus 0.14 loses another package's rule referenced through an import
# alias inside a function body.)
_break_glass := vault.break_glass_policy

not_applicable := "the target holds no Vault policy, auth role or VaultSnapshot" if {
	count(vault.resources_of("VaultPolicy")) == 0
	count(vault.resources_of("VaultAuthRole")) == 0
	count(vault.snapshots) == 0
	count(vault.terraform_role_kinds) == 0
	count(vault.resources_of("vault_policy")) == 0
}

errors contains msg if {
	not is_object(vault.acl_fact)
	msg := "the Vault ACL analysis (facts.vault_acl) is missing: who can read the clients' keys cannot be judged"
}

errors contains msg if {
	is_object(vault.acl_fact)
	not is_array(object.get(vault.acl_fact, "client_access", null))
	msg := "the Vault ACL analysis has no client_access list: who can read the clients' keys cannot be judged"
}

errors contains msg if {
	some e in object.get(_acl, "errors", [])
	msg := sprintf(
		"Vault policy %v (%v) does not parse, so what it grants cannot be judged: %v",
		[e.policy, e.source, e.error],
	)
}

# The Vault ACL analysis reads VaultPolicy files and the VaultSnapshot's policies only.
errors contains msg if {
	some r in vault.resources_of("vault_policy")
	r.apiVersion == "terraform"
	msg := sprintf(
		concat("", [
			"%s is a Vault policy managed by Terraform, which the Vault ACL analysis does not read: ",
			"what it grants cannot be judged",
		]),
		[r.id],
	)
}

_access := [e | some e in object.get(_acl, "client_access", []); is_object(e)]

# A path as people read it: the probe's stand-in for "any client" shown as <any client>.
_display(path) := replace(replace(path, _unknown_client, "<any client>"), "kaze-probe-key", "<any key>")

# ---------------------------------------------------------------------------------------
# Policies

# Policies (per source) that reach every client, not only the ones they name.
_reaches_all contains [e.source, e.policy] if {
	some e in _access
	e.client == _unknown_client
	e.policy != _break_glass
}

# Clients whose keys a policy reads although it is not theirs.
_foreign contains [e.source, e.policy, e.client] if {
	some e in _access
	e.client != _unknown_client
	e.policy != _break_glass
	not [e.source, e.policy] in _reaches_all
	not _owns(e.policy, e.client)
}

_owns(policy, client) if vault.policy_owner(policy) == client

_paths_of(source, policy, client) := sort({sprintf("%s %v", [_display(e.path), e.capabilities]) |
	some e in _access
	e.source == source
	e.policy == policy
	e.client == client
})

_policy_text(source, policy) := sprintf("Vault policy %s", [policy]) if source == sprintf("VaultPolicy/%s", [policy])

_policy_text(source, policy) := sprintf("Vault policy %s of %s", [policy, source]) if {
	source != sprintf("VaultPolicy/%s", [policy])
}

violation contains v if {
	some [source, policy] in _reaches_all
	paths := _paths_of(source, policy, _unknown_client)
	v := {
		"msg": sprintf(
			concat("", [
				"%s can read or list every client's keys (%s), not only the clients it names: name the client ",
				"in every clients/ path (kv/data/clients/<client>/*); only the break-glass policy may reach every client",
			]),
			[_policy_text(source, policy), paths[0]],
		),
		"resource": source,
		"evidence": {
			"policy": policy,
			"client": "<any client>",
			"paths": paths,
			"owner": object.get(_owner_of, policy, null),
		},
	}
}

violation contains v if {
	some [source, policy, client] in _foreign
	paths := _paths_of(source, policy, client)
	v := {
		"msg": sprintf(
			concat("", [
				"%s can read or list the keys of client %s (%s) but is not that client's policy (client-%s-…): ",
				"remove those paths from it",
			]),
			[_policy_text(source, policy), client, paths[0], client],
		),
		"resource": source,
		"evidence": {
			"policy": policy,
			"client": client,
			"paths": paths,
			"owner": object.get(_owner_of, policy, null),
		},
	}
}

# A role that lets a tenant log in with a policy reaching another client's keys.
violation contains v if {
	some [role, ns, tenant, policy] in _role_findings
	reached := sort([_client_text(c) | some c in _other_clients(policy, tenant)])
	v := {
		"msg": sprintf(
			concat("", [
				"%s lets the ServiceAccounts %v of namespace %s (%s) log in with policy %s, which reads %s: ",
				"attach to it only the tenant's own client-<client>-… policies",
			]),
			[role.where, role.service_accounts, ns, _tenant_text(tenant), policy, concat(" and ", reached)],
		),
		"resource": role.resource,
		"evidence": {
			"role": role.name,
			"mount": role.mount,
			"bound_namespace": ns,
			"tenant": tenant,
			"policy": policy,
			"policy_reaches": reached,
		},
	}
}

_owner_of[policy] := owner if {
	some e in _access
	policy := e.policy
	owner := vault.policy_owner(policy)
}

# ---------------------------------------------------------------------------------------
# Auth roles

# The clients whose keys a policy attached to a role is for: the client it is named for, or
# every client for the break-glass policy. (A policy that reaches another client's keys by
# its paths is a finding of its own, above.)
_clients_of(policy) := {c | c := vault.policy_owner(policy)} if policy != _break_glass

_clients_of(policy) := {_unknown_client} if policy == _break_glass

_client_text(client) := "every client's keys (it is the break-glass policy)" if client == _unknown_client

_client_text(client) := sprintf("client %s's keys", [client]) if client != _unknown_client

# The clients other than the tenant's own whose keys a policy reaches.
_other_clients(policy, tenant) := {c | some c in _clients_of(policy); c != tenant}

# A role bound to a tenant's namespace (by name or glob), or to every namespace ("*"), that
# carries a policy reaching another client's keys.
_role_findings contains [role, ns, tenant, policy] if {
	some role in vault.roles
	some ns in role.namespaces
	is_string(ns)
	ns != "*"
	some tenant in vault.tenants_admitted(ns)
	some policy in role.policies
	count(_other_clients(policy, tenant)) > 0
}

_role_findings contains [role, "*", "*", policy] if {
	some role in vault.roles
	"*" in role.namespaces
	some policy in role.policies
	count(_clients_of(policy)) > 0
}

_tenant_text("*") := "any tenant"

_tenant_text(tenant) := sprintf("tenant %s", [tenant]) if tenant != "*"
