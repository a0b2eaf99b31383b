# METADATA
# title: Vault helpers
# description: >-
#   Vault snapshots, auth roles and transit keys of a target, in one shape whatever declares
#   them (VaultAuthRole files, VaultSnapshot, Terraform), Vault durations, and what "inside
#   the cell" means for an address. The role and key lists look resources up through the kind
#   index: only cross-resource controls import this package, never a per-object rule.
package kaze.lib.vault

import rego.v1

resources_of(kind) := [data.inventory.resources[id] | some id in object.get(data.inventory, ["by_kind", kind], [])]

snapshots := resources_of("VaultSnapshot")

# The platform's break-glass policy: the one policy that may read every client's keys.
break_glass_policy := "break-glass"

# ---------------------------------------------------------------------------------------
# Durations. Vault takes seconds as a number or a string ("3600"), or a Go duration
# ("1h", "90m", "1h30m"), or days ("30d"). 0 (or nothing) means "the mount's default".

seconds(value) := value if is_number(value)

seconds(value) := to_number(value) if {
	is_string(value)
	regex.match(`^[0-9]+$`, value)
}

seconds(value) := to_number(trim_suffix(value, "d")) * 86400 if {
	is_string(value)
	regex.match(`^[0-9]+d$`, value)
}

seconds(value) := time.parse_duration_ns(value) / 1000000000 if {
	is_string(value)
	regex.match(`^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$`, value)
}

# A Terraform expression `${var.<name>}` stands for the variable's literal default, when the
# variable is declared in the same folder with one.
resolve(value, _) := value if not is_string(value)

resolve(value, _) := value if {
	is_string(value)
	not contains(value, "${")
}

resolve(value, resource) := default_value if {
	is_string(value)
	regex.match(`^\$\{var\.[A-Za-z0-9_-]+\}$`, value)
	variable := trim_suffix(trim_prefix(value, "${var."), "}")
	variable_id := concat("", [terraform_dir(resource.id), "/terraform_variable.", variable])
	default_value := data.inventory.resources[variable_id].object["default"]
}

terraform_dir(id) := concat("/", array.slice(parts, 0, count(parts) - 1)) if parts := split(id, "/")

# duration(value, resource): seconds, 0 when unset; undefined when it cannot be read.
duration(null, _) := 0

duration(value, resource) := seconds(resolve(value, resource)) if value != null

# ---------------------------------------------------------------------------------------
# Auth roles: {resource, where, mount, name, policies, namespaces, service_accounts, fields}
# where `fields` holds the lifetime settings as written: ttl, max_ttl, period, explicit_max_ttl.

# VaultAuthRole files (Vault's role API fields; the legacy ttl/max_ttl/period/policies too).
roles contains role if {
	some r in resources_of("VaultAuthRole")
	obj := r.object
	role := {
		"resource": r.id,
		"where": sprintf("Vault auth role %s", [r.name]),
		"mount": object.get(obj, "mount", null),
		"name": r.name,
		"policies": array.concat(list(obj, "token_policies"), list(obj, "policies")),
		"namespaces": list(obj, "bound_service_account_namespaces"),
		"service_accounts": list(obj, "bound_service_account_names"),
		"fields": {
			"ttl": first_set(obj, ["token_ttl", "ttl"]),
			"max_ttl": first_set(obj, ["token_max_ttl", "max_ttl"]),
			"period": first_set(obj, ["token_period", "period"]),
			"explicit_max_ttl": first_set(obj, ["token_explicit_max_ttl"]),
		},
		"names": {"ttl": "token_ttl", "max_ttl": "token_max_ttl", "period": "token_period", "explicit_max_ttl": "token_explicit_max_ttl"},
	}
}

# The auth roles a VaultSnapshot read from the live server (camelCase fields).
roles contains role if {
	some s in snapshots
	some r in object.get(s.object, "authRoles", [])
	is_object(r)
	role := {
		"resource": s.id,
		"where": sprintf("Live Vault auth role %s/%s (%s)", [object.get(r, "mount", "?"), object.get(r, "name", "?"), s.id]),
		"mount": object.get(r, "mount", null),
		"name": object.get(r, "name", ""),
		"policies": array.concat(list(r, "policies"), list(r, "tokenPolicies")),
		"namespaces": list(r, "boundServiceAccountNamespaces"),
		"service_accounts": list(r, "boundServiceAccountNames"),
		"fields": {
			"ttl": first_set(r, ["tokenTtl"]),
			"max_ttl": first_set(r, ["tokenMaxTtl"]),
			"period": first_set(r, ["tokenPeriod"]),
			"explicit_max_ttl": first_set(r, ["tokenExplicitMaxTtl"]),
		},
		"names": {"ttl": "tokenTtl", "max_ttl": "tokenMaxTtl", "period": "tokenPeriod", "explicit_max_ttl": "tokenExplicitMaxTtl"},
	}
}

# Terraform: every vault_<method>_auth_backend_role (and vault_token_auth_backend_role).
terraform_role_kinds contains kind if {
	some kind, _ in object.get(data.inventory, "by_kind", {})
	startswith(kind, "vault_")
	endswith(kind, "_auth_backend_role")
}

roles contains role if {
	some kind in terraform_role_kinds
	some r in resources_of(kind)
	r.apiVersion == "terraform"
	obj := r.object
	role := {
		"resource": r.id,
		"where": sprintf("%s.%s", [r.kind, r.name]),
		"mount": object.get(obj, "backend", null),
		"name": object.get(obj, "role_name", r.name),
		"policies": array.concat(list(obj, "token_policies"), list(obj, "policies")),
		"namespaces": list(obj, "bound_service_account_namespaces"),
		"service_accounts": list(obj, "bound_service_account_names"),
		"fields": {
			"ttl": first_set(obj, ["token_ttl", "ttl"]),
			"max_ttl": first_set(obj, ["token_max_ttl", "max_ttl"]),
			"period": first_set(obj, ["token_period", "period"]),
			"explicit_max_ttl": first_set(obj, ["token_explicit_max_ttl"]),
		},
		"names": {"ttl": "token_ttl", "max_ttl": "token_max_ttl", "period": "token_period", "explicit_max_ttl": "token_explicit_max_ttl"},
	}
}

list(obj, field) := obj[field] if is_array(object.get(obj, field, null))

list(obj, field) := [] if not is_array(object.get(obj, field, null))

# The first of the fields that is present (null when none is).
first_set(obj, fields) := values[0] if {
	values := [obj[f] | some f in fields; obj[f] != null]
	count(values) > 0
}

first_set(obj, fields) := null if {
	values := [obj[f] | some f in fields; obj[f] != null]
	count(values) == 0
}

# ---------------------------------------------------------------------------------------
# Transit keys: {resource, where, path, period (as written), field}

keys contains key if {
	some s in snapshots
	some k in object.get(s.object, "keys", [])
	is_object(k)
	key := {
		"resource": s.id,
		"where": sprintf("Live Vault key %s (%s)", [object.get(k, "path", "?"), s.id]),
		"path": object.get(k, "path", "?"),
		"period": object.get(k, "autoRotatePeriod", null),
		"field": "autoRotatePeriod",
	}
}

# Transit keys declared as files (vault/keys/*.json), as `vault write transit/keys/… ` takes them.
keys contains key if {
	some r in resources_of("VaultTransitKeys")
	some k in object.get(r.object, "keys", [])
	is_object(k)
	key := {
		"resource": r.id,
		"where": sprintf("Vault transit key %s (%s)", [object.get(k, "path", "?"), r.name]),
		"path": object.get(k, "path", "?"),
		"period": object.get(k, "auto_rotate_period", null),
		"field": "auto_rotate_period",
	}
}

keys contains key if {
	some r in resources_of("vault_transit_secret_backend_key")
	r.apiVersion == "terraform"
	key := {
		"resource": r.id,
		"where": sprintf("vault_transit_secret_backend_key.%s", [r.name]),
		"path": sprintf("%v/keys/%v", [object.get(r.object, "backend", "transit"), object.get(r.object, "name", r.name)]),
		"period": first_set(r.object, ["auto_rotate_period", "auto_rotate_interval"]),
		"field": "auto_rotate_period",
	}
}

# ---------------------------------------------------------------------------------------
# Tenants and namespaces

# The tenant of a namespace: its kaze.io/tenant label, or the configuration's
# tenants[].namespaces.
tenant_of(ns) := data.kaze.lib.tenancy.tenant_of(ns)

tenant_of(ns) := t if {
	not data.kaze.lib.tenancy.tenant_of(ns)
	declared := {tenant.name |
		some tenant in object.get(data.kaze.lib.tenancy.config, "tenants", [])
		ns in object.get(tenant, "namespaces", [])
	}
	count(declared) == 1
	some t in declared
}

# The tenants whose namespaces a bound namespace (a name, "*" or a glob) admits.
tenants_admitted(pattern) := {t |
	some ns in known_namespaces
	glob.match(pattern, [], ns)
	t := tenant_of(ns)
} if contains(pattern, "*")

tenants_admitted(pattern) := {t | t := tenant_of(pattern)} if not contains(pattern, "*")

known_namespaces := {ns | some ns, _ in object.get(data.inventory, "namespaces", {})} | {ns |
	some tenant in object.get(data.kaze.lib.tenancy.config, "tenants", [])
	some ns in object.get(tenant, "namespaces", [])
}

# The client a policy belongs to by name (client-<client> or client-<client>-…), the
# longest configured tenant name that fits (so client-acme-corp-agent is acme-corp's).
policy_owner(policy) := owner if {
	candidates := [t |
		some tenant in object.get(data.kaze.lib.tenancy.config, "tenants", [])
		t := tenant.name
		named_for(policy, t)
	]
	count(candidates) > 0
	longest := max([count(t) | some t in candidates])
	some owner in candidates
	count(owner) == longest
}

named_for(policy, client) if policy == concat("-", ["client", client])

named_for(policy, client) if startswith(policy, concat("", ["client-", client, "-"]))

# ---------------------------------------------------------------------------------------
# Inside the cell: a host ending in .svc or .svc.cluster.local (a whole suffix:
# vault.svc.cluster.local.evil.example is outside).

host_of(address) := lower(host) if {
	rest := regex.replace(address, `^[A-Za-z][A-Za-z0-9+.-]*://`, "")
	authority := split(split(split(rest, "/")[0], "?")[0], "#")[0]
	hostport := regex.replace(authority, `^.*@`, "")
	host := regex.replace(hostport, `:[0-9]*$`, "")
}

inside_cell(address) if {
	host := trim_suffix(host_of(address), ".")
	strings.any_suffix_match(host, {".svc", ".svc.cluster.local"})
}
