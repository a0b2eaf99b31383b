package kaze.lib.allowlist_test

import rego.v1

import data.kaze.lib.allowlist

# A fact as kaze_policy/analysis/allowlist.py writes it, with the fields given changed.
fact(changes) := object.union({"judged": true, "why": "", "reaches": [], "wildcard": false, "public_suffix": null, "suffix_below": null, "numeric": false}, changes)

test_a_clean_entry_is_usable if {
	allowlist.usable(fact({}))
	count(allowlist.refusals(fact({}))) == 0
}

test_no_facts_is_never_usable if {
	not allowlist.usable(null)
	some msg in allowlist.refusals(null)
	contains(msg, "has not been judged")
}

test_an_unjudged_entry_is_refused if {
	some msg in allowlist.refusals(fact({"judged": false, "why": "the CIDR does not parse as a network"}))
	contains(msg, "cannot be judged (the CIDR does not parse as a network)")
}

test_a_reserved_network_is_refused_and_named if {
	reached := [
		{"range": "169.254.0.0/16", "what": "link-local"},
		{"range": "169.254.169.254/32", "what": "the cloud metadata service"},
	]
	msgs := allowlist.refusals(fact({"reaches": reached}))
	count(msgs) == 1
	some msg in msgs
	contains(msg, "169.254.0.0/16, link-local; 169.254.169.254/32, the cloud metadata service")
}

test_a_wildcard_over_a_public_suffix_is_refused if {
	msgs := allowlist.refusals(fact({"wildcard": true, "public_suffix": "co.uk", "suffix_below": "adimo.co.uk"}))
	count(msgs) == 1 # the suffix itself says it all: not also the rule under it
	some msg in msgs
	contains(msg, "covers every name under the public suffix co.uk")
}

test_a_bare_public_suffix_is_refused if {
	some msg in allowlist.refusals(fact({"public_suffix": "com"}))
	contains(msg, "is the public suffix com")
}

test_a_provider_namespace_is_refused if {
	some msg in allowlist.refusals(fact({"wildcard": true, "suffix_below": "s3.amazonaws.com"}))
	contains(msg, "provider's whole namespace, with the public suffix s3.amazonaws.com")
}

test_a_name_ending_in_a_number_is_refused if {
	some msg in allowlist.refusals(fact({"numeric": true}))
	contains(msg, "read as an IPv4 address")
}

test_facts_are_found_by_position if {
	facts := {"tenants": [[fact({})], [fact({}), fact({"numeric": true})]], "verticals": {"finance": [fact({"public_suffix": "com"})]}}
	allowlist.tenant_fact(1, 1).numeric with data.inventory.facts.allowlist as facts
	allowlist.vertical_fact("finance", 0).public_suffix == "com" with data.inventory.facts.allowlist as facts
	allowlist.tenant_fact(2, 0) == null with data.inventory.facts.allowlist as facts
	allowlist.vertical_fact("health", 0) == null with data.inventory.facts.allowlist as facts
}
