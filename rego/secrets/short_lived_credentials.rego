# METADATA
# title: Vault tokens are short-lived and Vault keys rotate within the configured bounds
# description: >-
#   A stolen token is useful until it expires, and a key that never rotates protects
#   everything ever encrypted with it for as long as it lives. Every Vault auth role
#   (VaultAuthRole files, the live server's auth roles, Terraform vault_*_auth_backend_role)
#   must issue tokens whose TTL and max TTL are within kaze-policy.yaml
#   bounds.tokenTtlSeconds and bounds.tokenMaxTtlSeconds, judged as Vault applies them: 0 or
#   an unset value means the mount's default (32 days unless tuned), not "short", so it
#   fails; token_explicit_max_ttl caps both; a periodic token (token_period) can be renewed
#   forever, so its period must be within the TTL bound and it needs an explicit max TTL
#   within the max bound. Every Vault transit key (the live server's keys, Terraform
#   vault_transit_secret_backend_key) must rotate automatically at least every
#   bounds.keyRotationSeconds (auto_rotate_period 0 means never). Durations are read as
#   Vault reads them (seconds, or "1h", "30m", "30d"); a Terraform `var.` reference is read
#   from the variable's default in the same folder.
# custom:
#   id: KZ-SEC-03
#   severity: high
#   scopes: [vault, iac]
#   reference: "docs/requirements.md#credential-lifecycle"
#   remediation: >-
#     Set token_ttl and token_max_ttl on every auth role to non-zero values within the bounds
#     of kaze-policy.yaml (e.g. 900 and 3600 seconds), and on every transit key an
#     auto_rotate_period within bounds.keyRotationSeconds (e.g. 2592000, 30 days).
#   frameworks:
#     soc2: [CC6.1]
#     iso27001: [A.5.17, A.8.5, A.8.24]
#     nist80053: [IA-5, AC-12, SC-12]
package kaze.secrets.short_lived_credentials

import rego.v1

import data.kaze.lib.tenancy
import data.kaze.lib.vault

_bounds := object.get(tenancy.config, "bounds", {})

_ttl_bound := _bounds.tokenTtlSeconds

_max_ttl_bound := _bounds.tokenMaxTtlSeconds

_rotation_bound := _bounds.keyRotationSeconds

not_applicable := "the target holds no Vault auth role or transit key" if {
	count(vault.roles) == 0
	count(vault.keys) == 0
}

# An unset lifetime (the mount's default), a periodic token with no explicit max TTL and a key
# that never rotates are long-lived under every bound, and fail without one; whether a finite
# lifetime or rotation period is short enough needs its bound.
undecided := msg if {
	missing := [field | some field in ["tokenTtlSeconds", "tokenMaxTtlSeconds", "keyRotationSeconds"]; _unbounded[field]]
	count(missing) > 0
	msg := sprintf(
		concat("", [
			"no bound is configured for %s (kaze-policy.yaml bounds): whether %s are short enough is undecided; ",
			"unset lifetimes and keys that never rotate were checked",
		]),
		[concat(", ", missing), concat(", ", [_unbounded[field] | some field in missing])],
	)
}

# bound field -> what it leaves undecided, when the bound is absent and something finite needs it.
_unbounded[field] := "finite token TTLs" if {
	field := "tokenTtlSeconds"
	not _ttl_bound
	some role in vault.roles
	_lifetimes(role).ttl > 0
}

_unbounded[field] := "finite token max TTLs" if {
	field := "tokenMaxTtlSeconds"
	not _max_ttl_bound
	some role in vault.roles
	_lifetimes(role).max_ttl > 0
}

_unbounded[field] := "key rotation periods" if {
	field := "keyRotationSeconds"
	not _rotation_bound
	some key in vault.keys
	vault.duration(key.period, {"id": key.resource}) > 0
}

# ", over the 3600 s bound", or, without a bound, why no bound would do.
_over(field) := sprintf(", over the %v s bound", [_bounds[field]]) if _bounds[field]

_over(field) := ", long-lived under any bound" if not _bounds[field]

errors contains msg if {
	some s in vault.snapshots
	some [field, what] in [["authRoles", "the auth roles' token lifetimes"], ["keys", "the transit keys' rotation"]]
	not is_array(object.get(s.object, field, null))
	msg := sprintf("%s does not report its %s: %s cannot be judged", [s.id, field, what])
}

errors contains msg if {
	some role in vault.roles
	some field, value in role.fields
	not vault.duration(value, {"id": role.resource})
	msg := sprintf(
		concat("", [
			"%s sets %s to %v, which is not a duration Vault reads (nor a variable with a literal default): ",
			"its lifetime cannot be judged",
		]),
		[role.where, role.names[field], value],
	)
}

errors contains msg if {
	some key in vault.keys
	not vault.duration(key.period, {"id": key.resource})
	msg := sprintf(
		concat("", [
			"%s sets %s to %v, which is not a duration Vault reads (nor a variable with a literal default): ",
			"its rotation cannot be judged",
		]),
		[key.where, key.field, key.period],
	)
}

violation contains v if {
	some role in vault.roles
	life := _lifetimes(role)
	found := _problems(role, life)
	count(found) > 0
	v := {
		"msg": sprintf("%s issues tokens with %s: %s", [role.where, concat("; ", found), _remedy(role, life)]),
		"resource": role.resource,
		"evidence": {
			"role": role.name,
			"mount": role.mount,
			"settings": {role.names[field]: value | some field, value in role.fields; value != null},
			"effective_ttl_seconds": life.ttl,
			"effective_max_ttl_seconds": life.max_ttl,
			"bounds": {
				"tokenTtlSeconds": object.get(_bounds, "tokenTtlSeconds", null),
				"tokenMaxTtlSeconds": object.get(_bounds, "tokenMaxTtlSeconds", null),
			},
		},
	}
}

# Key rotation: a key that never rotates.
violation contains v if {
	some key in vault.keys
	period := vault.duration(key.period, {"id": key.resource})
	period == 0
	v := {
		"msg": sprintf(
			"%s never rotates automatically (%s unset or 0): set %s to %s",
			[key.where, key.field, key.field, _rotation_text],
		),
		"resource": key.resource,
		"evidence": {
			"key": key.path,
			key.field: key.period,
			"bound_seconds": object.get(_bounds, "keyRotationSeconds", null),
		},
	}
}

# Key rotation: a key that rotates less often than the bound.
violation contains v if {
	_rotation_bound
	some key in vault.keys
	period := vault.duration(key.period, {"id": key.resource})
	period > _rotation_bound
	v := {
		"msg": sprintf(
			"%s rotates every %v s (%v days), over the %v s (%v days) bound: set %s to at most %v s",
			[
				key.where, period, round(period / 86400), _rotation_bound,
				round(_rotation_bound / 86400), key.field, _rotation_bound,
			],
		),
		"resource": key.resource,
		"evidence": {"key": key.path, key.field: key.period, "bound_seconds": _rotation_bound},
	}
}

# ---------------------------------------------------------------------------------------
# Token lifetimes, as Vault applies a role's settings. "unbounded" = the mount's default.

_lifetimes(role) := {"ttl": _effective_ttl(period, ttl, effective_max), "max_ttl": effective_max, "period": period} if {
	ttl := vault.duration(role.fields.ttl, {"id": role.resource})
	max_ttl := vault.duration(role.fields.max_ttl, {"id": role.resource})
	period := vault.duration(role.fields.period, {"id": role.resource})
	explicit := vault.duration(role.fields.explicit_max_ttl, {"id": role.resource})
	effective_max := _max_cap(period, max_ttl, explicit)
}

# A token lives token_ttl (or its period), never longer than its max TTL.
_effective_ttl(period, _, effective_max) := _min_set({v | some v in [period, effective_max]; v > 0}) if period > 0

_effective_ttl(0, ttl, effective_max) := _min_set({v | some v in [ttl, effective_max]; v > 0})

# A periodic token ignores token_max_ttl: only an explicit max TTL ends it.
_max_cap(period, _, explicit) := explicit if {
	period > 0
	explicit > 0
}

_max_cap(period, _, explicit) := 0 if {
	period > 0
	explicit == 0
}

_max_cap(0, max_ttl, explicit) := _min_set({v | some v in [max_ttl, explicit]; v > 0})

# The smallest positive value, or 0 (unbounded) when there is none.
_min_set(values) := min(values) if count(values) > 0

_min_set(values) := 0 if count(values) == 0

_problems(role, life) := array.concat([p | p := _ttl_problem(life)], [p | p := _max_problem(role, life)])

_ttl_problem(life) := msg if {
	life.ttl == 0
	msg := sprintf(
		"token TTL unset or 0 (the mount's default, 32 days unless tuned)%s",
		[_over("tokenTtlSeconds")],
	)
}

_ttl_problem(life) := sprintf("token TTL %v s, over the %v s bound", [life.ttl, _ttl_bound]) if {
	_ttl_bound
	life.ttl > _ttl_bound
}

_max_problem(role, life) := msg if {
	life.max_ttl == 0
	life.period > 0
	msg := sprintf("periodic tokens (%s) with no explicit max TTL, renewable forever", [role.names.period])
}

_max_problem(_, life) := msg if {
	life.max_ttl == 0
	life.period == 0
	msg := sprintf(
		"token max TTL unset or 0 (the mount's default, 32 days unless tuned)%s",
		[_over("tokenMaxTtlSeconds")],
	)
}

_max_problem(_, life) := sprintf("token max TTL %v s, over the %v s bound", [life.max_ttl, _max_ttl_bound]) if {
	_max_ttl_bound
	life.max_ttl > _max_ttl_bound
}

_remedy(role, life) := msg if {
	life.period == 0
	msg := sprintf(
		"set %s and %s to non-zero values within the bounds (%v s and %v s)",
		[
			role.names.ttl, role.names.max_ttl,
			object.get(_bounds, "tokenTtlSeconds", "-"), object.get(_bounds, "tokenMaxTtlSeconds", "-"),
		],
	)
}

_remedy(role, life) := msg if {
	life.period > 0
	msg := sprintf(
		"drop %s (or keep it within %v s and set %s within %v s)",
		[
			role.names.period, object.get(_bounds, "tokenTtlSeconds", "-"),
			role.names.explicit_max_ttl, object.get(_bounds, "tokenMaxTtlSeconds", "-"),
		],
	)
}

_rotation_text := sprintf("at most %v s", [_rotation_bound])

_rotation_text := "a rotation period (kaze-policy.yaml bounds.keyRotationSeconds sets the longest allowed)" if {
	not _rotation_bound
}
