package kaze.audit.monitoring_stack_test

import rego.v1

import data.kaze.audit.monitoring_stack

vpc := {"cell": {"name": "acme-vpc", "mode": "customer-vpc"}}

inventory(resources, config) := {
	"resources": {r.id: r | some r in resources},
	"by_kind": {kind: [r.id | some r in resources; r.kind == kind] | some kind in {r.kind | some r in resources}},
	"config": config,
}

workload(kind, name, app, replicas) := {
	"id": sprintf("%s/monitoring/%s", [kind, name]),
	"apiVersion": "apps/v1",
	"kind": kind,
	"namespace": "monitoring",
	"name": name,
	"source": "kubernetes",
	"object": {
		"kind": kind,
		"metadata": {"name": name, "namespace": "monitoring", "labels": {"app.kubernetes.io/name": app}},
		"spec": {"replicas": replicas, "template": {"spec": {"containers": [{
			"name": name,
			"image": sprintf("registry.kaze.io/kaze/%s@sha256:0", [app]),
		}]}}},
	},
}

operator(kind, group, name, spec) := {
	"id": sprintf("%s/monitoring/%s", [kind, name]),
	"apiVersion": concat("/", [group, "v1"]),
	"kind": kind,
	"namespace": "monitoring",
	"name": name,
	"source": "kubernetes",
	"object": {"kind": kind, "metadata": {"name": name, "namespace": "monitoring"}, "spec": spec},
}

# The stack without the named component, plus these resources.
without(name) := [r | some r in stack; r.name != name]

stack := [
	workload("StatefulSet", "prometheus", "prometheus", 2),
	workload("StatefulSet", "alertmanager", "alertmanager", 1),
	workload("Deployment", "grafana", "grafana", 1),
	workload("StatefulSet", "loki", "loki", 3),
	workload("Deployment", "otel-collector", "otel-collector", 2),
]

test_whole_stack_passes if {
	got := monitoring_stack.violation with data.inventory as inventory(stack, vpc)
	count(got) == 0
}

test_missing_loki_fails_on_the_configuration if {
	found := monitoring_stack.violation with data.inventory as inventory(without("loki"), vpc)
	count(found) == 1
	some v in found
	v.resource == "kaze-policy.yaml"
	v.evidence.component == "Loki"
}

test_scaled_to_zero_fails_on_the_workload if {
	resources := array.concat(without("grafana"), [workload("Deployment", "grafana", "grafana", 0)])
	got := monitoring_stack.violation with data.inventory as inventory(resources, vpc)
	some v in got
	v.resource == "Deployment/monitoring/grafana"
	v.evidence.replicas == 0
}

test_one_running_instance_is_enough if {
	resources := array.concat(stack, [workload("Deployment", "grafana-old", "grafana", 0)])
	got := monitoring_stack.violation with data.inventory as inventory(resources, vpc)
	count(got) == 0
}

test_operator_resources_count if {
	resources := [
		operator("Prometheus", "monitoring.coreos.com", "cell", {"replicas": 2}),
		operator("Alertmanager", "monitoring.coreos.com", "cell", {}),
		operator("Grafana", "grafana.integreatly.org", "cell", {}),
		operator("LokiStack", "loki.grafana.com", "cell", {"size": "1x.small"}),
		operator("OpenTelemetryCollector", "opentelemetry.io", "cell", {"mode": "daemonset"}),
	]
	got := monitoring_stack.violation with data.inventory as inventory(resources, vpc)
	count(got) == 0
}

test_operator_resource_with_zero_replicas_fails if {
	scaled_down := operator("Prometheus", "monitoring.coreos.com", "cell", {"replicas": 0})
	resources := array.concat(without("prometheus"), [scaled_down])
	got := monitoring_stack.violation with data.inventory as inventory(resources, vpc)
	some v in got
	v.resource == "Prometheus/monitoring/cell"
}

test_prometheus_operator_is_not_prometheus if {
	operator_deployment := workload("Deployment", "prometheus-operator", "prometheus-operator", 1)
	resources := array.concat(without("prometheus"), [operator_deployment])
	got := monitoring_stack.violation with data.inventory as inventory(resources, vpc)
	some v in got
	v.evidence.component == "Prometheus"
}

test_collector_recognised_by_image if {
	agent := workload("DaemonSet", "otel-agent", "agent", 1)
	image := "registry.kaze.io/kaze/opentelemetry-collector-contrib:0.110@sha256:0"
	containers := [{"name": "agent", "image": image}]
	spec := {"spec": {"template": {"spec": {"containers": containers}}}}
	patched := object.union(agent, {"object": object.union(agent.object, spec)})
	resources := array.concat(without("otel-collector"), [patched])
	got := monitoring_stack.violation with data.inventory as inventory(resources, vpc)
	count(got) == 0
}

test_agency_cell_is_not_applicable if {
	agency := {"cell": {"name": "a", "mode": "agency"}}
	contains(monitoring_stack.not_applicable, "agency") with data.inventory as inventory([], agency)
}

test_without_configuration_is_not_applicable if {
	contains(monitoring_stack.not_applicable, "kaze-policy.yaml") with data.inventory as inventory(stack, null)
}

test_terraform_only_target_is_not_applicable if {
	tf := {
		"id": "terraform/x/aws_s3_bucket.a",
		"apiVersion": "terraform",
		"kind": "aws_s3_bucket",
		"name": "a",
		"source": "terraform",
		"object": {},
	}
	contains(monitoring_stack.not_applicable, "no Kubernetes") with data.inventory as inventory([tf], vpc)
}

test_running_pods_of_a_cluster_snapshot_count if {
	snapshot := {
		"id": "ClusterProbeSnapshot/cell",
		"apiVersion": "snapshot.kaze.io/v1",
		"kind": "ClusterProbeSnapshot",
		"name": "cell",
		"source": "snapshot",
		"object": {"pods": [{"namespace": "monitoring", "name": "loki-0", "containers": ["loki"]}]},
	}
	got := monitoring_stack.violation with data.inventory as inventory(array.concat(without("loki"), [snapshot]), vpc)
	count(got) == 0
}

test_odd_shapes_are_no_error if {
	odd := {
		"id": "Deployment/monitoring/x",
		"apiVersion": "apps/v1",
		"kind": "Deployment",
		"namespace": "monitoring",
		"name": "x",
		"source": "kubernetes",
		"object": {
			"kind": "Deployment",
			"metadata": {"name": "x", "labels": null},
			"spec": {"template": {"metadata": null, "spec": {"containers": null}}},
		},
	}
	snapshot := {
		"id": "ClusterProbeSnapshot/c",
		"apiVersion": "snapshot.kaze.io/v1",
		"kind": "ClusterProbeSnapshot",
		"name": "c",
		"source": "snapshot",
		"object": {"pods": [null, {"containers": null}, {"containers": [3]}]},
	}
	got := monitoring_stack.violation with data.inventory as inventory(array.concat(stack, [odd, snapshot]), vpc)
	count(got) == 0
}

# Without configuration the cell's mode is unknown: manifests to judge are left undecided.
test_without_configuration_manifests_are_undecided if {
	contains(monitoring_stack.undecided, "cell.mode") with data.inventory as inventory(stack, null)
}

test_configured_mode_is_not_undecided if {
	not monitoring_stack.undecided with data.inventory as inventory(stack, {"cell": {"name": "a", "mode": "agency"}})
}

test_objects_read_from_a_live_cluster_are_judged if {
	live := [object.union(r, {"source": "cluster"}) | some r in stack; r.name != "loki"]
	not monitoring_stack.not_applicable with data.inventory as inventory(live, vpc)
	got := monitoring_stack.violation with data.inventory as inventory(live, vpc)
	some v in got
	v.evidence.component == "Loki"
}
