package kaze.lib.network_test

import rego.v1

import data.kaze.lib.network

_labels := {"kaze.io/tenant": "acme", "kubernetes.io/metadata.name": "tenant-acme"}

_expression(operator, values) := {"key": "kaze.io/tenant", "operator": operator, "values": values}

# name: [the selector, whether it selects _labels]
_selectors := {
	"empty selects all": [{}, true],
	"matching label": [{"matchLabels": {"kaze.io/tenant": "acme"}}, true],
	"other label": [{"matchLabels": {"kaze.io/tenant": "globex"}}, false],
	"In": [{"matchExpressions": [_expression("In", ["acme", "x"])]}, true],
	"In, other values": [{"matchExpressions": [_expression("In", ["x"])]}, false],
	"Exists": [{"matchExpressions": [{"key": "kaze.io/tenant", "operator": "Exists"}]}, true],
	"DoesNotExist": [{"matchExpressions": [{"key": "kaze.io/tenant", "operator": "DoesNotExist"}]}, false],
	"NotIn": [{"matchExpressions": [_expression("NotIn", ["acme"])]}, false],
	"NotIn, other values": [{"matchExpressions": [_expression("NotIn", ["x"])]}, true],
	"unknown operator": [{"matchExpressions": [_expression("Near", ["acme"])]}, false],
	"not an object": ["kaze.io/tenant=acme", false],
}

test_selectors[name] if {
	some name, [selector, want] in _selectors
	_selector_matches(selector, _labels) == want
}

test_not_in_matches_a_missing_label if {
	network.selector_matches({"matchExpressions": [_expression("NotIn", ["acme"])]}, {})
	not network.selector_matches({"matchExpressions": [{"key": "kaze.io/tenant", "operator": "Exists"}]}, {})
	network.selector_matches({"matchExpressions": [{"key": "kaze.io/tenant", "operator": "DoesNotExist"}]}, {})
}

test_namespace_labels_include_the_name if {
	namespaces := {"tenant-acme": {"labels": {"kaze.io/tenant": "acme"}}}
	labels := network.namespace_labels("tenant-acme") with data.inventory.namespaces as namespaces
	labels == {"kaze.io/tenant": "acme", "kubernetes.io/metadata.name": "tenant-acme"}
	network.namespace_labels("other") == {"kubernetes.io/metadata.name": "other"} with data.inventory.namespaces as {}
}

# name: [inner, outer, whether outer contains inner]
_cidrs := {
	"narrower": ["198.51.100.128/25", "198.51.100.0/24", true],
	"the same": ["198.51.100.0/24", "198.51.100.0/24", true],
	"wider": ["198.51.100.0/23", "198.51.100.0/24", false],
	"another family": ["2001:db8::/48", "0.0.0.0/0", false],
	"IPv6 in IPv6": ["2001:db8::/48", "2001:db8::/32", true],
	"invalid inner": ["203.0.113.0/33", "0.0.0.0/0", false],
	"invalid outer": ["203.0.113.0/24", "0.0.0.0/33", false],
}

test_cidr_within[name] if {
	some name, [inner, outer, want] in _cidrs
	_cidr_within(inner, outer) == want
}

test_cidr_parts if {
	network.prefix_length("2001:db8:4000::/40") == 40
	network.prefix_length("192.0.2.0/24") == 24
	not network.prefix_length("192.0.2.7")
	network.family("2001:db8::/32") == "IPv6"
	network.family("192.0.2.0/24") == "IPv4"
	network.valid_cidr("192.0.2.0/24")
	not network.valid_cidr("192.0.2.7")
	not network.valid_cidr(24)
}

# name: [allowed, the port item, whether allowed allows every port of it]
_ports := {
	"every port": [null, "1-65535", true],
	"the port": [[443], 443, true],
	"a range, all allowed": [[443, 444], "443-444", true],
	"a range, one allowed": [[443], "443-444", false],
	"another port": [[443], 22, false],
	"a port as a string": [[443], "443", true],
}

test_ports_allow[name] if {
	some name, [allowed, port, want] in _ports
	_ports_allow(allowed, port) == want
}

# name: [the name or pattern, the allowlisted entry, whether it is within the entry]
_fqdns := {
	"the very name": ["api.openai.com", "api.openai.com", true],
	"case and trailing dot": ["API.OpenAI.com.", "api.openai.com", true],
	"a pattern under a name": ["*.openai.com", "api.openai.com", false],
	"a subdomain": ["api.stripe.com", "*.stripe.com", true],
	"the same pattern": ["*.stripe.com", "*.stripe.com", true],
	"a deeper subdomain": ["eu.files.stripe.com", "*.stripe.com", true],
	"the apex": ["stripe.com", "*.stripe.com", false],
	"a lookalike": ["evilstripe.com", "*.stripe.com", false],
	"a wider pattern": ["*stripe.com", "*.stripe.com", false],
	"everything": ["*", "*.stripe.com", false],
}

test_fqdn_within[name] if {
	some name, [fqdn, entry, want] in _fqdns
	_fqdn_within(fqdn, entry) == want
}

_selector_matches(selector, labels) if {
	network.selector_matches(selector, labels)
} else := false

_cidr_within(inner, outer) if {
	network.cidr_within(inner, outer)
} else := false

_ports_allow(allowed, port) if {
	network.ports_allow(allowed, port)
} else := false

_fqdn_within(fqdn, entry) if {
	network.fqdn_within(fqdn, entry)
} else := false
