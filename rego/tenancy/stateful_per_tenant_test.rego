package kaze.tenancy.stateful_per_tenant_test

import rego.v1

import data.kaze.tenancy.stateful_per_tenant

namespaces := {
	"tenant-a": {"tenant": "a", "plane": null, "labels": {"kaze.io/tenant": "a"}, "declared": true},
	"tenant-b": {"tenant": "b", "plane": null, "labels": {"kaze.io/tenant": "b"}, "declared": true},
	"shared": {"tenant": null, "plane": "shared", "labels": {"kaze.io/plane": "shared"}, "declared": true},
}

res(api, kind, ns, name, obj) := {
	"id": id_of(kind, ns, name), "apiVersion": api, "kind": kind, "namespace": ns, "name": name,
	"object": object.union({"apiVersion": api, "kind": kind, "metadata": {"name": name, "namespace": ns}}, obj),
}

id_of(kind, null, name) := sprintf("%s/%s", [kind, name])

id_of(kind, ns, name) := sprintf("%s/%s/%s", [kind, ns, name]) if ns != null

database(ns, name) := res("postgresql.cnpg.io/v1", "Cluster", ns, name, {"spec": {"instances": 2}})

databases := [database("tenant-a", "db"), database("tenant-b", "db")]

inv(objects) := {
	"namespaces": namespaces,
	"config": {"tenants": [{"name": "a", "vertical": "v"}, {"name": "b", "vertical": "v"}]},
	"resources": {o.id: o | some o in objects},
	"by_kind": {kind: [o.id | some o in objects; o.kind == kind] | some kind in {o.kind | some o in objects}},
	"by_namespace": {ns: [o.id | some o in objects; o.namespace == ns] | some ns in {o.namespace | some o in objects; o.namespace != null}},
}

findings(objects) := vs if {
	vs := stateful_per_tenant.violation with data.inventory as inv(objects)
}

named(objects) := {v.resource | some v in findings(objects)}

test_own_databases_pass if {
	count(findings(databases)) == 0
}

test_tenant_without_database_fails if {
	named([database("tenant-a", "db")]) == {"Namespace/tenant-b"}
}

test_database_of_another_api_group_does_not_count if {
	other := res("example.com/v1", "Cluster", "tenant-b", "db", {})
	named([database("tenant-a", "db"), other]) == {"Namespace/tenant-b"}
}

deployment(ns, env) := res("apps/v1", "Deployment", ns, "analytics", {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "i", "env": env}]}}}})

test_workload_using_other_tenants_database_fails if {
	app := deployment("tenant-b", [{"name": "PGHOST", "value": "db-rw.tenant-a.svc.cluster.local"}])
	some v in findings(array.concat(databases, [app]))
	v.resource == app.id
	v.evidence.database == "tenant-a/db"
}

test_connection_uri_to_other_tenants_database_fails if {
	app := deployment("tenant-b", [{"name": "DATABASE_URL", "value": "postgresql://u@db-ro.tenant-a:5432/kaze"}])
	named(array.concat(databases, [app])) == {app.id}
}

test_config_map_pointing_at_other_tenant_fails if {
	cm := res("v1", "ConfigMap", "tenant-b", "settings", {"data": {"host": "db-rw.tenant-a.svc"}})
	named(array.concat(databases, [cm])) == {cm.id}
}

test_own_database_by_any_name_passes if {
	apps := [
		deployment("tenant-a", [{"name": "PGHOST", "value": "db-rw"}]),
		res("apps/v1", "Deployment", "tenant-b", "x", {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "i", "env": [{"name": "PGHOST", "value": "db-rw.tenant-b.svc"}]}]}}}}),
		deployment("shared", [{"name": "UPSTREAM", "value": "api.tenant-a.example"}]),
	]
	count(findings(array.concat(databases, apps))) == 0
}

volume(name, source, claim_ns) := res("v1", "PersistentVolume", null, name, {"spec": object.union(source, {"claimRef": {"namespace": claim_ns, "name": "data"}})})

claim(ns, volume_name) := res("v1", "PersistentVolumeClaim", ns, "data", {"spec": {"volumeName": volume_name}})

test_claims_on_one_nfs_export_fail if {
	objects := array.concat(databases, [
		volume("a", {"nfs": {"server": "nfs", "path": "/data"}}, "tenant-a"),
		volume("b", {"nfs": {"server": "nfs", "path": "/data/"}}, "tenant-b"),
		claim("tenant-a", "a"), claim("tenant-b", "b"),
	])
	named(objects) == {"PersistentVolumeClaim/tenant-a/data", "PersistentVolumeClaim/tenant-b/data"}
}

test_nested_export_is_shared if {
	objects := array.concat(databases, [
		volume("a", {"nfs": {"server": "nfs", "path": "/data"}}, "tenant-a"),
		volume("b", {"nfs": {"server": "nfs", "path": "/data/b"}}, "tenant-b"),
	])
	named(objects) == {"PersistentVolume/a", "PersistentVolume/b"}
}

test_separate_exports_and_disks_pass if {
	objects := array.concat(databases, [
		volume("a", {"nfs": {"server": "nfs", "path": "/data/a"}}, "tenant-a"),
		volume("b", {"nfs": {"server": "nfs", "path": "/data/b"}}, "tenant-b"),
		volume("c", {"csi": {"driver": "ebs.csi.aws.com", "volumeHandle": "vol-1"}}, "tenant-a"),
		volume("d", {"csi": {"driver": "ebs.csi.aws.com", "volumeHandle": "vol-2"}}, "tenant-b"),
	])
	count(findings(objects)) == 0
}

test_one_csi_volume_for_two_tenants_fails if {
	objects := array.concat(databases, [
		volume("c", {"csi": {"driver": "efs.csi.aws.com", "volumeHandle": "fs-1"}}, "tenant-a"),
		volume("d", {"csi": {"driver": "efs.csi.aws.com", "volumeHandle": "fs-1"}}, "tenant-b"),
	])
	count(findings(objects)) == 2
}

cluster_secret(selectors, key) := res("external-secrets.io/v1", "ClusterExternalSecret", null, "key", {"spec": {
	"namespaceSelectors": selectors,
	"externalSecretSpec": {"data": [{"secretKey": "k", "remoteRef": {"key": key}}]},
}})

test_cluster_secret_in_every_tenant_fails if {
	ces := cluster_secret([{"matchExpressions": [{"key": "kaze.io/tenant", "operator": "Exists"}]}], "clients/a/key")
	some v in findings(array.concat(databases, [ces]))
	v.resource == "ClusterExternalSecret/key"
	v.evidence.tenants == ["a", "b"]
}

test_cluster_secret_for_one_tenant_passes if {
	ces := cluster_secret([{"matchLabels": {"kaze.io/tenant": "a"}}], "clients/a/key")
	count(findings(array.concat(databases, [ces]))) == 0
}

test_cluster_secret_of_one_client_in_another_tenant_fails if {
	ces := cluster_secret([{"matchLabels": {"kubernetes.io/metadata.name": "tenant-b"}}], "kv/data/clients/a/key")
	some v in findings(array.concat(databases, [ces]))
	v.evidence.client == "a"
	v.evidence.tenant == "b"
}

test_external_secret_reading_other_client_fails if {
	es := res("external-secrets.io/v1", "ExternalSecret", "tenant-b", "key", {"spec": {"dataFrom": [{"extract": {"key": "clients/a/anthropic"}}]}})
	named(array.concat(databases, [es])) == {es.id}
}

test_secret_reflected_to_other_tenant_fails if {
	secret := res("v1", "Secret", "tenant-a", "key", {"metadata": {"name": "key", "namespace": "tenant-a", "annotations": {"reflector.v1.k8s.emberstack.com/reflection-allowed-namespaces": "shared,tenant-.*"}}})
	some v in findings(array.concat(databases, [secret]))
	v.evidence.namespaces == ["tenant-b"]
}

test_secret_copied_from_other_tenant_fails if {
	secret := res("v1", "Secret", "tenant-b", "key", {"metadata": {"name": "key", "namespace": "tenant-b", "annotations": {"replicator.v1.mittwald.de/replicate-from": "tenant-a/key"}}})
	named(array.concat(databases, [secret])) == {secret.id}
}

auth_role(namespaces) := {"id": "VaultAuthRole/agent", "kind": "VaultAuthRole", "apiVersion": "vault", "namespace": null, "name": "agent", "object": {"bound_service_account_names": ["agent"], "bound_service_account_namespaces": namespaces}}

test_auth_role_of_two_tenants_fails if {
	named(array.concat(databases, [auth_role(["tenant-a", "tenant-b"])])) == {"VaultAuthRole/agent"}
}

test_auth_role_glob_over_tenants_fails if {
	named(array.concat(databases, [auth_role("tenant-*")])) == {"VaultAuthRole/agent"}
}

test_auth_role_of_one_tenant_and_shared_passes if {
	count(findings(array.concat(databases, [auth_role(["tenant-a", "shared"])]))) == 0
}

service_account(ns, role) := res("v1", "ServiceAccount", ns, "agent", {"metadata": {"name": "agent", "namespace": ns, "annotations": {"eks.amazonaws.com/role-arn": role}}})

test_cloud_identity_shared_by_tenants_fails if {
	sas := [service_account("tenant-a", "arn:aws:iam::1:role/agent"), service_account("tenant-b", "arn:aws:iam::1:role/agent")]
	named(array.concat(databases, sas)) == {"ServiceAccount/tenant-a/agent", "ServiceAccount/tenant-b/agent"}
}

test_cloud_identity_per_tenant_passes if {
	sas := [service_account("tenant-a", "arn:aws:iam::1:role/a"), service_account("tenant-b", "arn:aws:iam::1:role/b")]
	count(findings(array.concat(databases, sas))) == 0
}
