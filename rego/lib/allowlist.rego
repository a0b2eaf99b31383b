# METADATA
# title: Egress allowlist helpers
# description: >-
#   What an allowlist entry opens, from the facts kaze_policy/analysis/allowlist.py computes
#   (facts.allowlist: one fact per entry, tenants by position, verticals by name), and the
#   judgement of those facts: why an entry may never let a connection through. KZ-EGR-03
#   reports such an entry; KZ-EGR-04's decision never allows a URL through it. An entry
#   without facts is refused too: what was not judged is not cleared.
package kaze.lib.allowlist

import rego.v1

import data.kaze.lib.tenancy

_facts := object.get(data.inventory, ["facts", "allowlist"], null)

_found_in_tenants := object.get(data.inventory, ["facts", "allowlist", "tenants"], [])

_found_in_verticals := object.get(data.inventory, ["facts", "allowlist", "verticals"], {})

# METADATA
# title: destination
# description: What an allowlist entry names, its CIDR or else its FQDN, as messages quote it.
# scope: document
destination(entry) := entry.cidr

destination(entry) := entry.fqdn if not entry.cidr

# METADATA
# title: has_facts
# description: The inventory holds the allowlist analysis (facts.allowlist).
has_facts if is_object(_facts)

# METADATA
# title: tenant_fact
# description: The facts of the i-th entry of the ti-th tenant; null when absent.
tenant_fact(ti, i) := fact if {
	fact := _facts.tenants[ti][i]
} else := null

# METADATA
# title: vertical_fact
# description: The facts of the i-th entry of the vertical named; null when absent.
vertical_fact(name, i) := fact if {
	fact := _facts.verticals[name][i]
} else := null

# METADATA
# title: fact_at
# description: >-
#   The facts of the entry at a position (["tenants", ti, i] or ["verticals", name, i]);
#   null when absent.
# scope: document
fact_at(["tenants", ti, i]) := tenant_fact(ti, i)

fact_at(["verticals", name, i]) := vertical_fact(name, i)

# METADATA
# title: refused
# description: >-
#   The positions (["tenants", ti, i] or ["verticals", name, i]) of the entries that may never
#   let a connection through: something was found against them, or they have no facts. Found
#   by walking the facts (regorus indexes an array slowly, entry by entry), so that a policy
#   asks `not position in refused` per entry.
# scope: document
refused contains ["tenants", ti, i] if {
	some ti, found_in in _found_in_tenants
	some i, found in found_in
	count(found) > 0
}

refused contains ["verticals", name, i] if {
	some name, found_in in _found_in_verticals
	some i, found in found_in
	count(found) > 0
}

refused contains ["tenants", ti, i] if {
	some ti, t in object.get(tenancy.config, "tenants", [])
	judged := count(_tenant_facts(ti))
	some i, _ in object.get(t, "egress", [])
	i >= judged
}

refused contains ["verticals", name, i] if {
	some name, v in object.get(tenancy.config, "verticals", {})
	judged := count(object.get(_found_in_verticals, name, []))
	some i, _ in object.get(v, "egress", [])
	i >= judged
}

# METADATA
# title: _tenant_facts
# description: The facts of the ti-th tenant's entries ([] when the analysis holds none).
_tenant_facts(ti) := found_in if {
	found_in := _found_in_tenants[ti]
} else := []

# METADATA
# title: usable_at
# description: The facts clear the entry at the position.
usable_at(position) if {
	has_facts
	not position in refused
}

# METADATA
# title: usable
# description: Nothing was found against the entry (a fact holds only what was found).
usable(fact) if {
	is_object(fact)
	count(fact) == 0
}

# METADATA
# title: refusals
# description: >-
#   Why the entry must never let a connection through (empty: it may).
# scope: document
refusals(fact) := {"has not been judged: the allowlist analysis (facts.allowlist) holds nothing for it"} if {
	not is_object(fact)
}

refusals(fact) := {_refusal(kind, found) | some kind, found in fact} if is_object(fact)

# METADATA
# title: _refusal
# description: >-
#   Why a finding of the kind given refuses the entry, in words; what this package cannot
#   word still refuses the entry, and says so.
# scope: document
_refusal("unjudged", found) := sprintf("cannot be judged (%s): write it as the schema asks", [found])

_refusal("reaches", found) := sprintf(
	concat("", [
		"reaches what no allowlist may open (%s): agents could reach the node itself ",
		"or the cloud's metadata service and its credentials; remove it",
	]),
	[places],
) if {
	places := concat("; ", [sprintf("%s, %s", [r.range, r.what]) | some r in found])
}

_refusal("is_public_suffix", found) := sprintf(
	"is the public suffix %s, not a host of one organisation: name the host",
	[found],
)

_refusal("covers_public_suffix", found) := sprintf(
	concat("", [
		"covers every name under the public suffix %s, where anyone can register one: ",
		"name the organisation's own domain or host",
	]),
	[found],
)

_refusal("covers_suffix_below", found) := sprintf(
	concat("", [
		"covers a provider's whole namespace, with the public suffix %s under which anyone can register a name: ",
		"name the organisation's own domain or host",
	]),
	[found],
)

_refusal("ends_in_a_number", _) := concat("", [
	"ends in a number, which URL parsers and resolvers read as an IPv4 address (2130706433 is 127.0.0.1): ",
	"write an address as a CIDR",
])

_refusal(kind, _) := sprintf("has a finding this policy does not know (%s): update kaze-policy", [kind]) if {
	not kind in {
		"unjudged", "reaches", "is_public_suffix", "covers_public_suffix",
		"covers_suffix_below", "ends_in_a_number",
	}
}
