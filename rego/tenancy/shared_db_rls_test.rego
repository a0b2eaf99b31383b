package kaze.tenancy.shared_db_rls_test

import rego.v1

import data.kaze.tenancy.shared_db_rls

table(name, columns, rls, force) := {
	"schema": "public",
	"name": name,
	"columns": columns,
	"rowSecurity": rls,
	"forceRowSecurity": force,
}

inv(databases) := {
	"by_kind": {"ClusterProbeSnapshot": ["ClusterProbeSnapshot/cell"]},
	"resources": {"ClusterProbeSnapshot/cell": {
		"id": "ClusterProbeSnapshot/cell", "kind": "ClusterProbeSnapshot", "name": "cell",
		"object": {"kind": "ClusterProbeSnapshot", "metadata": {"name": "cell"}, "databases": databases},
	}},
}

test_forced_rls_passes if {
	db := {"name": "platform", "shared": true, "tables": [table("agents", ["id", "tenant_id"], true, true)]}
	count(shared_db_rls.violation) == 0 with data.inventory as inv([db])
}

test_rls_not_forced_fails if {
	db := {"name": "platform", "shared": true, "tables": [table("conversations", ["id", "tenant_id"], true, false)]}
	some v in shared_db_rls.violation with data.inventory as inv([db])
	v.resource == "ClusterProbeSnapshot/cell"
	v.evidence.table == "public.conversations"
	contains(v.msg, "enabled but not forced")
}

test_rls_disabled_fails if {
	db := {"name": "platform", "shared": true, "tables": [table("tools", ["TENANT_ID"], false, false)]}
	some v in shared_db_rls.violation with data.inventory as inv([db])
	contains(v.msg, "neither enabled nor forced")
}

test_forced_without_enabled_fails if {
	db := {"name": "platform", "shared": true, "tables": [table("tools", ["tenant_id"], false, true)]}
	count(shared_db_rls.violation) == 1 with data.inventory as inv([db])
}

test_tables_without_tenant_column_and_tenant_databases_pass if {
	dbs := [
		{"name": "platform", "shared": true, "tables": [table("models", ["id", "name"], false, false)]},
		{"name": "acme", "shared": false, "tables": [table("docs", ["id", "tenant_id"], false, false)]},
	]
	count(shared_db_rls.violation) == 0 with data.inventory as inv(dbs)
}

test_no_snapshot_is_not_applicable if {
	shared_db_rls.not_applicable with data.inventory as {"by_kind": {}, "resources": {}}
}

test_snapshot_without_databases_is_an_error if {
	bad := {
		"by_kind": {"ClusterProbeSnapshot": ["ClusterProbeSnapshot/cell"]},
		"resources": {"ClusterProbeSnapshot/cell": {"id": "ClusterProbeSnapshot/cell", "object": {"pods": []}}},
	}
	count(shared_db_rls.errors) == 1 with data.inventory as bad
}

test_unknown_sharing_is_an_error if {
	db := {"name": "platform", "tables": []}
	count(shared_db_rls.errors) == 1 with data.inventory as inv([db])
}
