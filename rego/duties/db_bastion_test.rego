package kaze.duties.db_bastion_test

import rego.v1

import data.kaze.duties.db_bastion

service(type, selector, ports) := {
	"kind": "Service",
	"metadata": {"name": "svc", "namespace": "tenant-acme"},
	"spec": {"type": type, "selector": selector, "ports": ports},
}

postgres := [{"name": "postgres", "port": 5432, "targetPort": 5432}]

https := [{"name": "https", "port": 443, "targetPort": "https"}]

findings(obj) := found if {
	found := db_bastion.violation with input as {"id": "Service/tenant-acme/svc", "object": obj} with data.inventory as {"resources": {}}
}

test_load_balancer_on_database_port_fails if {
	some v in findings(service("LoadBalancer", {"cnpg.io/cluster": "acme-pg"}, postgres))
	v.resource == "Service/tenant-acme/svc"
	v.evidence.type == "LoadBalancer"
}

test_node_port_selected_by_app_name_fails if {
	count(findings(service("NodePort", {"app.kubernetes.io/name": "knowledge-db"}, [{"port": 8080}]))) == 1
}

test_redis_load_balancer_fails if {
	count(findings(service("LoadBalancer", {"app": "web"}, [{"port": 6379}]))) == 1
}

test_cluster_ip_database_passes if {
	count(findings(service("ClusterIP", {"cnpg.io/cluster": "acme-pg"}, postgres))) == 0
}

test_default_type_is_cluster_ip if {
	count(findings(object.remove(service("", {"cnpg.io/cluster": "acme-pg"}, postgres), ["spec"]))) == 0
}

test_public_web_service_passes if {
	count(findings(service("LoadBalancer", {"app.kubernetes.io/name": "ingress-nginx"}, https))) == 0
}

test_bastion_service_passes if {
	count(findings(service("LoadBalancer", {"app.kubernetes.io/name": "bastion"}, [{"name": "ssh", "port": 22}]))) == 0
}

test_external_ips_on_database_fail if {
	svc := object.union(service("ClusterIP", {"cnpg.io/cluster": "acme-pg"}, postgres), {"spec": {"externalIPs": ["203.0.113.7"]}})
	some v in findings(svc)
	v.evidence.externalIPs == ["203.0.113.7"]
}

cnpg(additional) := {
	"apiVersion": "postgresql.cnpg.io/v1",
	"kind": "Cluster",
	"metadata": {"name": "acme-pg", "namespace": "tenant-acme"},
	"spec": {"instances": 3, "managed": {"services": {"additional": additional}}},
}

test_cnpg_additional_load_balancer_fails if {
	some v in findings(cnpg([{"selectorType": "rw", "serviceTemplate": {"metadata": {"name": "lb"}, "spec": {"type": "LoadBalancer"}}}]))
	v.evidence.type == "LoadBalancer"
}

test_cnpg_additional_cluster_ip_passes if {
	count(findings(cnpg([{"selectorType": "ro", "serviceTemplate": {"metadata": {"name": "ro"}}}]))) == 0
}

test_other_cluster_kinds_are_ignored if {
	capi := {"apiVersion": "cluster.x-k8s.io/v1beta1", "kind": "Cluster", "metadata": {"name": "c", "namespace": "x"}, "spec": {"managed": {"services": {"additional": [{"serviceTemplate": {"spec": {"type": "LoadBalancer"}}}]}}}}
	count(findings(capi)) == 0
}

test_crunchy_load_balancer_fails if {
	pg := {"apiVersion": "postgres-operator.crunchydata.com/v1beta1", "kind": "PostgresCluster", "metadata": {"name": "pg", "namespace": "t"}, "spec": {"service": {"type": "NodePort"}}}
	count(findings(pg)) == 1
}

test_zalando_master_load_balancer_fails if {
	pg := {"apiVersion": "acid.zalan.do/v1", "kind": "postgresql", "metadata": {"name": "pg", "namespace": "t"}, "spec": {"enableMasterLoadBalancer": true}}
	count(findings(pg)) == 1
}

tf(kind, obj) := {
	"id": concat("", ["terraform/providers/x/", kind, ".db"]),
	"apiVersion": "terraform",
	"kind": kind,
	"name": "db",
	"source": "terraform",
	"object": obj,
}

tf_findings(r) := found if {
	found := db_bastion.violation with input as {"id": r.id, "object": r.object} with data.inventory as {"resources": {r.id: r}}
}

test_public_rds_fails if {
	some v in tf_findings(tf("aws_db_instance", {"publicly_accessible": true}))
	v.evidence.publicly_accessible == true
}

test_private_rds_passes if {
	count(tf_findings(tf("aws_db_instance", {"publicly_accessible": false}))) == 0
	count(tf_findings(tf("aws_db_instance", {}))) == 0
}

test_rds_flag_from_a_variable_fails if {
	count(tf_findings(tf("aws_db_instance", {"publicly_accessible": "${var.public}"}))) == 1
}

test_cloud_sql_public_ip_by_default_fails if {
	count(tf_findings(tf("google_sql_database_instance", {"settings": [{"tier": "db-custom-2-7680"}]}))) == 1
}

test_cloud_sql_private_passes if {
	count(tf_findings(tf("google_sql_database_instance", {"settings": [{"ip_configuration": [{"ipv4_enabled": false}]}]}))) == 0
}

test_azure_flexible_server_public_by_default_fails if {
	count(tf_findings(tf("azurerm_postgresql_flexible_server", {"sku_name": "GP"}))) == 1
}

test_azure_flexible_server_in_delegated_subnet_passes if {
	count(tf_findings(tf("azurerm_postgresql_flexible_server", {"delegated_subnet_id": "${azurerm_subnet.db.id}"}))) == 0
}

test_azure_public_access_disabled_passes if {
	count(tf_findings(tf("azurerm_mssql_server", {"public_network_access_enabled": false}))) == 0
}

test_azure_public_access_enabled_fails if {
	count(tf_findings(tf("azurerm_postgresql_flexible_server", {"public_network_access_enabled": true, "delegated_subnet_id": "x"}))) == 1
}

test_odd_shapes_are_no_error if {
	count(findings({"kind": "Service", "metadata": {"name": "s", "namespace": "n"}, "spec": {"type": "LoadBalancer", "ports": null, "selector": null, "externalIPs": 3}})) == 0
	count(findings({"kind": "Service", "metadata": {"name": "s", "namespace": "n"}, "spec": {"type": "NodePort", "ports": [1, {"port": "x"}, {"name": 3, "port": 5432}], "selector": {"app": 5}}})) == 1
	count(findings(cnpg([1, null, {"serviceTemplate": null}]))) == 0
	count(tf_findings(tf("google_sql_database_instance", {"settings": ["x"]}))) == 1
}
