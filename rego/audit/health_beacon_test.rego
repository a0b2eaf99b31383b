package kaze.audit.health_beacon_test

import rego.v1

import data.kaze.audit.health_beacon

vpc := {"cell": {"name": "acme-vpc", "mode": "customer-vpc"}}

resource(kind, name, obj) := {
	"id": sprintf("%s/monitoring/%s", [kind, name]),
	"apiVersion": object.get(obj, "apiVersion", "v1"),
	"kind": kind,
	"namespace": "monitoring",
	"name": name,
	"object": obj,
}

inventory(resources, config) := {
	"resources": {r.id: r | some r in resources},
	"by_kind": {kind: [r.id | some r in resources; r.kind == kind] | some kind in {r.kind | some r in resources}},
	"config": config,
}

slack := {
	"apiURL": {"name": "speedrun-beacon", "key": "url"},
	"title": "{{ .GroupLabels.alertname }}",
	"text": "severity: {{ .GroupLabels.severity }}",
	"fallback": "{{ .GroupLabels.alertname }} {{ .GroupLabels.severity }}",
}

beacon(route, receivers) := resource("AlertmanagerConfig", "health-beacon", {
	"apiVersion": "monitoring.coreos.com/v1alpha1",
	"kind": "AlertmanagerConfig",
	"metadata": {"name": "health-beacon", "namespace": "monitoring", "labels": {"kaze.io/beacon": "true"}},
	"spec": {"route": route, "receivers": receivers},
})

route(group_by) := {"receiver": "ops", "groupBy": group_by}

slack_receiver(config) := [{"name": "ops", "slackConfigs": [config]}]

test_name_and_severity_only_passes if {
	got := health_beacon.violation with data.inventory as inventory([beacon(route(["alertname", "severity"]), slack_receiver(slack))], vpc)
	count(got) == 0
}

test_agency_cell_is_not_applicable if {
	contains(health_beacon.not_applicable, "agency") with data.inventory as inventory([], {"cell": {"name": "a", "mode": "agency"}})
}

test_no_configuration_is_not_applicable if {
	contains(health_beacon.not_applicable, "kaze-policy.yaml") with data.inventory as inventory([], null)
}

test_no_alertmanager_configuration_is_not_applicable if {
	contains(health_beacon.not_applicable, "no Alertmanager configuration") with data.inventory as inventory([], vpc)
}

test_tenant_in_group_by_fails if {
	got := health_beacon.violation with data.inventory as inventory([beacon(route(["alertname", "severity", "tenant"]), slack_receiver(slack))], vpc)
	some v in got
	v.evidence.extra_labels == ["tenant"]
	v.resource == "AlertmanagerConfig/monitoring/health-beacon"
}

test_group_by_everything_fails if {
	got := health_beacon.violation with data.inventory as inventory([beacon(route(["..."]), slack_receiver(slack))], vpc)
	some v in got
	v.evidence.groupBy == ["..."]
}

test_beacon_without_group_by_fails if {
	got := health_beacon.violation with data.inventory as inventory([beacon({"receiver": "ops"}, slack_receiver(slack))], vpc)
	some v in got
	v.evidence.groupBy == null
}

test_webhook_receiver_fails if {
	got := health_beacon.violation with data.inventory as inventory([beacon(route(["alertname", "severity"]), [{"name": "ops", "webhookConfigs": [{"url": "https://beacon.speedrun.example/v1"}]}])], vpc)
	some v in got
	v.evidence.integration == "webhook"
}

test_annotation_in_message_fails if {
	config := object.union(slack, {"text": "{{ .CommonAnnotations.summary }}"})
	got := health_beacon.violation with data.inventory as inventory([beacon(route(["alertname", "severity"]), slack_receiver(config))], vpc)
	some v in got
	v.evidence.references == [".CommonAnnotations"]
}

test_labels_of_each_alert_fail if {
	config := object.union(slack, {"text": "{{ range .Alerts }}{{ .Labels.pod }}{{ end }}"})
	got := health_beacon.violation with data.inventory as inventory([beacon(route(["alertname", "severity"]), slack_receiver(config))], vpc)
	some v in got
	v.evidence.references == [".Alerts", ".Labels"]
}

test_default_slack_title_fails if {
	config := object.remove(slack, ["title", "fallback"])
	got := health_beacon.violation with data.inventory as inventory([beacon(route(["alertname", "severity"]), slack_receiver(config))], vpc)
	some v in got
	v.evidence.defaulted_fields == ["title", "fallback"]
}

test_named_template_fails if {
	config := object.union(slack, {"title": "{{ template \"slack.default.title\" . }}"})
	got := health_beacon.violation with data.inventory as inventory([beacon(route(["alertname", "severity"]), slack_receiver(config))], vpc)
	some v in got
	v.evidence.references == ["template \"slack.default.title\""]
}

test_pagerduty_default_details_fail if {
	receivers := [{"name": "ops", "pagerdutyConfigs": [{"routingKey": {"name": "pd", "key": "k"}, "description": "{{ .GroupLabels.alertname }}"}]}]
	got := health_beacon.violation with data.inventory as inventory([beacon(route(["alertname", "severity"]), receivers)], vpc)
	some v in got
	v.evidence.defaulted_fields == ["details.firing", "details.resolved"]
}

test_pagerduty_with_overridden_details_passes if {
	receivers := [{"name": "ops", "pagerdutyConfigs": [{
		"description": "{{ .GroupLabels.alertname }}",
		"details": [{"key": "firing", "value": "{{ .GroupLabels.severity }}"}, {"key": "resolved", "value": ""}],
	}]}]
	got := health_beacon.violation with data.inventory as inventory([beacon(route(["alertname", "severity"]), receivers)], vpc)
	count(got) == 0
}

test_unknown_integration_fails if {
	receivers := [{"name": "ops", "fooConfigs": [{"url": "https://x.example"}]}]
	got := health_beacon.violation with data.inventory as inventory([beacon(route(["alertname", "severity"]), receivers)], vpc)
	some v in got
	v.evidence.integration == "foo"
}

unlabelled(receivers) := resource("AlertmanagerConfig", "client-oncall", {
	"apiVersion": "monitoring.coreos.com/v1alpha1",
	"kind": "AlertmanagerConfig",
	"metadata": {"name": "client-oncall", "namespace": "monitoring"},
	"spec": {"route": {"receiver": "ops", "groupBy": ["alertname", "tenant"]}, "receivers": receivers},
})

test_in_cell_route_may_keep_labels if {
	receivers := [{"name": "ops", "webhookConfigs": [{"url": "http://oncall.acme.svc.cluster.local:8080/hook"}]}]
	got := health_beacon.violation with data.inventory as inventory([unlabelled(receivers)], vpc)
	count(got) == 0
}

test_unlabelled_route_out_of_the_cell_is_outbound if {
	receivers := [{"name": "ops", "webhookConfigs": [{"url": "https://pager.example.com/hook"}]}]
	got := health_beacon.violation with data.inventory as inventory([unlabelled(receivers)], vpc)
	count(got) == 2
}

test_cluster_name_lookalike_is_outside if {
	receivers := [{"name": "ops", "webhookConfigs": [{"url": "http://oncall.acme.svc.cluster.local.evil.example/hook"}]}]
	got := health_beacon.violation with data.inventory as inventory([unlabelled(receivers)], vpc)
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

config_map(text) := resource("ConfigMap", "alertmanager", {"kind": "ConfigMap", "metadata": {"name": "alertmanager", "namespace": "monitoring"}, "data": {"alertmanager.yaml": text}})

test_raw_configuration_nested_route_inherits_grouping if {
	found := health_beacon.violation with data.inventory as inventory([config_map(raw)], vpc)
	count(found) == 1
	some v in found
	v.evidence.group_by == ["alertname", "namespace"]
	v.evidence.extra_labels == ["namespace"]
}

test_raw_configuration_in_secret_data if {
	secret := resource("Secret", "alertmanager", {"kind": "Secret", "metadata": {"name": "alertmanager", "namespace": "monitoring"}, "data": {"alertmanager.yaml": base64.encode(raw)}})
	got := health_beacon.violation with data.inventory as inventory([secret], vpc)
	count(got) == 1
}

test_invalid_yaml_is_an_error if {
	some msg in health_beacon.errors with data.inventory as inventory([config_map("route: [\n")], vpc)
	contains(msg, "not valid YAML")
}

# Without configuration the cell's mode is unknown: a beacon to judge is left undecided.
test_no_configuration_with_a_beacon_is_undecided if {
	b := beacon(route(["alertname", "severity"]), slack_receiver(slack))
	contains(health_beacon.undecided, "cell.mode") with data.inventory as inventory([b], null)
	count(health_beacon.violation) == 0 with data.inventory as inventory([b], null)
}

test_no_configuration_and_no_beacon_is_not_undecided if {
	not health_beacon.undecided with data.inventory as inventory([], null)
}

test_configured_mode_is_not_undecided if {
	not health_beacon.undecided with data.inventory as inventory([], {"cell": {"name": "a", "mode": "agency"}})
}
