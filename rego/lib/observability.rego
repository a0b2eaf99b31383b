# METADATA
# title: Observability configuration helpers
# description: >-
#   What the audit controls about alerting and telemetry (KZ-AUD-02, KZ-AUD-03, KZ-AUD-04)
#   read alike: the texts of ConfigMaps and Secrets (where alertmanager.yaml, collector,
#   Vector, Promtail and Fluent Bit configurations live), configuration keys in either
#   spelling (group_by, groupBy), the host a URL names and whether it stays in the cell.
#   The texts walk every ConfigMap and Secret: only cross-resource controls import this.
package kaze.lib.observability

import rego.v1

import data.kaze.lib.coerce
import data.kaze.lib.k8s

# METADATA
# title: kubernetes_present
# description: The target holds Kubernetes manifests or a cluster snapshot.
kubernetes_present if {
	some ids in data.inventory.by_kind
	count(ids) > 0
	data.inventory.resources[ids[0]].source in {"kubernetes", "kustomize", "cluster", "snapshot"}
}

# METADATA
# title: config_texts
# description: >-
#   Every text of a ConfigMap (data) or Secret (stringData, and data that is valid base64,
#   decoded), as {resource, key, text}: ConfigMaps first, then Secrets' stringData, then
#   their data.
config_texts := [entry |
	some source in _text_sources
	some r in k8s.resources_of_kind(source.kind)
	some key, value in coerce.as_object(object.get(r.object, source.field, {}))
	is_string(value)
	text := _text(value, source.encoded)
	entry := {"resource": r, "key": key, "text": text}
]

_text_sources := [
	{"kind": "ConfigMap", "field": "data", "encoded": false},
	{"kind": "Secret", "field": "stringData", "encoded": false},
	{"kind": "Secret", "field": "data", "encoded": true},
]

_text(value, false) := value

_text(value, true) := base64.decode(value) if base64.is_valid(value)

# METADATA
# title: norm
# description: >-
#   A configuration key in either spelling, for comparison: lower case without underscores
#   (group_by and groupBy are both "groupby").
norm(key) := lower(replace(key, "_", ""))

# METADATA
# title: host_of
# description: >-
#   The host a URL (or a bare host[:port]) names, lower case and without a trailing dot,
#   port, user or brackets: "https://u@Loki.svc.:3100/x" gives "loki.svc".
host_of(url) := lower(trim_suffix(host, ".")) if {
	rest := trim_left(regex.replace(trim_space(url), `^[A-Za-z][A-Za-z0-9+.-]*://`, ""), "/")
	authority := split(rest, "/")[0]
	parts := split(authority, "@")
	hostport := parts[count(parts) - 1]
	host := _host_without_port(hostport)
}

_host_without_port(hostport) := trim_suffix(trim_prefix(split(hostport, "]")[0], "["), "]") if {
	startswith(hostport, "[")
}

_host_without_port(hostport) := regex.replace(hostport, `:[0-9]*$`, "") if not startswith(hostport, "[")

_dns_label := `[a-z0-9]([-a-z0-9]*[a-z0-9])?`

# METADATA
# title: in_cell_host
# scope: document
# description: >-
#   The host (as host_of gives it) resolves inside the cell: a bare service name, a cluster
#   DNS name (…svc, …svc.cluster.local) or loopback. Anything else, including a name that
#   merely starts like a cluster name, resolves outside.
in_cell_host(host) if regex.match(concat("", [`^`, _dns_label, `$`]), host)

in_cell_host(host) if regex.match(concat("", [`^(`, _dns_label, `\.)+(svc|svc\.cluster\.local)$`]), host)

in_cell_host(host) if host in {"localhost", "::1"}

in_cell_host(host) if regex.match(`^127\.[0-9]+\.[0-9]+\.[0-9]+$`, host)
