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

facts := object.get(data.inventory, ["facts", "allowlist"], null)

has_facts if is_object(facts)

# The facts of the i-th entry of the ti-th tenant, or of the vertical named; null when absent.
tenant_fact(ti, i) := fact if {
	fact := facts.tenants[ti][i]
} else := null

vertical_fact(name, i) := fact if {
	fact := facts.verticals[name][i]
} else := null

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
