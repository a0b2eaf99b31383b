package kaze.lib.vault_test

import rego.v1

import data.kaze.lib.vault
import data.kaze.testing.inventory

# A Terraform resource of the inventory, with the apiVersion the scanner gives it.
_terraform(kind, name, obj) := inventory.resource(kind, null, name, object.union({"apiVersion": "terraform"}, obj))

_snapshot := inventory.resource("VaultSnapshot", null, "live", {
	"authRoles": [{
		"mount": "kubernetes",
		"name": "agent",
		"tokenPolicies": ["client-acme"],
		"boundServiceAccountNamespaces": ["tenant-acme"],
		"boundServiceAccountNames": ["agent"],
		"tokenTtl": 3600,
		"tokenMaxTtl": 0,
	}],
	"keys": [{"path": "transit/keys/acme", "autoRotatePeriod": "720h"}],
})

_auth_role := inventory.resource("VaultAuthRole", null, "agent", {
	"mount": "kubernetes",
	"policies": ["client-acme"],
	"bound_service_account_namespaces": ["tenant-acme"],
	"bound_service_account_names": ["agent"],
	"ttl": "1h",
	"token_max_ttl": "24h",
})

_terraform_role := _terraform("vault_kubernetes_auth_backend_role", "agent", {
	"backend": "kubernetes",
	"role_name": "agent",
	"token_policies": ["client-acme"],
	"token_period": "30m",
})

_transit_keys := inventory.resource("VaultTransitKeys", null, "keys", {"keys": [{
	"path": "transit/keys/acme",
	"auto_rotate_period": "30d",
}]})

_terraform_key := _terraform(
	"vault_transit_secret_backend_key", "acme",
	{"name": "acme", "auto_rotate_interval": "30d"},
)

test_resources_of_and_snapshots if {
	inv := inventory.of([_snapshot, _auth_role])
	[r.id | some r in vault.resources_of("VaultAuthRole")] == ["VaultAuthRole/agent"] with data.inventory as inv
	vault.resources_of("VaultTransitKeys") == [] with data.inventory as inv
	[s.id | some s in vault.snapshots] == ["VaultSnapshot/live"] with data.inventory as inv
}

test_break_glass_policy if {
	vault.break_glass_policy == "break-glass"
}

test_duration[name] if {
	some name, [value, want] in {
		"unset": [null, 0],
		"number": [3600, 3600],
		"digits": ["3600", 3600],
		"days": ["30d", 2592000],
		"go duration": ["1h30m", 5400],
		"fraction": ["1.5h", 5400],
	}
	vault.duration(value, {"id": "infra/vault_kubernetes_auth_backend_role.agent"}) == want
}

test_duration_that_cannot_be_read[value] if {
	some value in {"soon", "1 hour", "-1h", "${var.missing}", "${local.ttl}"}
	not vault.duration(value, {"id": "infra/vault_kubernetes_auth_backend_role.agent"})
}

test_duration_of_a_terraform_variable if {
	inv := {"resources": {"infra/vault/terraform_variable.ttl": {"object": {"default": "2h"}}}}
	role := {"id": "infra/vault/vault_kubernetes_auth_backend_role.agent"}
	vault.duration("${var.ttl}", role) == 7200 with data.inventory as inv
}

test_roles_of_every_source if {
	inv := inventory.of([_snapshot, _auth_role, _terraform_role])
	got := vault.roles with data.inventory as inv
	got == {
		{
			"resource": "VaultAuthRole/agent",
			"where": "Vault auth role agent",
			"mount": "kubernetes",
			"name": "agent",
			"policies": ["client-acme"],
			"namespaces": ["tenant-acme"],
			"service_accounts": ["agent"],
			"fields": {"ttl": "1h", "max_ttl": "24h", "period": null, "explicit_max_ttl": null},
			"names": {
				"ttl": "token_ttl",
				"max_ttl": "token_max_ttl",
				"period": "token_period",
				"explicit_max_ttl": "token_explicit_max_ttl",
			},
		},
		{
			"resource": "VaultSnapshot/live",
			"where": "Live Vault auth role kubernetes/agent (VaultSnapshot/live)",
			"mount": "kubernetes",
			"name": "agent",
			"policies": ["client-acme"],
			"namespaces": ["tenant-acme"],
			"service_accounts": ["agent"],
			"fields": {"ttl": 3600, "max_ttl": 0, "period": null, "explicit_max_ttl": null},
			"names": {
				"ttl": "tokenTtl",
				"max_ttl": "tokenMaxTtl",
				"period": "tokenPeriod",
				"explicit_max_ttl": "tokenExplicitMaxTtl",
			},
		},
		{
			"resource": "vault_kubernetes_auth_backend_role/agent",
			"where": "vault_kubernetes_auth_backend_role.agent",
			"mount": "kubernetes",
			"name": "agent",
			"policies": ["client-acme"],
			"namespaces": [],
			"service_accounts": [],
			"fields": {"ttl": null, "max_ttl": null, "period": "30m", "explicit_max_ttl": null},
			"names": {
				"ttl": "token_ttl",
				"max_ttl": "token_max_ttl",
				"period": "token_period",
				"explicit_max_ttl": "token_explicit_max_ttl",
			},
		},
	}
}

test_terraform_role_kinds if {
	inv := inventory.of([
		_terraform_role,
		_terraform("vault_token_auth_backend_role", "ci", {}),
		_terraform("vault_kubernetes_auth_backend_config", "k8s", {}),
		_auth_role,
	])
	got := vault.terraform_role_kinds with data.inventory as inv
	got == {"vault_kubernetes_auth_backend_role", "vault_token_auth_backend_role"}
}

test_keys_of_every_source if {
	inv := inventory.of([_snapshot, _transit_keys, _terraform_key])
	got := vault.keys with data.inventory as inv
	got == {
		{
			"resource": "VaultSnapshot/live",
			"where": "Live Vault key transit/keys/acme (VaultSnapshot/live)",
			"path": "transit/keys/acme",
			"period": "720h",
			"field": "autoRotatePeriod",
		},
		{
			"resource": "VaultTransitKeys/keys",
			"where": "Vault transit key transit/keys/acme (keys)",
			"path": "transit/keys/acme",
			"period": "30d",
			"field": "auto_rotate_period",
		},
		{
			"resource": "vault_transit_secret_backend_key/acme",
			"where": "vault_transit_secret_backend_key.acme",
			"path": "transit/keys/acme",
			"period": "30d",
			"field": "auto_rotate_period",
		},
	}
}

_tenants_config := {"tenants": [
	{"name": "acme", "namespaces": ["tenant-acme"]},
	{"name": "acme-corp", "namespaces": ["tenant-acme-corp", "tenant-acme-corp-jobs"]},
	{"name": "globex", "namespaces": []},
]}

# The namespaces of the inventory, as the scanner writes them (globex's from its label).
_namespaces := {
	"tenant-globex": {"labels": {"kaze.io/tenant": "globex"}, "tenant": "globex", "plane": null},
	"kaze-system": {"labels": {}, "tenant": null, "plane": "platform"},
}

_tenants_inventory := object.union(inventory.with_config([], _tenants_config), {"namespaces": _namespaces})

test_tenants_admitted[pattern] if {
	some pattern, want in {
		"tenant-globex": {"globex"},
		"tenant-acme": {"acme"},
		"kaze-system": set(),
		"tenant-acme-corp-*": {"acme-corp"},
		"tenant-acme*": {"acme", "acme-corp"},
		"*": {"acme", "acme-corp", "globex"},
	}
	vault.tenants_admitted(pattern) == want with data.inventory as _tenants_inventory
}

test_policy_owner[policy] if {
	some policy, want in {
		"client-acme": "acme",
		"client-acme-agent": "acme",
		"client-acme-corp": "acme-corp",
		"client-acme-corp-agent": "acme-corp",
		"client-globex-reader": "globex",
	}
	vault.policy_owner(policy) == want with data.inventory as _tenants_inventory
}

test_policy_without_owner[policy] if {
	some policy in {"break-glass", "client-initech", "acme", "clientacme"}
	not vault.policy_owner(policy) with data.inventory as _tenants_inventory
}

test_inside_cell[address] if {
	some address in {
		"https://vault.vault.svc:8200",
		"http://vault.vault.svc.cluster.local:8200/v1/sys/health",
		"vault.vault.svc",
		"https://user@VAULT.VAULT.SVC.CLUSTER.LOCAL.:8200?x=1#y",
	}
	vault.inside_cell(address)
}

test_outside_cell[address] if {
	some address in {
		"https://vault.example.com:8200",
		"https://vault.svc.cluster.local.evil.example",
		"https://vault.svc.example/x.svc",
		"10.0.0.1:8200",
	}
	not vault.inside_cell(address)
}

test_acl_fact_is_the_analysis_or_null if {
	vault.acl_fact == {"secret_readers": []} with data.inventory as {"facts": {"vault_acl": {"secret_readers": []}}}
	vault.acl_fact == null with data.inventory as {"facts": {}}
}
