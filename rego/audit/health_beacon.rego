# METADATA
# title: The health beacon sends only the alert name and severity out of a customer VPC
# description: >-
#   A customer-VPC cell keeps its data inside the VPC; Alertmanager's health beacon to
#   Speedrun ops may carry only what an alert is called and how severe it is. Every other
#   label (tenant, namespace, pod, instance) and every annotation (summary, description) can
#   quote client data. So the outbound route (the AlertmanagerConfig labelled
#   kaze.io/beacon=true, or any route whose receiver sends outside the cell) must group by
#   alertname and severity only (not '...'), its receiver must not be a webhook (which posts
#   every label and annotation of every alert), and its message templates must read neither
#   annotations, nor labels other than those two, nor fall back to Alertmanager's default
#   templates, which print them.
# custom:
#   id: KZ-AUD-02
#   severity: high
#   scopes: [iac]
#   reference: "docs/requirements.md#observability-in-a-customer-vpc"
#   remediation: >-
#     On the outbound route set group_by (groupBy) to [alertname, severity]; use a chat or paging
#     receiver rather than a webhook, and set each of its message fields (Slack title, text and
#     fallback, PagerDuty description, …) to templates that read only .GroupLabels.alertname and
#     .GroupLabels.severity.
#   frameworks:
#     soc2: [CC6.7, C1.1]
#     iso27001: [A.5.14, A.8.12]
#     nist80053: [AC-4, SC-7(10)]
package kaze.audit.health_beacon

import rego.v1

import data.kaze.lib.coerce
import data.kaze.lib.k8s
import data.kaze.lib.naming
import data.kaze.lib.tenancy

mode := object.get(tenancy.config, ["cell", "mode"], null)

not_applicable := "no kaze-policy.yaml says whether this cell is a customer VPC (cell.mode)" if mode == null

# In agency mode nothing of this rule applies: without the mode, nothing is certain. Undecided
# marks that the configuration left it open (when there is a beacon to judge).
undecided := not_applicable if {
	mode == null
	count(documents) > 0
}

not_applicable := sprintf("the cell is in %v mode: only a customer-VPC cell sends its health beacon out of a VPC", [mode]) if {
	mode != null
	mode != "customer-vpc"
}

not_applicable := "no Alertmanager configuration (AlertmanagerConfig, or alertmanager.yaml in a ConfigMap or Secret) in this target" if {
	mode == "customer-vpc"
	count(documents) == 0
	count(errors) == 0
}

allowed_labels := {"alertname", "severity"}

# ---------------------------------------------------------------------------------------
# The configurations: AlertmanagerConfig resources (prometheus-operator, camelCase) and raw
# alertmanager.yaml documents (snake_case) in ConfigMaps and Secrets.

documents := array.concat(crd_documents, raw_documents)

crd_documents := [doc |
	some r in k8s.resources_of_kind("AlertmanagerConfig")
	startswith(object.get(r, "apiVersion", ""), "monitoring.coreos.com/")
	spec := coerce.as_object(object.get(r.object, "spec", {}))
	doc := {
		"resource": r,
		"form": "crd",
		"route": object.get(spec, "route", {}),
		"receivers": coerce.as_list(object.get(spec, "receivers", [])),
		"beacon": object.get(r.object, ["metadata", "labels", "kaze.io/beacon"], "") == "true",
	}
]

raw_documents := [doc |
	some entry in raw_entries
	parsed := yaml.unmarshal(entry.text)
	is_object(parsed)
	"route" in object.keys(parsed)
	"receivers" in object.keys(parsed)
	doc := {
		"resource": entry.resource,
		"form": "raw",
		"key": entry.key,
		"route": object.get(parsed, "route", {}),
		"receivers": coerce.as_list(object.get(parsed, "receivers", [])),
		"beacon": false,
	}
]

# Every text of a ConfigMap or Secret that is valid YAML, with its key.
raw_entries := [entry |
	some entry in texts
	yaml.is_valid(entry.text)
]

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

errors contains msg if {
	mode == "customer-vpc"
	some entry in texts
	regex.match(`^alertmanager\.ya?ml$`, entry.key)
	not yaml.is_valid(entry.text)
	msg := sprintf("%s %s: %s is not valid YAML, so its routes cannot be checked", [entry.resource.kind, naming.display(entry.resource), entry.key])
}

# ---------------------------------------------------------------------------------------
# Field names in either spelling: group_by and groupBy are both "groupby".

norm(key) := lower(replace(key, "_", ""))

fields_named(obj, name) := [v | some k, v in coerce.as_object(obj); is_string(k); norm(k) == name]

field(obj, name) := vs[0] if {
	is_object(obj)
	vs := fields_named(obj, name)
	count(vs) > 0
}

has_field(obj, name) if count(fields_named(obj, name)) > 0

first(xs) := xs[0] if count(xs) > 0

first(xs) := {} if count(xs) == 0

# ---------------------------------------------------------------------------------------
# Routes: the root and every nested route, with the receiver and grouping it inherits.

route_nodes(doc) := [[path, node] |
	walk(doc.route, [path, node])
	is_object(node)
	route_path(path)
]

route_path(path) if {
	count(path) % 2 == 0
	every i, step in path {
		route_step(i, step)
	}
}

route_step(i, step) if {
	i % 2 == 0
	is_string(step)
	norm(step) == "routes"
}

route_step(i, step) if {
	i % 2 == 1
	is_number(step)
}

prefix_of(prefix, path) if {
	count(prefix) <= count(path)
	array.slice(path, 0, count(prefix)) == prefix
}

# inherited(doc, path, name): the value of the nearest route, this one or an ancestor, that sets it.
inherited(doc, path, name) := found[count(found) - 1][1] if {
	found := sort([[count(p), value] |
		some pair in route_nodes(doc)
		p := pair[0]
		prefix_of(p, path)
		value := field(pair[1], name)
	])
	count(found) > 0
}

# Each route that sends to a receiver: its path, receiver and grouping (null when unset).
routes(doc) := [{"path": path, "receiver": receiver, "group_by": object.get(grouping, "value", null)} |
	some pair in route_nodes(doc)
	path := pair[0]
	receiver := inherited(doc, path, "receiver")
	grouping := {"value": g | g := inherited(doc, path, "groupby")}
]

receiver_named(doc, name) := rs[0] if {
	rs := [r | some r in doc.receivers; field(r, "name") == name]
	count(rs) > 0
}

# The integrations of a receiver: [type, config], type as in slack_configs / slackConfigs.
integrations(receiver) := [[type, config] |
	some key, configs in coerce.as_object(receiver)
	is_string(key)
	endswith(norm(key), "configs")
	type := trim_suffix(norm(key), "configs")
	is_array(configs)
	some config in configs
]

# ---------------------------------------------------------------------------------------
# Which receivers send outside the cell. A receiver is in the cell only when every
# integration posts to an in-cluster URL; mail, and every integration whose URL is a secret,
# a file or the vendor's default, leaves it.

url_fields := {"url", "apiurl", "webhookurl"}

literal_urls(config) := [u | some name in url_fields; u := field(config, name); is_string(u)]

leaves_cell(type, _) if type == "email"

leaves_cell(type, config) if {
	type != "email"
	count(literal_urls(config)) == 0
}

leaves_cell(_, config) if {
	some u in literal_urls(config)
	not in_cell_host(host_of(u))
}

outbound(doc, receiver) if {
	doc.beacon
	count(integrations(receiver)) > 0
}

outbound(_, receiver) if {
	some pair in integrations(receiver)
	leaves_cell(pair[0], pair[1])
}

# Outbound routes: [route, receiver].
outbound_routes(doc) := [[route, receiver] |
	some route in routes(doc)
	receiver := receiver_named(doc, route.receiver)
	outbound(doc, receiver)
]

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

in_cell_host(host) if host in {"localhost", "::1"}

in_cell_host(host) if regex.match(`^127\.[0-9]+\.[0-9]+\.[0-9]+$`, host)

# ---------------------------------------------------------------------------------------
# What a message may contain. Default templates of Alertmanager print every common label
# (title, subject, description) or every label and annotation (message bodies): a receiver
# of the beacon must set those fields itself.

default_leaking_fields := {
	"slack": ["title", "fallback"],
	"pagerduty": ["description"],
	"opsgenie": ["message", "description"],
	"email": ["html"],
	"victorops": ["entitydisplayname", "statemessage"],
	"pushover": ["title", "message"],
	"wechat": ["message"],
	"telegram": ["message"],
	"sns": ["subject", "message"],
	"webex": ["message"],
	"discord": ["title", "message"],
	"msteams": ["title", "summary", "text"],
	"msteamsv2": ["title", "text"],
	"jira": ["summary", "description"],
	"rocketchat": ["title", "text"],
}

# Keys of a map (raw) or of a list of {key, value} (AlertmanagerConfig).
kv_keys(x) := {lower(k) | some k, _ in x; is_string(k)} if is_object(x)

kv_keys(x) := {lower(item.key) | some item in x; is_string(item.key)} if is_array(x)

kv_keys(x) := set() if {
	not is_object(x)
	not is_array(x)
}

missing_fields(type, config) := array.concat(
	[f | some f in default_leaking_fields[type]; not has_field(config, f)],
	nested_missing(type, config),
)

# PagerDuty adds details firing/resolved (every label and annotation) unless overridden;
# mail carries a default Subject of every common label.
nested_missing("pagerduty", config) := [concat(".", ["details", k]) |
	some k in ["firing", "resolved"]
	not k in kv_keys(first(fields_named(config, "details")))
]

nested_missing("email", config) := ["headers.Subject" |
	not "subject" in kv_keys(first(fields_named(config, "headers")))
]

nested_missing(type, _) := [] if not type in {"pagerduty", "email"}

forbidden_reference := `\.(CommonAnnotations|Annotations|CommonLabels|Labels|Alerts)\b|\{\{-?\s*template\s+"[^"]*"`

forbidden_references(config) := sort({ref |
	walk(config, [_, text])
	is_string(text)
	some found in regex.find_n(forbidden_reference, text, -1)
	ref := regex.replace(found, `^\{\{-?\s*`, "")
})

# ---------------------------------------------------------------------------------------
# Findings.

what(doc) := sprintf("%s %s", [doc.resource.kind, naming.display(doc.resource)]) if doc.form == "crd"

what(doc) := sprintf("%s %s (%s)", [doc.resource.kind, naming.display(doc.resource), doc.key]) if doc.form == "raw"

group_field(doc) := "groupBy" if doc.form == "crd"

group_field(doc) := "group_by" if doc.form == "raw"

finding(doc, receiver, problem, change, evidence) := {
	"msg": sprintf("%s sends alerts out of the VPC through receiver %v, %s: %s", [what(doc), field(receiver, "name"), problem, change]),
	"resource": doc.resource.id,
	"evidence": object.union({"receiver": field(receiver, "name")}, evidence),
}

violation contains v if {
	mode == "customer-vpc"
	some doc in documents
	some pair in outbound_routes(doc)
	pair[0].group_by == null
	doc.form == "crd"
	v := finding(doc, pair[1], "whose route sets no groupBy and so inherits the main configuration's grouping, which may keep any label", "set groupBy: [alertname, severity]", {"groupBy": null})
}

violation contains v if {
	mode == "customer-vpc"
	some doc in documents
	some pair in outbound_routes(doc)
	is_array(pair[0].group_by)
	"..." in pair[0].group_by
	v := finding(doc, pair[1], "whose route groups by '...' (every label of the alert)", sprintf("set %s: [alertname, severity]", [group_field(doc)]), {group_field(doc): pair[0].group_by})
}

violation contains v if {
	mode == "customer-vpc"
	some doc in documents
	some pair in outbound_routes(doc)
	is_array(pair[0].group_by)
	extra := [l | some l in pair[0].group_by; l != "..."; not l in allowed_labels]
	count(extra) > 0
	v := finding(doc, pair[1], sprintf("whose route also groups by %s, so every notification carries it", [concat(", ", extra)]), sprintf("set %s: [alertname, severity]", [group_field(doc)]), {group_field(doc): pair[0].group_by, "extra_labels": extra})
}

violation contains v if {
	mode == "customer-vpc"
	some doc in documents
	some pair in outbound_routes(doc)
	some integration in integrations(pair[1])
	integration[0] == "webhook"
	v := finding(doc, pair[1], "which is a webhook (it posts every label and annotation of every alert)", "send the beacon through a receiver whose message you template (Slack, PagerDuty, …) with .GroupLabels.alertname and .GroupLabels.severity only", {"integration": "webhook", "urls": literal_urls(integration[1])})
}

violation contains v if {
	mode == "customer-vpc"
	some doc in documents
	some pair in outbound_routes(doc)
	some integration in integrations(pair[1])
	refs := forbidden_references(integration[1])
	count(refs) > 0
	v := finding(doc, pair[1], sprintf("whose %s message reads %s", [integration[0], concat(", ", refs)]), "write its message with .GroupLabels.alertname and .GroupLabels.severity only", {"integration": integration[0], "references": refs})
}

violation contains v if {
	mode == "customer-vpc"
	some doc in documents
	some pair in outbound_routes(doc)
	some integration in integrations(pair[1])
	default_leaking_fields[integration[0]]
	missing := missing_fields(integration[0], integration[1])
	count(missing) > 0
	v := finding(doc, pair[1], sprintf("whose %s message leaves %s to Alertmanager's default templates (they print other labels and annotations)", [integration[0], concat(", ", missing)]), "set each of them to a template of .GroupLabels.alertname and .GroupLabels.severity", {"integration": integration[0], "defaulted_fields": missing})
}

violation contains v if {
	mode == "customer-vpc"
	some doc in documents
	some pair in outbound_routes(doc)
	some integration in integrations(pair[1])
	integration[0] != "webhook"
	not default_leaking_fields[integration[0]]
	v := finding(doc, pair[1], sprintf("which uses a %s integration whose message this check cannot verify", [integration[0]]), "use a Slack, PagerDuty, Opsgenie, e-mail or chat receiver whose message fields are set explicitly", {"integration": integration[0]})
}
