package kaze.secrets.short_lived_credentials_test

import rego.v1

import data.kaze.secrets.short_lived_credentials

bounds := {"tokenTtlSeconds": 3600, "tokenMaxTtlSeconds": 14400, "keyRotationSeconds": 7776000}

inventory(resources) := {
	"config": {"bounds": bounds},
	"resources": {r.id: r | some r in resources},
	"by_kind": {kind: [r.id | some r in resources; r.kind == kind] | some kind in {r.kind | some r in resources}},
}

role(settings) := {
	"id": "VaultAuthRole/acme-agent", "kind": "VaultAuthRole", "apiVersion": "vault", "name": "acme-agent",
	"object": object.union({"bound_service_account_namespaces": ["tenant-acme"], "token_policies": ["client-acme-agent"]}, settings),
}

violations(settings) := vs if {
	vs := short_lived_credentials.violation with data.inventory as inventory([role(settings)])
}

test_role_within_bounds_passes if count(violations({"token_ttl": 900, "token_max_ttl": 3600})) == 0

test_role_at_the_bounds_passes if count(violations({"token_ttl": 3600, "token_max_ttl": 14400})) == 0

test_ttl_over_the_bound_fails if {
	some v in violations({"token_ttl": 7200, "token_max_ttl": 14400})
	v.evidence.effective_ttl_seconds == 7200
}

test_max_ttl_zero_fails if {
	some v in violations({"token_ttl": 900, "token_max_ttl": 0})
	v.evidence.effective_max_ttl_seconds == 0
	contains(v.msg, "mount's default")
}

test_unset_lifetimes_fail if {
	some v in violations({})
	contains(v.msg, "token TTL unset")
	contains(v.msg, "token max TTL unset")
}

# token_ttl unset: the token lives the max TTL, which is within the TTL bound here.
test_unset_ttl_is_capped_by_the_max_ttl if count(violations({"token_max_ttl": 1800})) == 0

test_explicit_max_ttl_caps_the_lifetime if count(violations({"token_ttl": 900, "token_max_ttl": 0, "token_explicit_max_ttl": 3600})) == 0

test_periodic_token_without_explicit_max_fails if {
	some v in violations({"token_period": 900})
	contains(v.msg, "renewable forever")
}

test_periodic_token_with_explicit_max_passes if count(violations({"token_period": 900, "token_explicit_max_ttl": 3600})) == 0

test_durations_as_vault_reads_them if {
	count(violations({"token_ttl": "15m", "token_max_ttl": "1h"})) == 0
	count(violations({"token_ttl": "900", "token_max_ttl": "4h"})) == 0
	count(violations({"token_ttl": "15m", "token_max_ttl": "1d"})) == 1
}

test_unreadable_duration_is_an_error if {
	count(short_lived_credentials.errors) == 1 with data.inventory as inventory([role({"token_ttl": "soon", "token_max_ttl": 3600})])
}

tf_role(ttl) := {
	"id": "terraform/vault/vault_kubernetes_auth_backend_role.acme", "kind": "vault_kubernetes_auth_backend_role",
	"apiVersion": "terraform", "name": "acme", "object": {"role_name": "acme-agent", "token_ttl": ttl, "token_max_ttl": 14400},
}

tf_variable(name, value) := {
	"id": sprintf("terraform/vault/terraform_variable.%s", [name]), "kind": "terraform_variable",
	"apiVersion": "terraform", "name": name, "object": {"default": value},
}

test_terraform_variable_default_is_read if {
	count(short_lived_credentials.violation) == 0 with data.inventory as inventory([tf_role("${var.ttl}"), tf_variable("ttl", 900)])
	count(short_lived_credentials.violation) == 1 with data.inventory as inventory([tf_role("${var.ttl}"), tf_variable("ttl", 86400)])
}

test_terraform_variable_without_default_is_an_error if {
	count(short_lived_credentials.errors) == 1 with data.inventory as inventory([tf_role("${var.ttl}")])
}

snapshot(keys) := {"id": "VaultSnapshot/cell", "kind": "VaultSnapshot", "name": "cell", "object": {"authRoles": [], "keys": keys}}

test_key_within_the_bound_passes if {
	count(short_lived_credentials.violation) == 0 with data.inventory as inventory([snapshot([{"path": "transit/keys/acme", "autoRotatePeriod": 7776000}])])
}

test_key_over_the_bound_fails if {
	some v in short_lived_credentials.violation with data.inventory as inventory([snapshot([{"path": "transit/keys/acme", "autoRotatePeriod": 31536000}])])
	v.evidence.key == "transit/keys/acme"
}

test_key_without_rotation_fails if {
	count(short_lived_credentials.violation) == 1 with data.inventory as inventory([snapshot([{"path": "transit/keys/acme"}])])
}

test_terraform_key_without_rotation_fails if {
	key := {"id": "terraform/vault/vault_transit_secret_backend_key.acme", "kind": "vault_transit_secret_backend_key", "apiVersion": "terraform", "name": "acme", "object": {"backend": "transit", "name": "acme"}}
	some v in short_lived_credentials.violation with data.inventory as inventory([key])
	v.evidence.key == "transit/keys/acme"
}

test_snapshot_without_roles_is_an_error if {
	s := {"id": "VaultSnapshot/cell", "kind": "VaultSnapshot", "name": "cell", "object": {"keys": []}}
	count(short_lived_credentials.errors) == 1 with data.inventory as inventory([s])
}

# Without configuration (no bounds): long-lived under any bound fails; finite values are undecided.
no_config(resources) := object.union(inventory(resources), {"config": null})

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
	some v in short_lived_credentials.violation with data.inventory as no_config([snapshot([{"path": "transit/keys/acme"}])])
	contains(v.msg, "never rotates automatically")
}

test_without_bounds_finite_lifetimes_are_undecided if {
	inv := no_config([role({"token_ttl": 900, "token_max_ttl": 86400000}), snapshot([{"path": "transit/keys/acme", "autoRotatePeriod": 31536000}])])
	count(short_lived_credentials.violation) == 0 with data.inventory as inv
	short_lived_credentials.undecided == "no bound is configured for tokenTtlSeconds, tokenMaxTtlSeconds, keyRotationSeconds (kaze-policy.yaml bounds): whether finite token TTLs, finite token max TTLs, key rotation periods are short enough is undecided; unset lifetimes and keys that never rotate were checked" with data.inventory as inv
}

test_one_missing_bound_leaves_only_its_part_undecided if {
	inv := json.patch(inventory([snapshot([{"path": "transit/keys/acme", "autoRotatePeriod": 31536000}])]), [{"op": "replace", "path": "/config/bounds", "value": {"tokenTtlSeconds": 3600}}])
	startswith(short_lived_credentials.undecided, "no bound is configured for keyRotationSeconds (") with data.inventory as inv
}

test_with_bounds_nothing_is_undecided if {
	not short_lived_credentials.undecided with data.inventory as inventory([role({"token_ttl": 900, "token_max_ttl": 3600})])
}

test_not_applicable_without_roles_or_keys if {
	short_lived_credentials.not_applicable == "the target holds no Vault auth role or transit key" with data.inventory as inventory([])
}

keys_file(keys) := {"id": "VaultTransitKeys/transit", "kind": "VaultTransitKeys", "apiVersion": "vault", "name": "transit", "object": {"keys": keys}}

test_keys_file_within_the_bound_passes if {
	count(short_lived_credentials.violation) == 0 with data.inventory as inventory([keys_file([{"path": "transit/keys/acme", "auto_rotate_period": 2592000}])])
}

test_keys_file_over_the_bound_fails if {
	some v in short_lived_credentials.violation with data.inventory as inventory([keys_file([{"path": "transit/keys/acme", "auto_rotate_period": 31536000}])])
	v.resource == "VaultTransitKeys/transit"
	v.evidence.key == "transit/keys/acme"
}
