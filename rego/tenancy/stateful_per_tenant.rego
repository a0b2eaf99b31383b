# METADATA
# title: Stateful components are per tenant; each tenant has its own database cluster
# description: >-
#   The shared plane is stateless; everything that holds a tenant's data (its database, its
#   knowledge volumes, its secrets and the identities that unlock them) belongs to that tenant
#   alone. A volume whose storage backs claims of two tenants, a workload that talks to
#   another tenant's database, a Secret copied into several tenants' namespaces, or one Vault
#   role or cloud identity bound to ServiceAccounts of several tenants joins the tenants'
#   isolated planes, and one compromised tenant then reads another's data. Each tenant also
#   needs a database cluster of its own, rather than a share of someone else's.
# custom:
#   id: KZ-TEN-04
#   severity: high
#   scopes: [iac, cluster]
#   reference: "docs/requirements.md#cells; docs/requirements.md#tenant-isolation"
#   remediation: >-
#     Give each tenant its own: a database cluster in its namespace (the tenant template's
#     CloudNativePG Cluster) that only its workloads use, PersistentVolumes on storage no other
#     tenant's volume points at (its own NFS export or disk), Secrets materialised only in its
#     own namespace from its own clients/<tenant>/ keys, and Vault roles and cloud workload
#     identities bound to its own namespace only.
#   frameworks:
#     soc2: [CC6.1]
#     iso27001: [A.5.15, A.8.3]
#     nist80053: [SC-4, AC-4, AC-6]
package kaze.tenancy.stateful_per_tenant

import data.kaze.lib.inventory
import data.kaze.lib.k8s
import data.kaze.lib.naming
import data.kaze.lib.network
import data.kaze.lib.stateful
import data.kaze.lib.tenancy
import rego.v1

# ---------------------------------------------------------------------------------------
# Tenancy of namespaces: the kaze.io/tenant label, or the configuration's tenants[].namespaces
# for a namespace the target does not declare.

_labelled_tenant_of[ns] := info.tenant if {
	some ns, info in data.inventory.namespaces
	is_string(info.tenant)
}

_configured_tenants[ns] contains t.name if {
	some t in object.get(tenancy.config, "tenants", [])
	some ns in object.get(t, "namespaces", [])
	not _labelled_tenant_of[ns]
}

# A namespace that the configuration gives to two tenants belongs to neither.
_configured_tenant_of[ns] := t if {
	some ns, names in _configured_tenants
	count(names) == 1
	some t in names
}

_tenant_in := object.union(_configured_tenant_of, _labelled_tenant_of)

_known_tenants := {t | some t in _tenant_in} | {t.name | some t in object.get(tenancy.config, "tenants", [])}

# ---------------------------------------------------------------------------------------
# 1. Each tenant has a database cluster in one of its namespaces.

_database_clusters := [r |
	some kind, groups in stateful.database_kinds
	some r in k8s.resources_of_kind(kind)
	stateful.api_group(r) in groups
]

_databases_in[ns] contains r.name if {
	some r in _database_clusters
	ns := r.namespace
}

_tenants_with_database contains t if {
	some ns, _ in _databases_in
	t := _tenant_in[ns]
}

# ---------------------------------------------------------------------------------------
# 2. No workload or ConfigMap of one tenant points at another tenant's database cluster
#    (<service>.<namespace>[.svc[.cluster.local]], the service being the cluster's name or
#    one of its <name>-rw/-ro/-r/... services).

_container_strings(c) := array.concat(
	[e.value | some e in object.get(c, "env", []); is_string(e.value)],
	[s | some field in ["command", "args"]; some s in object.get(c, field, []); is_string(s)],
)

_strings_of(r) := [s |
	some c in k8s.containers(k8s.pod_spec(r.object))
	some s in _container_strings(c)
] if {
	r.kind in k8s.workload_kinds
}

_strings_of(r) := [s |
	some s in object.get(r.object, "data", {})
	is_string(s)
] if {
	r.kind == "ConfigMap"
}

_database_service_of(service, ns) := name if {
	some name in object.get(_databases_in, ns, set())
	stateful.service_of_cluster(service, name)
}

# ---------------------------------------------------------------------------------------
# 3. No storage backs PersistentVolumeClaims of two tenants.

# By name, as a set: two volumes of one name (from two files of a target) must not make the
# whole control an evaluation error.
_persistent_volumes[pv.name] contains pv if {
	some pv in k8s.resources_of_kind("PersistentVolume")
}

_claim_id(ns, name) := sprintf("PersistentVolumeClaim/%s/%s", [ns, name])

# One record per claim of a tenant namespace and the storage behind it.
_claims contains {
	"resource": pvc.id,
	"namespace": pvc.namespace,
	"volume": pv.id,
	"backend": stateful.pv_backend(pv.object.spec),
} if {
	some pvc in k8s.resources_of_kind("PersistentVolumeClaim")
	_tenant_in[pvc.namespace]
	some pv in object.get(_persistent_volumes, pvc.object.spec.volumeName, set())
}

# A claim whose volume the target does not hold: the volume's name is all we know.
_claims contains {
	"resource": pvc.id,
	"namespace": pvc.namespace,
	"volume": name,
	"backend": {"type": "PersistentVolume", "key": name, "path": "/"},
} if {
	some pvc in k8s.resources_of_kind("PersistentVolumeClaim")
	_tenant_in[pvc.namespace]
	name := pvc.object.spec.volumeName
	count(object.get(_persistent_volumes, name, set())) == 0
}

# A volume reserved for a claim (claimRef), whether or not the claim is in the target.
_claims contains {
	"resource": resource,
	"namespace": ref.namespace,
	"volume": pv.id,
	"backend": stateful.pv_backend(pv.object.spec),
} if {
	some pv in k8s.resources_of_kind("PersistentVolume")
	ref := pv.object.spec.claimRef
	_tenant_in[ref.namespace]
	resource := _claim_resource(ref.namespace, ref.name, pv.id)
}

_claim_resource(ns, name, _) := _claim_id(ns, name) if data.inventory.resources[_claim_id(ns, name)]

_claim_resource(ns, name, pv_id) := pv_id if not data.inventory.resources[_claim_id(ns, name)]

_claims_at[key] contains c if {
	some c in _claims
	key := stateful.location(c.backend, stateful.normal_path(c.backend.path))
}

# Pairs of claims of different tenants where b's storage is a or contains it (by paths).
_shared_storage contains [a, b] if {
	some a in _claims
	some path in stateful.ancestors(a.backend.path)
	some b in object.get(_claims_at, stateful.location(a.backend, path), set())
	_tenant_in[a.namespace] != _tenant_in[b.namespace]
}

_sharing contains [a, b] if some [a, b] in _shared_storage

_sharing contains [b, a] if some [a, b] in _shared_storage

_claim_text(c) := naming.describe(c.resource) if data.inventory.resources[c.resource]

_claim_text(c) := sprintf("the claim of namespace %s", [c.namespace]) if not data.inventory.resources[c.resource]

# ---------------------------------------------------------------------------------------
# 4. No Secret is materialised in several tenants' namespaces, or in a namespace of a tenant
#    other than the client whose keys (clients/<client>/...) it holds.

_selectors_of(spec) := array.concat(object.get(spec, "namespaceSelectors", []), [s | s := spec.namespaceSelector])

_cluster_secret_targets(spec) := {ns |
	some ns, _ in _tenant_in
	some selector in _selectors_of(spec)
	network.selector_matches(selector, network.namespace_labels(ns))
} | {ns | some ns in object.get(spec, "namespaces", []); _tenant_in[ns]}

# ---------------------------------------------------------------------------------------
# 5. No identity is bound to ServiceAccounts of several tenants: Vault Kubernetes auth roles,
#    and cloud workload identities annotated on ServiceAccounts.

# The namespace patterns of a Vault role: a list, or a comma-separated string.
_patterns(x) := x if is_array(x)

_patterns(x) := [trim_space(s) | some s in split(x, ",")] if is_string(x)

# Vault matches bound namespaces as globs: a plain name is looked up, a glob is tried on
# every tenant namespace.
_bound_tenants(patterns) := {t |
	some pattern in patterns
	not stateful.is_glob(pattern)
	t := _tenant_in[pattern]
} | {t |
	some pattern in patterns
	stateful.is_glob(pattern)
	some ns, t in _tenant_in
	glob.match(pattern, [], ns)
}

_cloud_identities contains {
	"annotation": annotation,
	"identity": identity,
	"sa": sa.id,
	"tenant": _tenant_in[sa.namespace],
} if {
	some sa in k8s.resources_of_kind("ServiceAccount")
	_tenant_in[sa.namespace]
	some annotation, identity in k8s.annotations(sa.object)
	annotation in stateful.identity_annotations
}

_identity_tenants[key] contains a.tenant if {
	some a in _cloud_identities
	key := concat(" ", [a.annotation, a.identity])
}

# ---------------------------------------------------------------------------------------
# The findings, in the order of the sections above.

# 1. Named on each namespace of the tenant (a tenant usually has one).
violation contains v if {
	some ns in inventory.tenant_namespaces
	t := _labelled_tenant_of[ns]
	not t in _tenants_with_database
	v := {
		"msg": sprintf(
			concat("", [
				"Tenant %s (namespace %s) has no database cluster of its own in any of its namespaces: ",
				"add one (the tenant template's CloudNativePG Cluster) in the tenant's namespace",
			]),
			[t, ns],
		),
		"resource": sprintf("Namespace/%s", [ns]),
		"evidence": {"tenant": t, "database_kinds": sort(object.keys(stateful.database_kinds))},
	}
}

# 2. A workload or ConfigMap that names another tenant's database cluster.
violation contains v if {
	count(_databases_in) > 0
	some kind in array.concat([k | some k in k8s.workload_kinds], ["ConfigMap"])
	some r in k8s.resources_of_kind(kind)
	own := _tenant_in[r.namespace]
	some s in _strings_of(r)
	contains(s, ".")
	some m in regex.find_all_string_submatch_n(stateful.host_pattern, s, -1)
	other := _tenant_in[m[2]]
	other != own
	cluster := _database_service_of(m[1], m[2])
	v := {
		"msg": sprintf(
			concat("", [
				"%s of tenant %s uses the database cluster %s/%s of tenant %s (%s.%s): ",
				"point it at its own tenant's database cluster",
			]),
			[naming.describe(r.id), own, m[2], cluster, other, m[1], m[2]],
		),
		"resource": r.id,
		"evidence": {
			"tenant": own,
			"database": sprintf("%s/%s", [m[2], cluster]),
			"database_tenant": other,
			"reference": s,
		},
	}
}

# 3. Storage that backs claims of two tenants.
violation contains v if {
	some [a, b] in _sharing
	v := {
		"msg": sprintf(
			concat("", [
				"%s of tenant %s is backed by %s storage %s that also backs %s of tenant %s: ",
				"give each tenant its own volume (its own export, path or disk)",
			]),
			[
				_claim_text(a), _tenant_in[a.namespace], a.backend.type, stateful.backend_text(a.backend),
				_claim_text(b), _tenant_in[b.namespace],
			],
		),
		"resource": a.resource,
		"evidence": {
			"tenant": _tenant_in[a.namespace],
			"volume": a.volume,
			"backend": a.backend,
			"shared_with": {"resource": b.resource, "tenant": _tenant_in[b.namespace], "volume": b.volume, "backend": b.backend},
		},
	}
}

# 4. A ClusterExternalSecret that creates its Secret in namespaces of several tenants.
violation contains v if {
	some ces in k8s.resources_of_kind("ClusterExternalSecret")
	targets := _cluster_secret_targets(ces.object.spec)
	tenants := {t | some ns in targets; t := _tenant_in[ns]}
	count(tenants) > 1
	v := {
		"msg": sprintf(
			concat("", [
				"ClusterExternalSecret %s creates its Secret in namespaces of several tenants (%s): ",
				"select the namespaces of one tenant only, with a ClusterExternalSecret per tenant",
			]),
			[ces.name, concat(", ", sort(tenants))],
		),
		"resource": ces.id,
		"evidence": {
			"namespaces": sort(targets),
			"tenants": sort(tenants),
			"clients": sort(stateful.clients_of(object.get(ces.object.spec, "externalSecretSpec", {}))),
		},
	}
}

# 4. A ClusterExternalSecret of one tenant that copies the keys of another client.
violation contains v if {
	some ces in k8s.resources_of_kind("ClusterExternalSecret")
	targets := _cluster_secret_targets(ces.object.spec)
	count({_tenant_in[ns] | some ns in targets}) == 1
	some client in stateful.clients_of(object.get(ces.object.spec, "externalSecretSpec", {}))
	client in _known_tenants
	some ns in targets
	_tenant_in[ns] != client
	v := {
		"msg": sprintf(
			concat("", [
				"ClusterExternalSecret %s copies keys of client %s into namespace %s of tenant %s: ",
				"materialise a client's keys only in its own namespaces",
			]),
			[ces.name, client, ns, _tenant_in[ns]],
		),
		"resource": ces.id,
		"evidence": {"namespace": ns, "tenant": _tenant_in[ns], "client": client},
	}
}

# 4. An ExternalSecret that reads the keys of another client.
violation contains v if {
	some es in k8s.resources_of_kind("ExternalSecret")
	own := _tenant_in[es.namespace]
	some client in stateful.clients_of(es.object.spec)
	client in _known_tenants
	client != own
	v := {
		"msg": sprintf(
			concat("", [
				"ExternalSecret %s/%s of tenant %s reads the keys of client %s: ",
				"a tenant's namespace may hold only its own client's keys",
			]),
			[es.namespace, es.name, own, client],
		),
		"resource": es.id,
		"evidence": {"tenant": own, "client": client, "keys": stateful.remote_keys(es.object.spec)},
	}
}

# 4. A Secret copied to namespaces of other tenants.
violation contains v if {
	some secret in k8s.resources_of_kind("Secret")
	own := _tenant_in[secret.namespace]
	some annotation, value in k8s.annotations(secret.object)
	annotation in stateful.copy_to_annotations
	targets := {ns |
		some pattern in split(value, ",")
		some ns, t in _tenant_in
		t != own
		stateful.namespace_matches(trim_space(pattern), ns)
	}
	count(targets) > 0
	v := {
		"msg": sprintf(
			concat("", [
				"Secret %s/%s of tenant %s is copied to namespaces of other tenants (%s) by its annotation %s: ",
				"copy it only within the tenant",
			]),
			[secret.namespace, secret.name, own, concat(", ", sort(targets)), annotation],
		),
		"resource": secret.id,
		"evidence": {"tenant": own, "annotation": annotation, "value": value, "namespaces": sort(targets)},
	}
}

# 4. A Secret copied from another tenant's Secret.
violation contains v if {
	some secret in k8s.resources_of_kind("Secret")
	own := _tenant_in[secret.namespace]
	some annotation, value in k8s.annotations(secret.object)
	annotation in stateful.copy_from_annotations
	some source in split(value, ",")
	parts := split(trim_space(source), "/")
	count(parts) == 2
	other := _tenant_in[parts[0]]
	other != own
	v := {
		"msg": sprintf(
			concat("", [
				"Secret %s/%s of tenant %s is a copy of Secret %s of tenant %s (annotation %s): ",
				"a tenant may not use another tenant's Secret",
			]),
			[secret.namespace, secret.name, own, trim_space(source), other, annotation],
		),
		"resource": secret.id,
		"evidence": {"tenant": own, "annotation": annotation, "source": trim_space(source), "source_tenant": other},
	}
}

# 5. A Vault auth role (a VaultAuthRole resource) bound to several tenants.
violation contains v if {
	some role in k8s.resources_of_kind("VaultAuthRole")
	patterns := _patterns(role.object.bound_service_account_namespaces)
	tenants := _bound_tenants(patterns)
	count(tenants) > 1
	v := {
		"msg": sprintf(
			concat("", [
				"Vault auth role %s is bound to ServiceAccounts of several tenants (%s) through ",
				"bound_service_account_namespaces %s: make one role per tenant, bound to that tenant's namespace only",
			]),
			[role.name, concat(", ", sort(tenants)), concat(", ", patterns)],
		),
		"resource": role.id,
		"evidence": {
			"bound_service_account_namespaces": patterns,
			"bound_service_account_names": object.get(role.object, "bound_service_account_names", []),
			"tenants": sort(tenants),
		},
	}
}

# 5. A Vault auth role of a Vault snapshot bound to several tenants.
violation contains v if {
	some snapshot in k8s.resources_of_kind("VaultSnapshot")
	some role in object.get(snapshot.object, "authRoles", [])
	patterns := _patterns(role.boundServiceAccountNamespaces)
	tenants := _bound_tenants(patterns)
	count(tenants) > 1
	v := {
		"msg": sprintf(
			concat("", [
				"Vault auth role %v/%v is bound to ServiceAccounts of several tenants (%s): ",
				"make one role per tenant, bound to that tenant's namespace only",
			]),
			[object.get(role, "mount", "?"), object.get(role, "name", "?"), concat(", ", sort(tenants))],
		),
		"resource": snapshot.id,
		"evidence": {"role": role, "tenants": sort(tenants)},
	}
}

# 5. A cloud identity that ServiceAccounts of several tenants use.
violation contains v if {
	some a in _cloud_identities
	others := object.get(_identity_tenants, concat(" ", [a.annotation, a.identity]), set()) - {a.tenant}
	count(others) > 0
	v := {
		"msg": sprintf(
			concat("", [
				"%s of tenant %s uses the cloud identity %s (%s), which ServiceAccounts of other tenants (%s) use too: ",
				"give each tenant its own cloud identity",
			]),
			[naming.describe(a.sa), a.tenant, a.identity, a.annotation, concat(", ", sort(others))],
		),
		"resource": a.sa,
		"evidence": {"tenant": a.tenant, "annotation": a.annotation, "identity": a.identity, "other_tenants": sort(others)},
	}
}
