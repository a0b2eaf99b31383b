package kaze.audit.health_beacon_test

import rego.v1

import data.kaze.audit.health_beacon
import data.kaze.testing.inventory

vpc := {"cell": {"name": "acme-vpc", "mode": "customer-vpc"}}

agency := {"cell": {"name": "a", "mode": "agency"}}

slack := {
	"apiURL": {"name": "speedrun-beacon", "key": "url"},
	"title": "{{ .GroupLabels.alertname }}",
	"text": "severity: {{ .GroupLabels.severity }}",
	"fallback": "{{ .GroupLabels.alertname }} {{ .GroupLabels.severity }}",
}

beacon(route, receivers) := inventory.resource("AlertmanagerConfig", "monitoring", "health-beacon", {
	"apiVersion": "monitoring.coreos.com/v1alpha1",
	"metadata": {"labels": {"kaze.io/beacon": "true"}},
	"spec": {"route": route, "receivers": receivers},
})

route(group_by) := {"receiver": "ops", "groupBy": group_by}

slack_receiver(config) := [{"name": "ops", "slackConfigs": [config]}]

# A beacon grouped by alertname and severity, with this receiver.
good_route(receivers) := beacon(route(["alertname", "severity"]), receivers)

unlabelled(receivers) := inventory.resource("AlertmanagerConfig", "monitoring", "client-oncall", {
	"apiVersion": "monitoring.coreos.com/v1alpha1",
	"spec": {"route": {"receiver": "ops", "groupBy": ["alertname", "tenant"]}, "receivers": receivers},
})

webhook(url) := [{"name": "ops", "webhookConfigs": [{"url": url}]}]

# Configurations that pass, and those that fail with the evidence field named.
passing := {
	"name and severity only": good_route(slack_receiver(slack)),
	"pagerduty with overridden details": good_route([{"name": "ops", "pagerdutyConfigs": [{
		"description": "{{ .GroupLabels.alertname }}",
		"details": [{"key": "firing", "value": "{{ .GroupLabels.severity }}"}, {"key": "resolved", "value": ""}],
	}]}]),
	"an in-cell route may keep labels": unlabelled(webhook("http://oncall.acme.svc.cluster.local:8080/hook")),
}

test_passes[name] if {
	some name, resource in passing
	got := health_beacon.violation with data.inventory as inventory.with_config([resource], vpc)
	count(got) == 0
}

failing := {
	"tenant in groupBy": [
		beacon(route(["alertname", "severity", "tenant"]), slack_receiver(slack)),
		"extra_labels", ["tenant"],
	],
	"groupBy everything": [beacon(route(["..."]), slack_receiver(slack)), "groupBy", ["..."]],
	"no groupBy": [beacon({"receiver": "ops"}, slack_receiver(slack)), "groupBy", null],
	"a webhook receiver": [good_route(webhook("https://beacon.speedrun.example/v1")), "integration", "webhook"],
	"an annotation in the message": [
		good_route(slack_receiver(object.union(slack, {"text": "{{ .CommonAnnotations.summary }}"}))),
		"references", [".CommonAnnotations"],
	],
	"the labels of each alert": [
		good_route(slack_receiver(object.union(slack, {"text": "{{ range .Alerts }}{{ .Labels.pod }}{{ end }}"}))),
		"references", [".Alerts", ".Labels"],
	],
	"the default Slack title": [
		good_route(slack_receiver(object.remove(slack, ["title", "fallback"]))),
		"defaulted_fields", ["title", "fallback"],
	],
	"a named template": [
		good_route(slack_receiver(object.union(slack, {"title": "{{ template \"slack.default.title\" . }}"}))),
		"references", ["template \"slack.default.title\""],
	],
	"PagerDuty's default details": [
		good_route([{"name": "ops", "pagerdutyConfigs": [{
			"routingKey": {"name": "pd", "key": "k"},
			"description": "{{ .GroupLabels.alertname }}",
		}]}]),
		"defaulted_fields", ["details.firing", "details.resolved"],
	],
	"an unknown integration": [
		good_route([{"name": "ops", "fooConfigs": [{"url": "https://x.example"}]}]),
		"integration", "foo",
	],
}

test_fails[name] if {
	some name, [resource, field, want] in failing
	got := health_beacon.violation with data.inventory as inventory.with_config([resource], vpc)
	some v in got
	v.resource == resource.id
	v.evidence[field] == want
}

test_not_applicable[name] if {
	some name, [config, reason] in {
		"agency cell": [agency, "agency"],
		"no configuration": [null, "kaze-policy.yaml"],
		"no Alertmanager configuration": [vpc, "no Alertmanager configuration"],
	}
	contains(health_beacon.not_applicable, reason) with data.inventory as inventory.with_config([], config)
}

test_unlabelled_route_out_of_the_cell_is_outbound if {
	r := unlabelled(webhook("https://pager.example.com/hook"))
	got := health_beacon.violation with data.inventory as inventory.with_config([r], vpc)
	count(got) == 2
}

test_cluster_name_lookalike_is_outside if {
	r := unlabelled(webhook("http://oncall.acme.svc.cluster.local.evil.example/hook"))
	got := health_beacon.violation with data.inventory as inventory.with_config([r], vpc)
	count(got) > 0
}

raw := `
route:
  receiver: in-cell
  group_by: [alertname, namespace]
  routes:
    - receiver: beacon
      group_by: [alertname, severity]
    - receiver: pager
      routes:
        - receiver: beacon
receivers:
  - name: in-cell
  - name: pager
    webhook_configs:
      - url: http://pager.monitoring.svc:8080/
  - name: beacon
    slack_configs:
      - api_url_file: /etc/alertmanager/beacon/url
        title: '{{ .GroupLabels.alertname }}'
        fallback: '{{ .GroupLabels.alertname }}'
`

config_map(text) := inventory.resource("ConfigMap", "monitoring", "alertmanager", {"data": {"alertmanager.yaml": text}})

test_raw_configuration_nested_route_inherits_grouping if {
	found := health_beacon.violation with data.inventory as inventory.with_config([config_map(raw)], vpc)
	count(found) == 1
	some v in found
	v.evidence.group_by == ["alertname", "namespace"]
	v.evidence.extra_labels == ["namespace"]
}

test_raw_configuration_in_secret_data if {
	data_of_secret := {"data": {"alertmanager.yaml": base64.encode(raw)}}
	secret := inventory.resource("Secret", "monitoring", "alertmanager", data_of_secret)
	got := health_beacon.violation with data.inventory as inventory.with_config([secret], vpc)
	count(got) == 1
}

test_invalid_yaml_is_an_error if {
	some msg in health_beacon.errors with data.inventory as inventory.with_config([config_map("route: [\n")], vpc)
	contains(msg, "not valid YAML")
}

# Without configuration the cell's mode is unknown: a beacon to judge is left undecided.
test_no_configuration_with_a_beacon_is_undecided if {
	b := good_route(slack_receiver(slack))
	contains(health_beacon.undecided, "cell.mode") with data.inventory as inventory.with_config([b], null)
	count(health_beacon.violation) == 0 with data.inventory as inventory.with_config([b], null)
}

test_not_undecided[name] if {
	some name, config in {"without configuration nor beacon": null, "with a configured mode": agency}
	not health_beacon.undecided with data.inventory as inventory.with_config([], config)
}
