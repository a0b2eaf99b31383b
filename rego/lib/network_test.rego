package kaze.lib.network_test

import rego.v1

import data.kaze.lib.network

test_selectors if {
	labels := {"kaze.io/tenant": "acme", "kubernetes.io/metadata.name": "tenant-acme"}
	network.selector_matches({}, labels)
	network.selector_matches({"matchLabels": {"kaze.io/tenant": "acme"}}, labels)
	not network.selector_matches({"matchLabels": {"kaze.io/tenant": "globex"}}, labels)
	network.selector_matches({"matchExpressions": [{"key": "kaze.io/tenant", "operator": "In", "values": ["acme", "x"]}]}, labels)
	network.selector_matches({"matchExpressions": [{"key": "kaze.io/tenant", "operator": "Exists"}]}, labels)
	not network.selector_matches({"matchExpressions": [{"key": "kaze.io/tenant", "operator": "DoesNotExist"}]}, labels)
	not network.selector_matches({"matchExpressions": [{"key": "kaze.io/tenant", "operator": "NotIn", "values": ["acme"]}]}, labels)
}

test_not_in_matches_a_missing_label if {
	network.selector_matches({"matchExpressions": [{"key": "kaze.io/tenant", "operator": "NotIn", "values": ["acme"]}]}, {})
}

test_namespace_labels_include_the_name if {
	labels := network.namespace_labels("tenant-acme") with data.inventory.namespaces as {"tenant-acme": {"labels": {"kaze.io/tenant": "acme"}}}
	labels == {"kaze.io/tenant": "acme", "kubernetes.io/metadata.name": "tenant-acme"}
}

test_cidrs if {
	network.cidr_within("198.51.100.128/25", "198.51.100.0/24")
	network.cidr_within("198.51.100.0/24", "198.51.100.0/24")
	not network.cidr_within("198.51.100.0/23", "198.51.100.0/24")
	not network.cidr_within("2001:db8::/48", "0.0.0.0/0")
	not network.cidr_within("203.0.113.0/33", "0.0.0.0/0")
	network.prefix_length("2001:db8:4000::/40") == 40
	network.family("2001:db8::/32") == "IPv6"
	network.family("192.0.2.0/24") == "IPv4"
	not network.valid_cidr("192.0.2.7")
}

test_ports if {
	network.ports_allow(null, "1-65535")
	network.ports_allow([443], 443)
	network.ports_allow([443, 444], "443-444")
	not network.ports_allow([443], "443-444")
	not network.ports_allow([443], 22)
	network.ports_allow([443], "443")
}

test_fqdns if {
	network.fqdn_within("api.openai.com", "api.openai.com")
	network.fqdn_within("API.OpenAI.com.", "api.openai.com")
	not network.fqdn_within("*.openai.com", "api.openai.com")
	network.fqdn_within("api.stripe.com", "*.stripe.com")
	network.fqdn_within("*.stripe.com", "*.stripe.com")
	network.fqdn_within("eu.files.stripe.com", "*.stripe.com")
	not network.fqdn_within("stripe.com", "*.stripe.com")
	not network.fqdn_within("evilstripe.com", "*.stripe.com")
	not network.fqdn_within("*stripe.com", "*.stripe.com")
	not network.fqdn_within("*", "*.stripe.com")
}
