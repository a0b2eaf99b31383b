package kaze.duties.db_bastion_test

import rego.v1

import data.kaze.duties.db_bastion

_service(type, selector, ports) := {
	"kind": "Service",
	"metadata": {"name": "svc", "namespace": "tenant-acme"},
	"spec": {"type": type, "selector": selector, "ports": ports},
}

_postgres := [{"name": "postgres", "port": 5432, "targetPort": 5432}]

_https := [{"name": "https", "port": 443, "targetPort": "https"}]

_acme_pg := {"cnpg.io/cluster": "acme-pg"}

# The input of a Kubernetes object (no inventory record is needed).
_input(obj) := {"id": "Service/tenant-acme/svc", "object": obj}

_no_inventory := {"resources": {}}

test_load_balancer_on_database_port_fails if {
	some v in db_bastion.violation with input as _input(_service("LoadBalancer", _acme_pg, _postgres))
		with data.inventory as _no_inventory
	v.resource == "Service/tenant-acme/svc"
	v.evidence.type == "LoadBalancer"
}

test_external_ips_on_database_fail if {
	svc := object.union(_service("ClusterIP", _acme_pg, _postgres), {"spec": {"externalIPs": ["203.0.113.7"]}})
	some v in db_bastion.violation with input as _input(svc) with data.inventory as _no_inventory
	v.evidence.externalIPs == ["203.0.113.7"]
}

_cnpg(additional) := {
	"apiVersion": "postgresql.cnpg.io/v1",
	"kind": "Cluster",
	"metadata": {"name": "acme-pg", "namespace": "tenant-acme"},
	"spec": {"instances": 3, "managed": {"services": {"additional": additional}}},
}

test_cnpg_additional_load_balancer_fails if {
	obj := _cnpg([{"selectorType": "rw", "serviceTemplate": {"spec": {"type": "LoadBalancer"}}}])
	some v in db_bastion.violation with input as _input(obj) with data.inventory as _no_inventory
	v.evidence.type == "LoadBalancer"
}

# The Kubernetes object: how many findings.
test_kubernetes_objects[name] if {
	some name, [obj, want] in {
		# A Service selected by its app's name, or on a database port.
		"node port to a database app": [
			_service("NodePort", {"app.kubernetes.io/name": "knowledge-db"}, [{"port": 8080}]),
			1,
		],
		"load balancer on a database port": [_service("LoadBalancer", {"app": "web"}, [{"port": 6379}]), 1],
		"cluster IP to a database": [_service("ClusterIP", _acme_pg, _postgres), 0],
		"service without a spec": [object.remove(_service("", _acme_pg, _postgres), ["spec"]), 0],
		"load balancer of the ingress": [
			_service("LoadBalancer", {"app.kubernetes.io/name": "ingress-nginx"}, _https),
			0,
		],
		"load balancer of the bastion": [
			_service("LoadBalancer", {"app.kubernetes.io/name": "bastion"}, [{"name": "ssh", "port": 22}]),
			0,
		],
		# Database operators.
		"CloudNativePG additional service without a type": [
			_cnpg([{"selectorType": "ro", "serviceTemplate": {"metadata": {"name": "ro"}}}]),
			0,
		],
		"Cluster API cluster": [
			{
				"apiVersion": "cluster.x-k8s.io/v1beta1", "kind": "Cluster", "metadata": {"name": "c", "namespace": "x"},
				"spec": {"managed": {"services": {"additional": [{"serviceTemplate": {"spec": {"type": "LoadBalancer"}}}]}}},
			},
			0,
		],
		"Crunchy node port": [
			{
				"apiVersion": "postgres-operator.crunchydata.com/v1beta1", "kind": "PostgresCluster",
				"metadata": {"name": "pg", "namespace": "t"}, "spec": {"service": {"type": "NodePort"}},
			},
			1,
		],
		"Zalando master load balancer": [
			{
				"apiVersion": "acid.zalan.do/v1", "kind": "postgresql",
				"metadata": {"name": "pg", "namespace": "t"}, "spec": {"enableMasterLoadBalancer": true},
			},
			1,
		],
		# Odd shapes are no error.
		"load balancer of odd fields": [
			{
				"kind": "Service", "metadata": {"name": "s", "namespace": "n"},
				"spec": {"type": "LoadBalancer", "ports": null, "selector": null, "externalIPs": 3},
			},
			0,
		],
		"node port of odd ports and selector": [
			{
				"kind": "Service", "metadata": {"name": "s", "namespace": "n"},
				"spec": {"type": "NodePort", "ports": [1, {"port": "x"}, {"name": 3, "port": 5432}], "selector": {"app": 5}},
			},
			1,
		],
		"CloudNativePG odd additional services": [_cnpg([1, null, {"serviceTemplate": null}]), 0],
	}
	count(db_bastion.violation) == want with input as _input(obj) with data.inventory as _no_inventory
}

_tf(kind, obj) := {
	"id": concat("", ["terraform/providers/x/", kind, ".db"]),
	"apiVersion": "terraform",
	"kind": kind,
	"name": "db",
	"source": "terraform",
	"object": obj,
}

_tf_input(r) := {"id": r.id, "object": r.object}

test_public_rds_fails if {
	r := _tf("aws_db_instance", {"publicly_accessible": true})
	inv := {"resources": {r.id: r}}
	some v in db_bastion.violation with input as _tf_input(r) with data.inventory as inv
	v.evidence.publicly_accessible == true
}

# [Terraform kind, attributes, how many findings].
test_terraform_databases[name] if {
	some name, [kind, attributes, want] in {
		"RDS not publicly accessible": ["aws_db_instance", {"publicly_accessible": false}, 0],
		"RDS by default": ["aws_db_instance", {}, 0],
		"RDS publicly accessible by a variable": ["aws_db_instance", {"publicly_accessible": "${var.public}"}, 1],
		# Cloud SQL has a public IP by default.
		"Cloud SQL by default": ["google_sql_database_instance", {"settings": [{"tier": "db-custom-2-7680"}]}, 1],
		"Cloud SQL without IPv4": [
			"google_sql_database_instance",
			{"settings": [{"ip_configuration": [{"ipv4_enabled": false}]}]},
			0,
		],
		"Cloud SQL of odd settings": ["google_sql_database_instance", {"settings": ["x"]}, 1],
		# Azure: public unless turned off or in a delegated subnet.
		"Azure PostgreSQL by default": ["azurerm_postgresql_flexible_server", {"sku_name": "GP"}, 1],
		"Azure PostgreSQL in a delegated subnet": [
			"azurerm_postgresql_flexible_server",
			{"delegated_subnet_id": "${azurerm_subnet.db.id}"},
			0,
		],
		"Azure SQL without public access": ["azurerm_mssql_server", {"public_network_access_enabled": false}, 0],
		"Azure PostgreSQL with public access turned on": [
			"azurerm_postgresql_flexible_server",
			{"public_network_access_enabled": true, "delegated_subnet_id": "x"},
			1,
		],
	}
	r := _tf(kind, attributes)
	inv := {"resources": {r.id: r}}
	count(db_bastion.violation) == want with input as _tf_input(r) with data.inventory as inv
}
