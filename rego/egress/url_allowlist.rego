# METADATA
# title: The Tool Framework may call a URL only when its host is on the tenant's or vertical's allowlist
# description: >-
#   Network policies stop connections; the Tool Framework stops a tool call before it is
#   made. `kaze-policy decide egress` answers for a tenant and a URL, from the same
#   allowlists the network policies enforce: an exact host name, a leftmost wildcard
#   (*.stripe.com, never the apex), or an address inside an allowlisted CIDR, on an
#   allowlisted port, over HTTPS. In a scan, the control checks that every allowlist entry
#   can be decided exactly.
# custom:
#   id: KZ-EGR-04
#   severity: high
#   scopes: [iac, cluster]
#   reference: "§8 Egress Filtering (Tool Framework validates target URLs against the whitelist)"
#   remediation: >-
#     Write allowlist hosts as lowercase DNS names (a wildcard only as the leftmost label),
#     and CIDRs in canonical form; call `kaze-policy decide egress` before every tool call.
#   frameworks:
#     soc2: [CC6.6]
#     iso27001: [A.8.20, A.8.23]
#     nist80053: [SC-7(5), AC-4]
package kaze.egress.url_allowlist

import rego.v1

import data.kaze.lib.tenancy

not_applicable := "no tenants are configured (kaze-policy.yaml: tenants)" if {
	count(object.get(tenancy.config, "tenants", [])) == 0
}

# The rule is about the configured allowlists: without them, it is left open.
undecided := not_applicable if count(object.get(tenancy.config, "tenants", [])) == 0

tenant_config(name) := t if {
	some t in object.get(tenancy.config, "tenants", [])
	t.name == name
}

allowlist(name) := array.concat(
	object.get(tenant_config(name), "egress", []),
	object.get(object.get(object.get(tenancy.config, "verticals", {}), tenant_config(name).vertical, {}), "egress", []),
)

port_allowed(entry, port) if port in object.get(entry, "ports", [443])

host_matches(entry, host) if {
	not input.is_ip
	lower(entry.fqdn) == host
}

host_matches(entry, host) if {
	not input.is_ip
	startswith(entry.fqdn, "*.")
	suffix := substring(entry.fqdn, 1, -1)
	endswith(host, suffix)
	count(host) > count(suffix)
}

host_matches(entry, host) if {
	input.is_ip
	net.cidr_contains(entry.cidr, host)
}

matching_entries contains entry if {
	some entry in allowlist(input.tenant)
	host_matches(entry, input.host)
	port_allowed(entry, input.port)
}

default decision := {"allow": false, "reason": "the host and port are on no allowlist of the tenant or its vertical"}

decision := {"allow": false, "reason": sprintf("unknown tenant %v", [input.tenant])} if {
	not tenant_config(input.tenant)
}

decision := {"allow": false, "reason": sprintf("scheme %s: only https is allowed", [input.scheme])} if {
	tenant_config(input.tenant)
	input.scheme != "https"
}

decision := {"allow": true, "reason": "on the allowlist", "entry": entry} if {
	tenant_config(input.tenant)
	input.scheme == "https"
	some entry in matching_entries
}

# In a scan: every allowlist entry must be decidable exactly.
entries contains [sprintf("tenants/%s/egress/%d", [t.name, i]), e] if {
	some t in object.get(tenancy.config, "tenants", [])
	some i, e in object.get(t, "egress", [])
}

entries contains [sprintf("verticals/%s/egress/%d", [v, i]), e] if {
	some v, spec in object.get(tenancy.config, "verticals", {})
	some i, e in object.get(spec, "egress", [])
}

undecidable(e) := "a host name with upper-case letters" if lower(e.fqdn) != e.fqdn

undecidable(e) := "a wildcard that is not the whole leftmost label" if {
	contains(e.fqdn, "*")
	not regex.match(`^\*\.[^*]+$`, e.fqdn)
}

undecidable(e) := "a CIDR that does not parse" if {
	e.cidr
	not net.cidr_is_valid(e.cidr)
}

violation contains v if {
	some [where, e] in entries
	problem := undecidable(e)
	v := {
		"msg": sprintf("kaze-policy.yaml %s is %s: the egress decision cannot match it exactly; rewrite it", [where, problem]),
		"resource": "kaze-policy.yaml",
		"evidence": {"path": where, "entry": e},
	}
}
