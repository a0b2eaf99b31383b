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

test_an_unjudged_entry_is_refused if {
	some msg in allowlist.refusals({"unjudged": "the CIDR does not parse as a network"})
	contains(msg, "cannot be judged (the CIDR does not parse as a network)")
}

test_a_reserved_network_is_refused_and_named if {
	reached := [
		{"range": "169.254.0.0/16", "what": "link-local"},
		{"range": "169.254.169.254/32", "what": "the cloud metadata service"},
	]
	msgs := allowlist.refusals({"reaches": reached})
	count(msgs) == 1
	some msg in msgs
	contains(msg, "169.254.0.0/16, link-local; 169.254.169.254/32, the cloud metadata service")
}

test_a_wildcard_over_a_public_suffix_is_refused if {
	some msg in allowlist.refusals({"covers_public_suffix": "co.uk"})
	contains(msg, "covers every name under the public suffix co.uk")
}

test_a_bare_public_suffix_is_refused if {
	some msg in allowlist.refusals({"is_public_suffix": "com"})
	contains(msg, "is the public suffix com")
}

test_a_provider_namespace_is_refused if {
	some msg in allowlist.refusals({"covers_suffix_below": "s3.amazonaws.com"})
	contains(msg, "provider's whole namespace, with the public suffix s3.amazonaws.com")
}

test_a_name_ending_in_a_number_is_refused if {
	some msg in allowlist.refusals({"ends_in_a_number": true})
	contains(msg, "read as an IPv4 address")
}

test_a_finding_of_an_unknown_kind_still_refuses if {
	not allowlist.usable({"resolves_to": "10.0.0.1"})
	some msg in allowlist.refusals({"resolves_to": "10.0.0.1"})
	contains(msg, "a finding this policy does not know (resolves_to)")
}

test_every_finding_is_worded if {
	fact := {"reaches": [{"range": "r", "what": "w"}], "is_public_suffix": "com", "ends_in_a_number": true}
	count(allowlist.refusals(fact)) == 3
}

test_facts_are_found_by_position if {
	facts := {"tenants": [[{}], [{}, {"ends_in_a_number": true}]], "verticals": {"finance": [{"is_public_suffix": "com"}]}}
	allowlist.tenant_fact(1, 1).ends_in_a_number with data.inventory.facts.allowlist as facts
	allowlist.vertical_fact("finance", 0).is_public_suffix == "com" with data.inventory.facts.allowlist as facts
	allowlist.tenant_fact(0, 0) == {} with data.inventory.facts.allowlist as facts
	allowlist.tenant_fact(2, 0) == null with data.inventory.facts.allowlist as facts
	allowlist.vertical_fact("health", 0) == null with data.inventory.facts.allowlist as facts
}

# refused: the positions with a finding, and those the facts do not reach.
test_refused_positions if {
	config := {
		"tenants": [{"name": "a", "vertical": "v", "egress": [{"fqdn": "x"}, {"fqdn": "y"}, {"fqdn": "z"}]}],
		"verticals": {"v": {"egress": [{"fqdn": "w"}]}},
	}
	facts := {"tenants": [[{}, {"is_public_suffix": "y"}]], "verticals": {"v": [{}]}}
	refused := allowlist.refused with data.inventory as {"config": config, "facts": {"allowlist": facts}}
	refused == {["tenants", 0, 1], ["tenants", 0, 2]}
	allowlist.usable_at(["tenants", 0, 0]) with data.inventory as {"config": config, "facts": {"allowlist": facts}}
	allowlist.usable_at(["verticals", "v", 0]) with data.inventory as {"config": config, "facts": {"allowlist": facts}}
	not allowlist.usable_at(["tenants", 0, 0]) with data.inventory as {"config": config, "facts": {}}
	allowlist.fact_at(["tenants", 0, 2]) == null with data.inventory as {"config": config, "facts": {"allowlist": facts}}
}
