# METADATA
# title: Network helpers
# description: >-
#   Label selectors, CIDRs, ports and FQDN patterns. Only cheap rules (no walk of the
#   inventory), so that per-object rules may import this package too.
package kaze.lib.network

import rego.v1

# ---------------------------------------------------------------------------------------
# Label selectors (metav1.LabelSelector): matchLabels AND matchExpressions; {} selects all.

selector_matches(selector, labels) if {
	is_object(selector)
	every key, value in object.get(selector, "matchLabels", {}) {
		labels[key] == value
	}
	every expression in object.get(selector, "matchExpressions", []) {
		expression_matches(expression, labels)
	}
}

expression_matches(expression, labels) if {
	expression.operator == "In"
	labels[expression.key] in object.get(expression, "values", [])
}

# NotIn also matches an object without the key, as the API server does.
expression_matches(expression, labels) if {
	expression.operator == "NotIn"
	not object.get(labels, expression.key, null) in object.get(expression, "values", [])
}

expression_matches(expression, labels) if {
	expression.operator == "Exists"
	expression.key in object.keys(labels)
}

expression_matches(expression, labels) if {
	expression.operator == "DoesNotExist"
	not expression.key in object.keys(labels)
}

# The labels of a namespace as a namespaceSelector sees them, the automatic
# kubernetes.io/metadata.name included.
namespace_labels(ns) := object.union(
	object.get(data.inventory.namespaces, [ns, "labels"], {}),
	{"kubernetes.io/metadata.name": ns},
)

# ---------------------------------------------------------------------------------------
# CIDRs

valid_cidr(cidr) if {
	is_string(cidr)
	net.cidr_is_valid(cidr)
}

ipv6(cidr) if contains(cidr, ":")

family(cidr) := "IPv6" if ipv6(cidr)

family(cidr) := "IPv4" if not ipv6(cidr)

prefix_length(cidr) := to_number(split(cidr, "/")[1]) if valid_cidr(cidr)

# outer contains inner (same family, as wide or narrower); false for anything invalid.
cidr_within(inner, outer) if {
	valid_cidr(inner)
	valid_cidr(outer)
	family(inner) == family(outer)
	net.cidr_contains(outer, inner)
}

# ---------------------------------------------------------------------------------------
# Ports: a number, or a string "a-b" (a range) or "a".

port_range(port) := [port, port] if is_number(port)

port_range(port) := [to_number(bounds[0]), to_number(bounds[1])] if {
	is_string(port)
	bounds := split(port, "-")
	count(bounds) == 2
}

port_range(port) := [to_number(port), to_number(port)] if {
	is_string(port)
	not contains(port, "-")
}

# allowed (a list of port numbers, or null for every port) allows every port of the item.
ports_allow(null, _) := true

ports_allow(allowed, port) if {
	is_array(allowed)
	bounds := port_range(port)
	wanted := {p | some p in allowed; p >= bounds[0]; p <= bounds[1]}
	count(wanted) == (bounds[1] - bounds[0]) + 1
}

# ---------------------------------------------------------------------------------------
# FQDNs: a name, or a pattern with `*` (Cilium matchPattern, allowlist `*.domain`).

normal_fqdn(name) := lower(trim_suffix(trim_space(name), "."))

# A name or pattern is within an allowlisted name only when it is that very name.
fqdn_within(fqdn, entry) if {
	not contains(entry, "*")
	not contains(fqdn, "*")
	normal_fqdn(fqdn) == normal_fqdn(entry)
}

# `*.domain` allows every subdomain of domain (not the domain itself): a name or pattern is
# within it when it ends in `.domain` after at least one character.
fqdn_within(fqdn, entry) if {
	startswith(entry, "*.")
	suffix := trim_prefix(normal_fqdn(entry), "*")
	name := normal_fqdn(fqdn)
	endswith(name, suffix)
	count(name) > count(suffix)
}
