# METADATA
# title: Logs, traces and request/response content leave the cell only when the client's data policy allows it
# description: >-
#   Agent logs and traces carry client data and LLM request/response content: by default they
#   stay in the cell (Loki, Tempo). An OpenTelemetry collector pipeline for logs or traces, a
#   log shipper (Fluent Bit, Vector, Promtail) or a workload's OTLP exporter that sends them to
#   a destination outside the cell (any host that is not a cluster service, or a vendor
#   exporter with its default endpoint) is allowed only when the data policy of every client
#   whose data it carries allows that signal (kaze-policy.yaml tenants[].dataPolicy.allowExport):
#   the tenant of the namespace, or every tenant for a shared or system namespace. Metrics are
#   outside this rule.
# custom:
#   id: KZ-AUD-04
#   severity: medium
#   scopes: [iac]
#   reference: "docs/requirements.md#observability-in-a-customer-vpc; docs/requirements.md#audit-trail"
#   remediation: >-
#     Remove the exporter from the logs or traces pipeline (or the log shipper's output), or
#     point it at an in-cell backend (a *.svc service such as Loki or Tempo); if the client has
#     agreed to the export, record it in kaze-policy.yaml under the tenant's
#     dataPolicy.allowExport.
#   frameworks:
#     soc2: [C1.1, CC6.7]
#     iso27001: [A.5.14, A.8.12]
#     nist80053: [AC-4, SC-7(10)]
package kaze.audit.telemetry_export

import rego.v1

import data.kaze.lib.coerce
import data.kaze.lib.k8s
import data.kaze.lib.naming
import data.kaze.lib.observability
import data.kaze.lib.tenancy

not_applicable := "no Kubernetes manifests in this target" if not observability.kubernetes_present

_checked_signals := {"logs", "traces"}

# ---------------------------------------------------------------------------------------
# Whose data, and what their data policies allow.

# The tenants whose data a resource carries: its namespace's tenant, or all of them.
_owners(r) := [t | some t in tenancy.tenants; t.name == tenancy.tenant_of(r.namespace)] if {
	tenancy.tenant_of(r.namespace)
}

_owners(r) := tenancy.tenants if not tenancy.tenant_of(r.namespace)

_refusing(r, signal) := [t.name | some t in _owners(r); not signal in object.get(t, ["dataPolicy", "allowExport"], [])]

_allowed(r, signal) if {
	count(_owners(r)) > 0
	count(_refusing(r, signal)) == 0
}

_who_refuses(r, signal) := sprintf(
	"the data policy of %s does not allow exporting %s",
	[concat(", ", _refusing(r, signal)), signal],
) if {
	count(_refusing(r, signal)) > 0
}

_who_refuses(r, signal) := sprintf(
	"no client's data policy allows exporting %s (kaze-policy.yaml names no tenant for it)",
	[signal],
) if {
	count(_owners(r)) == 0
}

# ---------------------------------------------------------------------------------------
# Hosts inside the cell: those of observability.in_cell_host, and 0.0.0.0 (a collector's
# own listening address).

_in_cell(host) if observability.in_cell_host(host)

_in_cell("0.0.0.0") := true

_outside(destination) if not _in_cell(observability.host_of(destination))

# ---------------------------------------------------------------------------------------
# Where an exporter or output sends: the destinations its configuration names. One that
# names none sends to its vendor's default endpoint, unless it writes locally.

_destination_keys := {
	"endpoint",
	"endpoints",
	"logsendpoint",
	"tracesendpoint",
	"url",
	"urls",
	"uri",
	"brokers",
	"bootstrapservers",
	"dsn",
	"host",
	"hosts",
	"address",
}

_destinations(config) := sort({d |
	walk(config, [path, value])
	count(path) > 0
	key := path[count(path) - 1]
	is_string(key)
	observability.norm(key) in _destination_keys
	some d in _strings(value)
})

_strings(value) := [value] if is_string(value)

_strings(value) := [s | some s in value; is_string(s)] if is_array(value)

_strings(value) := [] if {
	not is_string(value)
	not is_array(value)
}

_local_types := {"debug", "logging", "nop", "file", "stdout", "null", "console", "blackhole", "counter"}

# leaves(type, config) := the destinations outside the cell, or the vendor's default.
_leaves(_, config) := [d | some d in _destinations(config); _outside(d)] if count(_destinations(config)) > 0

_leaves(type, config) := [sprintf("the default endpoint of %s", [type])] if {
	count(_destinations(config)) == 0
	not type in _local_types
}

_leaves(type, config) := [] if {
	count(_destinations(config)) == 0
	type in _local_types
}

# ---------------------------------------------------------------------------------------
# The configurations: OpenTelemetryCollector resources, and collector, Vector, Promtail and
# Fluent Bit configurations in ConfigMaps and Secrets.

_parsed_texts := [object.union(entry, {"doc": yaml.unmarshal(entry.text)}) |
	some entry in observability.config_texts
	yaml.is_valid(entry.text)
]

_collector_configs := array.concat(
	[{"resource": r, "where": "", "config": config} |
		some r in k8s.resources_of_kind("OpenTelemetryCollector")
		config := _collector_spec_config(r)
	],
	[{"resource": entry.resource, "where": sprintf(" (%s)", [entry.key]), "config": entry.doc} |
		some entry in _parsed_texts
		is_object(entry.doc)
		is_object(object.get(entry.doc, ["service", "pipelines"], null))
	],
)

_collector_spec_config(r) := config if {
	config := object.get(r.object, ["spec", "config"], null)
	is_object(config)
}

_collector_spec_config(r) := config if {
	text := object.get(r.object, ["spec", "config"], null)
	is_string(text)
	yaml.is_valid(text)
	config := yaml.unmarshal(text)
	is_object(config)
}

errors contains msg if {
	some entry in observability.config_texts
	not yaml.is_valid(entry.text)
	regex.match(`(?m)^\s*(exporters|sinks|clients|pipeline)\s*:`, entry.text)
	msg := sprintf(
		"%s %s: %s looks like a telemetry configuration but is not valid YAML, so its exporters cannot be checked",
		[entry.resource.kind, naming.display(entry.resource), entry.key],
	)
}

errors contains msg if {
	some r in k8s.resources_of_kind("OpenTelemetryCollector")
	text := object.get(r.object, ["spec", "config"], null)
	is_string(text)
	not yaml.is_valid(text)
	msg := sprintf(
		"OpenTelemetryCollector %s: spec.config is not valid YAML, so its exporters cannot be checked",
		[naming.display(r)],
	)
}

# Every export: who, through what, which signal, to which destinations outside the cell.
_exports := [e | some part in [_collector_exports, _shipper_exports, _sdk_exports]; some e in part]

_collector_exports := [e |
	some c in _collector_configs
	some pipeline, spec in coerce.as_object(object.get(c.config, ["service", "pipelines"], {}))
	signal := split(pipeline, "/")[0]
	signal in _checked_signals
	some id in coerce.as_list(object.get(coerce.as_object(spec), "exporters", []))
	is_string(id)
	id in object.keys(coerce.as_object(object.get(c.config, "exporters", {})))
	config := object.get(c.config, ["exporters", id], {})
	outside_to := _leaves(split(id, "/")[0], config)
	count(outside_to) > 0
	e := {
		"resource": c.resource,
		"what": sprintf("%s %s%s", [c.resource.kind, naming.display(c.resource), c.where]),
		"via": sprintf("pipeline %s, exporter %s", [pipeline, id]),
		"signal": signal,
		"to": outside_to,
	}
]

# Vector: every sink but the metrics ones; Promtail: every client; Fluent Bit (YAML): every output.
_vector_metric_sinks := {
	"prometheus_remote_write",
	"prometheus_exporter",
	"statsd",
	"datadog_metrics",
	"influxdb_metrics",
	"aws_cloudwatch_metrics",
	"gcp_stackdriver_metrics",
	"appsignal",
	"honeycomb",
}

_shipper_outputs := [output |
	some part in [_vector_outputs, _promtail_outputs, _fluent_bit_outputs, _fluent_bit_classic_outputs]
	some output in part
]

_vector_outputs := [[entry, sprintf("Vector sink %s", [name]), type, sink, "vector"] |
	some entry in _parsed_texts
	is_object(entry.doc)
	some name, sink in coerce.as_object(object.get(entry.doc, "sinks", {}))
	is_object(sink)
	type := object.get(sink, "type", "unknown")
	not type in _vector_metric_sinks
]

_promtail_outputs := [[entry, sprintf("Promtail client %d", [i]), "promtail", client, "promtail"] |
	some entry in _parsed_texts
	is_object(entry.doc)
	"scrape_configs" in object.keys(entry.doc)
	some i, client in coerce.as_list(object.get(entry.doc, "clients", []))
]

_fluent_bit_outputs := [[entry, sprintf("Fluent Bit output %s", [type]), type, output, "fluent-bit"] |
	some entry in _parsed_texts
	is_object(entry.doc)
	some output in coerce.as_list(object.get(entry.doc, ["pipeline", "outputs"], []))
	is_object(output)
	name := object.get(output, "name", "unknown")
	is_string(name)
	type := lower(name)
]

# Fluent Bit's classic format: [OUTPUT] sections of `Key Value` lines.
_fluent_bit_classic_outputs := [[entry, sprintf("Fluent Bit output %s", [type]), type, output, "fluent-bit"] |
	some entry in observability.config_texts
	not _yaml_object(entry.text)
	some section in regex.split(`(?m)^\s*\[`, entry.text)
	regex.match(`(?i)^OUTPUT\s*\]`, section)
	pairs := [[lower(kv[1]), trim_space(kv[2])] |
		some kv in regex.find_all_string_submatch_n(`(?m)^[ \t]*([A-Za-z_][A-Za-z0-9_.]*)[ \t]+([^\r\n]*)$`, section, -1)
	]
	output := {key: values[0] |
		some key in {pair[0] | some pair in pairs}
		values := [pair[1] | some pair in pairs; pair[0] == key]
	}
	type := lower(object.get(output, "name", "unknown"))
]

_yaml_object(text) if {
	yaml.is_valid(text)
	is_object(yaml.unmarshal(text))
}

# Fluent Bit sends to 127.0.0.1 when an output names no host; its cloud outputs to the cloud.
_fluent_bit_cloud := {
	"cloudwatch_logs",
	"kinesis_firehose",
	"kinesis_streams",
	"s3",
	"stackdriver",
	"azure",
	"azure_blob",
	"azure_kusto",
	"azure_logs_ingestion",
	"datadog",
	"bigquery",
	"newrelic",
	"logdna",
	"oracle_log_analytics",
	"chronicle",
}

_shipper_leaves(shipper, type, config) := _leaves(type, config) if not _fluent_bit_default_local(shipper, type, config)

_shipper_leaves(shipper, type, config) := [] if _fluent_bit_default_local(shipper, type, config)

_fluent_bit_default_local("fluent-bit", type, config) if {
	not type in _fluent_bit_cloud
	count(_destinations(config)) == 0
}

_shipper_exports := [e |
	some output in _shipper_outputs
	entry := output[0]
	outside_to := _shipper_leaves(output[4], output[2], output[3])
	count(outside_to) > 0
	e := {
		"resource": entry.resource,
		"what": sprintf("%s %s (%s)", [entry.resource.kind, naming.display(entry.resource), entry.key]),
		"via": output[1],
		"signal": "logs",
		"to": outside_to,
	}
]

# A workload's OpenTelemetry SDK exporting straight out of the cell.
_sdk_variables := {
	"OTEL_EXPORTER_OTLP_ENDPOINT": ["logs", "traces"],
	"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": ["traces"],
	"OTEL_EXPORTER_OTLP_LOGS_ENDPOINT": ["logs"],
}

_sdk_exports := [e |
	some kind in k8s.workload_kinds
	some r in k8s.resources_of_kind(kind)
	some container in k8s.pod_containers(r.object)
	some env in coerce.as_list(object.get(container, "env", []))
	is_object(env)
	signals := _sdk_variables[env.name]
	value := object.get(env, "value", null)
	is_string(value)
	_outside(value)
	some signal in signals
	e := {
		"resource": r,
		"what": sprintf("%s %s", [r.kind, naming.display(r)]),
		"via": sprintf("container %s, %s", [container.name, env.name]),
		"signal": signal,
		"to": [value],
	}
]

violation contains v if {
	some e in _exports
	not _allowed(e.resource, e.signal)
	v := {
		"msg": sprintf(
			concat("", [
				"%s exports %s outside the cell (%s, to %s), and %s: remove that exporter or point it at an in-cell backend, ",
				"or record the client's consent in its dataPolicy.allowExport",
			]),
			[e.what, e.signal, e.via, concat(", ", e.to), _who_refuses(e.resource, e.signal)],
		),
		"resource": e.resource.id,
		"evidence": {
			"signal": e.signal,
			"via": e.via,
			"destinations": e.to,
			"refusing_tenants": _refusing(e.resource, e.signal),
		},
	}
}
