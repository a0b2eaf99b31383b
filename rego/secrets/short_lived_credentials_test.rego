package kaze.secrets.short_lived_credentials_test

import rego.v1

import data.kaze.secrets.short_lived_credentials
import data.kaze.testing.inventory

bounds := {"tokenTtlSeconds": 3600, "tokenMaxTtlSeconds": 14400, "keyRotationSeconds": 7776000}

_inv(resources) := inventory.with_config(resources, {"bounds": bounds})

role(settings) := {
	"id": "VaultAuthRole/acme-agent", "kind": "VaultAuthRole", "apiVersion": "vault", "name": "acme-agent",
	"object": object.union(
		{"bound_service_account_namespaces": ["tenant-acme"], "token_policies": ["client-acme-agent"]},
		settings,
	),
}

tf_role(ttl) := {
	"id": "terraform/vault/vault_kubernetes_auth_backend_role.acme", "kind": "vault_kubernetes_auth_backend_role",
	"apiVersion": "terraform", "name": "acme",
	"object": {"role_name": "acme-agent", "token_ttl": ttl, "token_max_ttl": 14400},
}

tf_variable(name, value) := {
	"id": sprintf("terraform/vault/terraform_variable.%s", [name]), "kind": "terraform_variable",
	"apiVersion": "terraform", "name": name, "object": {"default": value},
}

snapshot(keys) := {
	"id": "VaultSnapshot/cell", "kind": "VaultSnapshot", "name": "cell",
	"object": {"authRoles": [], "keys": keys},
}

keys_file(keys) := {
	"id": "VaultTransitKeys/transit", "kind": "VaultTransitKeys", "apiVersion": "vault", "name": "transit",
	"object": {"keys": keys},
}

# Each case: the resources of the inventory (under the bounds above), and how many findings they give.
count_cases := {
	"role within bounds passes": [[role({"token_ttl": 900, "token_max_ttl": 3600})], 0],
	"role at the bounds passes": [[role({"token_ttl": 3600, "token_max_ttl": 14400})], 0],
	# token_ttl unset: the token lives the max TTL, which is within the TTL bound here.
	"unset ttl is capped by the max ttl": [[role({"token_max_ttl": 1800})], 0],
	"explicit max ttl caps the lifetime": [
		[role({"token_ttl": 900, "token_max_ttl": 0, "token_explicit_max_ttl": 3600})],
		0,
	],
	"periodic token with explicit max passes": [[role({"token_period": 900, "token_explicit_max_ttl": 3600})], 0],
	"durations as vault reads them, minutes and hours": [[role({"token_ttl": "15m", "token_max_ttl": "1h"})], 0],
	"durations as vault reads them, seconds and hours": [[role({"token_ttl": "900", "token_max_ttl": "4h"})], 0],
	"durations as vault reads them, days": [[role({"token_ttl": "15m", "token_max_ttl": "1d"})], 1],
	"terraform variable default is read, within": [[tf_role("${var.ttl}"), tf_variable("ttl", 900)], 0],
	"terraform variable default is read, over": [[tf_role("${var.ttl}"), tf_variable("ttl", 86400)], 1],
	"key within the bound passes": [[snapshot([{"path": "transit/keys/acme", "autoRotatePeriod": 7776000}])], 0],
	"key without rotation fails": [[snapshot([{"path": "transit/keys/acme"}])], 1],
	"keys file within the bound passes": [
		[keys_file([{"path": "transit/keys/acme", "auto_rotate_period": 2592000}])],
		0,
	],
}

test_count[name] if {
	some name, [resources, want] in count_cases
	count(short_lived_credentials.violation) == want with data.inventory as _inv(resources)
}

# Each case: resources the control cannot judge, each giving one error.
error_cases := {
	"unreadable duration": role({"token_ttl": "soon", "token_max_ttl": 3600}),
	"terraform variable without default": tf_role("${var.ttl}"),
	"snapshot without roles": {
		"id": "VaultSnapshot/cell", "kind": "VaultSnapshot", "name": "cell",
		"object": {"keys": []},
	},
}

test_error[name] if {
	some name, resource in error_cases
	count(short_lived_credentials.errors) == 1 with data.inventory as _inv([resource])
}

test_ttl_over_the_bound_fails if {
	inv := _inv([role({"token_ttl": 7200, "token_max_ttl": 14400})])
	some v in short_lived_credentials.violation with data.inventory as inv
	v.evidence.effective_ttl_seconds == 7200
}

test_max_ttl_zero_fails if {
	some v in short_lived_credentials.violation with data.inventory as _inv([role({"token_ttl": 900, "token_max_ttl": 0})])
	v.evidence.effective_max_ttl_seconds == 0
	contains(v.msg, "mount's default")
}

test_unset_lifetimes_fail if {
	some v in short_lived_credentials.violation with data.inventory as _inv([role({})])
	contains(v.msg, "token TTL unset")
	contains(v.msg, "token max TTL unset")
}

test_periodic_token_without_explicit_max_fails if {
	some v in short_lived_credentials.violation with data.inventory as _inv([role({"token_period": 900})])
	contains(v.msg, "renewable forever")
}

test_key_over_the_bound_fails if {
	key := {"path": "transit/keys/acme", "autoRotatePeriod": 31536000}
	some v in short_lived_credentials.violation with data.inventory as _inv([snapshot([key])])
	v.evidence.key == "transit/keys/acme"
}

test_terraform_key_without_rotation_fails if {
	key := {
		"id": "terraform/vault/vault_transit_secret_backend_key.acme", "kind": "vault_transit_secret_backend_key",
		"apiVersion": "terraform", "name": "acme", "object": {"backend": "transit", "name": "acme"},
	}
	some v in short_lived_credentials.violation with data.inventory as _inv([key])
	v.evidence.key == "transit/keys/acme"
}

# Without configuration (no bounds): long-lived under any bound fails; finite values are undecided.
no_config(resources) := inventory.with_config(resources, null)

test_without_bounds_unset_lifetimes_fail if {
	some v in short_lived_credentials.violation with data.inventory as no_config([role({})])
	contains(v.msg, "token TTL unset or 0 (the mount's default, 32 days unless tuned), long-lived under any bound")
	not short_lived_credentials.not_applicable with data.inventory as no_config([role({})])
}

test_without_bounds_periodic_token_without_explicit_max_fails if {
	some v in short_lived_credentials.violation with data.inventory as no_config([role({"token_period": 900})])
	contains(v.msg, "renewable forever")
}

test_without_bounds_a_key_that_never_rotates_fails if {
	inv := no_config([snapshot([{"path": "transit/keys/acme"}])])
	some v in short_lived_credentials.violation with data.inventory as inv
	contains(v.msg, "never rotates automatically")
}

test_without_bounds_finite_lifetimes_are_undecided if {
	inv := no_config([
		role({"token_ttl": 900, "token_max_ttl": 86400000}),
		snapshot([{"path": "transit/keys/acme", "autoRotatePeriod": 31536000}]),
	])
	count(short_lived_credentials.violation) == 0 with data.inventory as inv
	want := concat("", [
		"no bound is configured for tokenTtlSeconds, tokenMaxTtlSeconds, keyRotationSeconds (kaze-policy.yaml bounds): ",
		"whether finite token TTLs, finite token max TTLs, key rotation periods are short enough is undecided; ",
		"unset lifetimes and keys that never rotate were checked",
	])
	short_lived_credentials.undecided == want with data.inventory as inv
}

test_one_missing_bound_leaves_only_its_part_undecided if {
	inv := inventory.with_config(
		[snapshot([{"path": "transit/keys/acme", "autoRotatePeriod": 31536000}])],
		{"bounds": {"tokenTtlSeconds": 3600}},
	)
	want := "no bound is configured for keyRotationSeconds ("
	startswith(short_lived_credentials.undecided, want) with data.inventory as inv
}

test_with_bounds_nothing_is_undecided if {
	not short_lived_credentials.undecided with data.inventory as _inv([role({"token_ttl": 900, "token_max_ttl": 3600})])
}

test_not_applicable_without_roles_or_keys if {
	want := "the target holds no Vault auth role or transit key"
	short_lived_credentials.not_applicable == want with data.inventory as _inv([])
}

test_keys_file_over_the_bound_fails if {
	key := {"path": "transit/keys/acme", "auto_rotate_period": 31536000}
	some v in short_lived_credentials.violation with data.inventory as _inv([keys_file([key])])
	v.resource == "VaultTransitKeys/transit"
	v.evidence.key == "transit/keys/acme"
}
