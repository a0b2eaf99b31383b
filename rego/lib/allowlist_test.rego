package kaze.lib.allowlist_test

import rego.v1

import data.kaze.lib.allowlist

# Facts as kaze_policy/analysis/allowlist.py writes them: only what was found, {} for nothing.

test_a_clean_entry_is_usable if {
	allowlist.usable({})
	count(allowlist.refusals({})) == 0
}

test_no_facts_is_never_usable if {
	not allowlist.usable(null)
	some msg in allowlist.refusals(null)
	contains(msg, "has not been judged")
}

_reached := [
	{"range": "169.254.0.0/16", "what": "link-local"},
	{"range": "169.254.169.254/32", "what": "the cloud metadata service"},
]

# name: [the fact, what its one refusal says]
_refusals := {
	"unjudged": [
		{"unjudged": "the CIDR does not parse as a network"},
		"cannot be judged (the CIDR does not parse as a network)",
	],
	"a reserved network, named": [
		{"reaches": _reached},
		"169.254.0.0/16, link-local; 169.254.169.254/32, the cloud metadata service",
	],
	"a wildcard over a public suffix": [
		{"covers_public_suffix": "co.uk"},
		"covers every name under the public suffix co.uk",
	],
	"a bare public suffix": [{"is_public_suffix": "com"}, "is the public suffix com"],
	"a provider's namespace": [
		{"covers_suffix_below": "s3.amazonaws.com"},
		"provider's whole namespace, with the public suffix s3.amazonaws.com",
	],
	"a name ending in a number": [{"ends_in_a_number": true}, "read as an IPv4 address"],
	"a finding of an unknown kind": [
		{"resolves_to": "10.0.0.1"},
		"a finding this policy does not know (resolves_to)",
	],
}

test_each_finding_refuses_the_entry[name] if {
	some name, [fact, says] in _refusals
	not allowlist.usable(fact)
	count(allowlist.refusals(fact)) == 1
	some msg in allowlist.refusals(fact)
	contains(msg, says)
}

test_every_finding_is_worded if {
	fact := {"reaches": [{"range": "r", "what": "w"}], "is_public_suffix": "com", "ends_in_a_number": true}
	count(allowlist.refusals(fact)) == 3
}

_facts := {
	"tenants": [[{}], [{}, {"ends_in_a_number": true}]],
	"verticals": {"finance": [{"is_public_suffix": "com"}]},
}

test_facts_are_found_by_position if {
	allowlist.tenant_fact(1, 1).ends_in_a_number with data.inventory.facts.allowlist as _facts
	allowlist.vertical_fact("finance", 0).is_public_suffix == "com" with data.inventory.facts.allowlist as _facts
	allowlist.tenant_fact(0, 0) == {} with data.inventory.facts.allowlist as _facts
	allowlist.tenant_fact(2, 0) == null with data.inventory.facts.allowlist as _facts
	allowlist.vertical_fact("health", 0) == null with data.inventory.facts.allowlist as _facts
	allowlist.fact_at(["tenants", 1, 1]) == {"ends_in_a_number": true} with data.inventory.facts.allowlist as _facts
	fact := allowlist.fact_at(["verticals", "finance", 0]) with data.inventory.facts.allowlist as _facts
	fact == {"is_public_suffix": "com"}
}

test_has_facts if {
	allowlist.has_facts with data.inventory.facts.allowlist as _facts
	allowlist.has_facts with data.inventory.facts.allowlist as {}
	not allowlist.has_facts with data.inventory.facts as {}
	not allowlist.has_facts with data.inventory as {}
}

_config := {
	"tenants": [{"name": "a", "vertical": "v", "egress": [{"fqdn": "x"}, {"fqdn": "y"}, {"fqdn": "z"}]}],
	"verticals": {"v": {"egress": [{"fqdn": "w"}, {"fqdn": "u"}]}},
}

_judged := {"tenants": [[{}, {"is_public_suffix": "y"}]], "verticals": {"v": [{}]}}

_judged_inventory := {"config": _config, "facts": {"allowlist": _judged}}

# refused: the positions with a finding, and those the facts do not reach.
test_refused_positions if {
	refused := allowlist.refused with data.inventory as _judged_inventory
	refused == {["tenants", 0, 1], ["tenants", 0, 2], ["verticals", "v", 1]}
}

test_without_facts_every_entry_is_refused if {
	refused := allowlist.refused with data.inventory as {"config": _config, "facts": {}}
	refused == {
		["tenants", 0, 0], ["tenants", 0, 1], ["tenants", 0, 2],
		["verticals", "v", 0], ["verticals", "v", 1],
	}
}

test_usable_at if {
	allowlist.usable_at(["tenants", 0, 0]) with data.inventory as _judged_inventory
	allowlist.usable_at(["verticals", "v", 0]) with data.inventory as _judged_inventory
	not allowlist.usable_at(["tenants", 0, 1]) with data.inventory as _judged_inventory
	not allowlist.usable_at(["tenants", 0, 0]) with data.inventory as {"config": _config, "facts": {}}
	allowlist.fact_at(["tenants", 0, 2]) == null with data.inventory as _judged_inventory
}

test_destination_is_the_cidr_or_else_the_fqdn if {
	allowlist.destination({"cidr": "10.0.0.0/8"}) == "10.0.0.0/8"
	allowlist.destination({"fqdn": "api.openai.com", "ports": [443]}) == "api.openai.com"
}
