package kaze.tenancy.stateful_per_tenant_test

import rego.v1

import data.kaze.tenancy.stateful_per_tenant
import data.kaze.testing.inventory

namespaces := {
	"tenant-a": {"tenant": "a", "plane": null, "labels": {"kaze.io/tenant": "a"}, "declared": true},
	"tenant-b": {"tenant": "b", "plane": null, "labels": {"kaze.io/tenant": "b"}, "declared": true},
	"shared": {"tenant": null, "plane": "shared", "labels": {"kaze.io/plane": "shared"}, "declared": true},
}

config := {"tenants": [{"name": "a", "vertical": "v"}, {"name": "b", "vertical": "v"}]}

_inv(objects) := object.union(inventory.with_config(objects, config), {"namespaces": namespaces})

res(api, kind, ns, name, obj) := inventory.resource(kind, ns, name, object.union({"apiVersion": api}, obj))

database(ns, name) := res("postgresql.cnpg.io/v1", "Cluster", ns, name, {"spec": {"instances": 2}})

databases := [database("tenant-a", "db"), database("tenant-b", "db")]

deployment(ns, env) := res("apps/v1", "Deployment", ns, "analytics", {"spec": {"template": {"spec": {
	"containers": [{"name": "c", "image": "i", "env": env}],
}}}})

volume(name, source, claim_ns) := res("v1", "PersistentVolume", null, name, {"spec": object.union(
	source,
	{"claimRef": {"namespace": claim_ns, "name": "data"}},
)})

claim(ns, volume_name) := res("v1", "PersistentVolumeClaim", ns, "data", {"spec": {"volumeName": volume_name}})

cluster_secret(selectors, key) := res("external-secrets.io/v1", "ClusterExternalSecret", null, "key", {"spec": {
	"namespaceSelectors": selectors,
	"externalSecretSpec": {"data": [{"secretKey": "k", "remoteRef": {"key": key}}]},
}})

annotated(kind, ns, annotations) := res("v1", kind, ns, "key", {"metadata": {
	"name": "key",
	"namespace": ns,
	"annotations": annotations,
}})

auth_role(patterns) := {
	"id": "VaultAuthRole/agent",
	"kind": "VaultAuthRole",
	"apiVersion": "vault",
	"namespace": null,
	"name": "agent",
	"object": {"bound_service_account_names": ["agent"], "bound_service_account_namespaces": patterns},
}

service_account(ns, role) := res("v1", "ServiceAccount", ns, "agent", {"metadata": {
	"name": "agent",
	"namespace": ns,
	"annotations": {"eks.amazonaws.com/role-arn": role},
}})

nfs(path) := {"nfs": {"server": "nfs", "path": path}}

csi(driver, handle) := {"csi": {"driver": driver, "volumeHandle": handle}}

# Each case: the objects of the inventory, and the resources its findings name.
cases := {
	"own databases pass": [databases, set()],
	"tenant without database fails": [[database("tenant-a", "db")], {"Namespace/tenant-b"}],
	"database of another api group does not count": [
		[database("tenant-a", "db"), res("example.com/v1", "Cluster", "tenant-b", "db", {})],
		{"Namespace/tenant-b"},
	],
	"connection uri to other tenant's database fails": [
		array.concat(databases, [deployment("tenant-b", [{
			"name": "DATABASE_URL",
			"value": "postgresql://u@db-ro.tenant-a:5432/kaze",
		}])]),
		{"Deployment/tenant-b/analytics"},
	],
	"config map pointing at other tenant fails": [
		array.concat(databases, [res("v1", "ConfigMap", "tenant-b", "settings", {"data": {"host": "db-rw.tenant-a.svc"}})]),
		{"ConfigMap/tenant-b/settings"},
	],
	"own database by any name passes": [
		array.concat(databases, [
			deployment("tenant-a", [{"name": "PGHOST", "value": "db-rw"}]),
			res("apps/v1", "Deployment", "tenant-b", "x", {"spec": {"template": {"spec": {"containers": [{
				"name": "c", "image": "i",
				"env": [{"name": "PGHOST", "value": "db-rw.tenant-b.svc"}],
			}]}}}}),
			deployment("shared", [{"name": "UPSTREAM", "value": "api.tenant-a.example"}]),
		]),
		set(),
	],
	"claims on one nfs export fail": [
		array.concat(databases, [
			volume("a", nfs("/data"), "tenant-a"), volume("b", nfs("/data/"), "tenant-b"),
			claim("tenant-a", "a"), claim("tenant-b", "b"),
		]),
		{"PersistentVolumeClaim/tenant-a/data", "PersistentVolumeClaim/tenant-b/data"},
	],
	"nested export is shared": [
		array.concat(databases, [volume("a", nfs("/data"), "tenant-a"), volume("b", nfs("/data/b"), "tenant-b")]),
		{"PersistentVolume/a", "PersistentVolume/b"},
	],
	"separate exports and disks pass": [
		array.concat(databases, [
			volume("a", nfs("/data/a"), "tenant-a"), volume("b", nfs("/data/b"), "tenant-b"),
			volume("c", csi("ebs.csi.aws.com", "vol-1"), "tenant-a"),
			volume("d", csi("ebs.csi.aws.com", "vol-2"), "tenant-b"),
		]),
		set(),
	],
	"one csi volume for two tenants fails": [
		array.concat(databases, [
			volume("c", csi("efs.csi.aws.com", "fs-1"), "tenant-a"),
			volume("d", csi("efs.csi.aws.com", "fs-1"), "tenant-b"),
		]),
		{"PersistentVolume/c", "PersistentVolume/d"},
	],
	"cluster secret for one tenant passes": [
		array.concat(databases, [cluster_secret([{"matchLabels": {"kaze.io/tenant": "a"}}], "clients/a/key")]),
		set(),
	],
	"external secret reading other client fails": [
		array.concat(databases, [res("external-secrets.io/v1", "ExternalSecret", "tenant-b", "key", {"spec": {
			"dataFrom": [{"extract": {"key": "clients/a/anthropic"}}],
		}})]),
		{"ExternalSecret/tenant-b/key"},
	],
	"secret copied from other tenant fails": [
		array.concat(databases, [annotated(
			"Secret", "tenant-b",
			{"replicator.v1.mittwald.de/replicate-from": "tenant-a/key"},
		)]),
		{"Secret/tenant-b/key"},
	],
	"auth role of two tenants fails": [
		array.concat(databases, [auth_role(["tenant-a", "tenant-b"])]),
		{"VaultAuthRole/agent"},
	],
	"auth role glob over tenants fails": [array.concat(databases, [auth_role("tenant-*")]), {"VaultAuthRole/agent"}],
	"auth role of one tenant and shared passes": [array.concat(databases, [auth_role(["tenant-a", "shared"])]), set()],
	"cloud identity shared by tenants fails": [
		array.concat(databases, [
			service_account("tenant-a", "arn:aws:iam::1:role/agent"),
			service_account("tenant-b", "arn:aws:iam::1:role/agent"),
		]),
		{"ServiceAccount/tenant-a/agent", "ServiceAccount/tenant-b/agent"},
	],
	"cloud identity per tenant passes": [
		array.concat(databases, [
			service_account("tenant-a", "arn:aws:iam::1:role/a"),
			service_account("tenant-b", "arn:aws:iam::1:role/b"),
		]),
		set(),
	],
}

test_named[name] if {
	some name, [objects, want] in cases
	inv := _inv(objects)
	named := {v.resource | some v in stateful_per_tenant.violation} with data.inventory as inv
	named == want
}

# The evidence of a finding: the cases above check only the resources named.
evidence_cases := {
	"workload using other tenant's database": [
		deployment("tenant-b", [{"name": "PGHOST", "value": "db-rw.tenant-a.svc.cluster.local"}]),
		"Deployment/tenant-b/analytics", {"database": "tenant-a/db"},
	],
	"cluster secret in every tenant": [
		cluster_secret([{"matchExpressions": [{"key": "kaze.io/tenant", "operator": "Exists"}]}], "clients/a/key"),
		"ClusterExternalSecret/key", {"tenants": ["a", "b"]},
	],
	"cluster secret of one client in another tenant": [
		cluster_secret([{"matchLabels": {"kubernetes.io/metadata.name": "tenant-b"}}], "kv/data/clients/a/key"),
		"ClusterExternalSecret/key", {"client": "a", "tenant": "b"},
	],
	"secret reflected to other tenant": [
		annotated(
			"Secret", "tenant-a",
			{"reflector.v1.k8s.emberstack.com/reflection-allowed-namespaces": "shared,tenant-.*"},
		),
		"Secret/tenant-a/key", {"namespaces": ["tenant-b"]},
	],
}

test_evidence[name] if {
	some name, [obj, resource, want] in evidence_cases
	inv := _inv(array.concat(databases, [obj]))
	findings := stateful_per_tenant.violation with data.inventory as inv
	some v in findings
	v.resource == resource
	object.filter(v.evidence, object.keys(want)) == want
}
