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
#   kinds: [Service, Cluster, Pooler, PostgresCluster, postgresql, aws_db_instance, aws_rds_cluster_instance, aws_redshift_cluster, aws_lightsail_database, google_sql_database_instance, google_alloydb_instance, azurerm_postgresql_flexible_server, azurerm_postgresql_server, azurerm_mysql_flexible_server, azurerm_mysql_server, azurerm_mariadb_server, azurerm_mssql_server, azurerm_cosmosdb_account, azurerm_redis_cache]
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

exposed_types := {"LoadBalancer", "NodePort"}

obj := input.object

# ---------------------------------------------------------------------------------------
# Kubernetes Services in front of a database.

# Ports of database servers (PostgreSQL, PgBouncer, MySQL, MongoDB, Redis, Cassandra, SQL
# Server, Oracle, CockroachDB, CouchDB, Neo4j, ArangoDB, Qdrant, Milvus, Elasticsearch,
# ClickHouse).
database_ports := {5432, 6432, 3306, 33060, 27017, 6379, 26379, 9042, 1433, 1521, 26257, 5984, 7687, 7474, 8529, 6333, 6334, 19530, 9200, 9300, 8123}

database_port_names := `^(postgres|postgresql|pg|pgbouncer|mysql|mariadb|mongo|mongodb|redis|sentinel|cassandra|cql|mssql|sqlserver|oracle|cockroach|couchdb|neo4j|bolt|arangodb|qdrant|milvus|elasticsearch|opensearch|clickhouse)(-.*)?$`

# Labels by which database operators select their pods.
database_selector_keys := {"cnpg.io/cluster", "postgres-operator.crunchydata.com/cluster", "cluster-name"}

database_names := `(^|[-_])(postgres|postgresql|pg|mysql|mariadb|mongo|mongodb|redis|cassandra|mssql|cockroach|couchdb|neo4j|arangodb|qdrant|milvus|clickhouse|db|database)([-_]|$)`

ports := [port | some port in coerce.as_list(object.get(obj, ["spec", "ports"], [])); is_object(port)]

selector := coerce.as_object(object.get(obj, ["spec", "selector"], {}))

database_reasons contains sprintf("port %v", [p]) if {
	some port in ports
	some p in [object.get(port, "port", null), object.get(port, "targetPort", null)]
	p in database_ports
}

database_reasons contains sprintf("port name %v", [port.name]) if {
	some port in ports
	is_string(port.name)
	regex.match(database_port_names, port.name)
}

database_reasons contains sprintf("selector %s", [key]) if {
	some key, value in selector
	key in database_selector_keys
	value != ""
}

database_reasons contains sprintf("selector %s=%s", [key, value]) if {
	some key, value in selector
	key in {"app.kubernetes.io/name", "app", "app.kubernetes.io/component", "application"}
	is_string(value)
	regex.match(database_names, lower(value))
}

violation contains v if {
	obj.kind == "Service"
	type := object.get(obj, ["spec", "type"], "ClusterIP")
	type in exposed_types
	count(database_reasons) > 0
	v := {
		"msg": sprintf("Service %s/%s is of type %s in front of a database (%s), which bypasses the bastion: make it ClusterIP and reach the database through the bastion", [k8s.namespace(obj), k8s.name(obj), type, concat(", ", sort(database_reasons))]),
		"resource": input.id,
		"evidence": {"type": type, "database": sort(database_reasons), "selector": selector, "field_path": ["spec", "type"]},
	}
}

violation contains v if {
	obj.kind == "Service"
	ips := coerce.as_list(object.get(obj, ["spec", "externalIPs"], []))
	count(ips) > 0
	count(database_reasons) > 0
	v := {
		"msg": sprintf("Service %s/%s exposes a database (%s) on external IPs %v, which bypasses the bastion: remove spec.externalIPs and reach the database through the bastion", [k8s.namespace(obj), k8s.name(obj), concat(", ", sort(database_reasons)), ips]),
		"resource": input.id,
		"evidence": {"externalIPs": ips, "database": sort(database_reasons), "field_path": ["spec", "externalIPs"]},
	}
}

# ---------------------------------------------------------------------------------------
# Database operators asked for an exposed Service.

group := split(object.get(obj, "apiVersion", ""), "/")[0]

# [where in the spec, service type]
operator_services contains [sprintf("spec.managed.services.additional[%d], selectorType %s", [i, object.get(svc, "selectorType", "?")]), type] if {
	obj.kind == "Cluster"
	group == "postgresql.cnpg.io"
	some i, svc in coerce.as_list(object.get(obj, ["spec", "managed", "services", "additional"], []))
	is_object(svc)
	type := object.get(svc, ["serviceTemplate", "spec", "type"], "ClusterIP")
}

operator_services contains ["spec.serviceTemplate", type] if {
	obj.kind == "Pooler"
	group == "postgresql.cnpg.io"
	type := object.get(obj, ["spec", "serviceTemplate", "spec", "type"], "ClusterIP")
}

operator_services contains [concat(".", array.concat(["spec"], path)), type] if {
	obj.kind == "PostgresCluster"
	group == "postgres-operator.crunchydata.com"
	some path in [["service"], ["replicaService"], ["proxy", "pgBouncer", "service"]]
	type := object.get(obj, array.concat(["spec"], array.concat(path, ["type"])), "ClusterIP")
}

operator_services contains [concat(".", ["spec", flag]), "LoadBalancer"] if {
	obj.kind == "postgresql"
	group == "acid.zalan.do"
	some flag in ["enableMasterLoadBalancer", "enableReplicaLoadBalancer", "enableMasterPoolerLoadBalancer", "enableReplicaPoolerLoadBalancer"]
	object.get(obj, ["spec", flag], false) == true
}

violation contains v if {
	some service in operator_services
	service[1] in exposed_types
	v := {
		"msg": sprintf("%s %s/%s makes its operator create a %s Service for the database (%s), which bypasses the bastion: remove it (or make it ClusterIP) and reach the database through the bastion", [obj.kind, k8s.namespace(obj), k8s.name(obj), service[1], service[0]]),
		"resource": input.id,
		"evidence": {"field": service[0], "type": service[1]},
	}
}

# ---------------------------------------------------------------------------------------
# Managed databases in Terraform.

address := concat(".", [obj_kind, obj_name])

obj_kind := data.inventory.resources[input.id].kind

obj_name := data.inventory.resources[input.id].name

# An attribute left unset reads as this marker: the provider's default makes it public.
unset := "(unset: public by default)"

terraform_finding(setting, value, change) := {
	"msg": sprintf("%s %s, which bypasses the bastion: %s", [address, exposure(setting, value), change]),
	"resource": input.id,
	"evidence": {setting: value},
}

exposure(setting, value) := sprintf("is publicly accessible by default (%s is not set)", [setting]) if value == unset

exposure(setting, value) := sprintf("may be publicly accessible (%s = %v, an expression this check cannot prove false)", [setting, value]) if expression(value)

exposure(setting, value) := sprintf("is publicly accessible (%s = %v)", [setting, value]) if {
	value != unset
	not expression(value)
}

expression(value) if {
	is_string(value)
	contains(value, "${")
}

# Set to true, or to an expression this check cannot prove false.
true_or_unknown(value) if value == true

true_or_unknown(value) if expression(value)

# Attributes that default to private: a public database sets them.
public_flags := {
	"aws_db_instance": "publicly_accessible",
	"aws_rds_cluster_instance": "publicly_accessible",
	"aws_redshift_cluster": "publicly_accessible",
	"aws_lightsail_database": "publicly_accessible",
}

violation contains v if {
	attribute := public_flags[obj_kind]
	value := tf.as_bool(object.get(obj, attribute, false))
	true_or_unknown(value)
	v := terraform_finding(attribute, value, sprintf("set %s = false", [attribute]))
}

# Azure: public network access is on unless turned off (flexible servers in a delegated
# subnet have none).
azure_public_access := {
	"azurerm_postgresql_flexible_server",
	"azurerm_postgresql_server",
	"azurerm_mysql_flexible_server",
	"azurerm_mysql_server",
	"azurerm_mariadb_server",
	"azurerm_mssql_server",
	"azurerm_cosmosdb_account",
	"azurerm_redis_cache",
}

violation contains v if {
	obj_kind in azure_public_access
	value := tf.as_bool(object.get(obj, "public_network_access_enabled", unset))
	azure_public(value)
	v := terraform_finding("public_network_access_enabled", value, "set public_network_access_enabled = false and reach it through a private endpoint or a delegated subnet")
}

azure_public(value) if true_or_unknown(value)

azure_public(value) if {
	value == unset
	not in_delegated_subnet
}

in_delegated_subnet if {
	obj_kind in {"azurerm_postgresql_flexible_server", "azurerm_mysql_flexible_server"}
	object.get(obj, "delegated_subnet_id", null) != null
}

# Cloud SQL gives an instance a public IPv4 address unless ipv4_enabled = false.
violation contains v if {
	obj_kind == "google_sql_database_instance"
	ip := tf.as_bool(object.get(first(object.get(first(object.get(obj, "settings", [])), "ip_configuration", [])), "ipv4_enabled", unset))
	ip != false
	v := terraform_finding("settings.ip_configuration.ipv4_enabled", ip, "set ipv4_enabled = false and connect it to the cell's private network")
}

violation contains v if {
	obj_kind == "google_alloydb_instance"
	value := tf.as_bool(object.get(first(object.get(obj, "network_config", [])), "enable_public_ip", false))
	true_or_unknown(value)
	v := terraform_finding("network_config.enable_public_ip", value, "set enable_public_ip = false")
}

first(blocks) := blocks[0] if first_is_object(blocks)

first(blocks) := blocks if is_object(blocks)

first(blocks) := {} if {
	not is_object(blocks)
	not first_is_object(blocks)
}

first_is_object(blocks) if {
	is_array(blocks)
	count(blocks) > 0
	is_object(blocks[0])
}
