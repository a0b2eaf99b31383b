package kaze.egress.allowlisted_egress_test

import rego.v1

import data.kaze.egress.allowlisted_egress

config := {
	"tenants": [
		{"name": "acme", "vertical": "finance", "egress": [
			{"cidr": "198.51.100.0/24", "ports": [443], "owner": "o", "reason": "r"},
			{"fqdn": "api.openai.com", "ports": [443], "owner": "o", "reason": "r"},
			{"cidr": "192.0.2.10/32", "owner": "o", "reason": "r"},
		]},
		{"name": "globex", "vertical": "healthcare", "egress": [{"cidr": "203.0.113.0/24", "ports": [443], "owner": "o", "reason": "r"}]},
	],
	"verticals": {"finance": {"egress": [{"fqdn": "*.stripe.com", "ports": [443, 8443], "owner": "o", "reason": "r"}]}},
	"dns": {"namespace": "kube-system", "podLabels": {"k8s-app": "kube-dns"}},
}

agent := {"id": "Deployment/tenant-acme/agent", "kind": "Deployment", "namespace": "tenant-acme", "name": "agent"}

coredns := {
	"id": "Deployment/kube-system/coredns", "kind": "Deployment", "namespace": "kube-system", "name": "coredns",
	"object": {"kind": "Deployment", "spec": {"template": {"metadata": {"labels": {"k8s-app": "kube-dns"}}}}},
}

# The facts of kaze_policy/analysis/allowlist.py: nothing found against any entry.
allowlist_facts := {"tenants": [[{}, {}, {}], [{}]], "verticals": {"finance": [{}]}}

inv(facts) := {
	"config": config,
	"resources": {agent.id: agent, coredns.id: coredns},
	"facts": {
		"netpol": {"egress": {agent.id: object.union(
			{"tenant": "acme", "namespace": "tenant-acme", "unrestricted": false, "cidrs": [], "fqdns": [], "dns": ["ClusterDNS/kube-system"]},
			facts,
		)}},
		"allowlist": allowlist_facts,
	},
}

cidr(c, ports) := {"cidr": c, "except": [], "protocol": "TCP", "ports": ports}

fqdn(f, ports) := {"fqdn": f, "protocol": "TCP", "ports": ports}

findings(facts) := vs if {
	vs := allowlisted_egress.violation with data.inventory as inv(facts)
}

test_allowlisted_destinations_pass if {
	facts := {
		"cidrs": [cidr("198.51.100.128/25", [443]), cidr("192.0.2.10/32", [])],
		"fqdns": [fqdn("api.openai.com", [443]), fqdn("*.stripe.com", ["443", 8443]), fqdn("files.stripe.com", [443])],
		"dns": ["ClusterDNS/kube-system", "Deployment/kube-system/coredns"],
	}
	count(findings(facts)) == 0
}

test_cidr_off_the_allowlist_fails if {
	some v in findings({"cidrs": [cidr("192.0.2.0/24", [443])]})
	v.resource == "Deployment/tenant-acme/agent"
	v.evidence.allowlisted == false
	contains(v.msg, "192.0.2.0/24")
	contains(v.msg, "tenant acme, vertical finance")
}

test_cidr_wider_than_the_entry_fails if {
	count(findings({"cidrs": [cidr("198.51.100.0/23", [443])]})) == 1
}

test_other_tenants_cidr_fails if {
	count(findings({"cidrs": [cidr("203.0.113.0/24", [443])]})) == 1
}

test_allowlisted_cidr_on_another_port_fails if {
	some v in findings({"cidrs": [cidr("198.51.100.0/24", [22, 443])]})
	v.evidence.refused_ports == [22]
	contains(v.msg, "allows only 443")
}

test_port_range_must_be_allowlisted_entirely if {
	some v in findings({"fqdns": [fqdn("api.stripe.com", ["443-8443"])]})
	v.evidence.refused_ports == ["443-8443"]
}

test_all_ports_need_an_entry_without_ports if {
	some v in findings({"cidrs": [{"cidr": "198.51.100.0/24", "except": [], "protocol": "ANY", "ports": []}]})
	v.evidence.refused_ports == ["all ports"]
}

test_fqdn_pattern_broader_than_entry_fails if {
	some v in findings({"fqdns": [fqdn("*.openai.com", [443])]})
	contains(v.msg, "*.openai.com")
}

test_dns_elsewhere_fails if {
	resolver := {"id": "Deployment/kaze-system/dns", "kind": "Deployment", "namespace": "kaze-system", "name": "dns", "object": {"kind": "Deployment", "spec": {"template": {"metadata": {"labels": {"k8s-app": "kube-dns"}}}}}}
	vs := allowlisted_egress.violation with data.inventory as object.union(inv({"dns": ["ClusterDNS/kube-system", resolver.id, "8.8.8.8/32"]}), {"resources": {agent.id: agent, resolver.id: resolver}})
	{v.evidence.dns | some v in vs} == {resolver.id, "8.8.8.8/32"}
}

test_unrestricted_egress_fails_once if {
	vs := findings({"unrestricted": true, "cidrs": [{"cidr": "0.0.0.0/0", "except": [], "protocol": "ANY", "ports": []}, {"cidr": "::/0", "except": [], "protocol": "ANY", "ports": []}]})
	count(vs) == 1
	some v in vs
	v.evidence.unrestricted == true
}

test_undeclared_tenant_has_no_allowlist if {
	facts := {"tenant": "initech", "cidrs": [cidr("198.51.100.0/24", [443])]}
	some v in findings(facts)
	contains(v.msg, "initech, which kaze-policy.yaml does not declare")
}

# Without configuration: open to the world, and DNS outside the cluster, fail; the rest is undecided.
no_config(facts) := object.union(inv(facts), {"config": null})

test_no_config_unrestricted_egress_fails if {
	world := {"cidr": "0.0.0.0/0", "except": [], "protocol": "ANY", "ports": []}
	vs := allowlisted_egress.violation with data.inventory as no_config({"unrestricted": true, "cidrs": [world]})
	count(vs) == 1
	some v in vs
	v.evidence.unrestricted == true
	not allowlisted_egress.not_applicable with data.inventory as no_config({"unrestricted": true, "cidrs": [world]})
}

test_no_config_dns_to_an_outside_address_fails if {
	facts := {"cidrs": [{"cidr": "8.8.8.8/32", "except": [], "protocol": "UDP", "ports": [53]}], "dns": ["8.8.8.8/32"]}
	vs := allowlisted_egress.violation with data.inventory as no_config(facts)
	count(vs) == 1
	some v in vs
	v.evidence.dns == "8.8.8.8/32"
}

test_no_config_destinations_and_in_cluster_dns_are_undecided if {
	facts := {"cidrs": [cidr("192.0.2.0/24", [443])], "dns": ["Deployment/kube-system/coredns"]}
	count(allowlisted_egress.violation) == 0 with data.inventory as no_config(facts)
	contains(allowlisted_egress.undecided, "allowlists") with data.inventory as no_config(facts)
}

test_no_config_in_cluster_dns_alone_is_undecided if {
	allowlisted_egress.undecided with data.inventory as no_config({"dns": ["Deployment/kube-system/coredns"]})
}

test_no_config_no_external_egress_is_decided if {
	not allowlisted_egress.undecided with data.inventory as no_config({"dns": []})
}

test_with_config_nothing_is_undecided if {
	not allowlisted_egress.undecided with data.inventory as inv({"cidrs": [cidr("192.0.2.0/24", [443])]})
}

test_missing_facts_is_an_error if {
	errors := allowlisted_egress.errors with data.inventory as {"config": config, "facts": {}}
	count(errors) == 2
	some netpol in errors
	contains(netpol, "facts.netpol")
	some entries in errors
	contains(entries, "facts.allowlist")
}

# acme's 198.51.100.0/24 as if it held the metadata service: it allows nothing, and says why.
test_a_refused_entry_allows_nothing if {
	refused := json.patch(inv({"cidrs": [cidr("198.51.100.128/25", [443])]}), [{
		"op": "replace", "path": "/facts/allowlist/tenants/0/0",
		"value": {"reaches": [{"range": "169.254.169.254/32", "what": "the cloud metadata service"}]},
	}])
	vs := allowlisted_egress.violation with data.inventory as refused
	count(vs) == 1
	some v in vs
	v.evidence.allowlisted == false
	contains(v.msg, "(the allowlist entry 198.51.100.0/24 of tenant acme covers it, but it reaches what no allowlist may open (169.254.169.254/32, the cloud metadata service)")
}
