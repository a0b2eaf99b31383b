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

facts := object.get(data.inventory, ["facts", "allowlist"], null)

has_facts if is_object(facts)

found_in_tenants := object.get(data.inventory, ["facts", "allowlist", "tenants"], [])

found_in_verticals := object.get(data.inventory, ["facts", "allowlist", "verticals"], {})

# The facts of the i-th entry of the ti-th tenant, or of the vertical named; null when absent.
tenant_fact(ti, i) := fact if {
	fact := facts.tenants[ti][i]
} else := null

vertical_fact(name, i) := fact if {
	fact := facts.verticals[name][i]
} else := null

fact_at(["tenants", ti, i]) := tenant_fact(ti, i)

fact_at(["verticals", name, i]) := vertical_fact(name, i)

# The positions (["tenants", ti, i] or ["verticals", name, i]) of the entries that may never
# let a connection through: something was found against them, or they have no facts. Found
# by walking the facts (regorus indexes an array slowly, entry by entry), so that a policy
# asks `not position in refused` per entry.
refused contains ["tenants", ti, i] if {
	some ti, found_in in found_in_tenants
	some i, found in found_in
	count(found) > 0
}

refused contains ["verticals", name, i] if {
	some name, found_in in found_in_verticals
	some i, found in found_in
	count(found) > 0
}

refused contains ["tenants", ti, i] if {
	some ti, t in object.get(tenancy.config, "tenants", [])
	judged := count(tenant_facts(ti))
	some i, _ in object.get(t, "egress", [])
	i >= judged
}

refused contains ["verticals", name, i] if {
	some name, v in object.get(tenancy.config, "verticals", {})
	judged := count(object.get(found_in_verticals, name, []))
	some i, _ in object.get(v, "egress", [])
	i >= judged
}

tenant_facts(ti) := found_in if {
	found_in := found_in_tenants[ti]
} else := []

# usable_at(position): the facts clear the entry there.
usable_at(position) if {
	has_facts
	not position in refused
}

# usable(fact): nothing was found against the entry (a fact holds only what was found).
usable(fact) if {
	is_object(fact)
	count(fact) == 0
}

# refusals(fact): why the entry must never let a connection through (empty: it may).
refusals(fact) := {"has not been judged: the allowlist analysis (facts.allowlist) holds nothing for it"} if {
	not is_object(fact)
}

refusals(fact) := {refusal(kind, found) | some kind, found in fact} if is_object(fact)

refusal("unjudged", why) := sprintf("cannot be judged (%s): write it as the schema asks", [why])

refusal("reaches", reached) := sprintf("reaches what no allowlist may open (%s): agents could reach the node itself or the cloud's metadata service and its credentials; remove it", [places]) if {
	places := concat("; ", [sprintf("%s, %s", [r.range, r.what]) | some r in reached])
}

refusal("is_public_suffix", suffix) := sprintf("is the public suffix %s, not a host of one organisation: name the host", [suffix])

refusal("covers_public_suffix", suffix) := sprintf("covers every name under the public suffix %s, where anyone can register one: name the organisation's own domain or host", [suffix])

refusal("covers_suffix_below", suffix) := sprintf("covers a provider's whole namespace, with the public suffix %s under which anyone can register a name: name the organisation's own domain or host", [suffix])

refusal("ends_in_a_number", _) := "ends in a number, which URL parsers and resolvers read as an IPv4 address (2130706433 is 127.0.0.1): write an address as a CIDR"

# What this package cannot word still refuses the entry, and says so.
refusal(kind, _) := sprintf("has a finding this policy does not know (%s): update kaze-policy", [kind]) if {
	not kind in {"unjudged", "reaches", "is_public_suffix", "covers_public_suffix", "covers_suffix_below", "ends_in_a_number"}
}
