package kaze.audit.telemetry_export_test

import rego.v1

import data.kaze.audit.telemetry_export

config(allow) := {
	"cell": {"name": "c", "mode": "customer-vpc"},
	"tenants": [{
		"name": "acme",
		"vertical": "finance",
		"namespaces": ["tenant-acme"],
		"dataPolicy": {"allowExport": allow},
	}],
}

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

# Collectors, and how many exports out of the cell each makes.
collector_cases := {
	"in-cell backends pass": [
		collector(in_cell, pipelines(["otlp/tempo", "debug"], ["otlphttp/loki"], ["debug"])),
		config([]),
		0,
	],
	"a data policy allows traces": [
		collector(with_vendor, pipelines(["otlp/tempo", "otlphttp/vendor"], ["otlphttp/loki"], [])),
		config(["traces"]),
		0,
	],
	"metrics are out of scope": [
		collector(with_vendor, pipelines(["otlp/tempo"], ["otlphttp/loki"], ["otlphttp/vendor"])),
		config([]),
		0,
	],
	"named pipelines count": [
		collector(with_vendor, {"traces/sampled": {"exporters": ["otlphttp/vendor"]}}),
		config([]),
		1,
	],
	"a cluster name lookalike is outside": [
		collector(
			{"otlp/tempo": {"endpoint": "tempo.monitoring.svc.cluster.local.evil.example:4317"}},
			pipelines(["otlp/tempo"], [], []),
		),
		config([]),
		1,
	],
	"a collector configuration as a string": [
		resource("OpenTelemetryCollector", "monitoring", "cell", {"spec": {"config": `exporters:
  otlp/x:
    endpoint: collector.vendor.example:4317
service:
  pipelines:
    traces:
      exporters: [otlp/x]
`}}),
		config([]),
		1,
	],
}

test_collector_exports[name] if {
	some name, [c, cfg, want] in collector_cases
	got := telemetry_export.violation with data.inventory as inventory([c], cfg)
	count(got) == want
}

test_traces_to_vendor_fail if {
	c := collector(with_vendor, pipelines(["otlp/tempo", "otlphttp/vendor"], ["otlphttp/loki"], []))
	got := telemetry_export.violation with data.inventory as inventory([c], config([]))
	some v in got
	v.resource == "OpenTelemetryCollector/monitoring/cell"
	v.evidence.signal == "traces"
	v.evidence.destinations == ["https://otlp.vendor.example:4318"]
	v.evidence.refusing_tenants == ["acme"]
}

test_data_policy_for_traces_does_not_allow_logs if {
	c := collector(with_vendor, pipelines(["otlp/tempo"], ["otlphttp/loki", "otlphttp/vendor"], []))
	got := telemetry_export.violation with data.inventory as inventory([c], config(["traces"]))
	some v in got
	v.evidence.signal == "logs"
}

test_vendor_exporter_without_endpoint_leaves_the_cell if {
	exporters := {"datadog": {"api": {"key": "${env:DD_API_KEY}"}}}
	c := collector(exporters, pipelines([], ["datadog"], []))
	got := telemetry_export.violation with data.inventory as inventory([c], config([]))
	some v in got
	v.evidence.destinations == ["the default endpoint of datadog"]
}

test_shared_collector_needs_every_tenant_to_allow if {
	two := {"tenants": [
		{"name": "acme", "vertical": "x", "dataPolicy": {"allowExport": ["traces"]}},
		{"name": "globex", "vertical": "x"},
	]}
	c := collector(with_vendor, pipelines(["otlphttp/vendor"], [], []))
	got := telemetry_export.violation with data.inventory as inventory([c], two)
	some v in got
	v.evidence.refusing_tenants == ["globex"]
}

test_tenant_collector_follows_its_tenant if {
	two := {"tenants": [
		{"name": "acme", "vertical": "x", "dataPolicy": {"allowExport": ["traces"]}},
		{"name": "globex", "vertical": "x"},
	]}
	c := object.union(
		collector(with_vendor, pipelines(["otlphttp/vendor"], [], [])),
		{"id": "OpenTelemetryCollector/tenant-acme/cell", "namespace": "tenant-acme"},
	)
	got := telemetry_export.violation with data.inventory as inventory([c], two)
	count(got) == 0
}

test_without_tenants_nothing_may_leave if {
	c := collector(with_vendor, pipelines(["otlphttp/vendor"], [], []))
	got := telemetry_export.violation with data.inventory as inventory([c], null)
	some v in got
	contains(v.msg, "no client's data policy")
}

test_collector_configuration_in_a_config_map if {
	text := `exporters:
  otlphttp/hub:
    endpoint: https://otlp.hub.example
service:
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [otlphttp/hub]
`
	cm := resource("ConfigMap", "monitoring", "otel", {"data": {"config.yaml": text}})
	got := telemetry_export.violation with data.inventory as inventory([cm], config([]))
	some v in got
	v.resource == "ConfigMap/monitoring/otel"
	v.evidence.via == "pipeline logs, exporter otlphttp/hub"
}

test_fluent_bit_classic_outputs if {
	text := `[INPUT]
    Name tail
[OUTPUT]
    Name  es
    Match *
    Host  logs.vendor.example
[OUTPUT]
    Name  loki
    Match *
[OUTPUT]
    Name stdout
    Match *
[OUTPUT]
    Name cloudwatch_logs
    Match *
`
	cm := resource("ConfigMap", "monitoring", "fluent-bit", {"data": {"fluent-bit.conf": text}})
	found := telemetry_export.violation with data.inventory as inventory([cm], config([]))
	{v.evidence.via | some v in found} == {"Fluent Bit output es", "Fluent Bit output cloudwatch_logs"}
}

test_vector_sinks if {
	text := `sinks:
  loki:
    type: loki
    endpoint: http://loki.monitoring.svc:3100
  vendor:
    type: http
    uri: https://logs.vendor.example/in
  metrics:
    type: prometheus_remote_write
    endpoint: https://metrics.vendor.example
`
	cm := resource("ConfigMap", "monitoring", "vector", {"data": {"vector.yaml": text}})
	found := telemetry_export.violation with data.inventory as inventory([cm], config([]))
	{v.evidence.via | some v in found} == {"Vector sink vendor"}
}

test_promtail_clients if {
	text := "clients:\n  - url: https://logs.vendor.example/loki/api/v1/push\nscrape_configs: []\n"
	cm := resource("ConfigMap", "monitoring", "promtail", {"data": {"promtail.yaml": text}})
	got := telemetry_export.violation with data.inventory as inventory([cm], config([]))
	count(got) == 1
	got2 := telemetry_export.violation with data.inventory as inventory([cm], config(["logs"]))
	count(got2) == 0
}

test_workload_sdk_exporter if {
	env := [
		{"name": "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "value": "https://api.vendor.example"},
		{"name": "OTEL_EXPORTER_OTLP_ENDPOINT", "value": "http://otel-collector.monitoring.svc:4317"},
	]
	d := resource("Deployment", "tenant-acme", "agent", {"spec": {"template": {"spec": {"containers": [{
		"name": "agent",
		"image": "x",
		"env": env,
	}]}}}})
	found := telemetry_export.violation with data.inventory as inventory([d], config([]))
	want := {["traces", "container agent, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]}
	{[v.evidence.signal, v.evidence.via] | some v in found} == want
}

test_invalid_collector_configuration_is_an_error if {
	cm := resource("ConfigMap", "monitoring", "otel", {"data": {"config.yaml": "exporters: [\n"}})
	some msg in telemetry_export.errors with data.inventory as inventory([cm], config([]))
	contains(msg, "not valid YAML")
}

test_target_without_kubernetes_is_not_applicable if {
	tf := {
		"id": "terraform/x/aws_s3_bucket.a",
		"apiVersion": "terraform",
		"kind": "aws_s3_bucket",
		"name": "a",
		"source": "terraform",
		"object": {},
	}
	telemetry_export.not_applicable with data.inventory as inventory([tf], config([]))
}
