package kaze.lib.vault_holders_test

import rego.v1

import data.kaze.lib.vault_holders
import data.kaze.testing.inventory

_snapshot(entities, auth_roles) := inventory.resource("VaultSnapshot", null, "cell", {
	"entities": entities,
	"authRoles": auth_roles,
})

_auth_role(name, fields) := inventory.resource("VaultAuthRole", null, name, fields)

# An OIDC auth role that gives the policy "keys".
_oidc(fields) := _auth_role("oidc", object.union({"token_policies": ["keys"]}, fields))

_carol := {"name": "carol", "members": {"User:carol@kaze.io"}, "vault": {"carol"}}

_repo_server := {"name": "argo", "members": {"ServiceAccount:argocd:argocd-repo-server"}, "vault": set()}

_deployers := {"name": "bob", "members": {"Group:kaze:deployers"}, "vault": set()}

_acl(fields) := {"facts": {"vault_acl": fields}}

test_acl_lists_or_nothing if {
	vault_holders.acl_missing with data.inventory as {"facts": {}}
	vault_holders.secret_readers == [] with data.inventory as {"facts": {}}
	vault_holders.acl_errors == [] with data.inventory as _acl({"errors": "x"})
	not vault_holders.acl_missing with data.inventory as _acl({"secret_readers": []})
	vault_holders.secret_readers == [{"policy": "p"}] with data.inventory as _acl({"secret_readers": [{"policy": "p"}]})
	vault_holders.acl_errors == [{"policy": "p"}] with data.inventory as _acl({"errors": [{"policy": "p"}]})
}

test_snapshots_are_the_vault_snapshots if {
	snapshot := _snapshot([], [])
	[s.id | some s in vault_holders.snapshots] == ["VaultSnapshot/cell"] with data.inventory as inventory.of([snapshot])
}

test_policies_of_the_identity_s_entities if {
	snapshot := _snapshot([{"name": "carol", "policies": ["a", "b"]}, {"name": "alice", "policies": ["c"]}, "x"], [])
	held := vault_holders.holdings(_carol) with data.inventory as inventory.of([snapshot])
	held == {
		{
			"resource": "VaultSnapshot/cell", "holder": "Vault entity carol (VaultSnapshot/cell)",
			"fix": "policy a of Vault entity carol", "policy": "a",
		},
		{
			"resource": "VaultSnapshot/cell", "holder": "Vault entity carol (VaultSnapshot/cell)",
			"fix": "policy b of Vault entity carol", "policy": "b",
		},
	}
}

# [auth role resource, the identity, the policies it holds through the role].
test_policies_through_auth_roles_that_admit_a_subject[name] if {
	some name, [resource, ident, want] in {
		# Kubernetes auth: names and namespaces are globs, a list or a comma-separated string.
		"Kubernetes role of a name glob": [
			_auth_role("plugin", {
				"bound_service_account_names": ["argocd-*"], "bound_service_account_namespaces": "argocd",
				"token_policies": ["keys"], "policies": "more, ",
			}),
			_repo_server,
			{"keys", "more"},
		],
		"Kubernetes role of another namespace": [
			_auth_role("gateway", {
				"bound_service_account_names": ["*"], "bound_service_account_namespaces": ["kaze-llm-gateway"],
				"token_policies": ["keys"],
			}),
			_repo_server,
			set(),
		],
		# OIDC: the groups claim, "groups" unless renamed; globs only with bound_claims_type glob.
		"OIDC role of the groups claim": [_oidc({"bound_claims": {"groups": ["kaze:deployers"]}}), _deployers, {"keys"}],
		"OIDC role of a renamed groups claim": [
			_auth_role("oidc", {
				"groups_claim": "roles", "bound_claims": {"roles": ["kaze:deployers"]},
				"token_policies": ["keys"],
			}),
			_deployers,
			{"keys"},
		],
		"OIDC role of a glob, not a glob claim": [_oidc({"bound_claims": {"groups": ["kaze:*"]}}), _deployers, set()],
		"OIDC role of a glob claim": [
			_auth_role("oidc", {
				"bound_claims": {"groups": ["kaze:*"]}, "bound_claims_type": "glob",
				"token_policies": ["keys"],
			}),
			_deployers,
			{"keys"},
		],
		"OIDC role of another group": [_oidc({"bound_claims": {"groups": ["kaze:operators"]}}), _deployers, set()],
		"OIDC role of no bound claims": [_oidc({"bound_claims": null}), _deployers, set()],
		# A snapshot's auth roles, as the Vault probe writes them.
		"snapshot's Kubernetes role": [
			_snapshot([], [{
				"mount": "kubernetes", "name": "plugin", "boundServiceAccountNames": ["argocd-repo-server"],
				"boundServiceAccountNamespaces": ["argocd"], "policies": ["keys"], "tokenPolicies": ["more"],
			}]),
			_repo_server,
			{"keys", "more"},
		],
	}
	held := vault_holders.holdings(ident) with data.inventory as inventory.of([resource])
	{h.policy | some h in held} == want
}

test_an_auth_role_in_words if {
	jwt := {"mount": "jwt", "name": "ci", "boundClaims": {"groups": ["kaze:deployers"]}, "policies": ["keys"]}
	role := _auth_role("oidc", {"bound_claims": {"groups": ["kaze:deployers"]}, "token_policies": ["keys"]})
	some h in vault_holders.holdings(_deployers) with data.inventory as inventory.of([role])
	h.resource == "VaultAuthRole/oidc"
	h.holder == "Vault auth role oidc, which admits Group kaze:deployers,"
	h.fix == "policy keys of Vault auth role oidc"
	some s in vault_holders.holdings(_deployers) with data.inventory as inventory.of([_snapshot([], [jwt])])
	s.holder == "Vault auth role jwt/ci (VaultSnapshot/cell), which admits Group kaze:deployers,"
}

_platform := {"scope": "platform", "client": null, "path": "kv/data/speedrun/kaze-probe-key"}

_client(name) := {"scope": "client", "client": name, "path": sprintf("kv/data/clients/%s/db", [name])}

test_reach_in_words[name] if {
	some name, [reads, text] in {
		"the platform": [[_platform], "the platform's keys"],
		"clients, one twice": [[_client("acme"), _client("globex"), _client("acme")], "the keys of client acme, globex"],
		"the probe's client, a client and the platform": [
			[_client("kaze-probe-unknown-client"), _client("acme"), _platform],
			concat(" and ", [
				"the keys of every client",
				"the platform's keys",
			]),
		],
		"nothing": [[], ""],
	}
	vault_holders.reach_text(reads) == text with data.inventory as {"facts": {}}
}

test_folders_hide_the_probe_s_client if {
	reads := [_platform, _client("kaze-probe-unknown-client"), _client("acme")]
	folders := vault_holders.folders(reads) with data.inventory as {"facts": {}}
	folders == ["kv/data/clients/*/", "kv/data/clients/acme/", "kv/data/speedrun/"]
	named := _acl({"unknown_client": "nobody"})
	vault_holders.folders([_client("nobody")]) == ["kv/data/clients/*/"] with data.inventory as named
	vault_holders.reach_text([_client("nobody")]) == "the keys of every client" with data.inventory as named
}
