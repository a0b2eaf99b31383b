# METADATA
# title: Vault helpers
# description: >-
#   Vault snapshots, auth roles and transit keys of a target, in one shape whatever declares
#   them (VaultAuthRole files, VaultSnapshot, Terraform), Vault durations, and what "inside
#   the cell" means for an address. The role and key lists look resources up through the kind
#   index: only cross-resource controls import this package, never a per-object rule.
package kaze.lib.vault

import rego.v1

# METADATA
# title: resources_of
# description: The inventory's resources of a kind, looked up through the kind index.
resources_of(kind) := [data.inventory.resources[id] | some id in object.get(data.inventory, ["by_kind", kind], [])]

# METADATA
# title: acl_fact
# description: The Vault ACL analysis of the target (facts.vault_acl); null when it is absent.
acl_fact := object.get(data.inventory, ["facts", "vault_acl"], null)

# METADATA
# title: snapshots
# description: The VaultSnapshot resources of the target (what a probe read from the live server).
snapshots := resources_of("VaultSnapshot")

# METADATA
# title: break_glass_policy
# description: The platform's break-glass policy, the one policy that may read every client's keys.
break_glass_policy := "break-glass"

# ---------------------------------------------------------------------------------------
# Durations. Vault takes seconds as a number or a string ("3600"), or a Go duration
# ("1h", "90m", "1h30m"), or days ("30d"). 0 (or nothing) means "the mount's default".

# METADATA
# title: duration
# description: >-
#   A Vault duration in seconds, 0 when unset (null); a Terraform expression ${var.<name>}
#   stands for the variable's literal default. Undefined when it cannot be read.
# scope: document
duration(null, _) := 0

duration(value, resource) := _seconds(_resolve(value, resource)) if value != null

# METADATA
# title: _seconds
# description: Seconds, from a number, a string of digits, days ("30d") or a Go duration ("1h30m").
# scope: document
_seconds(value) := value if is_number(value)

_seconds(value) := to_number(value) if {
	is_string(value)
	regex.match(`^[0-9]+$`, value)
}

_seconds(value) := to_number(trim_suffix(value, "d")) * 86400 if {
	is_string(value)
	regex.match(`^[0-9]+d$`, value)
}

_seconds(value) := time.parse_duration_ns(value) / 1000000000 if {
	is_string(value)
	regex.match(`^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$`, value)
}

# METADATA
# title: _resolve
# description: >-
#   The value, where a Terraform expression ${var.<name>} stands for the variable's literal
#   default, when the variable is declared in the same folder as the resource with one.
# scope: document
_resolve(value, _) := value if not is_string(value)

_resolve(value, _) := value if {
	is_string(value)
	not contains(value, "${")
}

_resolve(value, resource) := default_value if {
	is_string(value)
	regex.match(`^\$\{var\.[A-Za-z0-9_-]+\}$`, value)
	variable := trim_suffix(trim_prefix(value, "${var."), "}")
	variable_id := concat("", [_terraform_dir(resource.id), "/terraform_variable.", variable])
	default_value := data.inventory.resources[variable_id].object["default"]
}

# METADATA
# title: _terraform_dir
# description: The folder of a Terraform resource, from its inventory id (<folder>/<type>.<name>).
_terraform_dir(id) := concat("/", array.slice(parts, 0, count(parts) - 1)) if parts := split(id, "/")

# ---------------------------------------------------------------------------------------
# Auth roles

# METADATA
# title: roles
# description: >-
#   The auth roles of the target, whatever declares them (VaultAuthRole files, a
#   VaultSnapshot, Terraform): {resource, where, mount, name, policies, namespaces,
#   service_accounts, fields, names}, where fields holds the lifetime settings as written
#   (ttl, max_ttl, period, explicit_max_ttl) and names the fields' names in the source.
# scope: document
roles contains role if {
	# VaultAuthRole files (Vault's role API fields; the legacy ttl/max_ttl/period/policies too).
	some r in resources_of("VaultAuthRole")
	obj := r.object
	role := {
		"resource": r.id,
		"where": sprintf("Vault auth role %s", [r.name]),
		"mount": object.get(obj, "mount", null),
		"name": r.name,
		"policies": array.concat(_list(obj, "token_policies"), _list(obj, "policies")),
		"namespaces": _list(obj, "bound_service_account_namespaces"),
		"service_accounts": _list(obj, "bound_service_account_names"),
		"fields": _snake_case_fields(obj),
		"names": _snake_case_names,
	}
}

# The auth roles a VaultSnapshot read from the live server (camelCase fields).
roles contains role if {
	some s in snapshots
	some r in object.get(s.object, "authRoles", [])
	is_object(r)
	role := {
		"resource": s.id,
		"where": sprintf(
			"Live Vault auth role %s/%s (%s)",
			[object.get(r, "mount", "?"), object.get(r, "name", "?"), s.id],
		),
		"mount": object.get(r, "mount", null),
		"name": object.get(r, "name", ""),
		"policies": array.concat(_list(r, "policies"), _list(r, "tokenPolicies")),
		"namespaces": _list(r, "boundServiceAccountNamespaces"),
		"service_accounts": _list(r, "boundServiceAccountNames"),
		"fields": {
			"ttl": _first_set(r, ["tokenTtl"]),
			"max_ttl": _first_set(r, ["tokenMaxTtl"]),
			"period": _first_set(r, ["tokenPeriod"]),
			"explicit_max_ttl": _first_set(r, ["tokenExplicitMaxTtl"]),
		},
		"names": {
			"ttl": "tokenTtl",
			"max_ttl": "tokenMaxTtl",
			"period": "tokenPeriod",
			"explicit_max_ttl": "tokenExplicitMaxTtl",
		},
	}
}

# Terraform: every vault_<method>_auth_backend_role (and vault_token_auth_backend_role).
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
		"policies": array.concat(_list(obj, "token_policies"), _list(obj, "policies")),
		"namespaces": _list(obj, "bound_service_account_namespaces"),
		"service_accounts": _list(obj, "bound_service_account_names"),
		"fields": _snake_case_fields(obj),
		"names": _snake_case_names,
	}
}

# METADATA
# title: terraform_role_kinds
# description: >-
#   The Terraform resource types of the target that declare an auth role:
#   vault_<method>_auth_backend_role (vault_token_auth_backend_role too).
terraform_role_kinds contains kind if {
	some kind, _ in object.get(data.inventory, "by_kind", {})
	startswith(kind, "vault_")
	endswith(kind, "_auth_backend_role")
}

# METADATA
# title: _snake_case_fields
# description: >-
#   The lifetime settings of a role written in Vault's API fields (token_ttl...), or in the
#   legacy ones (ttl, max_ttl, period).
_snake_case_fields(obj) := {
	"ttl": _first_set(obj, ["token_ttl", "ttl"]),
	"max_ttl": _first_set(obj, ["token_max_ttl", "max_ttl"]),
	"period": _first_set(obj, ["token_period", "period"]),
	"explicit_max_ttl": _first_set(obj, ["token_explicit_max_ttl"]),
}

# The names of the fields _snake_case_fields reads, as a finding names them.
_snake_case_names := {
	"ttl": "token_ttl",
	"max_ttl": "token_max_ttl",
	"period": "token_period",
	"explicit_max_ttl": "token_explicit_max_ttl",
}

# METADATA
# title: _list
# description: The field of obj when it is a list, else an empty list.
# scope: document
_list(obj, field) := obj[field] if is_array(object.get(obj, field, null))

_list(obj, field) := [] if not is_array(object.get(obj, field, null))

# METADATA
# title: _first_set
# description: The value of the first of the fields that is present and not null (null when none is).
# scope: document
_first_set(obj, fields) := values[0] if {
	values := [value | some f in fields; value := obj[f]; value != null]
	count(values) > 0
}

_first_set(obj, fields) := null if {
	values := [value | some f in fields; value := obj[f]; value != null]
	count(values) == 0
}

# ---------------------------------------------------------------------------------------
# Transit keys

# METADATA
# title: keys
# description: >-
#   The transit keys of the target, whatever declares them (a VaultSnapshot, VaultTransitKeys
#   files, Terraform): {resource, where, path, period (as written), field}.
# scope: document
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
		"path": sprintf(
			"%v/keys/%v",
			[object.get(r.object, "backend", "transit"), object.get(r.object, "name", r.name)],
		),
		"period": _first_set(r.object, ["auto_rotate_period", "auto_rotate_interval"]),
		"field": "auto_rotate_period",
	}
}

# ---------------------------------------------------------------------------------------
# Tenants and namespaces

# METADATA
# title: _tenant_of
# description: >-
#   The tenant of a namespace: its kaze.io/tenant label, or the one tenant whose namespaces
#   in the configuration (tenants[].namespaces) list it.
# scope: document
_tenant_of(ns) := data.kaze.lib.tenancy.tenant_of(ns)

_tenant_of(ns) := t if {
	not data.kaze.lib.tenancy.tenant_of(ns)
	declared := {tenant.name |
		some tenant in object.get(data.kaze.lib.tenancy.config, "tenants", [])
		ns in object.get(tenant, "namespaces", [])
	}
	count(declared) == 1
	some t in declared
}

# METADATA
# title: tenants_admitted
# description: >-
#   The tenants whose namespaces a bound namespace (a name, "*" or a glob) admits, among
#   the namespaces of the inventory and of the configuration.
# scope: document
tenants_admitted(pattern) := {t |
	some ns in _known_namespaces
	glob.match(pattern, [], ns)
	t := _tenant_of(ns)
} if {
	contains(pattern, "*")
}

tenants_admitted(pattern) := {t | t := _tenant_of(pattern)} if not contains(pattern, "*")

# The namespaces of the inventory and of the configuration's tenants.
_known_namespaces := {ns | some ns, _ in object.get(data.inventory, "namespaces", {})} | {ns |
	some tenant in object.get(data.kaze.lib.tenancy.config, "tenants", [])
	some ns in object.get(tenant, "namespaces", [])
}

# METADATA
# title: policy_owner
# description: >-
#   The client a Vault policy belongs to by name (client-<client> or client-<client>-…):
#   the longest configured tenant name that fits (client-acme-corp-agent is acme-corp's).
policy_owner(policy) := owner if {
	candidates := [tenant.name |
		some tenant in object.get(data.kaze.lib.tenancy.config, "tenants", [])
		_named_for(policy, tenant.name)
	]
	count(candidates) > 0
	longest := max([count(t) | some t in candidates])
	some owner in candidates
	count(owner) == longest
}

# METADATA
# title: _named_for
# description: The policy is named for the client (client-<client> or client-<client>-…).
# scope: document
_named_for(policy, client) if policy == concat("-", ["client", client])

_named_for(policy, client) if startswith(policy, concat("", ["client-", client, "-"]))

# ---------------------------------------------------------------------------------------
# Inside the cell

# METADATA
# title: _host_of
# description: The host of an address (a URL or host[:port]), lowercase, without user or port.
_host_of(address) := lower(host) if {
	rest := regex.replace(address, `^[A-Za-z][A-Za-z0-9+.-]*://`, "")
	authority := split(split(split(rest, "/")[0], "?")[0], "#")[0]
	hostport := regex.replace(authority, `^.*@`, "")
	host := regex.replace(hostport, `:[0-9]*$`, "")
}

# METADATA
# title: inside_cell
# description: >-
#   The address is inside the cell: its host ends in .svc or .svc.cluster.local, a whole
#   suffix (vault.svc.cluster.local.evil.example is outside).
inside_cell(address) if {
	host := trim_suffix(_host_of(address), ".")
	strings.any_suffix_match(host, {".svc", ".svc.cluster.local"})
}
