# METADATA
# title: Every customer-VPC cell runs its own monitoring stack and OpenTelemetry collector
# description: >-
#   In a customer VPC, metrics, logs and traces stay inside the VPC: only the health beacon
#   leaves it, and operators look at the cell's own dashboards over the VPN. That works only
#   when the cell runs the whole monitoring stack itself: Prometheus, Grafana, Loki,
#   Alertmanager and an OpenTelemetry collector. A component that is declared but scaled to
#   zero replicas does not run.
# custom:
#   id: KZ-AUD-03
#   severity: medium
#   scopes: [iac, cluster]
#   whole_cell: true
#   reference: "docs/requirements.md#observability-in-a-customer-vpc"
#   remediation: >-
#     Deploy the missing component in the cell (the base's monitoring stack: Prometheus,
#     Grafana, Loki, Alertmanager and the OpenTelemetry collector, as workloads or operator
#     resources) with at least one replica.
#   frameworks:
#     soc2: [CC7.2]
#     iso27001: [A.8.16, A.8.15]
#     nist80053: [SI-4, AU-6]
package kaze.audit.monitoring_stack

import rego.v1

import data.kaze.lib.coerce
import data.kaze.lib.k8s
import data.kaze.lib.naming
import data.kaze.lib.observability
import data.kaze.lib.tenancy

not_applicable := "no kaze-policy.yaml says whether this cell is a customer VPC (cell.mode)" if {
	tenancy.cell_mode == null
}

not_applicable := sprintf("the cell is in %v mode: the rule is about customer-VPC cells", [tenancy.cell_mode]) if {
	tenancy.cell_mode != null
	tenancy.cell_mode != "customer-vpc"
}

not_applicable := "no Kubernetes manifests or cluster snapshot in this target" if {
	tenancy.cell_mode == "customer-vpc"
	not observability.kubernetes_present
}

# In agency mode nothing of this rule applies: without the mode, nothing is certain. Undecided
# marks that the configuration left it open (when there are manifests to judge).
undecided := not_applicable if {
	tenancy.cell_mode == null
	observability.kubernetes_present
}

# The components, and the names by which a workload, its labels or its image say it is one.
_components := {
	"Prometheus": {"prometheus"},
	"Grafana": {"grafana"},
	"Loki": {"loki"},
	"Alertmanager": {"alertmanager"},
	"OpenTelemetry collector": {
		"opentelemetry-collector",
		"opentelemetry-collector-contrib",
		"otel-collector",
		"otelcol",
		"otelcol-contrib",
	},
}

_component_of_name[name] := component if {
	some component, names in _components
	some name in names
}

# Operator resources that stand for a component: kind and API group.
_operator_kinds := {
	"Prometheus": {"kind": "Prometheus", "group": "monitoring.coreos.com"},
	"Alertmanager": {"kind": "Alertmanager", "group": "monitoring.coreos.com"},
	"Grafana": {"kind": "Grafana", "group": "grafana.integreatly.org"},
	"Loki": {"kind": "LokiStack", "group": "loki.grafana.com"},
	"OpenTelemetry collector": {"kind": "OpenTelemetryCollector", "group": "opentelemetry.io"},
}

_workload_kinds := ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Pod"]

_group_of(r) := split(object.get(r, "apiVersion", ""), "/")[0]

# Every resource that declares a component: [component, resource].
_declared := array.concat(
	[[component, r] |
		some component, wanted in _operator_kinds
		some r in k8s.resources_of_kind(wanted.kind)
		_group_of(r) == wanted.group
	],
	[[component, r] |
		some kind in _workload_kinds
		some r in k8s.resources_of_kind(kind)
		some component in _workload_components(r.object)
	],
)

_label_keys := ["app.kubernetes.io/name", "app", "k8s-app"]

# The components a workload is, by its name, its (pod template's) labels or its images.
# Lookups only: this runs on every workload of the target.
_workload_components(obj) := {component |
	labels := k8s.labels(obj)
	pod_labels := object.get(obj, ["spec", "template", "metadata", "labels"], {})
	names := [name |
		some part in [
			[k8s.name(obj)],
			[labels[k] | some k in _label_keys],
			[pod_labels[k] | some k in _label_keys],
			[_image_name(c.image) | some c in k8s.pod_containers(obj); is_string(c.image)],
		]
		some name in part
	]
	some name in names
	component := _component_of_name[name]
}

# registry.kaze.io/kaze/grafana:11@sha256:… → grafana
_image_name(image) := split(path[count(path) - 1], ":")[0] if path := split(split(image, "@")[0], "/")

_replicas(r) := object.get(r.object, ["spec", "replicas"], 1)

# An OpenTelemetryCollector in daemonset mode, a DaemonSet or a Pod runs regardless of replicas.
_runs(r) if r.kind in {"DaemonSet", "Pod", "LokiStack", "Grafana"}

_runs(r) if {
	r.kind == "OpenTelemetryCollector"
	r.object.spec.mode == "daemonset"
}

_runs(r) if {
	not r.kind in {"DaemonSet", "Pod", "LokiStack", "Grafana"}
	object.get(r.object, ["spec", "mode"], "deployment") != "daemonset"
	_replicas(r) != 0
}

# A live cluster snapshot lists running pods and their containers.
_running_in_snapshot(component) if {
	some snapshot in k8s.resources_of_kind("ClusterProbeSnapshot")
	some pod in coerce.as_list(object.get(snapshot.object, "pods", []))
	some container in coerce.as_list(object.get(coerce.as_object(pod), "containers", []))
	container in _components[component]
}

_running(component) if {
	some pair in _declared
	pair[0] == component
	_runs(pair[1])
}

_running(component) if _running_in_snapshot(component)

violation contains v if {
	tenancy.cell_mode == "customer-vpc"
	some component, _ in _components
	not _running(component)
	count([pair | some pair in _declared; pair[0] == component]) == 0
	v := {
		"msg": sprintf(
			"The customer-VPC cell %v runs no %s: deploy it in the cell, so that its monitoring stays inside the VPC",
			[object.get(tenancy.config, ["cell", "name"], "?"), component],
		),
		"resource": "kaze-policy.yaml",
		"evidence": {"component": component, "cell_mode": tenancy.cell_mode, "looked_for": sort(_components[component])},
	}
}

violation contains v if {
	tenancy.cell_mode == "customer-vpc"
	some component, _ in _components
	not _running(component)
	some pair in _declared
	pair[0] == component
	r := pair[1]
	v := {
		"msg": sprintf(
			"%s %s (%s) has %v replicas, so the customer-VPC cell runs no %s: give it at least one replica",
			[r.kind, naming.display(r), component, _replicas(r), component],
		),
		"resource": r.id,
		"evidence": {"component": component, "replicas": _replicas(r)},
	}
}
