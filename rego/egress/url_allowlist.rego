# METADATA
# title: The Tool Framework may call a URL only when its host is on the tenant's or vertical's allowlist
# description: >-
#   Network policies stop connections; the Tool Framework stops a tool call before it is
#   made. `kaze-policy decide egress` answers for a tenant and a URL, from the same
#   allowlists the network policies enforce: an exact host name, a leftmost wildcard
#   (*.stripe.com, never the apex), or an address inside an allowlisted CIDR, on an
#   allowlisted port, over HTTPS. An entry that KZ-EGR-03 refuses for what it opens (the
#   node itself, link-local and metadata addresses, a public suffix, a provider's whole
#   namespace) never lets a URL through, waived or not. In a scan, the control checks that
#   every allowlist entry can be decided exactly.
# custom:
#   id: KZ-EGR-04
#   severity: high
#   scopes: [iac, cluster]
#   reference: "docs/requirements.md#egress-filtering"
#   remediation: >-
#     Write allowlist hosts as lowercase DNS names (a wildcard only as the leftmost label),
#     and CIDRs in canonical form; call `kaze-policy decide egress` before every tool call.
#   frameworks:
#     soc2: [CC6.6]
#     iso27001: [A.8.20, A.8.23]
#     nist80053: [SC-7(5), AC-4]
package kaze.egress.url_allowlist

import rego.v1

import data.kaze.lib.allowlist
import data.kaze.lib.tenancy

not_applicable := "no tenants are configured (kaze-policy.yaml: tenants)" if {
	count(object.get(tenancy.config, "tenants", [])) == 0
}

# The rule is about the configured allowlists: without them, it is left open.
undecided := not_applicable if count(object.get(tenancy.config, "tenants", [])) == 0

# The asking tenant's position (names are unique: the configuration is refused otherwise).
_tenant_index := ti if {
	some ti, t in tenancy.tenants
	t.name == input.tenant
}

# The entries that match the host and port: the tenant's own (rank 0), then its vertical's
# (rank 1), each with its facts (rego/lib/allowlist.rego).
_matches contains {
	"rank": 0, "index": i, "list": sprintf("tenant %s", [input.tenant]), "entry": e,
	"at": ["tenants", _tenant_index, i],
} if {
	some i, e in object.get(tenancy.tenants[_tenant_index], "egress", [])
	_host_matches(e, input.host)
	_port_allowed(e, input.port)
}

_matches contains {
	"rank": 1, "index": i, "list": sprintf("vertical %s", [vertical]), "entry": e,
	"at": ["verticals", vertical, i],
} if {
	vertical := tenancy.tenants[_tenant_index].vertical
	some i, e in object.get(tenancy.config, ["verticals", vertical, "egress"], [])
	_host_matches(e, input.host)
	_port_allowed(e, input.port)
}

_port_allowed(entry, port) if port in object.get(entry, "ports", [443])

_host_matches(entry, host) if {
	not input.is_ip
	lower(entry.fqdn) == host
}

_host_matches(entry, host) if {
	not input.is_ip
	startswith(entry.fqdn, "*.")
	suffix := substring(entry.fqdn, 1, -1)
	endswith(host, suffix)
	count(host) > count(suffix)
}

_host_matches(entry, host) if {
	input.is_ip
	net.cidr_contains(entry.cidr, host)
}

# An entry whose facts refuse it (the node, its metadata service, a public suffix...) never
# lets a URL through, whatever else matches.
_usable contains [m.rank, m.index] if {
	some m in _matches
	allowlist.usable_at(m.at)
}

_refused contains [m.rank, m.index] if {
	some m in _matches
	not allowlist.usable_at(m.at)
}

# The first match of a kind (the tenant's list before the vertical's, then by position): one
# decision however many entries match.
_first(keys) := [m | some m in _matches; [m.rank, m.index] == min(keys)][0]

default decision := {
	"allow": false,
	"reason": "the host and port are on no allowlist of the tenant or its vertical",
}

decision := {"allow": false, "reason": sprintf("unknown tenant %v", [input.tenant])} if {
	not _tenant_index
} else := {"allow": false, "reason": sprintf("scheme %s: only https is allowed", [input.scheme])} if {
	input.scheme != "https"
} else := {"allow": true, "reason": sprintf("on the allowlist of %s", [m.list]), "entry": m.entry} if {
	count(_usable) > 0
	m := _first(_usable)
} else := {
	"allow": false,
	"reason": sprintf(
		"the entry %v of %s matches, but it %s",
		[allowlist.destination(m.entry), m.list, concat("; it ", sort(allowlist.refusals(allowlist.fact_at(m.at))))],
	),
	"entry": m.entry,
} if {
	count(_refused) > 0
	m := _first(_refused)
}

# In a scan: every allowlist entry must be decidable exactly.
_entries contains [sprintf("tenants/%s/egress/%d", [t.name, i]), e] if {
	some t in object.get(tenancy.config, "tenants", [])
	some i, e in object.get(t, "egress", [])
}

_entries contains [sprintf("verticals/%s/egress/%d", [v, i]), e] if {
	some v, spec in object.get(tenancy.config, "verticals", {})
	some i, e in object.get(spec, "egress", [])
}

_undecidable(e) := "a host name with upper-case letters" if lower(e.fqdn) != e.fqdn

_undecidable(e) := "a wildcard that is not the whole leftmost label" if {
	contains(e.fqdn, "*")
	not regex.match(`^\*\.[^*]+$`, e.fqdn)
}

_undecidable(e) := "a CIDR that does not parse" if {
	e.cidr
	not net.cidr_is_valid(e.cidr)
}

violation contains v if {
	some [where, e] in _entries
	problem := _undecidable(e)
	v := {
		"msg": sprintf(
			"kaze-policy.yaml %s is %s: the egress decision cannot match it exactly; rewrite it",
			[where, problem],
		),
		"resource": "kaze-policy.yaml",
		"evidence": {"path": where, "entry": e},
	}
}
