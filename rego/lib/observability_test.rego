package kaze.lib.observability_test

import rego.v1

import data.kaze.lib.observability
import data.kaze.testing.inventory

test_kubernetes_present[source] if {
	some source in ["kubernetes", "kustomize", "cluster", "snapshot"]
	r := object.union(inventory.resource("ConfigMap", "ns", "c", {}), {"source": source})
	observability.kubernetes_present with data.inventory as inventory.of([r])
}

test_kubernetes_absent_from_terraform if {
	r := object.union(inventory.resource("ConfigMap", "ns", "c", {}), {"source": "terraform"})
	not observability.kubernetes_present with data.inventory as inventory.of([r])
}

test_kubernetes_absent_from_an_empty_target if {
	not observability.kubernetes_present with data.inventory as inventory.of([])
}

test_config_texts if {
	resources := [
		inventory.resource("Secret", "ns", "s", {
			"stringData": {"b.yaml": "b", "n": 1},
			"data": {"c.yaml": base64.encode("c"), "bad": "%%%"},
		}),
		inventory.resource("ConfigMap", "ns", "cm", {"data": {"a.yaml": "a"}}),
	]
	texts := observability.config_texts with data.inventory as inventory.of(resources)
	[[e.resource.id, e.key, e.text] | some e in texts] == [
		["ConfigMap/ns/cm", "a.yaml", "a"],
		["Secret/ns/s", "b.yaml", "b"],
		["Secret/ns/s", "c.yaml", "c"],
	]
}

test_norm[key] if {
	some key in ["group_by", "groupBy", "GROUP_BY"]
	observability.norm(key) == "groupby"
}

test_host_of[url] if {
	some url, want in {
		"https://otlp.vendor.example:4318/v1/traces": "otlp.vendor.example",
		"http://user:pw@Loki.Monitoring.svc.:3100/otlp": "loki.monitoring.svc",
		"tempo.monitoring.svc.cluster.local:4317": "tempo.monitoring.svc.cluster.local",
		"//collector/x": "collector",
		"http://[::1]:8080/": "::1",
		" loki ": "loki",
	}
	observability.host_of(url) == want
}

test_in_cell_host[host] if {
	some host in ["loki", "loki.monitoring.svc", "tempo.monitoring.svc.cluster.local", "localhost", "::1", "127.0.0.53"]
	observability.in_cell_host(host)
}

test_host_outside_the_cell[host] if {
	some host in ["0.0.0.0", "otlp.vendor.example", "oncall.acme.svc.cluster.local.evil.example", "-bad"]
	not observability.in_cell_host(host)
}
