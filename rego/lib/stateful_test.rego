package kaze.lib.stateful_test

import rego.v1

import data.kaze.lib.stateful

test_database_kinds if {
	stateful.database_kinds.Cluster == {"postgresql.cnpg.io"}
	stateful.database_kinds.MariaDB == {"k8s.mariadb.com", "mariadb.mmontes.io"}
}

test_api_group[api] if {
	some api, want in {"postgresql.cnpg.io/v1": "postgresql.cnpg.io", "v1": ""}
	stateful.api_group({"apiVersion": api}) == want
}

test_pv_backend[name] if {
	some name, [spec, want] in {
		"nfs": [{"nfs": {"server": "nfs", "path": "/data"}}, {"type": "nfs", "key": "nfs", "path": "/data"}],
		"hostPath": [{"hostPath": {"path": "/srv"}}, {"type": "hostPath", "key": "", "path": "/srv"}],
		"cephfs": [{"cephfs": {"monitors": ["m2", "m1"]}}, {"type": "cephfs", "key": "m1,m2", "path": "/"}],
		"glusterfs": [
			{"glusterfs": {"endpoints": "gluster", "path": "vol"}},
			{"type": "glusterfs", "key": "gluster", "path": "vol"},
		],
		"csi": [
			{"csi": {"driver": "ebs.csi.aws.com", "volumeHandle": "vol-1"}},
			{"type": "csi", "key": "ebs.csi.aws.com:vol-1", "path": "/"},
		],
		"disk": [
			{"awsElasticBlockStore": {"volumeID": "vol-2"}},
			{"type": "awsElasticBlockStore", "key": "vol-2", "path": "/"},
		],
	}
	stateful.pv_backend(spec) == want
}

test_paths[path] if {
	some path, [normal, ancestors] in {
		"/": ["/", ["/"]],
		"": ["/", ["/"]],
		"/a/b/": ["/a/b", ["/", "/a", "/a/b"]],
		"/a": ["/a", ["/", "/a"]],
	}
	stateful.normal_path(path) == normal
	stateful.ancestors(path) == ancestors
}

test_location_and_backend_text if {
	stateful.location({"type": "nfs", "key": "srv"}, "/a") == "nfs|srv|/a"
	stateful.backend_text({"key": "srv", "path": "/a"}) == "srv:/a"
	stateful.backend_text({"key": "disk", "path": "/"}) == "disk"
}

test_client_of[key] if {
	some key, want in {"clients/a/key": {"a"}, "kv/data/clients/b/x": {"b"}, "shared/key": set(), "myclients/c/x": set()}
	{c | c := stateful.client_of(key)} == want
}

test_clients_of_remote_keys if {
	spec := {
		"data": [{"secretKey": "k", "remoteRef": {"key": "clients/a/key"}}],
		"dataFrom": [{"extract": {"key": "clients/b/all"}}, {"find": {"path": "shared"}}],
	}
	stateful.remote_keys(spec) == ["clients/a/key", "clients/b/all", "shared"]
	stateful.clients_of(spec) == {"a", "b"}
}

test_host_pattern if {
	regex.find_all_string_submatch_n(stateful.host_pattern, "postgresql://u@db-ro.tenant-a:5432/kaze", -1) == [
		["db-ro.tenant-a:", "db-ro", "tenant-a"],
	]
}

test_service_of_cluster if {
	{s | some s in ["db", "db-rw", "dbx", "other"]; stateful.service_of_cluster(s, "db")} == {"db", "db-rw"}
}

test_copy_annotations if {
	"replicator.v1.mittwald.de/replicate-to" in stateful.copy_to_annotations
	"replicator.v1.mittwald.de/replicate-from" in stateful.copy_from_annotations
	"eks.amazonaws.com/role-arn" in stateful.identity_annotations
}

test_namespace_matches if {
	patterns := ["tenant-a", "tenant-.*", "tenant", "*"]
	{p | some p in patterns; stateful.namespace_matches(p, "tenant-a")} == {"tenant-a", "tenant-.*"}
}

test_is_glob if {
	patterns := ["tenant-*", "tenant-?", "tenant-[ab]", "tenant-a"]
	{p | some p in patterns; stateful.is_glob(p)} == {"tenant-*", "tenant-?", "tenant-[ab]"}
}
