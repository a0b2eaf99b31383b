package kaze.egress.allowlist_config_test

import rego.v1

import data.kaze.egress.allowlist_config

entry(destination) := object.union(destination, {"ports": [443], "owner": "team", "reason": "why"})

config(tenant_egress, vertical_egress) := {
	"tenants": [{"name": "acme", "vertical": "finance", "egress": tenant_egress}],
	"verticals": {"finance": {"egress": vertical_egress}},
}

# Clean facts for every entry of c (the analysis found nothing against them: {}).
clean_facts(c) := {
	"tenants": [[{} | some _ in object.get(t, "egress", [])] | some t in c.tenants],
	"verticals": {name: [{} | some _ in object.get(v, "egress", [])] | some name, v in c.verticals},
}

findings(c) := vs if {
	vs := allowlist_config.violation with data.inventory.config as c with data.inventory.facts.allowlist as clean_facts(c)
}

findings_with(c, facts) := vs if {
	vs := allowlist_config.violation with data.inventory.config as c with data.inventory.facts.allowlist as facts
}

test_narrow_entries_pass if {
	good := [
		entry({"cidr": "198.51.100.0/24"}), entry({"cidr": "192.0.2.10/32"}),
		entry({"cidr": "2001:db8:4000::/48"}), entry({"cidr": "2001:db8:5000:1::/64"}),
		entry({"fqdn": "*.stripe.com"}), entry({"fqdn": "api.openai.com"}),
	]
	count(findings(config(good, []))) == 0
}

test_ipv4_wider_than_24_fails if {
	some v in findings(config([entry({"cidr": "198.51.100.0/23"})], []))
	v.resource == "kaze-policy.yaml"
	v.evidence.path == "tenants/acme/egress/0"
	contains(v.msg, "wider than a /24")
}

test_ipv6_wider_than_48_fails if {
	some v in findings(config([entry({"fqdn": "a.example"}), entry({"cidr": "2001:db8:4000::/40"})], []))
	v.evidence.path == "tenants/acme/egress/1"
	contains(v.msg, "wider than a /48")
}

test_vertical_entry_is_checked_too if {
	some v in findings(config([], [entry({"cidr": "198.18.0.0/15"})]))
	v.evidence.path == "verticals/finance/egress/0"
	contains(v.msg, "vertical finance")
}

test_invalid_cidr_fails if {
	vs := findings(config([entry({"cidr": "203.0.113.0/33"}), entry({"cidr": "192.0.2.7"})], []))
	count(vs) == 2
	every v in vs {
		contains(v.msg, "is not a valid CIDR")
	}
}

test_a_refused_entry_fails_with_the_analysis_reason if {
	c := config([entry({"fqdn": "api.openai.com"}), entry({"fqdn": "*.co.uk"})], [])
	facts := {"tenants": [[{}, {"covers_public_suffix": "co.uk"}]], "verticals": {"finance": []}}
	vs := findings_with(c, facts)
	count(vs) == 1
	some v in vs
	v.evidence.path == "tenants/acme/egress/1"
	contains(v.msg, "the allowlist entry *.co.uk of tenant acme (tenants/acme/egress/1) covers every name under the public suffix co.uk")
}

test_a_refused_vertical_entry_fails if {
	c := config([], [entry({"cidr": "169.254.169.0/24"})])
	facts := {"tenants": [[]], "verticals": {"finance": [{"reaches": [{"range": "169.254.169.254/32", "what": "the cloud metadata service"}]}]}}
	some v in findings_with(c, facts)
	v.evidence.path == "verticals/finance/egress/0"
	contains(v.msg, "reaches what no allowlist may open (169.254.169.254/32, the cloud metadata service)")
}

test_an_entry_missing_from_the_facts_fails if {
	c := config([entry({"fqdn": "api.openai.com"})], [])
	some v in findings_with(c, {"tenants": [], "verticals": {}})
	contains(v.msg, "has not been judged")
}

test_no_facts_at_all_is_an_error if {
	some e in allowlist_config.errors with data.inventory.config as config([], [])
	contains(e, "facts.allowlist")
}

test_blank_owner_fails if {
	blank := {"cidr": "192.0.2.0/24", "owner": "  ", "reason": "why"}
	some v in findings(config([blank], []))
	contains(v.msg, "has a blank owner")
}

test_no_config_is_not_applicable if {
	allowlist_config.not_applicable with data.inventory.config as null
}

# The rule is about the configuration: without one it is undecided.
test_no_config_is_undecided if {
	allowlist_config.undecided with data.inventory.config as null
}

test_config_is_not_undecided if {
	not allowlist_config.undecided with data.inventory.config as config([], [])
}
