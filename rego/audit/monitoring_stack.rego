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
import data.kaze.lib.tenancy

mode := object.get(tenancy.config, ["cell", "mode"], null)

not_applicable := "no kaze-policy.yaml says whether this cell is a customer VPC (cell.mode)" if mode == null

# In agency mode nothing of this rule applies: without the mode, nothing is certain. Undecided
# marks that the configuration left it open (when there are manifests to judge).
undecided := not_applicable if {
	mode == null
	kubernetes_present
}

not_applicable := sprintf("the cell is in %v mode: the rule is about customer-VPC cells", [mode]) if {
	mode != null
	mode != "customer-vpc"
}

not_applicable := "no Kubernetes manifests or cluster snapshot in this target" if {
	mode == "customer-vpc"
	not kubernetes_present
}

kubernetes_present if {
	some ids in data.inventory.by_kind
	count(ids) > 0
	data.inventory.resources[ids[0]].source in {"kubernetes", "kustomize", "cluster", "snapshot"}
}

# The components, and the names by which a workload, its labels or its image say it is one.
components := {
	"Prometheus": {"prometheus"},
	"Grafana": {"grafana"},
	"Loki": {"loki"},
	"Alertmanager": {"alertmanager"},
	"OpenTelemetry collector": {"opentelemetry-collector", "opentelemetry-collector-contrib", "otel-collector", "otelcol", "otelcol-contrib"},
}

component_of_name := {name: component | some component, names in components; some name in names}

# Operator resources that stand for a component: kind and API group.
operator_kinds := {
	"Prometheus": {"kind": "Prometheus", "group": "monitoring.coreos.com"},
	"Alertmanager": {"kind": "Alertmanager", "group": "monitoring.coreos.com"},
	"Grafana": {"kind": "Grafana", "group": "grafana.integreatly.org"},
	"Loki": {"kind": "LokiStack", "group": "loki.grafana.com"},
	"OpenTelemetry collector": {"kind": "OpenTelemetryCollector", "group": "opentelemetry.io"},
}

workload_kinds := ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Pod"]

group_of(r) := split(object.get(r, "apiVersion", ""), "/")[0]

# Every resource that declares a component: [component, resource].
declared := array.concat(
	[[component, r] |
		some component, wanted in operator_kinds
		some r in k8s.resources_of_kind(wanted.kind)
		group_of(r) == wanted.group
	],
	[[component, r] |
		some kind in workload_kinds
		some r in k8s.resources_of_kind(kind)
		some component in workload_components(r.object)
	],
)

label_keys := ["app.kubernetes.io/name", "app", "k8s-app"]

# The components a workload is, by its name, its (pod template's) labels or its images.
# Lookups only: this runs on every workload of the target.
workload_components(obj) := {component |
	labels := k8s.labels(obj)
	pod_labels := object.get(obj, ["spec", "template", "metadata", "labels"], {})
	names := array.concat([k8s.name(obj)], array.concat([labels[k] | some k in label_keys], [pod_labels[k] | some k in label_keys]))
	some name in array.concat(names, [image_name(c.image) | some c in k8s.pod_containers(obj); is_string(c.image)])
	component := component_of_name[name]
}

# registry.kaze.io/kaze/grafana:11@sha256:… → grafana
image_name(image) := split(path[count(path) - 1], ":")[0] if path := split(split(image, "@")[0], "/")

replicas(r) := object.get(r.object, ["spec", "replicas"], 1)

# An OpenTelemetryCollector in daemonset mode, a DaemonSet or a Pod runs regardless of replicas.
runs(r) if r.kind in {"DaemonSet", "Pod", "LokiStack", "Grafana"}

runs(r) if {
	r.kind == "OpenTelemetryCollector"
	object.get(r.object, ["spec", "mode"], "deployment") == "daemonset"
}

runs(r) if {
	not r.kind in {"DaemonSet", "Pod", "LokiStack", "Grafana"}
	not object.get(r.object, ["spec", "mode"], "deployment") == "daemonset"
	replicas(r) != 0
}

# A live cluster snapshot lists running pods and their containers.
running_in_snapshot(component) if {
	some snapshot in k8s.resources_of_kind("ClusterProbeSnapshot")
	some pod in coerce.as_list(object.get(snapshot.object, "pods", []))
	some container in coerce.as_list(object.get(coerce.as_object(pod), "containers", []))
	container in components[component]
}

running(component) if {
	some pair in declared
	pair[0] == component
	runs(pair[1])
}

running(component) if running_in_snapshot(component)

violation contains v if {
	mode == "customer-vpc"
	some component, _ in components
	not running(component)
	count([r | some pair in declared; pair[0] == component; r := pair[1]]) == 0
	v := {
		"msg": sprintf("The customer-VPC cell %v runs no %s: deploy it in the cell, so that its monitoring stays inside the VPC", [object.get(tenancy.config, ["cell", "name"], "?"), component]),
		"resource": "kaze-policy.yaml",
		"evidence": {"component": component, "cell_mode": mode, "looked_for": sort(components[component])},
	}
}

violation contains v if {
	mode == "customer-vpc"
	some component, _ in components
	not running(component)
	some pair in declared
	pair[0] == component
	r := pair[1]
	v := {
		"msg": sprintf("%s %s (%s) has %v replicas, so the customer-VPC cell runs no %s: give it at least one replica", [r.kind, naming.display(r), component, replicas(r), component]),
		"resource": r.id,
		"evidence": {"component": component, "replicas": replicas(r)},
	}
}
