# METADATA
# title: Databases are reachable only through the bastion
# description: >-
#   Operators reach production databases through the bastion host, whose sessions are
#   recorded; nobody connects to a database directly. A database Service of type LoadBalancer
#   or NodePort (internal load balancers included: anything in the VPC reaches them), a
#   Service with external IPs, a database operator asked to create such a Service
#   (CloudNativePG, Crunchy, Zalando), or a managed database that Terraform makes publicly
#   accessible (RDS publicly_accessible, a Cloud SQL public IP, Azure public network access)
#   opens a path that bypasses the bastion and its recording.
# custom:
#   id: KZ-SOD-04
#   severity: high
#   scopes: [iac, cluster]
#   kinds:
#     - Service
#     - Cluster
#     - Pooler
#     - PostgresCluster
#     - postgresql
#     - aws_db_instance
#     - aws_rds_cluster_instance
#     - aws_redshift_cluster
#     - aws_lightsail_database
#     - google_sql_database_instance
#     - google_alloydb_instance
#     - azurerm_postgresql_flexible_server
#     - azurerm_postgresql_server
#     - azurerm_mysql_flexible_server
#     - azurerm_mysql_server
#     - azurerm_mariadb_server
#     - azurerm_mssql_server
#     - azurerm_cosmosdb_account
#     - azurerm_redis_cache
#   reference: "docs/requirements.md#operator-access"
#   remediation: >-
#     Make the database Service ClusterIP (remove the LoadBalancer or NodePort service from the
#     database operator's spec) and reach it through the bastion; in Terraform set
#     publicly_accessible = false (RDS), ip_configuration.ipv4_enabled = false with a private
#     network (Cloud SQL), or public_network_access_enabled = false (Azure).
#   frameworks:
#     soc2: [CC6.1, CC6.6]
#     iso27001: [A.8.2, A.8.20, A.8.22]
#     nist80053: [AC-17, SC-7, AC-4]
package kaze.duties.db_bastion

import rego.v1

import data.kaze.lib.coerce
import data.kaze.lib.k8s
import data.kaze.lib.terraform as tf

# ---------------------------------------------------------------------------------------
# Findings: a Kubernetes Service in front of a database, a database operator asked for an
# exposed Service, a managed database in Terraform that is public.

violation contains v if {
	_obj.kind == "Service"
	type := object.get(_obj, ["spec", "type"], "ClusterIP")
	type in _exposed_types
	count(_database_reasons) > 0
	v := {
		"msg": sprintf(
			concat("", [
				"Service %s/%s is of type %s in front of a database (%s), which bypasses the bastion: ",
				"make it ClusterIP and reach the database through the bastion",
			]),
			[k8s.namespace(_obj), k8s.name(_obj), type, concat(", ", sort(_database_reasons))],
		),
		"resource": input.id,
		"evidence": {
			"type": type, "database": sort(_database_reasons), "selector": _selector,
			"field_path": ["spec", "type"],
		},
	}
}

violation contains v if {
	_obj.kind == "Service"
	ips := coerce.as_list(object.get(_obj, ["spec", "externalIPs"], []))
	count(ips) > 0
	count(_database_reasons) > 0
	v := {
		"msg": sprintf(
			concat("", [
				"Service %s/%s exposes a database (%s) on external IPs %v, which bypasses the bastion: ",
				"remove spec.externalIPs and reach the database through the bastion",
			]),
			[k8s.namespace(_obj), k8s.name(_obj), concat(", ", sort(_database_reasons)), ips],
		),
		"resource": input.id,
		"evidence": {"externalIPs": ips, "database": sort(_database_reasons), "field_path": ["spec", "externalIPs"]},
	}
}

violation contains v if {
	some service in _operator_services
	service[1] in _exposed_types
	v := {
		"msg": sprintf(
			concat("", [
				"%s %s/%s makes its operator create a %s Service for the database (%s), which bypasses the bastion: ",
				"remove it (or make it ClusterIP) and reach the database through the bastion",
			]),
			[_obj.kind, k8s.namespace(_obj), k8s.name(_obj), service[1], service[0]],
		),
		"resource": input.id,
		"evidence": {"field": service[0], "type": service[1]},
	}
}

violation contains v if {
	attribute := _public_flags[_obj_kind]
	value := tf.as_bool(object.get(_obj, attribute, false))
	_true_or_unknown(value)
	v := _terraform_finding(attribute, value, sprintf("set %s = false", [attribute]))
}

violation contains v if {
	_obj_kind in _azure_public_access
	value := tf.as_bool(object.get(_obj, "public_network_access_enabled", _unset))
	_azure_public(value)
	v := _terraform_finding(
		"public_network_access_enabled", value,
		"set public_network_access_enabled = false and reach it through a private endpoint or a delegated subnet",
	)
}

# Cloud SQL gives an instance a public IPv4 address unless ipv4_enabled = false.
violation contains v if {
	_obj_kind == "google_sql_database_instance"
	settings := _first(object.get(_obj, "settings", []))
	ip := tf.as_bool(object.get(_first(object.get(settings, "ip_configuration", [])), "ipv4_enabled", _unset))
	ip != false
	v := _terraform_finding(
		"settings.ip_configuration.ipv4_enabled", ip,
		"set ipv4_enabled = false and connect it to the cell's private network",
	)
}

violation contains v if {
	_obj_kind == "google_alloydb_instance"
	value := tf.as_bool(object.get(_first(object.get(_obj, "network_config", [])), "enable_public_ip", false))
	_true_or_unknown(value)
	v := _terraform_finding("network_config.enable_public_ip", value, "set enable_public_ip = false")
}

_exposed_types := {"LoadBalancer", "NodePort"}

_obj := input.object

# ---------------------------------------------------------------------------------------
# Kubernetes Services in front of a database.

# Ports of database servers (PostgreSQL, PgBouncer, MySQL, MongoDB, Redis, Cassandra, SQL
# Server, Oracle, CockroachDB, CouchDB, Neo4j, ArangoDB, Qdrant, Milvus, Elasticsearch,
# ClickHouse).
_database_ports := {
	5432, 6432, 3306, 33060, 27017, 6379, 26379, 9042, 1433, 1521, 26257,
	5984, 7687, 7474, 8529, 6333, 6334, 19530, 9200, 9300, 8123,
}

_database_port_names := concat("", [
	"^(postgres|postgresql|pg|pgbouncer|mysql|mariadb|mongo|mongodb|redis|sentinel|cassandra|cql|mssql|",
	"sqlserver|oracle|cockroach|couchdb|neo4j|bolt|arangodb|qdrant|milvus|elasticsearch|opensearch|clickhouse)",
	"(-.*)?$",
])

# Labels by which database operators select their pods.
_database_selector_keys := {"cnpg.io/cluster", "postgres-operator.crunchydata.com/cluster", "cluster-name"}

_database_names := concat("", [
	"(^|[-_])(postgres|postgresql|pg|mysql|mariadb|mongo|mongodb|redis|cassandra|mssql|cockroach|couchdb|",
	"neo4j|arangodb|qdrant|milvus|clickhouse|db|database)([-_]|$)",
])

_ports := [port | some port in coerce.as_list(object.get(_obj, ["spec", "ports"], [])); is_object(port)]

_selector := coerce.as_object(object.get(_obj, ["spec", "selector"], {}))

_database_reasons contains sprintf("port %v", [p]) if {
	some port in _ports
	some p in [object.get(port, "port", null), object.get(port, "targetPort", null)]
	p in _database_ports
}

_database_reasons contains sprintf("port name %v", [port.name]) if {
	some port in _ports
	is_string(port.name)
	regex.match(_database_port_names, port.name)
}

_database_reasons contains sprintf("selector %s", [key]) if {
	some key, value in _selector
	key in _database_selector_keys
	value != ""
}

_database_reasons contains sprintf("selector %s=%s", [key, value]) if {
	some key, value in _selector
	key in {"app.kubernetes.io/name", "app", "app.kubernetes.io/component", "application"}
	is_string(value)
	regex.match(_database_names, lower(value))
}

# ---------------------------------------------------------------------------------------
# Database operators asked for an exposed Service.

_group := split(object.get(_obj, "apiVersion", ""), "/")[0]

# [where in the spec, service type]
_operator_services contains [
	sprintf("spec.managed.services.additional[%d], selectorType %s", [i, object.get(svc, "selectorType", "?")]),
	type,
] if {
	_obj.kind == "Cluster"
	_group == "postgresql.cnpg.io"
	some i, svc in coerce.as_list(object.get(_obj, ["spec", "managed", "services", "additional"], []))
	is_object(svc)
	type := object.get(svc, ["serviceTemplate", "spec", "type"], "ClusterIP")
}

_operator_services contains ["spec.serviceTemplate", type] if {
	_obj.kind == "Pooler"
	_group == "postgresql.cnpg.io"
	type := object.get(_obj, ["spec", "serviceTemplate", "spec", "type"], "ClusterIP")
}

_operator_services contains [concat(".", array.concat(["spec"], path)), type] if {
	_obj.kind == "PostgresCluster"
	_group == "postgres-operator.crunchydata.com"
	some path in [["service"], ["replicaService"], ["proxy", "pgBouncer", "service"]]
	type := object.get(_obj, [key | some part in [["spec"], path, ["type"]]; some key in part], "ClusterIP")
}

_operator_services contains [concat(".", ["spec", flag]), "LoadBalancer"] if {
	_obj.kind == "postgresql"
	_group == "acid.zalan.do"
	some flag in [
		"enableMasterLoadBalancer", "enableReplicaLoadBalancer",
		"enableMasterPoolerLoadBalancer", "enableReplicaPoolerLoadBalancer",
	]
	_obj.spec[flag] == true
}

# ---------------------------------------------------------------------------------------
# Managed databases in Terraform.

_address := concat(".", [_obj_kind, _obj_name])

_obj_kind := data.inventory.resources[input.id].kind

_obj_name := data.inventory.resources[input.id].name

# An attribute left unset reads as this marker: the provider's default makes it public.
_unset := "(unset: public by default)"

_terraform_finding(setting, value, change) := {
	"msg": sprintf("%s %s, which bypasses the bastion: %s", [_address, _exposure(setting, value), change]),
	"resource": input.id,
	"evidence": {setting: value},
}

_exposure(setting, value) := sprintf("is publicly accessible by default (%s is not set)", [setting]) if value == _unset

_exposure(setting, value) := sprintf(
	"may be publicly accessible (%s = %v, an expression this check cannot prove false)",
	[setting, value],
) if {
	tf.is_expression(value)
}

_exposure(setting, value) := sprintf("is publicly accessible (%s = %v)", [setting, value]) if {
	value != _unset
	not tf.is_expression(value)
}

# Set to true, or to an expression this check cannot prove false.
_true_or_unknown(true) := true

_true_or_unknown(value) if tf.is_expression(value)

# Attributes that default to private: a public database sets them.
_public_flags := {
	"aws_db_instance": "publicly_accessible",
	"aws_rds_cluster_instance": "publicly_accessible",
	"aws_redshift_cluster": "publicly_accessible",
	"aws_lightsail_database": "publicly_accessible",
}

# Azure: public network access is on unless turned off (flexible servers in a delegated
# subnet have none).
_azure_public_access := {
	"azurerm_postgresql_flexible_server",
	"azurerm_postgresql_server",
	"azurerm_mysql_flexible_server",
	"azurerm_mysql_server",
	"azurerm_mariadb_server",
	"azurerm_mssql_server",
	"azurerm_cosmosdb_account",
	"azurerm_redis_cache",
}

_azure_public(value) if _true_or_unknown(value)

_azure_public(value) if {
	value == _unset
	not _in_delegated_subnet
}

_in_delegated_subnet if {
	_obj_kind in {"azurerm_postgresql_flexible_server", "azurerm_mysql_flexible_server"}
	object.get(_obj, "delegated_subnet_id", null) != null
}

_first(blocks) := blocks[0] if _first_is_object(blocks)

_first(blocks) := blocks if is_object(blocks)

_first(blocks) := {} if {
	not is_object(blocks)
	not _first_is_object(blocks)
}

_first_is_object(blocks) if {
	is_array(blocks)
	count(blocks) > 0
	is_object(blocks[0])
}
