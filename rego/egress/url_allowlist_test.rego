package kaze.egress.url_allowlist_test

import rego.v1

import data.kaze.egress.url_allowlist

_cfg := {
	"config": {
		"tenants": [{"name": "acme", "vertical": "finance", "egress": [
			{"fqdn": "api.openai.com", "ports": [443]},
			{"cidr": "198.51.100.0/24", "ports": [443]},
		]}],
		"verticals": {"finance": {"egress": [{"fqdn": "*.stripe.com", "ports": [443]}]}},
	},
	"facts": {"allowlist": {"tenants": [[{}, {}]], "verticals": {"finance": [{}]}}},
}

# The same allowlists where the analysis refused acme's CIDR (as if it held 169.254.169.254).
_refused_cfg := json.patch(_cfg, [{
	"op": "replace", "path": "/facts/allowlist/tenants/0/1",
	"value": {"reaches": [{"range": "169.254.169.254/32", "what": "the cloud metadata service"}]},
}])

_request(host, port, is_ip) := {"tenant": "acme", "scheme": "https", "host": host, "port": port, "is_ip": is_ip}

# name: [host, port, is_ip, whether acme may call it]
_decisions := {
	"exact host allowed": ["api.openai.com", 443, false, true],
	"other port denied": ["api.openai.com", 8443, false, false],
	"lookalike suffix denied": ["evil-api.openai.com", 443, false, false],
	"vertical wildcard allows a subdomain": ["api.stripe.com", 443, false, true],
	"wildcard does not allow the apex": ["stripe.com", 443, false, false],
	"wildcard does not allow a lookalike": ["evilstripe.com", 443, false, false],
	"ip inside the CIDR allowed": ["198.51.100.17", 443, true, true],
	"ip outside the CIDR denied": ["198.51.101.10", 443, true, false],
}

test_decision[name] if {
	some name, [host, port, is_ip, want] in _decisions
	request := _request(host, port, is_ip)
	d := url_allowlist.decision with input as request with data.inventory as _cfg
	d.allow == want
}

test_http_denied if {
	request := object.union(_request("api.openai.com", 80, false), {"scheme": "http"})
	d := url_allowlist.decision with input as request with data.inventory as _cfg
	not d.allow
}

test_unknown_tenant_denied if {
	request := object.union(_request("api.openai.com", 443, false), {"tenant": "nobody"})
	d := url_allowlist.decision with input as request with data.inventory as _cfg
	not d.allow
}

test_clean_allowlist_has_no_violation if {
	count(url_allowlist.violation) == 0 with data.inventory as _cfg
}

test_mid_label_wildcard_is_a_violation if {
	bad := {"config": {"tenants": [{"name": "a", "vertical": "v", "egress": [{"fqdn": "api.*.com"}]}]}}
	count(url_allowlist.violation) == 1 with data.inventory as bad
}

# The rule is about the configured allowlists: without tenants it is undecided.
test_no_tenants_is_undecided if {
	url_allowlist.undecided with data.inventory as {"config": null}
	url_allowlist.not_applicable with data.inventory as {"config": null}
}

test_configured_tenants_are_not_undecided if {
	not url_allowlist.undecided with data.inventory as _cfg
}

test_refused_entry_never_allows if {
	d := url_allowlist.decision with input as _request("198.51.100.17", 443, true)
		with data.inventory as _refused_cfg
	not d.allow
	contains(d.reason, "the entry 198.51.100.0/24 of tenant acme matches, but it reaches what no allowlist may open")
}

test_without_facts_nothing_is_allowed if {
	d := url_allowlist.decision with input as _request("api.openai.com", 443, false)
		with data.inventory as {"config": _cfg.config}
	not d.allow
	contains(d.reason, "has not been judged")
}

test_a_usable_entry_wins_over_a_refused_one if {
	both := json.patch(_refused_cfg, [
		{"op": "add", "path": "/config/verticals/finance/egress/-", "value": {"cidr": "198.51.100.0/25", "ports": [443]}},
		{"op": "add", "path": "/facts/allowlist/verticals/finance/-", "value": {}},
	])
	d := url_allowlist.decision with input as _request("198.51.100.17", 443, true)
		with data.inventory as both
	d.allow
	d.entry.cidr == "198.51.100.0/25"
}

# The same host on the tenant's and the vertical's list: one decision, the tenant's entry.
test_two_matching_entries_give_one_decision if {
	twice := json.patch(_cfg, [
		{"op": "add", "path": "/config/verticals/finance/egress/-", "value": {"fqdn": "api.openai.com"}},
		{"op": "add", "path": "/facts/allowlist/verticals/finance/-", "value": {}},
	])
	d := url_allowlist.decision with input as _request("api.openai.com", 443, false)
		with data.inventory as twice
	d.allow
	d.reason == "on the allowlist of tenant acme"
}
