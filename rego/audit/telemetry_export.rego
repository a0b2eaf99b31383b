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
import data.kaze.lib.tenancy

not_applicable := "no Kubernetes manifests in this target" if not kubernetes_present

kubernetes_present if {
	some ids in data.inventory.by_kind
	count(ids) > 0
	data.inventory.resources[ids[0]].source in {"kubernetes", "kustomize", "cluster", "snapshot"}
}

checked_signals := {"logs", "traces"}

# ---------------------------------------------------------------------------------------
# Whose data, and what their data policies allow.

tenants := object.get(tenancy.config, "tenants", [])

# The tenants whose data a resource carries: its namespace's tenant, or all of them.
owners(r) := [t | some t in tenants; t.name == tenancy.tenant_of(r.namespace)] if tenancy.tenant_of(r.namespace)

owners(r) := tenants if not tenancy.tenant_of(r.namespace)

refusing(r, signal) := [t.name | some t in owners(r); not signal in object.get(t, ["dataPolicy", "allowExport"], [])]

allowed(r, signal) if {
	count(owners(r)) > 0
	count(refusing(r, signal)) == 0
}

who_refuses(r, signal) := sprintf("the data policy of %s does not allow exporting %s", [concat(", ", refusing(r, signal)), signal]) if count(refusing(r, signal)) > 0

who_refuses(r, signal) := sprintf("no client's data policy allows exporting %s (kaze-policy.yaml names no tenant for it)", [signal]) if count(owners(r)) == 0

# ---------------------------------------------------------------------------------------
# Hosts inside the cell: cluster DNS names (…svc, …svc.cluster.local), bare service names
# and loopback. Anything else, including a name that merely starts like a cluster name,
# resolves outside.

host_of(url) := lower(trim_suffix(host, ".")) if {
	rest := trim_left(regex.replace(trim_space(url), `^[A-Za-z][A-Za-z0-9+.-]*://`, ""), "/")
	authority := split(rest, "/")[0]
	parts := split(authority, "@")
	hostport := parts[count(parts) - 1]
	host := host_without_port(hostport)
}

host_without_port(hostport) := trim_suffix(trim_prefix(split(hostport, "]")[0], "["), "]") if startswith(hostport, "[")

host_without_port(hostport) := regex.replace(hostport, `:[0-9]*$`, "") if not startswith(hostport, "[")

dns_label := `[a-z0-9]([-a-z0-9]*[a-z0-9])?`

in_cell_host(host) if regex.match(concat("", [`^`, dns_label, `$`]), host)

in_cell_host(host) if regex.match(concat("", [`^(`, dns_label, `\.)+(svc|svc\.cluster\.local)$`]), host)

in_cell_host(host) if host in {"localhost", "::1", "0.0.0.0"}

in_cell_host(host) if regex.match(`^127\.[0-9]+\.[0-9]+\.[0-9]+$`, host)

outside(destination) if not in_cell_host(host_of(destination))

# ---------------------------------------------------------------------------------------
# Where an exporter or output sends: the destinations its configuration names. One that
# names none sends to its vendor's default endpoint, unless it writes locally.

norm(key) := lower(replace(key, "_", ""))

destination_keys := {"endpoint", "endpoints", "logsendpoint", "tracesendpoint", "url", "urls", "uri", "brokers", "bootstrapservers", "dsn", "host", "hosts", "address"}

destinations(config) := sort({d |
	walk(config, [path, value])
	count(path) > 0
	key := path[count(path) - 1]
	is_string(key)
	norm(key) in destination_keys
	some d in strings(value)
})

strings(value) := [value] if is_string(value)

strings(value) := [s | some s in value; is_string(s)] if is_array(value)

strings(value) := [] if {
	not is_string(value)
	not is_array(value)
}

local_types := {"debug", "logging", "nop", "file", "stdout", "null", "console", "blackhole", "counter"}

# leaves(type, config) := the destinations outside the cell, or the vendor's default.
leaves(_, config) := [d | some d in destinations(config); outside(d)] if count(destinations(config)) > 0

leaves(type, config) := [sprintf("the default endpoint of %s", [type])] if {
	count(destinations(config)) == 0
	not type in local_types
}

leaves(type, config) := [] if {
	count(destinations(config)) == 0
	type in local_types
}

# ---------------------------------------------------------------------------------------
# The configurations: OpenTelemetryCollector resources, and collector, Vector, Promtail and
# Fluent Bit configurations in ConfigMaps and Secrets.

texts := array.concat(
	[{"resource": r, "key": key, "text": text} |
		some r in k8s.resources_of_kind("ConfigMap")
		some key, text in coerce.as_object(object.get(r.object, "data", {}))
		is_string(text)
	],
	array.concat(
		[{"resource": r, "key": key, "text": text} |
			some r in k8s.resources_of_kind("Secret")
			some key, text in coerce.as_object(object.get(r.object, "stringData", {}))
			is_string(text)
		],
		[{"resource": r, "key": key, "text": base64.decode(encoded)} |
			some r in k8s.resources_of_kind("Secret")
			some key, encoded in coerce.as_object(object.get(r.object, "data", {}))
			is_string(encoded)
			base64.is_valid(encoded)
		],
	),
)

parsed_texts := [object.union(entry, {"doc": yaml.unmarshal(entry.text)}) |
	some entry in texts
	yaml.is_valid(entry.text)
]

collector_configs := array.concat(
	[{"resource": r, "where": "", "config": config} |
		some r in k8s.resources_of_kind("OpenTelemetryCollector")
		config := collector_spec_config(r)
	],
	[{"resource": entry.resource, "where": sprintf(" (%s)", [entry.key]), "config": entry.doc} |
		some entry in parsed_texts
		is_object(entry.doc)
		is_object(object.get(entry.doc, ["service", "pipelines"], null))
	],
)

collector_spec_config(r) := config if {
	config := object.get(r.object, ["spec", "config"], null)
	is_object(config)
}

collector_spec_config(r) := config if {
	text := object.get(r.object, ["spec", "config"], null)
	is_string(text)
	yaml.is_valid(text)
	config := yaml.unmarshal(text)
	is_object(config)
}

errors contains msg if {
	some entry in texts
	not yaml.is_valid(entry.text)
	regex.match(`(?m)^\s*(exporters|sinks|clients|pipeline)\s*:`, entry.text)
	msg := sprintf("%s %s: %s looks like a telemetry configuration but is not valid YAML, so its exporters cannot be checked", [entry.resource.kind, naming.display(entry.resource), entry.key])
}

errors contains msg if {
	some r in k8s.resources_of_kind("OpenTelemetryCollector")
	text := object.get(r.object, ["spec", "config"], null)
	is_string(text)
	not yaml.is_valid(text)
	msg := sprintf("OpenTelemetryCollector %s: spec.config is not valid YAML, so its exporters cannot be checked", [naming.display(r)])
}

# Every export: who, through what, which signal, to which destinations outside the cell.
exports := array.concat(
	array.concat(collector_exports, shipper_exports),
	sdk_exports,
)

collector_exports := [e |
	some c in collector_configs
	some pipeline, spec in coerce.as_object(object.get(c.config, ["service", "pipelines"], {}))
	signal := split(pipeline, "/")[0]
	signal in checked_signals
	some id in coerce.as_list(object.get(coerce.as_object(spec), "exporters", []))
	is_string(id)
	id in object.keys(coerce.as_object(object.get(c.config, "exporters", {})))
	config := object.get(c.config, ["exporters", id], {})
	outside_to := leaves(split(id, "/")[0], config)
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
vector_metric_sinks := {"prometheus_remote_write", "prometheus_exporter", "statsd", "datadog_metrics", "influxdb_metrics", "aws_cloudwatch_metrics", "gcp_stackdriver_metrics", "appsignal", "honeycomb"}

shipper_outputs := array.concat(
	array.concat(
		[[entry, sprintf("Vector sink %s", [name]), type, sink, "vector"] |
			some entry in parsed_texts
			is_object(entry.doc)
			some name, sink in coerce.as_object(object.get(entry.doc, "sinks", {}))
			is_object(sink)
			type := object.get(sink, "type", "unknown")
			not type in vector_metric_sinks
		],
		[[entry, sprintf("Promtail client %d", [i]), "promtail", client, "promtail"] |
			some entry in parsed_texts
			is_object(entry.doc)
			"scrape_configs" in object.keys(entry.doc)
			some i, client in coerce.as_list(object.get(entry.doc, "clients", []))
		],
	),
	array.concat(
		[[entry, sprintf("Fluent Bit output %s", [type]), type, output, "fluent-bit"] |
			some entry in parsed_texts
			is_object(entry.doc)
			some output in coerce.as_list(object.get(entry.doc, ["pipeline", "outputs"], []))
			is_object(output)
			name := object.get(output, "name", "unknown")
			is_string(name)
			type := lower(name)
		],
		fluent_bit_classic_outputs,
	),
)

# Fluent Bit's classic format: [OUTPUT] sections of `Key Value` lines.
fluent_bit_classic_outputs := [[entry, sprintf("Fluent Bit output %s", [type]), type, output, "fluent-bit"] |
	some entry in texts
	not yaml_object(entry.text)
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

yaml_object(text) if {
	yaml.is_valid(text)
	is_object(yaml.unmarshal(text))
}

# Fluent Bit sends to 127.0.0.1 when an output names no host; its cloud outputs to the cloud.
fluent_bit_cloud := {"cloudwatch_logs", "kinesis_firehose", "kinesis_streams", "s3", "stackdriver", "azure", "azure_blob", "azure_kusto", "azure_logs_ingestion", "datadog", "bigquery", "newrelic", "logdna", "oracle_log_analytics", "chronicle"}

shipper_leaves(product, type, config) := leaves(type, config) if not fluent_bit_default_local(product, type, config)

shipper_leaves(product, type, config) := [] if fluent_bit_default_local(product, type, config)

fluent_bit_default_local("fluent-bit", type, config) if {
	not type in fluent_bit_cloud
	count(destinations(config)) == 0
}

shipper_exports := [e |
	some output in shipper_outputs
	entry := output[0]
	outside_to := shipper_leaves(output[4], output[2], output[3])
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
sdk_variables := {
	"OTEL_EXPORTER_OTLP_ENDPOINT": ["logs", "traces"],
	"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": ["traces"],
	"OTEL_EXPORTER_OTLP_LOGS_ENDPOINT": ["logs"],
}

sdk_exports := [e |
	some kind in k8s.workload_kinds
	some r in k8s.resources_of_kind(kind)
	some container in k8s.pod_containers(r.object)
	some env in coerce.as_list(object.get(container, "env", []))
	is_object(env)
	signals := sdk_variables[env.name]
	value := object.get(env, "value", null)
	is_string(value)
	outside(value)
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
	some e in exports
	not allowed(e.resource, e.signal)
	v := {
		"msg": sprintf("%s exports %s outside the cell (%s, to %s), and %s: remove that exporter or point it at an in-cell backend, or record the client's consent in its dataPolicy.allowExport", [e.what, e.signal, e.via, concat(", ", e.to), who_refuses(e.resource, e.signal)]),
		"resource": e.resource.id,
		"evidence": {"signal": e.signal, "via": e.via, "destinations": e.to, "refusing_tenants": refusing(e.resource, e.signal)},
	}
}
