# METADATA
# title: Alertmanager configurations
# description: >-
#   Reads Alertmanager's configuration as the target declares it: AlertmanagerConfig
#   resources (prometheus-operator, camelCase) and raw alertmanager.yaml documents (snake_case)
#   in ConfigMaps and Secrets; their routes, each with the receiver and grouping it inherits,
#   and the integrations of a receiver. Keys are read in either spelling (group_by, groupBy).
#   The documents walk every ConfigMap and Secret: only cross-resource controls import this.
package kaze.lib.prometheus_alertmanager

import rego.v1

import data.kaze.lib.coerce
import data.kaze.lib.k8s
import data.kaze.lib.observability

# METADATA
# title: documents
# description: >-
#   Every Alertmanager configuration of the target, as {resource, form ("crd" or "raw"),
#   key (raw only: the ConfigMap or Secret key), route, receivers, beacon (the
#   AlertmanagerConfig is labelled kaze.io/beacon=true)}: AlertmanagerConfigs first.
documents := array.concat(_crd_documents, _raw_documents)

_crd_documents := [doc |
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

_raw_documents := [doc |
	some entry in _raw_entries
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
_raw_entries := [entry |
	some entry in observability.config_texts
	yaml.is_valid(entry.text)
]

# METADATA
# title: fields_named
# description: >-
#   The values of an object's fields whose key is name in either spelling (name as
#   observability.norm gives it: "groupby" finds group_by and groupBy).
fields_named(obj, name) := [v | some k, v in coerce.as_object(obj); is_string(k); observability.norm(k) == name]

# METADATA
# title: field
# description: The first value of fields_named(obj, name); undefined when there is none.
field(obj, name) := vs[0] if {
	is_object(obj)
	vs := fields_named(obj, name)
	count(vs) > 0
}

# METADATA
# title: has_field
# description: The object has a field whose key is name in either spelling.
has_field(obj, name) if count(fields_named(obj, name)) > 0

# METADATA
# title: routes
# description: >-
#   Each route of a document (the root and every nested one) that sends to a receiver, as
#   {path, receiver, group_by}: the receiver and grouping are those of the nearest route,
#   this one or an ancestor, that sets them (group_by null when none does).
routes(doc) := [{"path": path, "receiver": receiver, "group_by": object.get(grouping, "value", null)} |
	some pair in _route_nodes(doc)
	path := pair[0]
	receiver := _inherited(doc, path, "receiver")
	grouping := {"value": g | g := _inherited(doc, path, "groupby")}
]

_route_nodes(doc) := [[path, node] |
	walk(doc.route, [path, node])
	is_object(node)
	_route_path(path)
]

_route_path(path) if {
	count(path) % 2 == 0
	every i, step in path {
		_route_step(i, step)
	}
}

_route_step(i, step) if {
	i % 2 == 0
	is_string(step)
	observability.norm(step) == "routes"
}

_route_step(i, step) if {
	i % 2 == 1
	is_number(step)
}

_prefix_of(prefix, path) if {
	count(prefix) <= count(path)
	array.slice(path, 0, count(prefix)) == prefix
}

# _inherited(doc, path, name): the value of the nearest route, this one or an ancestor, that sets it.
_inherited(doc, path, name) := found[count(found) - 1][1] if {
	found := sort([[count(p), value] |
		some pair in _route_nodes(doc)
		p := pair[0]
		_prefix_of(p, path)
		value := field(pair[1], name)
	])
	count(found) > 0
}

# METADATA
# title: receiver_named
# description: The receiver of a document with this name; undefined when there is none.
receiver_named(doc, name) := rs[0] if {
	rs := [r | some r in doc.receivers; field(r, "name") == name]
	count(rs) > 0
}

# METADATA
# title: integrations
# description: >-
#   The integrations of a receiver, as [type, config]: type as the key names it without
#   "configs" ("slack" for slack_configs and slackConfigs), one pair per configuration.
integrations(receiver) := [[type, config] |
	some key, configs in coerce.as_object(receiver)
	is_string(key)
	endswith(observability.norm(key), "configs")
	type := trim_suffix(observability.norm(key), "configs")
	is_array(configs)
	some config in configs
]
