# METADATA
# title: Every tenant_id table of a shared database has row-level security enabled and forced
# description: >-
#   In a database that holds several tenants' rows, the tenant_id filter of the data access
#   layer is the only thing between one tenant and another's data unless PostgreSQL enforces it
#   too. Row-level security, enabled and forced (so that the table owner, usually the
#   application's own role, is bound by the policies as well), makes the database refuse any
#   query that is not scoped to the current tenant, whatever the application does.
# custom:
#   id: KZ-TEN-08
#   severity: high
#   scopes: [cluster]
#   reference: "docs/requirements.md#tenant-isolation"
#   remediation: >-
#     Run ALTER TABLE <schema>.<table> ENABLE ROW LEVEL SECURITY and ALTER TABLE
#     <schema>.<table> FORCE ROW LEVEL SECURITY, with a policy USING (tenant_id =
#     current_setting('app.tenant_id')) (or the platform's equivalent), in a migration.
#   frameworks:
#     soc2: [CC6.1]
#     iso27001: [A.5.15, A.8.3]
#     nist80053: [AC-3, AC-4, SC-4]
package kaze.tenancy.shared_db_rls

import rego.v1

snapshots := [r |
	some id in object.get(data.inventory.by_kind, "ClusterProbeSnapshot", [])
	r := data.inventory.resources[id]
]

not_applicable := "no ClusterProbeSnapshot: the cluster probe has not reported the databases and their tables" if {
	count(snapshots) == 0
}

errors contains sprintf(
	"%s does not report databases: the shared databases' row-level security cannot be judged",
	[s.id],
) if {
	some s in snapshots
	not is_array(object.get(s.object, "databases", null))
}

errors contains sprintf("%s does not say whether database %v is shared", [s.id, object.get(db, "name", "?")]) if {
	some s in snapshots
	some db in array_of(object.get(s.object, "databases", []))
	not is_boolean(object.get(db, "shared", null))
}

errors contains sprintf(
	"%s does not report the tables of the shared database %v",
	[s.id, object.get(db, "name", "?")],
) if {
	some s in snapshots
	some db in array_of(object.get(s.object, "databases", []))
	db.shared == true
	not is_array(object.get(db, "tables", null))
}

errors contains sprintf(
	"%s does not report the columns of table %v.%v in database %v",
	[s.id, object.get(t, "schema", "?"), object.get(t, "name", "?"), object.get(db, "name", "?")],
) if {
	some s in snapshots
	some db in array_of(object.get(s.object, "databases", []))
	db.shared == true
	some t in array_of(object.get(db, "tables", []))
	not is_array(object.get(t, "columns", null))
}

has_tenant_column(table) if {
	some column in array_of(object.get(table, "columns", []))
	lower(column) == "tenant_id"
}

# The value when it is a list, else [] (errors reports what cannot be read).
array_of(x) := x if is_array(x)

else := []

enabled(table) if table.rowSecurity == true

forced(table) if table.forceRowSecurity == true

gap(table) := "neither enabled nor forced" if {
	not enabled(table)
	not forced(table)
}

gap(table) := "enabled but not forced, so the table's owner bypasses it" if {
	enabled(table)
	not forced(table)
}

gap(table) := "forced but not enabled, so it does not apply" if {
	not enabled(table)
	forced(table)
}

violation contains v if {
	some s in snapshots
	some db in array_of(object.get(s.object, "databases", []))
	db.shared == true
	some table in array_of(object.get(db, "tables", []))
	has_tenant_column(table)
	problem := gap(table)
	qualified := sprintf("%s.%s", [object.get(table, "schema", "public"), table.name])
	v := {
		"msg": sprintf(
			concat("", [
				"Table %s of the shared database %s has a tenant_id column but its row-level security is %s: ",
				"enable and force row-level security on it, with a policy on tenant_id",
			]),
			[qualified, db.name, problem],
		),
		"resource": s.id,
		"evidence": {
			"database": db.name,
			"table": qualified,
			"rowSecurity": object.get(table, "rowSecurity", null),
			"forceRowSecurity": object.get(table, "forceRowSecurity", null),
		},
	}
}
