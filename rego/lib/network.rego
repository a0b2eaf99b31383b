# METADATA
# title: Network helpers
# description: >-
#   Label selectors, CIDRs, ports and FQDN patterns. Only cheap rules (no walk of the
#   inventory), so that per-object rules may import this package too.
package kaze.lib.network

import rego.v1

# ---------------------------------------------------------------------------------------
# Label selectors (metav1.LabelSelector): matchLabels AND matchExpressions; {} selects all.

# METADATA
# title: selector_matches
# description: >-
#   The label selector (metav1.LabelSelector) selects the labels: matchLabels AND
#   matchExpressions; {} selects all.
selector_matches(selector, labels) if {
	is_object(selector)
	every key, value in object.get(selector, "matchLabels", {}) {
		labels[key] == value
	}
	every expression in object.get(selector, "matchExpressions", []) {
		_expression_matches(expression, labels)
	}
}

# METADATA
# title: _expression_matches
# description: >-
#   One matchExpressions entry (In, NotIn, Exists, DoesNotExist) matches the labels. NotIn
#   also matches an object without the key, as the API server does.
# scope: document
_expression_matches(expression, labels) if {
	expression.operator == "In"
	labels[expression.key] in object.get(expression, "values", [])
}

_expression_matches(expression, labels) if {
	expression.operator == "NotIn"
	not object.get(labels, expression.key, null) in object.get(expression, "values", [])
}

_expression_matches(expression, labels) if {
	expression.operator == "Exists"
	expression.key in object.keys(labels)
}

_expression_matches(expression, labels) if {
	expression.operator == "DoesNotExist"
	not expression.key in object.keys(labels)
}

# METADATA
# title: namespace_labels
# description: >-
#   The labels of a namespace as a namespaceSelector sees them, the automatic
#   kubernetes.io/metadata.name included.
namespace_labels(ns) := object.union(
	object.get(data.inventory.namespaces, [ns, "labels"], {}),
	{"kubernetes.io/metadata.name": ns},
)

# ---------------------------------------------------------------------------------------
# CIDRs

# METADATA
# title: valid_cidr
# description: The value is a string that parses as a CIDR.
valid_cidr(cidr) if {
	is_string(cidr)
	net.cidr_is_valid(cidr)
}

# METADATA
# title: _ipv6
# description: The CIDR is an IPv6 one.
_ipv6(cidr) if contains(cidr, ":")

# METADATA
# title: family
# description: The CIDR's address family, "IPv4" or "IPv6".
# scope: document
family(cidr) := "IPv6" if _ipv6(cidr)

family(cidr) := "IPv4" if not _ipv6(cidr)

# METADATA
# title: prefix_length
# description: The prefix length of a valid CIDR (undefined for anything else).
prefix_length(cidr) := to_number(split(cidr, "/")[1]) if valid_cidr(cidr)

# METADATA
# title: cidr_within
# description: >-
#   outer contains inner (same family, as wide or narrower); false for anything invalid.
cidr_within(inner, outer) if {
	valid_cidr(inner)
	valid_cidr(outer)
	family(inner) == family(outer)
	net.cidr_contains(outer, inner)
}

# ---------------------------------------------------------------------------------------
# Ports: a number, or a string "a-b" (a range) or "a".

# METADATA
# title: _port_range
# description: The [first, last] ports of a port item (a number, "a-b" or "a").
# scope: document
_port_range(port) := [port, port] if is_number(port)

_port_range(port) := [to_number(bounds[0]), to_number(bounds[1])] if {
	is_string(port)
	bounds := split(port, "-")
	count(bounds) == 2
}

_port_range(port) := [to_number(port), to_number(port)] if {
	is_string(port)
	not contains(port, "-")
}

# METADATA
# title: ports_allow
# description: >-
#   allowed (a list of port numbers, or null for every port) allows every port of the item.
# scope: document
ports_allow(null, _) := true

ports_allow(allowed, port) if {
	is_array(allowed)
	bounds := _port_range(port)
	wanted := {p | some p in allowed; p >= bounds[0]; p <= bounds[1]}
	count(wanted) == (bounds[1] - bounds[0]) + 1
}

# ---------------------------------------------------------------------------------------
# FQDNs: a name, or a pattern with `*` (Cilium matchPattern, allowlist `*.domain`).

# METADATA
# title: _normal_fqdn
# description: A name in lower case, without surrounding space or a trailing dot.
_normal_fqdn(name) := lower(trim_suffix(trim_space(name), "."))

# METADATA
# title: fqdn_within
# description: >-
#   The name or pattern fqdn is within the allowlisted entry: a name only when it is that very
#   name; `*.domain` allows every subdomain of domain (not the domain itself), so a name or
#   pattern is within it when it ends in `.domain` after at least one character.
# scope: document
fqdn_within(fqdn, entry) if {
	not contains(entry, "*")
	not contains(fqdn, "*")
	_normal_fqdn(fqdn) == _normal_fqdn(entry)
}

fqdn_within(fqdn, entry) if {
	startswith(entry, "*.")
	suffix := trim_prefix(_normal_fqdn(entry), "*")
	name := _normal_fqdn(fqdn)
	endswith(name, suffix)
	count(name) > count(suffix)
}
