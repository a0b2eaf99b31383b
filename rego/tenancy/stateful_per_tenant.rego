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

import rego.v1

import data.kaze.lib.inventory
import data.kaze.lib.k8s
import data.kaze.lib.network
import data.kaze.lib.tenancy

# ---------------------------------------------------------------------------------------
# Tenancy of namespaces: the kaze.io/tenant label, or the configuration's tenants[].namespaces
# for a namespace the target does not declare.

labelled_tenant_of := {ns: info.tenant |
	some ns, info in data.inventory.namespaces
	is_string(info.tenant)
}

configured_tenants[ns] contains t.name if {
	some t in object.get(tenancy.config, "tenants", [])
	some ns in object.get(t, "namespaces", [])
	not labelled_tenant_of[ns]
}

# A namespace that the configuration gives to two tenants belongs to neither.
configured_tenant_of := {ns: t |
	some ns, names in configured_tenants
	count(names) == 1
	some t in names
}

tenant_of := object.union(configured_tenant_of, labelled_tenant_of)

known_tenants := {t | some t in tenant_of} | {t.name | some t in object.get(tenancy.config, "tenants", [])}

describe(r) := sprintf("%s %s/%s", [r.kind, r.namespace, r.name]) if is_string(r.namespace)

describe(r) := sprintf("%s %s", [r.kind, r.name]) if not is_string(object.get(r, "namespace", null))

resources_of_kind(kind) := [data.inventory.resources[id] | some id in object.get(data.inventory.by_kind, kind, [])]

api_group(r) := split(r.apiVersion, "/")[0] if contains(r.apiVersion, "/")

api_group(r) := "" if not contains(r.apiVersion, "/")

# ---------------------------------------------------------------------------------------
# 1. Each tenant has a database cluster in one of its namespaces.

database_kinds := {
	"Cluster": {"postgresql.cnpg.io"},
	"postgresql": {"acid.zalan.do"},
	"PostgresCluster": {"postgres-operator.crunchydata.com"},
	"SGCluster": {"stackgres.io"},
	"InnoDBCluster": {"mysql.oracle.com"},
	"PerconaXtraDBCluster": {"pxc.percona.com"},
	"PerconaServerMongoDB": {"psmdb.percona.com"},
	"MongoDBCommunity": {"mongodbcommunity.mongodb.com"},
	"MariaDB": {"k8s.mariadb.com", "mariadb.mmontes.io"},
}

database_clusters := [r |
	some kind, groups in database_kinds
	some r in resources_of_kind(kind)
	api_group(r) in groups
]

databases_in[ns] contains r.name if {
	some r in database_clusters
	ns := r.namespace
}

tenants_with_database := {tenant_of[ns] | some ns, _ in databases_in}

# Named on each namespace of the tenant (a tenant usually has one).
violation contains v if {
	some ns in inventory.tenant_namespaces
	t := labelled_tenant_of[ns]
	not t in tenants_with_database
	v := {
		"msg": sprintf("Tenant %s (namespace %s) has no database cluster of its own in any of its namespaces: add one (the tenant template's CloudNativePG Cluster) in the tenant's namespace", [t, ns]),
		"resource": sprintf("Namespace/%s", [ns]),
		"evidence": {"tenant": t, "database_kinds": sort(object.keys(database_kinds))},
	}
}

# ---------------------------------------------------------------------------------------
# 2. No workload or ConfigMap of one tenant points at another tenant's database cluster
#    (<service>.<namespace>[.svc[.cluster.local]], the service being the cluster's name or
#    one of its <name>-rw/-ro/-r/... services).

host_pattern := `([a-z0-9](?:[-a-z0-9]*[a-z0-9])?)\.([a-z0-9](?:[-a-z0-9]*[a-z0-9])?)(?:\.svc|[^-a-z0-9.]|$)`

container_strings(c) := array.concat(
	[e.value | some e in object.get(c, "env", []); is_string(e.value)],
	[s | some field in ["command", "args"]; some s in object.get(c, field, []); is_string(s)],
)

strings_of(r) := [s |
	some c in k8s.containers(k8s.pod_spec(r.object))
	some s in container_strings(c)
] if {
	r.kind in k8s.workload_kinds
}

strings_of(r) := [s |
	some s in object.get(r.object, "data", {})
	is_string(s)
] if {
	r.kind == "ConfigMap"
}

database_service_of(service, ns) := name if {
	some name in object.get(databases_in, ns, set())
	service_of_cluster(service, name)
}

service_of_cluster(service, name) if service == name

service_of_cluster(service, name) if startswith(service, concat("", [name, "-"]))

violation contains v if {
	count(databases_in) > 0
	some kind in array.concat([k | some k in k8s.workload_kinds], ["ConfigMap"])
	some r in resources_of_kind(kind)
	own := tenant_of[r.namespace]
	some s in strings_of(r)
	contains(s, ".")
	some m in regex.find_all_string_submatch_n(host_pattern, s, -1)
	other := tenant_of[m[2]]
	other != own
	cluster := database_service_of(m[1], m[2])
	v := {
		"msg": sprintf("%s of tenant %s uses the database cluster %s/%s of tenant %s (%s.%s): point it at its own tenant's database cluster", [describe(r), own, m[2], cluster, other, m[1], m[2]]),
		"resource": r.id,
		"evidence": {"tenant": own, "database": sprintf("%s/%s", [m[2], cluster]), "database_tenant": other, "reference": s},
	}
}

# ---------------------------------------------------------------------------------------
# 3. No storage backs PersistentVolumeClaims of two tenants.

pv_backend(spec) := {"type": "nfs", "key": spec.nfs.server, "path": spec.nfs.path} if spec.nfs

pv_backend(spec) := {"type": "hostPath", "key": "", "path": spec.hostPath.path} if spec.hostPath

pv_backend(spec) := {"type": "cephfs", "key": concat(",", sort(spec.cephfs.monitors)), "path": object.get(spec.cephfs, "path", "/")} if spec.cephfs

pv_backend(spec) := {"type": "glusterfs", "key": spec.glusterfs.endpoints, "path": spec.glusterfs.path} if spec.glusterfs

pv_backend(spec) := {"type": "csi", "key": concat(":", [spec.csi.driver, spec.csi.volumeHandle]), "path": "/"} if spec.csi

pv_backend(spec) := {"type": kind, "key": sprintf("%v", [object.get(spec[kind], field, "")]), "path": "/"} if {
	some kind, field in {
		"awsElasticBlockStore": "volumeID",
		"gcePersistentDisk": "pdName",
		"azureDisk": "diskURI",
		"azureFile": "shareName",
		"cinder": "volumeID",
		"rbd": "image",
		"iscsi": "iqn",
	}
	spec[kind]
}

normal_path(p) := "/" if trim_right(p, "/") == ""

normal_path(p) := trim_right(p, "/") if trim_right(p, "/") != ""

# By name, as a set: two volumes of one name (from two files of a target) must not make the
# whole control an evaluation error.
persistent_volumes[pv.name] contains pv if {
	some pv in resources_of_kind("PersistentVolume")
}

claim_id(ns, name) := sprintf("PersistentVolumeClaim/%s/%s", [ns, name])

# One record per claim of a tenant namespace and the storage behind it.
claims contains {"resource": pvc.id, "namespace": pvc.namespace, "volume": pv.id, "backend": pv_backend(pv.object.spec)} if {
	some pvc in resources_of_kind("PersistentVolumeClaim")
	tenant_of[pvc.namespace]
	some pv in object.get(persistent_volumes, pvc.object.spec.volumeName, set())
}

# A claim whose volume the target does not hold: the volume's name is all we know.
claims contains {"resource": pvc.id, "namespace": pvc.namespace, "volume": name, "backend": {"type": "PersistentVolume", "key": name, "path": "/"}} if {
	some pvc in resources_of_kind("PersistentVolumeClaim")
	tenant_of[pvc.namespace]
	name := pvc.object.spec.volumeName
	count(object.get(persistent_volumes, name, set())) == 0
}

# A volume reserved for a claim (claimRef), whether or not the claim is in the target.
claims contains {"resource": resource, "namespace": ref.namespace, "volume": pv.id, "backend": pv_backend(pv.object.spec)} if {
	some pv in resources_of_kind("PersistentVolume")
	ref := pv.object.spec.claimRef
	tenant_of[ref.namespace]
	resource := claim_resource(ref.namespace, ref.name, pv.id)
}

claim_resource(ns, name, _) := claim_id(ns, name) if data.inventory.resources[claim_id(ns, name)]

claim_resource(ns, name, pv_id) := pv_id if not data.inventory.resources[claim_id(ns, name)]

location(backend, path) := concat("|", [backend.type, backend.key, path])

# The path and every folder above it: "/a/b" -> ["/", "/a", "/a/b"].
ancestors(path) := ["/"] if normal_path(path) == "/"

ancestors(path) := array.concat(["/"], [concat("/", array.slice(parts, 0, i + 1)) |
	some i in numbers.range(1, count(parts) - 1)
]) if {
	normal_path(path) != "/"
	parts := split(normal_path(path), "/")
}

claims_at[key] contains c if {
	some c in claims
	key := location(c.backend, normal_path(c.backend.path))
}

# Pairs of claims of different tenants where b's storage is a or contains it (by paths).
shared_storage contains [a, b] if {
	some a in claims
	some path in ancestors(a.backend.path)
	some b in object.get(claims_at, location(a.backend, path), set())
	tenant_of[a.namespace] != tenant_of[b.namespace]
}

sharing contains [a, b] if some [a, b] in shared_storage

sharing contains [b, a] if some [a, b] in shared_storage

violation contains v if {
	some [a, b] in sharing
	v := {
		"msg": sprintf("%s of tenant %s is backed by %s storage %s that also backs %s of tenant %s: give each tenant its own volume (its own export, path or disk)", [claim_text(a), tenant_of[a.namespace], a.backend.type, backend_text(a.backend), claim_text(b), tenant_of[b.namespace]]),
		"resource": a.resource,
		"evidence": {"tenant": tenant_of[a.namespace], "volume": a.volume, "backend": a.backend, "shared_with": {"resource": b.resource, "tenant": tenant_of[b.namespace], "volume": b.volume, "backend": b.backend}},
	}
}

claim_text(c) := describe(data.inventory.resources[c.resource]) if data.inventory.resources[c.resource]

claim_text(c) := sprintf("the claim of namespace %s", [c.namespace]) if not data.inventory.resources[c.resource]

backend_text(b) := concat(":", [b.key, b.path]) if b.path != "/"

backend_text(b) := b.key if b.path == "/"

# ---------------------------------------------------------------------------------------
# 4. No Secret is materialised in several tenants' namespaces, or in a namespace of a tenant
#    other than the client whose keys (clients/<client>/...) it holds.

client_of(key) := m[0][2] if {
	is_string(key)
	m := regex.find_all_string_submatch_n(`(^|/)clients/([^/]+)`, key, 1)
	count(m) > 0
}

remote_keys(spec) := array.concat(
	[d.remoteRef.key | some d in object.get(spec, "data", [])],
	[k | some d in object.get(spec, "dataFrom", []); some k in [object.get(d, ["extract", "key"], null), object.get(d, ["find", "path"], null)]; is_string(k)],
)

clients_of(spec) := {c | some key in remote_keys(spec); c := client_of(key)}

selectors_of(spec) := array.concat(object.get(spec, "namespaceSelectors", []), [s | s := spec.namespaceSelector])

cluster_secret_targets(spec) := {ns |
	some ns, _ in tenant_of
	some selector in selectors_of(spec)
	network.selector_matches(selector, network.namespace_labels(ns))
} | {ns | some ns in object.get(spec, "namespaces", []); tenant_of[ns]}

violation contains v if {
	some ces in resources_of_kind("ClusterExternalSecret")
	targets := cluster_secret_targets(ces.object.spec)
	tenants := {tenant_of[ns] | some ns in targets}
	count(tenants) > 1
	v := {
		"msg": sprintf("ClusterExternalSecret %s creates its Secret in namespaces of several tenants (%s): select the namespaces of one tenant only, with a ClusterExternalSecret per tenant", [ces.name, concat(", ", sort(tenants))]),
		"resource": ces.id,
		"evidence": {"namespaces": sort(targets), "tenants": sort(tenants), "clients": sort(clients_of(object.get(ces.object.spec, "externalSecretSpec", {})))},
	}
}

violation contains v if {
	some ces in resources_of_kind("ClusterExternalSecret")
	targets := cluster_secret_targets(ces.object.spec)
	count({tenant_of[ns] | some ns in targets}) == 1
	some client in clients_of(object.get(ces.object.spec, "externalSecretSpec", {}))
	client in known_tenants
	some ns in targets
	tenant_of[ns] != client
	v := {
		"msg": sprintf("ClusterExternalSecret %s copies keys of client %s into namespace %s of tenant %s: materialise a client's keys only in its own namespaces", [ces.name, client, ns, tenant_of[ns]]),
		"resource": ces.id,
		"evidence": {"namespace": ns, "tenant": tenant_of[ns], "client": client},
	}
}

violation contains v if {
	some es in resources_of_kind("ExternalSecret")
	own := tenant_of[es.namespace]
	some client in clients_of(es.object.spec)
	client in known_tenants
	client != own
	v := {
		"msg": sprintf("ExternalSecret %s/%s of tenant %s reads the keys of client %s: a tenant's namespace may hold only its own client's keys", [es.namespace, es.name, own, client]),
		"resource": es.id,
		"evidence": {"tenant": own, "client": client, "keys": remote_keys(es.object.spec)},
	}
}

# Secret copy controllers (kubernetes-reflector, kubernetes-replicator).
copy_to_annotations := {
	"reflector.v1.k8s.emberstack.com/reflection-allowed-namespaces",
	"reflector.v1.k8s.emberstack.com/reflection-auto-namespaces",
	"replicator.v1.mittwald.de/replicate-to",
}

copy_from_annotations := {
	"reflector.v1.k8s.emberstack.com/reflects",
	"replicator.v1.mittwald.de/replicate-from",
}

namespace_matches(pattern, ns) if pattern == ns

namespace_matches(pattern, ns) if {
	regex.is_valid(concat("", ["^(?:", pattern, ")$"]))
	regex.match(concat("", ["^(?:", pattern, ")$"]), ns)
}

violation contains v if {
	some secret in resources_of_kind("Secret")
	own := tenant_of[secret.namespace]
	some annotation, value in k8s.annotations(secret.object)
	annotation in copy_to_annotations
	targets := {ns |
		some pattern in split(value, ",")
		some ns, t in tenant_of
		t != own
		namespace_matches(trim_space(pattern), ns)
	}
	count(targets) > 0
	v := {
		"msg": sprintf("Secret %s/%s of tenant %s is copied to namespaces of other tenants (%s) by its annotation %s: copy it only within the tenant", [secret.namespace, secret.name, own, concat(", ", sort(targets)), annotation]),
		"resource": secret.id,
		"evidence": {"tenant": own, "annotation": annotation, "value": value, "namespaces": sort(targets)},
	}
}

violation contains v if {
	some secret in resources_of_kind("Secret")
	own := tenant_of[secret.namespace]
	some annotation, value in k8s.annotations(secret.object)
	annotation in copy_from_annotations
	some source in split(value, ",")
	parts := split(trim_space(source), "/")
	count(parts) == 2
	other := tenant_of[parts[0]]
	other != own
	v := {
		"msg": sprintf("Secret %s/%s of tenant %s is a copy of Secret %s of tenant %s (annotation %s): a tenant may not use another tenant's Secret", [secret.namespace, secret.name, own, trim_space(source), other, annotation]),
		"resource": secret.id,
		"evidence": {"tenant": own, "annotation": annotation, "source": trim_space(source), "source_tenant": other},
	}
}

# ---------------------------------------------------------------------------------------
# 5. No identity is bound to ServiceAccounts of several tenants: Vault Kubernetes auth roles,
#    and cloud workload identities annotated on ServiceAccounts.

as_list(x) := x if is_array(x)

as_list(x) := [trim_space(s) | some s in split(x, ",")] if is_string(x)

# Vault matches bound namespaces as globs: a plain name is looked up, a glob is tried on
# every tenant namespace.
bound_tenants(patterns) := {t | some pattern in patterns; not is_glob(pattern); t := tenant_of[pattern]} | {t |
	some pattern in patterns
	is_glob(pattern)
	some ns, t in tenant_of
	glob.match(pattern, [], ns)
}

is_glob(pattern) if regex.match(`[*?\[{]`, pattern)

violation contains v if {
	some role in resources_of_kind("VaultAuthRole")
	patterns := as_list(role.object.bound_service_account_namespaces)
	tenants := bound_tenants(patterns)
	count(tenants) > 1
	v := {
		"msg": sprintf("Vault auth role %s is bound to ServiceAccounts of several tenants (%s) through bound_service_account_namespaces %s: make one role per tenant, bound to that tenant's namespace only", [role.name, concat(", ", sort(tenants)), concat(", ", patterns)]),
		"resource": role.id,
		"evidence": {"bound_service_account_namespaces": patterns, "bound_service_account_names": object.get(role.object, "bound_service_account_names", []), "tenants": sort(tenants)},
	}
}

violation contains v if {
	some snapshot in resources_of_kind("VaultSnapshot")
	some role in object.get(snapshot.object, "authRoles", [])
	patterns := as_list(role.boundServiceAccountNamespaces)
	tenants := bound_tenants(patterns)
	count(tenants) > 1
	v := {
		"msg": sprintf("Vault auth role %v/%v is bound to ServiceAccounts of several tenants (%s): make one role per tenant, bound to that tenant's namespace only", [object.get(role, "mount", "?"), object.get(role, "name", "?"), concat(", ", sort(tenants))]),
		"resource": snapshot.id,
		"evidence": {"role": role, "tenants": sort(tenants)},
	}
}

identity_annotations := {
	"eks.amazonaws.com/role-arn",
	"iam.gke.io/gcp-service-account",
	"azure.workload.identity/client-id",
}

cloud_identities contains {"annotation": annotation, "identity": identity, "sa": sa.id, "tenant": tenant_of[sa.namespace]} if {
	some sa in resources_of_kind("ServiceAccount")
	tenant_of[sa.namespace]
	some annotation, identity in k8s.annotations(sa.object)
	annotation in identity_annotations
}

identity_tenants[key] contains a.tenant if {
	some a in cloud_identities
	key := concat(" ", [a.annotation, a.identity])
}

violation contains v if {
	some a in cloud_identities
	others := object.get(identity_tenants, concat(" ", [a.annotation, a.identity]), set()) - {a.tenant}
	count(others) > 0
	v := {
		"msg": sprintf("%s of tenant %s uses the cloud identity %s (%s), which ServiceAccounts of other tenants (%s) use too: give each tenant its own cloud identity", [describe(data.inventory.resources[a.sa]), a.tenant, a.identity, a.annotation, concat(", ", sort(others))]),
		"resource": a.sa,
		"evidence": {"tenant": a.tenant, "annotation": a.annotation, "identity": a.identity, "other_tenants": sort(others)},
	}
}
