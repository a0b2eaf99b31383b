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

import data.kaze.lib.naming
import data.kaze.lib.observability
import data.kaze.lib.prometheus_alertmanager as alertmanager
import data.kaze.lib.tenancy

not_applicable := "no kaze-policy.yaml says whether this cell is a customer VPC (cell.mode)" if {
	tenancy.cell_mode == null
}

not_applicable := sprintf(
	"the cell is in %v mode: only a customer-VPC cell sends its health beacon out of a VPC",
	[tenancy.cell_mode],
) if {
	tenancy.cell_mode != null
	tenancy.cell_mode != "customer-vpc"
}

not_applicable := concat("", [
	"no Alertmanager configuration (AlertmanagerConfig, or alertmanager.yaml in a ConfigMap or Secret) ",
	"in this target",
]) if {
	tenancy.cell_mode == "customer-vpc"
	count(alertmanager.documents) == 0
	count(errors) == 0
}

# In agency mode nothing of this rule applies: without the mode, nothing is certain. Undecided
# marks that the configuration left it open (when there is a beacon to judge).
undecided := not_applicable if {
	tenancy.cell_mode == null
	count(alertmanager.documents) > 0
}

_allowed_labels := {"alertname", "severity"}

errors contains msg if {
	tenancy.cell_mode == "customer-vpc"
	some entry in observability.config_texts
	regex.match(`^alertmanager\.ya?ml$`, entry.key)
	not yaml.is_valid(entry.text)
	msg := sprintf(
		"%s %s: %s is not valid YAML, so its routes cannot be checked",
		[entry.resource.kind, naming.display(entry.resource), entry.key],
	)
}

_first(xs) := xs[0] if count(xs) > 0

_first(xs) := {} if count(xs) == 0

# ---------------------------------------------------------------------------------------
# Which receivers send outside the cell. A receiver is in the cell only when every
# integration posts to an in-cluster URL; mail, and every integration whose URL is a secret,
# a file or the vendor's default, leaves it.

_url_fields := {"url", "apiurl", "webhookurl"}

_literal_urls(config) := [u | some name in _url_fields; u := alertmanager.field(config, name); is_string(u)]

_leaves_cell("email", _) := true

_leaves_cell(type, config) if {
	type != "email"
	count(_literal_urls(config)) == 0
}

_leaves_cell(_, config) if {
	some u in _literal_urls(config)
	not observability.in_cell_host(observability.host_of(u))
}

_outbound(doc, receiver) if {
	doc.beacon
	count(alertmanager.integrations(receiver)) > 0
}

_outbound(_, receiver) if {
	some pair in alertmanager.integrations(receiver)
	_leaves_cell(pair[0], pair[1])
}

# Outbound routes: [route, receiver].
_outbound_routes(doc) := [[route, receiver] |
	some route in alertmanager.routes(doc)
	receiver := alertmanager.receiver_named(doc, route.receiver)
	_outbound(doc, receiver)
]

# ---------------------------------------------------------------------------------------
# What a message may contain. Default templates of Alertmanager print every common label
# (title, subject, description) or every label and annotation (message bodies): a receiver
# of the beacon must set those fields itself.

_default_leaking_fields := {
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
_kv_keys(x) := {lower(k) | some k, _ in x; is_string(k)} if is_object(x)

_kv_keys(x) := {lower(item.key) | some item in x; is_string(item.key)} if is_array(x)

_kv_keys(x) := set() if {
	not is_object(x)
	not is_array(x)
}

_missing_fields(type, config) := array.concat(
	[f | some f in _default_leaking_fields[type]; not alertmanager.has_field(config, f)],
	_nested_missing(type, config),
)

# PagerDuty adds details firing/resolved (every label and annotation) unless overridden;
# mail carries a default Subject of every common label.
_nested_missing("pagerduty", config) := [concat(".", ["details", k]) |
	some k in ["firing", "resolved"]
	not k in _kv_keys(_first(alertmanager.fields_named(config, "details")))
]

_nested_missing("email", config) := ["headers.Subject" |
	not "subject" in _kv_keys(_first(alertmanager.fields_named(config, "headers")))
]

_nested_missing(type, _) := [] if not type in {"pagerduty", "email"}

_forbidden_reference := `\.(CommonAnnotations|Annotations|CommonLabels|Labels|Alerts)\b|\{\{-?\s*template\s+"[^"]*"`

_forbidden_references(config) := sort({ref |
	walk(config, [_, text])
	is_string(text)
	some found in regex.find_n(_forbidden_reference, text, -1)
	ref := regex.replace(found, `^\{\{-?\s*`, "")
})

# ---------------------------------------------------------------------------------------
# Findings.

_what(doc) := sprintf("%s %s", [doc.resource.kind, naming.display(doc.resource)]) if doc.form == "crd"

_what(doc) := sprintf("%s %s (%s)", [doc.resource.kind, naming.display(doc.resource), doc.key]) if doc.form == "raw"

_group_field(doc) := "groupBy" if doc.form == "crd"

_group_field(doc) := "group_by" if doc.form == "raw"

_finding(doc, receiver, problem, change, evidence) := {
	"msg": sprintf(
		"%s sends alerts out of the VPC through receiver %v, %s: %s",
		[_what(doc), alertmanager.field(receiver, "name"), problem, change],
	),
	"resource": doc.resource.id,
	"evidence": object.union({"receiver": alertmanager.field(receiver, "name")}, evidence),
}

violation contains v if {
	tenancy.cell_mode == "customer-vpc"
	some doc in alertmanager.documents
	some pair in _outbound_routes(doc)
	pair[0].group_by == null
	doc.form == "crd"
	v := _finding(
		doc,
		pair[1],
		"whose route sets no groupBy and so inherits the main configuration's grouping, which may keep any label",
		"set groupBy: [alertname, severity]",
		{"groupBy": null},
	)
}

violation contains v if {
	tenancy.cell_mode == "customer-vpc"
	some doc in alertmanager.documents
	some pair in _outbound_routes(doc)
	is_array(pair[0].group_by)
	"..." in pair[0].group_by
	v := _finding(
		doc,
		pair[1],
		"whose route groups by '...' (every label of the alert)",
		sprintf("set %s: [alertname, severity]", [_group_field(doc)]),
		{_group_field(doc): pair[0].group_by},
	)
}

violation contains v if {
	tenancy.cell_mode == "customer-vpc"
	some doc in alertmanager.documents
	some pair in _outbound_routes(doc)
	is_array(pair[0].group_by)
	extra := [l | some l in pair[0].group_by; l != "..."; not l in _allowed_labels]
	count(extra) > 0
	v := _finding(
		doc,
		pair[1],
		sprintf("whose route also groups by %s, so every notification carries it", [concat(", ", extra)]),
		sprintf("set %s: [alertname, severity]", [_group_field(doc)]),
		{_group_field(doc): pair[0].group_by, "extra_labels": extra},
	)
}

violation contains v if {
	tenancy.cell_mode == "customer-vpc"
	some doc in alertmanager.documents
	some pair in _outbound_routes(doc)
	some integration in alertmanager.integrations(pair[1])
	integration[0] == "webhook"
	v := _finding(
		doc,
		pair[1],
		"which is a webhook (it posts every label and annotation of every alert)",
		concat("", [
			"send the beacon through a receiver whose message you template (Slack, PagerDuty, …) ",
			"with .GroupLabels.alertname and .GroupLabels.severity only",
		]),
		{"integration": "webhook", "urls": _literal_urls(integration[1])},
	)
}

violation contains v if {
	tenancy.cell_mode == "customer-vpc"
	some doc in alertmanager.documents
	some pair in _outbound_routes(doc)
	some integration in alertmanager.integrations(pair[1])
	refs := _forbidden_references(integration[1])
	count(refs) > 0
	v := _finding(
		doc,
		pair[1],
		sprintf("whose %s message reads %s", [integration[0], concat(", ", refs)]),
		"write its message with .GroupLabels.alertname and .GroupLabels.severity only",
		{"integration": integration[0], "references": refs},
	)
}

violation contains v if {
	tenancy.cell_mode == "customer-vpc"
	some doc in alertmanager.documents
	some pair in _outbound_routes(doc)
	some integration in alertmanager.integrations(pair[1])
	_default_leaking_fields[integration[0]]
	missing := _missing_fields(integration[0], integration[1])
	count(missing) > 0
	v := _finding(
		doc,
		pair[1],
		sprintf(
			"whose %s message leaves %s to Alertmanager's default templates (they print other labels and annotations)",
			[integration[0], concat(", ", missing)],
		),
		"set each of them to a template of .GroupLabels.alertname and .GroupLabels.severity",
		{"integration": integration[0], "defaulted_fields": missing},
	)
}

violation contains v if {
	tenancy.cell_mode == "customer-vpc"
	some doc in alertmanager.documents
	some pair in _outbound_routes(doc)
	some integration in alertmanager.integrations(pair[1])
	integration[0] != "webhook"
	not _default_leaking_fields[integration[0]]
	v := _finding(
		doc,
		pair[1],
		sprintf("which uses a %s integration whose message this check cannot verify", [integration[0]]),
		"use a Slack, PagerDuty, Opsgenie, e-mail or chat receiver whose message fields are set explicitly",
		{"integration": integration[0]},
	)
}
