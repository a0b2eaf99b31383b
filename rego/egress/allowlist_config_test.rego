package kaze.egress.allowlist_config_test

import rego.v1

import data.kaze.egress.allowlist_config

_entry(destination) := object.union(destination, {"ports": [443], "owner": "team", "reason": "why"})

_config(tenant_egress, vertical_egress) := {
	"tenants": [{"name": "acme", "vertical": "finance", "egress": tenant_egress}],
	"verticals": {"finance": {"egress": vertical_egress}},
}

# Clean facts for every entry of c (the analysis found nothing against them: {}).
_clean_facts(c) := {
	"tenants": [[{} | some _ in object.get(t, "egress", [])] | some t in c.tenants],
	"verticals": {name: [{} | some _ in object.get(v, "egress", [])] | some name, v in c.verticals},
}

_judged(c) := {"config": c, "facts": {"allowlist": _clean_facts(c)}}

test_narrow_entries_pass if {
	good := [
		_entry({"cidr": "198.51.100.0/24"}), _entry({"cidr": "192.0.2.10/32"}),
		_entry({"cidr": "2001:db8:4000::/48"}), _entry({"cidr": "2001:db8:5000:1::/64"}),
		_entry({"fqdn": "*.stripe.com"}), _entry({"fqdn": "api.openai.com"}),
	]
	count(allowlist_config.violation) == 0 with data.inventory as _judged(_config(good, []))
}

# name: [the configuration, the path of the one entry reported, what its message says]
_one_finding := {
	"IPv4 wider than a /24": [
		_config([_entry({"cidr": "198.51.100.0/23"})], []),
		"tenants/acme/egress/0", "wider than a /24",
	],
	"IPv6 wider than a /48": [
		_config([_entry({"fqdn": "a.example"}), _entry({"cidr": "2001:db8:4000::/40"})], []),
		"tenants/acme/egress/1", "wider than a /48",
	],
	"a vertical's entry": [
		_config([], [_entry({"cidr": "198.18.0.0/15"})]),
		"verticals/finance/egress/0", "vertical finance",
	],
	"a blank owner": [
		_config([{"cidr": "192.0.2.0/24", "owner": "  ", "reason": "why"}], []),
		"tenants/acme/egress/0", "has a blank owner",
	],
}

test_one_finding[name] if {
	some name, [c, path, says] in _one_finding
	vs := allowlist_config.violation with data.inventory as _judged(c)
	count(vs) == 1
	{[v.resource, v.evidence.path] | some v in vs} == {["kaze-policy.yaml", path]}
	some v in vs
	contains(v.msg, says)
}

test_invalid_cidr_fails if {
	c := _config([_entry({"cidr": "203.0.113.0/33"}), _entry({"cidr": "192.0.2.7"})], [])
	vs := allowlist_config.violation with data.inventory as _judged(c)
	count(vs) == 2
	every v in vs {
		contains(v.msg, "is not a valid CIDR")
	}
}

test_a_refused_entry_fails_with_the_analysis_reason if {
	c := _config([_entry({"fqdn": "api.openai.com"}), _entry({"fqdn": "*.co.uk"})], [])
	facts := {"tenants": [[{}, {"covers_public_suffix": "co.uk"}]], "verticals": {"finance": []}}
	vs := allowlist_config.violation with data.inventory.config as c with data.inventory.facts.allowlist as facts
	count(vs) == 1
	some v in vs
	v.evidence.path == "tenants/acme/egress/1"
	contains(v.msg, concat("", [
		"the allowlist entry *.co.uk of tenant acme (tenants/acme/egress/1) ",
		"covers every name under the public suffix co.uk",
	]))
}

test_a_refused_vertical_entry_fails if {
	c := _config([], [_entry({"cidr": "169.254.169.0/24"})])
	reached := [{"range": "169.254.169.254/32", "what": "the cloud metadata service"}]
	facts := {"tenants": [[]], "verticals": {"finance": [{"reaches": reached}]}}
	vs := allowlist_config.violation with data.inventory.config as c with data.inventory.facts.allowlist as facts
	some v in vs
	v.evidence.path == "verticals/finance/egress/0"
	contains(v.msg, "reaches what no allowlist may open (169.254.169.254/32, the cloud metadata service)")
}

test_an_entry_missing_from_the_facts_fails if {
	c := _config([_entry({"fqdn": "api.openai.com"})], [])
	facts := {"tenants": [], "verticals": {}}
	vs := allowlist_config.violation with data.inventory.config as c with data.inventory.facts.allowlist as facts
	some v in vs
	contains(v.msg, "has not been judged")
}

test_no_facts_at_all_is_an_error if {
	some e in allowlist_config.errors with data.inventory.config as _config([], [])
	contains(e, "facts.allowlist")
}

test_no_config_is_not_applicable if {
	allowlist_config.not_applicable with data.inventory.config as null
}

# The rule is about the configuration: without one it is undecided.
test_no_config_is_undecided if {
	allowlist_config.undecided with data.inventory.config as null
}

test_config_is_not_undecided if {
	not allowlist_config.undecided with data.inventory.config as _config([], [])
}
