package kaze.egress.allowlisted_egress_test

import rego.v1

import data.kaze.egress.allowlisted_egress
import data.kaze.testing.inventory

_owned(entry) := object.union(entry, {"owner": "o", "reason": "r"})

_config := {
	"tenants": [
		{"name": "acme", "vertical": "finance", "egress": [
			_owned({"cidr": "198.51.100.0/24", "ports": [443]}),
			_owned({"fqdn": "api.openai.com", "ports": [443]}),
			_owned({"cidr": "192.0.2.10/32"}),
		]},
		{"name": "globex", "vertical": "healthcare", "egress": [_owned({"cidr": "203.0.113.0/24", "ports": [443]})]},
	],
	"verticals": {"finance": {"egress": [_owned({"fqdn": "*.stripe.com", "ports": [443, 8443]})]}},
	"dns": {"namespace": "kube-system", "podLabels": {"k8s-app": "kube-dns"}},
}

_dns_pod_template := {"spec": {"template": {"metadata": {"labels": {"k8s-app": "kube-dns"}}}}}

_agent := inventory.resource("Deployment", "tenant-acme", "agent", {})

_coredns := inventory.resource("Deployment", "kube-system", "coredns", _dns_pod_template)

# The facts of kaze_policy/analysis/allowlist.py: nothing found against any entry.
_allowlist_facts := {"tenants": [[{}, {}, {}], [{}]], "verticals": {"finance": [{}]}}

_agent_egress := {
	"tenant": "acme", "namespace": "tenant-acme", "unrestricted": false,
	"cidrs": [], "fqdns": [], "dns": ["ClusterDNS/kube-system"],
}

_inv(facts) := object.union(inventory.with_config([_agent, _coredns], _config), {"facts": {
	"netpol": {"egress": {_agent.id: object.union(_agent_egress, facts)}},
	"allowlist": _allowlist_facts,
}})

_cidr(c, ports) := {"cidr": c, "except": [], "protocol": "TCP", "ports": ports}

_fqdn(f, ports) := {"fqdn": f, "protocol": "TCP", "ports": ports}

_world(c) := {"cidr": c, "except": [], "protocol": "ANY", "ports": []}

test_allowlisted_destinations_pass if {
	facts := {
		"cidrs": [_cidr("198.51.100.128/25", [443]), _cidr("192.0.2.10/32", [])],
		"fqdns": [
			_fqdn("api.openai.com", [443]), _fqdn("*.stripe.com", ["443", 8443]),
			_fqdn("files.stripe.com", [443]),
		],
		"dns": ["ClusterDNS/kube-system", "Deployment/kube-system/coredns"],
	}
	count(allowlisted_egress.violation) == 0 with data.inventory as _inv(facts)
}

test_cidr_off_the_allowlist_fails if {
	vs := allowlisted_egress.violation with data.inventory as _inv({"cidrs": [_cidr("192.0.2.0/24", [443])]})
	some v in vs
	v.resource == "Deployment/tenant-acme/agent"
	v.evidence.allowlisted == false
	contains(v.msg, "192.0.2.0/24")
	contains(v.msg, "tenant acme, vertical finance")
}

# name: [the agent's egress facts, what the evidence of the one finding says]
_one_finding := {
	"a CIDR wider than the entry": [{"cidrs": [_cidr("198.51.100.0/23", [443])]}, {"allowlisted": false}],
	"another tenant's CIDR": [{"cidrs": [_cidr("203.0.113.0/24", [443])]}, {"allowlisted": false}],
	"a pattern broader than the entry": [{"fqdns": [_fqdn("*.openai.com", [443])]}, {"allowlisted": false}],
	"an allowlisted CIDR on another port": [{"cidrs": [_cidr("198.51.100.0/24", [22, 443])]}, {"refused_ports": [22]}],
	"a port range not allowlisted entirely": [
		{"fqdns": [_fqdn("api.stripe.com", ["443-8443"])]},
		{"refused_ports": ["443-8443"]},
	],
	"all ports, without an entry for all": [{"cidrs": [_world("198.51.100.0/24")]}, {"refused_ports": ["all ports"]}],
}

test_one_finding[name] if {
	some name, [facts, evidence] in _one_finding
	vs := allowlisted_egress.violation with data.inventory as _inv(facts)
	count(vs) == 1
	some v in vs
	object.filter(v.evidence, ["allowlisted", "refused_ports"]) == evidence
}

test_allowlisted_cidr_on_another_port_says_what_is_allowed if {
	vs := allowlisted_egress.violation with data.inventory as _inv({"cidrs": [_cidr("198.51.100.0/24", [22, 443])]})
	some v in vs
	contains(v.msg, "allows only 443")
}

test_dns_elsewhere_fails if {
	resolver := inventory.resource("Deployment", "kaze-system", "dns", _dns_pod_template)
	dns := _inv({"dns": ["ClusterDNS/kube-system", resolver.id, "8.8.8.8/32"]})
	with_resolver := object.union(dns, {"resources": {_agent.id: _agent, resolver.id: resolver}})
	vs := allowlisted_egress.violation with data.inventory as with_resolver
	{v.evidence.dns | some v in vs} == {resolver.id, "8.8.8.8/32"}
}

test_unrestricted_egress_fails_once if {
	facts := {"unrestricted": true, "cidrs": [_world("0.0.0.0/0"), _world("::/0")]}
	vs := allowlisted_egress.violation with data.inventory as _inv(facts)
	count(vs) == 1
	some v in vs
	v.evidence.unrestricted == true
}

test_undeclared_tenant_has_no_allowlist if {
	facts := {"tenant": "initech", "cidrs": [_cidr("198.51.100.0/24", [443])]}
	vs := allowlisted_egress.violation with data.inventory as _inv(facts)
	some v in vs
	contains(v.msg, "initech, which kaze-policy.yaml does not declare")
}

# Without configuration: open to the world, and DNS outside the cluster, fail; the rest is undecided.
_no_config(facts) := object.union(_inv(facts), {"config": null})

test_no_config_unrestricted_egress_fails if {
	unrestricted := _no_config({"unrestricted": true, "cidrs": [_world("0.0.0.0/0")]})
	vs := allowlisted_egress.violation with data.inventory as unrestricted
	count(vs) == 1
	some v in vs
	v.evidence.unrestricted == true

	# Asserts that the package leaves not_applicable undefined, which Regal takes for a reference
	# to a rule that does not exist:
	# regal ignore:unresolved-reference
	not allowlisted_egress.not_applicable with data.inventory as unrestricted
}

test_no_config_dns_to_an_outside_address_fails if {
	facts := {"cidrs": [{"cidr": "8.8.8.8/32", "except": [], "protocol": "UDP", "ports": [53]}], "dns": ["8.8.8.8/32"]}
	vs := allowlisted_egress.violation with data.inventory as _no_config(facts)
	count(vs) == 1
	some v in vs
	v.evidence.dns == "8.8.8.8/32"
}

test_no_config_destinations_and_in_cluster_dns_are_undecided if {
	facts := {"cidrs": [_cidr("192.0.2.0/24", [443])], "dns": ["Deployment/kube-system/coredns"]}
	count(allowlisted_egress.violation) == 0 with data.inventory as _no_config(facts)
	contains(allowlisted_egress.undecided, "allowlists") with data.inventory as _no_config(facts)
}

test_no_config_in_cluster_dns_alone_is_undecided if {
	allowlisted_egress.undecided with data.inventory as _no_config({"dns": ["Deployment/kube-system/coredns"]})
}

test_no_config_no_external_egress_is_decided if {
	not allowlisted_egress.undecided with data.inventory as _no_config({"dns": []})
}

test_with_config_nothing_is_undecided if {
	not allowlisted_egress.undecided with data.inventory as _inv({"cidrs": [_cidr("192.0.2.0/24", [443])]})
}

test_missing_facts_is_an_error if {
	errors := allowlisted_egress.errors with data.inventory as {"config": _config, "facts": {}}
	count(errors) == 2
	some netpol in errors
	contains(netpol, "facts.netpol")
	some entries in errors
	contains(entries, "facts.allowlist")
}

# acme's 198.51.100.0/24 as if it held the metadata service: it allows nothing, and says why.
test_a_refused_entry_allows_nothing if {
	refused := json.patch(_inv({"cidrs": [_cidr("198.51.100.128/25", [443])]}), [{
		"op": "replace", "path": "/facts/allowlist/tenants/0/0",
		"value": {"reaches": [{"range": "169.254.169.254/32", "what": "the cloud metadata service"}]},
	}])
	vs := allowlisted_egress.violation with data.inventory as refused
	count(vs) == 1
	some v in vs
	v.evidence.allowlisted == false
	contains(v.msg, concat("", [
		"(the allowlist entry 198.51.100.0/24 of tenant acme covers it, but it reaches what no allowlist may open ",
		"(169.254.169.254/32, the cloud metadata service)",
	]))
}
