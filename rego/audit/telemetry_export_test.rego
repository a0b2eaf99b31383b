package kaze.audit.telemetry_export_test

import rego.v1

import data.kaze.audit.telemetry_export

config(allow) := {"cell": {"name": "c", "mode": "customer-vpc"}, "tenants": [{"name": "acme", "vertical": "finance", "namespaces": ["tenant-acme"], "dataPolicy": {"allowExport": allow}}]}

namespaces := {
	"monitoring": {"tenant": null, "plane": "system", "labels": {}},
	"tenant-acme": {"tenant": "acme", "plane": null, "labels": {}},
	"tenant-globex": {"tenant": "globex", "plane": null, "labels": {}},
}

inventory(resources, cfg) := {
	"resources": {r.id: r | some r in resources},
	"by_kind": {kind: [r.id | some r in resources; r.kind == kind] | some kind in {r.kind | some r in resources}},
	"namespaces": namespaces,
	"config": cfg,
}

resource(kind, ns, name, obj) := {
	"id": sprintf("%s/%s/%s", [kind, ns, name]),
	"apiVersion": "v1",
	"kind": kind,
	"namespace": ns,
	"name": name,
	"source": "kubernetes",
	"object": object.union({"kind": kind, "metadata": {"name": name, "namespace": ns}}, obj),
}

collector(exporters, pipelines) := resource("OpenTelemetryCollector", "monitoring", "cell", {"spec": {"config": {
	"receivers": {"otlp": {}},
	"exporters": exporters,
	"service": {"pipelines": pipelines},
}}})

in_cell := {
	"otlp/tempo": {"endpoint": "tempo.monitoring.svc.cluster.local:4317"},
	"otlphttp/loki": {"endpoint": "http://loki.monitoring.svc:3100/otlp"},
	"debug": null,
}

with_vendor := object.union(in_cell, {"otlphttp/vendor": {"endpoint": "https://otlp.vendor.example:4318"}})

pipelines(traces, logs, metrics) := {
	"traces": {"receivers": ["otlp"], "exporters": traces},
	"logs": {"receivers": ["otlp"], "exporters": logs},
	"metrics": {"receivers": ["otlp"], "exporters": metrics},
}

findings(resources, cfg) := found if {
	found := telemetry_export.violation with data.inventory as inventory(resources, cfg)
}

test_in_cell_backends_pass if {
	c := collector(in_cell, pipelines(["otlp/tempo", "debug"], ["otlphttp/loki"], ["debug"]))
	count(findings([c], config([]))) == 0
}

test_traces_to_vendor_fail if {
	c := collector(with_vendor, pipelines(["otlp/tempo", "otlphttp/vendor"], ["otlphttp/loki"], []))
	some v in findings([c], config([]))
	v.resource == "OpenTelemetryCollector/monitoring/cell"
	v.evidence.signal == "traces"
	v.evidence.destinations == ["https://otlp.vendor.example:4318"]
	v.evidence.refusing_tenants == ["acme"]
}

test_data_policy_allows_traces if {
	c := collector(with_vendor, pipelines(["otlp/tempo", "otlphttp/vendor"], ["otlphttp/loki"], []))
	count(findings([c], config(["traces"]))) == 0
}

test_data_policy_for_traces_does_not_allow_logs if {
	c := collector(with_vendor, pipelines(["otlp/tempo"], ["otlphttp/loki", "otlphttp/vendor"], []))
	some v in findings([c], config(["traces"]))
	v.evidence.signal == "logs"
}

test_metrics_are_out_of_scope if {
	c := collector(with_vendor, pipelines(["otlp/tempo"], ["otlphttp/loki"], ["otlphttp/vendor"]))
	count(findings([c], config([]))) == 0
}

test_named_pipelines_count if {
	c := collector(with_vendor, {"traces/sampled": {"exporters": ["otlphttp/vendor"]}})
	count(findings([c], config([]))) == 1
}

test_cluster_name_lookalike_is_outside if {
	exporters := {"otlp/tempo": {"endpoint": "tempo.monitoring.svc.cluster.local.evil.example:4317"}}
	c := collector(exporters, pipelines(["otlp/tempo"], [], []))
	count(findings([c], config([]))) == 1
}

test_vendor_exporter_without_endpoint_leaves_the_cell if {
	exporters := {"datadog": {"api": {"key": "${env:DD_API_KEY}"}}}
	c := collector(exporters, pipelines([], ["datadog"], []))
	some v in findings([c], config([]))
	v.evidence.destinations == ["the default endpoint of datadog"]
}

test_shared_collector_needs_every_tenant_to_allow if {
	two := {"tenants": [
		{"name": "acme", "vertical": "x", "dataPolicy": {"allowExport": ["traces"]}},
		{"name": "globex", "vertical": "x"},
	]}
	c := collector(with_vendor, pipelines(["otlphttp/vendor"], [], []))
	some v in findings([c], two)
	v.evidence.refusing_tenants == ["globex"]
}

test_tenant_collector_follows_its_tenant if {
	two := {"tenants": [
		{"name": "acme", "vertical": "x", "dataPolicy": {"allowExport": ["traces"]}},
		{"name": "globex", "vertical": "x"},
	]}
	c := object.union(collector(with_vendor, pipelines(["otlphttp/vendor"], [], [])), {"id": "OpenTelemetryCollector/tenant-acme/cell", "namespace": "tenant-acme"})
	count(findings([c], two)) == 0
}

test_without_tenants_nothing_may_leave if {
	c := collector(with_vendor, pipelines(["otlphttp/vendor"], [], []))
	some v in findings([c], null)
	contains(v.msg, "no client's data policy")
}

test_collector_configuration_in_a_config_map if {
	text := "exporters:\n  otlphttp/hub:\n    endpoint: https://otlp.hub.example\nservice:\n  pipelines:\n    logs:\n      receivers: [otlp]\n      exporters: [otlphttp/hub]\n"
	cm := resource("ConfigMap", "monitoring", "otel", {"data": {"config.yaml": text}})
	some v in findings([cm], config([]))
	v.resource == "ConfigMap/monitoring/otel"
	v.evidence.via == "pipeline logs, exporter otlphttp/hub"
}

test_collector_configuration_as_a_string if {
	text := "exporters:\n  otlp/x:\n    endpoint: collector.vendor.example:4317\nservice:\n  pipelines:\n    traces:\n      exporters: [otlp/x]\n"
	c := resource("OpenTelemetryCollector", "monitoring", "cell", {"spec": {"config": text}})
	count(findings([c], config([]))) == 1
}

test_fluent_bit_classic_outputs if {
	text := "[INPUT]\n    Name tail\n[OUTPUT]\n    Name  es\n    Match *\n    Host  logs.vendor.example\n[OUTPUT]\n    Name  loki\n    Match *\n[OUTPUT]\n    Name stdout\n    Match *\n[OUTPUT]\n    Name cloudwatch_logs\n    Match *\n"
	cm := resource("ConfigMap", "monitoring", "fluent-bit", {"data": {"fluent-bit.conf": text}})
	found := findings([cm], config([]))
	{v.evidence.via | some v in found} == {"Fluent Bit output es", "Fluent Bit output cloudwatch_logs"}
}

test_vector_sinks if {
	text := "sinks:\n  loki:\n    type: loki\n    endpoint: http://loki.monitoring.svc:3100\n  vendor:\n    type: http\n    uri: https://logs.vendor.example/in\n  metrics:\n    type: prometheus_remote_write\n    endpoint: https://metrics.vendor.example\n"
	cm := resource("ConfigMap", "monitoring", "vector", {"data": {"vector.yaml": text}})
	found := findings([cm], config([]))
	{v.evidence.via | some v in found} == {"Vector sink vendor"}
}

test_promtail_clients if {
	text := "clients:\n  - url: https://logs.vendor.example/loki/api/v1/push\nscrape_configs: []\n"
	cm := resource("ConfigMap", "monitoring", "promtail", {"data": {"promtail.yaml": text}})
	count(findings([cm], config([]))) == 1
	count(findings([cm], config(["logs"]))) == 0
}

test_workload_sdk_exporter if {
	env := [
		{"name": "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "value": "https://api.vendor.example"},
		{"name": "OTEL_EXPORTER_OTLP_ENDPOINT", "value": "http://otel-collector.monitoring.svc:4317"},
	]
	d := resource("Deployment", "tenant-acme", "agent", {"spec": {"template": {"spec": {"containers": [{"name": "agent", "image": "x", "env": env}]}}}})
	found := findings([d], config([]))
	{[v.evidence.signal, v.evidence.via] | some v in found} == {["traces", "container agent, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]}
}

test_invalid_collector_configuration_is_an_error if {
	cm := resource("ConfigMap", "monitoring", "otel", {"data": {"config.yaml": "exporters: [\n"}})
	some msg in telemetry_export.errors with data.inventory as inventory([cm], config([]))
	contains(msg, "not valid YAML")
}

test_target_without_kubernetes_is_not_applicable if {
	tf := {"id": "terraform/x/aws_s3_bucket.a", "apiVersion": "terraform", "kind": "aws_s3_bucket", "name": "a", "source": "terraform", "object": {}}
	telemetry_export.not_applicable with data.inventory as inventory([tf], config([]))
}
