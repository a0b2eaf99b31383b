# METADATA
# title: Where a tenant's state lives
# description: >-
#   The parts of a tenant's state that a resource names on its own: the database cluster
#   kinds, the storage behind a PersistentVolume and the folders above a path on it, and the
#   clients whose keys (clients/<client>/...) an ExternalSecret reads. Functions and constants
#   only: no rule walks the inventory.
package kaze.lib.stateful

import rego.v1

# METADATA
# title: database_kinds
# description: >-
#   The database cluster kinds of the operators a tenant's database may run under, each with
#   the API groups the kind has there.
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

# METADATA
# title: api_group
# scope: document
# description: The API group of a resource record ("" for the core group).
api_group(r) := split(r.apiVersion, "/")[0] if contains(r.apiVersion, "/")

api_group(r) := "" if not contains(r.apiVersion, "/")

# METADATA
# title: pv_backend
# scope: document
# description: >-
#   The storage behind a PersistentVolume's spec: its type (the volume source), the key that
#   names the storage (the NFS server, the disk, the CSI volume) and the path on it ("/" for
#   a whole disk).
pv_backend(spec) := {"type": "nfs", "key": spec.nfs.server, "path": spec.nfs.path} if spec.nfs

pv_backend(spec) := {"type": "hostPath", "key": "", "path": spec.hostPath.path} if spec.hostPath

pv_backend(spec) := {
	"type": "cephfs",
	"key": concat(",", sort(spec.cephfs.monitors)),
	"path": object.get(spec.cephfs, "path", "/"),
} if {
	spec.cephfs
}

pv_backend(spec) := {"type": "glusterfs", "key": spec.glusterfs.endpoints, "path": spec.glusterfs.path} if {
	spec.glusterfs
}

pv_backend(spec) := {"type": "csi", "key": concat(":", [spec.csi.driver, spec.csi.volumeHandle]), "path": "/"} if {
	spec.csi
}

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

# METADATA
# title: normal_path
# scope: document
# description: A path without its trailing slashes ("/" for the root).
normal_path(p) := "/" if trim_right(p, "/") == ""

normal_path(p) := trim_right(p, "/") if trim_right(p, "/") != ""

# METADATA
# title: location
# description: A place on a storage backend, as one string (type, key and path).
location(backend, path) := concat("|", [backend.type, backend.key, path])

# METADATA
# title: ancestors
# scope: document
# description: 'The path and every folder above it: "/a/b" -> ["/", "/a", "/a/b"].'
ancestors(path) := ["/"] if normal_path(path) == "/"

ancestors(path) := array.concat(["/"], [concat("/", array.slice(parts, 0, i + 1)) |
	some i in numbers.range(1, count(parts) - 1)
]) if {
	normal_path(path) != "/"
	parts := split(normal_path(path), "/")
}

# METADATA
# title: backend_text
# scope: document
# description: A storage backend in a finding's words ("key:path", the key alone for "/").
backend_text(b) := concat(":", [b.key, b.path]) if b.path != "/"

backend_text(b) := b.key if b.path == "/"

# METADATA
# title: client_of
# description: The client whose keys a secret store key holds (clients/<client>/...).
client_of(key) := m[0][2] if {
	is_string(key)
	m := regex.find_all_string_submatch_n(`(^|/)clients/([^/]+)`, key, 1)
	count(m) > 0
}

# METADATA
# title: remote_keys
# description: >-
#   The secret store keys an ExternalSecret spec reads (data[].remoteRef.key,
#   dataFrom[].extract.key and dataFrom[].find.path).
remote_keys(spec) := array.concat(
	[d.remoteRef.key | some d in object.get(spec, "data", [])],
	[k |
		some d in object.get(spec, "dataFrom", [])
		some k in [object.get(d, ["extract", "key"], null), object.get(d, ["find", "path"], null)]
		is_string(k)
	],
)

# METADATA
# title: clients_of
# description: The clients whose keys an ExternalSecret spec reads.
clients_of(spec) := {c | some key in remote_keys(spec); c := client_of(key)}

# METADATA
# title: host_pattern
# description: >-
#   A service host <service>.<namespace>[.svc[.cluster.local]] in a string: its matches hold
#   the service and the namespace.
host_pattern := `([a-z0-9](?:[-a-z0-9]*[a-z0-9])?)\.([a-z0-9](?:[-a-z0-9]*[a-z0-9])?)(?:\.svc|[^-a-z0-9.]|$)`

# METADATA
# title: service_of_cluster
# scope: document
# description: >-
#   The service is one of a database cluster's: the cluster's name, or one of its
#   <name>-rw/-ro/-r/... services.
service_of_cluster(service, name) if service == name

service_of_cluster(service, name) if startswith(service, concat("", [name, "-"]))

# METADATA
# title: copy_to_annotations
# description: >-
#   The annotations by which a Secret copy controller (kubernetes-reflector,
#   kubernetes-replicator) copies a Secret to other namespaces.
copy_to_annotations := {
	"reflector.v1.k8s.emberstack.com/reflection-allowed-namespaces",
	"reflector.v1.k8s.emberstack.com/reflection-auto-namespaces",
	"replicator.v1.mittwald.de/replicate-to",
}

# METADATA
# title: copy_from_annotations
# description: >-
#   The annotations by which a Secret copy controller makes a Secret a copy of another
#   (namespace/name).
copy_from_annotations := {
	"reflector.v1.k8s.emberstack.com/reflects",
	"replicator.v1.mittwald.de/replicate-from",
}

# METADATA
# title: namespace_matches
# scope: document
# description: >-
#   A namespace pattern of a copy annotation matches the namespace: the name itself, or a
#   regular expression that matches the whole name.
namespace_matches(pattern, ns) if pattern == ns

namespace_matches(pattern, ns) if {
	regex.is_valid(concat("", ["^(?:", pattern, ")$"]))
	regex.match(concat("", ["^(?:", pattern, ")$"]), ns)
}

# METADATA
# title: is_glob
# description: The Vault bound namespace is a glob (it holds one of *, ?, [ or {).
is_glob(pattern) if regex.match(`[*?\[{]`, pattern)

# METADATA
# title: identity_annotations
# description: The ServiceAccount annotations that bind it to a cloud workload identity.
identity_annotations := {
	"eks.amazonaws.com/role-arn",
	"iam.gke.io/gcp-service-account",
	"azure.workload.identity/client-id",
}
