package kaze.lib.prometheus_alertmanager_test

import rego.v1

import data.kaze.lib.prometheus_alertmanager as alertmanager
import data.kaze.testing.inventory

crd(name, labels, spec) := inventory.resource("AlertmanagerConfig", "monitoring", name, {
	"apiVersion": "monitoring.coreos.com/v1alpha1",
	"metadata": {"labels": labels},
	"spec": spec,
})

raw := `
route:
  receiver: ops
receivers:
  - name: ops
`

test_documents if {
	resources := [
		inventory.resource("ConfigMap", "monitoring", "am", {"data": {"alertmanager.yaml": raw, "other": "a: b"}}),
		crd("beacon", {"kaze.io/beacon": "true"}, {"route": {"receiver": "ops"}, "receivers": [{"name": "ops"}]}),
		inventory.resource("AlertmanagerConfig", "monitoring", "foreign", {"apiVersion": "example.com/v1"}),
	]
	docs := alertmanager.documents with data.inventory as inventory.of(resources)
	[[d.resource.id, d.form, d.beacon, object.get(d, "key", null)] | some d in docs] == [
		["AlertmanagerConfig/monitoring/beacon", "crd", true, null],
		["ConfigMap/monitoring/am", "raw", false, "alertmanager.yaml"],
	]
	[d.receivers | some d in docs] == [[{"name": "ops"}], [{"name": "ops"}]]
}

test_fields_in_either_spelling if {
	obj := {"group_by": ["a"], "groupBy": ["b"], "receiver": "ops"}
	alertmanager.fields_named(obj, "groupby") == [["b"], ["a"]]
	alertmanager.field(obj, "groupby") == ["b"]
	alertmanager.has_field(obj, "receiver")
	not alertmanager.has_field(obj, "continue")
	not alertmanager.field(obj, "continue")
	not alertmanager.field("not an object", "receiver")
}

test_routes_inherit_receiver_and_grouping if {
	doc := {"route": {
		"receiver": "root",
		"group_by": ["alertname", "namespace"],
		"routes": [
			{"receiver": "beacon", "groupBy": ["alertname", "severity"]},
			{"routes": [{"matchers": ["a=b"]}]},
		],
	}}
	alertmanager.routes(doc) == [
		{"path": [], "receiver": "root", "group_by": ["alertname", "namespace"]},
		{"path": ["routes", 0], "receiver": "beacon", "group_by": ["alertname", "severity"]},
		{"path": ["routes", 1], "receiver": "root", "group_by": ["alertname", "namespace"]},
		{"path": ["routes", 1, "routes", 0], "receiver": "root", "group_by": ["alertname", "namespace"]},
	]
}

test_route_without_grouping if {
	alertmanager.routes({"route": {"receiver": "ops"}}) == [{"path": [], "receiver": "ops", "group_by": null}]
}

test_receiver_named if {
	doc := {"receivers": [{"name": "ops", "x": 1}, {"name": "beacon", "x": 2}]}
	alertmanager.receiver_named(doc, "beacon") == {"name": "beacon", "x": 2}
	not alertmanager.receiver_named(doc, "pager")
}

test_integrations if {
	receiver := {
		"name": "ops",
		"slack_configs": [{"title": "a"}, {"title": "b"}],
		"pagerdutyConfigs": [{"description": "c"}],
		"webhook_configs": "not a list",
	}
	sort(alertmanager.integrations(receiver)) == [
		["pagerduty", {"description": "c"}],
		["slack", {"title": "a"}],
		["slack", {"title": "b"}],
	]
}
