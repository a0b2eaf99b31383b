# METADATA
# title: Every egress allowlist entry is valid, owned, explained and no wider than a /24 (IPv4) or /48 (IPv6)
# description: >-
#   The per-tenant and per-vertical allowlists of kaze-policy.yaml decide where agents may
#   connect outside the cell. Each entry must be accountable (an owner and a reason) and
#   narrow: a wide CIDR such as a /16 lets agents reach whole provider networks that nobody
#   reviewed, and a wildcard over a top-level domain is the same for names. The JSON schema
#   already requires an owner and a reason; this control checks what the schema cannot: that a
#   CIDR is a real network no wider than a /24 (IPv4) or /48 (IPv6), and that owner and reason
#   are not blank. Some entries open what no allowlist may, however narrow they look, and
#   `kaze-policy decide egress` never allows a URL through them: a network on the node itself
#   or its link (loopback, link-local, 0.0.0.0/8, ::1, fe80::/10, also in their IPv4-mapped
#   and NAT64 forms), the cloud metadata services (169.254.169.254, fd00:ec2::254 and their
#   host names), a public suffix of the Public Suffix List (`com`, `*.co.uk`) or a wildcard
#   over a provider's namespace that holds one (`*.amazonaws.com` covers s3.amazonaws.com,
#   where anyone can create a bucket), and a name ending in a number (read as an IPv4
#   address). A justified wide range is a waiver of KZ-EGR-03, with a reason and an expiry.
# custom:
#   id: KZ-EGR-03
#   severity: medium
#   scopes: [iac]
#   reference: "docs/requirements.md#egress-filtering"
#   remediation: >-
#     Replace a wide CIDR by the /24 (IPv4) or /48 (IPv6) networks, or narrower, that the
#     integration really uses; write every CIDR as network/prefix (e.g. 198.51.100.0/24);
#     name the organisation's own host or domain instead of a public suffix or a provider's
#     namespace (the bucket's host, not *.amazonaws.com); remove entries on loopback,
#     link-local or metadata addresses; give each entry the owning team and the reason. A range
#     that must stay wider needs a waiver of KZ-EGR-03
#     (waivers: control, reason, by, until).
#   frameworks:
#     soc2: [CC6.6, CC8.1]
#     iso27001: [A.8.9, A.8.20]
#     nist80053: [SC-7(5), CM-6]
package kaze.egress.allowlist_config

import rego.v1

import data.kaze.lib.allowlist
import data.kaze.lib.network
import data.kaze.lib.tenancy

# The configuration has no inventory id: findings name the file (see fixtures/README.md).
_config_resource := "kaze-policy.yaml"

_widest_prefix := {"IPv4": 24, "IPv6": 48}

not_applicable := "no kaze-policy.yaml: there is no allowlist to check" if not tenancy.has_config

# The rule is about the configuration itself: without one, it is left open.
undecided := not_applicable if not tenancy.has_config

# Every allowlist entry with where it sits in the configuration (`at`: its facts' position).
_entries contains _tenant_item(ti, t, i, e) if {
	some ti, t in object.get(tenancy.config, "tenants", [])
	some i, e in object.get(t, "egress", [])
}

_entries contains _vertical_item(name, i, e) if {
	some name, vertical in object.get(tenancy.config, "verticals", {})
	some i, e in object.get(vertical, "egress", [])
}

_tenant_item(ti, t, i, e) := {
	"path": sprintf("tenants/%v/egress/%d", [object.get(t, "name", ti), i]),
	"list": sprintf("tenant %v", [object.get(t, "name", ti)]),
	"entry": e,
	"at": ["tenants", ti, i],
}

_vertical_item(name, i, e) := {
	"path": sprintf("verticals/%s/egress/%d", [name, i]),
	"list": sprintf("vertical %s", [name]),
	"entry": e,
	"at": ["verticals", name, i],
}

_item_at(["tenants", ti, i]) := _tenant_item(ti, t, i, t.egress[i]) if t := tenancy.config.tenants[ti]

_item_at(["verticals", name, i]) := _vertical_item(name, i, tenancy.config.verticals[name].egress[i])

errors contains concat("", [
	"the allowlist analysis (facts.allowlist) is missing: ",
	"whether an entry opens the node, its metadata service or a public suffix cannot be judged",
]) if {
	tenancy.has_config
	not allowlist.has_facts
}

_invalid_cidr(item) if {
	cidr := item.entry.cidr
	not network.valid_cidr(cidr)
}

_problems contains {
	"item": item,
	"problem": "is not a valid CIDR: write it as network/prefix, e.g. 198.51.100.0/24",
} if {
	some item in _entries
	_invalid_cidr(item)
}

_problems contains {"item": item, "problem": sprintf(
	"is wider than a /%d (%s): narrow it, or waive KZ-EGR-03 for it with a reason and an expiry",
	[limit, network.family(cidr)],
)} if {
	some item in _entries
	cidr := item.entry.cidr
	limit := _widest_prefix[network.family(cidr)]
	network.prefix_length(cidr) < limit
}

# What the entry opens (rego/lib/allowlist.rego): no waiver makes decide egress allow it.
# (A CIDR that is not one is reported above, once.) Only the refused entries are visited.
_problems contains {"item": item, "problem": refusal} if {
	allowlist.has_facts
	some position in allowlist.refused
	item := _item_at(position)
	not _invalid_cidr(item)
	some refusal in allowlist.refusals(allowlist.fact_at(position))
}

_problems contains {"item": item, "problem": sprintf("has a blank %s: name the %s", [field, meaning])} if {
	some item in _entries
	some field, meaning in {"owner": "team that owns the entry", "reason": "reason the destination is needed"}
	trim_space(object.get(item.entry, field, "")) == ""
}

violation contains v if {
	some p in _problems
	v := {
		"msg": sprintf(
			"kaze-policy.yaml: the allowlist entry %v of %s (%s) %s",
			[allowlist.destination(p.item.entry), p.item.list, p.item.path, p.problem],
		),
		"resource": _config_resource,
		"evidence": {"path": p.item.path, "entry": p.item.entry},
	}
}
