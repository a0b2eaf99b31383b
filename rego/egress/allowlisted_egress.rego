# METADATA
# title: Tenant workloads reach outside the cluster only their tenant's and vertical's allowlisted endpoints
# description: >-
#   Agents may call only the external endpoints their tenant and its vertical have
#   allowlisted, each on its ports, and may resolve names only through the cluster DNS (a DNS
#   server elsewhere is a channel out of the cell, and a way around FQDN policies). This control
#   takes what all NetworkPolicies and CiliumNetworkPolicies let each workload of a tenant
#   namespace reach outside the cluster (ipBlock and toCIDR ranges, toFQDNs names and patterns,
#   and their ports) and checks every destination against the allowlists of kaze-policy.yaml:
#   a CIDR must lie inside an allowlisted CIDR, a name or pattern inside an allowlisted name or
#   wildcard, and every port must be one the entry allows. An entry that KZ-EGR-03 refuses
#   for what it opens (the node itself, a metadata service, a public suffix) allows nothing.
# custom:
#   id: KZ-EGR-01
#   severity: critical
#   scopes: [iac, cluster]
#   reference: "docs/requirements.md#egress-filtering"
#   remediation: >-
#     Narrow the egress rule to the allowlisted CIDRs (ipBlock or toCIDR) or names (Cilium
#     toFQDNs), on the ports of their allowlist entry, and allow port 53 only to the cluster DNS
#     pods; or, when the destination is needed, add it to the tenant's or vertical's egress
#     allowlist in kaze-policy.yaml with its owner, reason and ports.
#   frameworks:
#     soc2: [CC6.6]
#     iso27001: [A.8.20, A.8.22, A.8.23]
#     nist80053: [SC-7, SC-7(5), AC-4]
#     cis_kubernetes: ["5.3.2"]
package kaze.egress.allowlisted_egress

import rego.v1

import data.kaze.lib.allowlist
import data.kaze.lib.k8s
import data.kaze.lib.naming
import data.kaze.lib.network
import data.kaze.lib.tenancy

# Without kaze-policy.yaml the allowlists and the cluster DNS are unknown; a workload open to
# the whole internet, or sending DNS queries to an address outside the cluster, fails under
# every configuration all the same.
undecided := concat("", [
	"no kaze-policy.yaml: the tenants' and verticals' egress allowlists and the cluster DNS are unknown, ",
	"so the external destinations and in-cluster DNS servers of tenant workloads are undecided; ",
	"egress open to the world and DNS to addresses outside the cluster were checked",
]) if {
	not tenancy.has_config
	some w in _egress
	_needs_config(w)
}

_needs_config(w) if count(object.get(w, "cidrs", [])) > 0

_needs_config(w) if count(object.get(w, "fqdns", [])) > 0

_needs_config(w) if {
	some target in object.get(w, "dns", [])
	_in_cluster(target)
}

_egress_facts := object.get(data.inventory, ["facts", "netpol", "egress"], null)

default _egress := {}

_egress := _egress_facts if is_object(_egress_facts)

errors contains concat("", [
	"the NetworkPolicy analysis (facts.netpol.egress) is missing: ",
	"the workloads' external egress cannot be judged",
]) if {
	not is_object(_egress_facts)
}

errors contains concat("", [
	"the allowlist analysis (facts.allowlist) is missing: ",
	"which allowlist entries may be used cannot be judged",
]) if {
	tenancy.has_config
	not allowlist.has_facts
}

# ---------------------------------------------------------------------------------------
# Allowlists: the tenant's entries and its vertical's, each with the list it comes from.

_verticals_of[c.name] contains c.vertical if some c in tenancy.tenants

# The vertical of each tenant the configuration declares (once).
_vertical_of[t] := v if {
	some t, vs in _verticals_of
	count(vs) == 1
	some v in vs
}

# Every entry of a tenant's lists with the position of its facts (rego/lib/allowlist.rego).
_listed_of[c.name] contains {
	"list": sprintf("tenant %s", [c.name]),
	"entry": e,
	"at": ["tenants", ti, i],
} if {
	some ti, c in tenancy.tenants
	some i, e in object.get(c, "egress", [])
}

_listed_of[c.name] contains {
	"list": sprintf("vertical %s", [c.vertical]),
	"entry": e,
	"at": ["verticals", c.vertical, i],
} if {
	some c in tenancy.tenants
	some i, e in object.get(tenancy.config, ["verticals", c.vertical, "egress"], [])
}

# An entry the analysis refuses (KZ-EGR-03: the node itself, a metadata service, a public
# suffix) allows nothing, here as in `decide egress`.
_allowlist_of[t] contains {"list": x.list, "entry": x.entry} if {
	some t, listed in _listed_of
	some x in listed
	allowlist.usable_at(x.at)
}

_refused_of[t] contains x if {
	some t, listed in _listed_of
	some x in listed
	not allowlist.usable_at(x.at)
}

# A tenant that the configuration does not declare has no allowlist.
_allowlist(t) := object.get(_allowlist_of, t, set())

# Why a destination on no usable entry may still look allowlisted: refused entries cover it.
_refused_text(field, t, value) := sprintf(" (%s)", [concat("; ", texts)]) if {
	texts := sort([sprintf(
		"the allowlist entry %s of %s covers it, but it %s",
		[x.entry[field], x.list, concat("; it ", sort(allowlist.refusals(allowlist.fact_at(x.at))))],
	) |
		some x in object.get(_refused_of, t, set())
		_within(field, value, x.entry)
	])
	count(texts) > 0
} else := ""

_within("cidr", value, entry) if network.cidr_within(value, entry.cidr)

_within("fqdn", value, entry) if network.fqdn_within(value, entry.fqdn)

_lists_text(t) := sprintf("tenant %s, vertical %s", [t, _vertical_of[t]])

_lists_text(t) := sprintf("tenant %s, which kaze-policy.yaml does not declare", [t]) if {
	tenancy.has_config
	not _vertical_of[t]
}

_lists_text(t) := sprintf("tenant %s; there is no kaze-policy.yaml to allowlist any", [t]) if {
	not tenancy.has_config
}

# The entries whose destination contains the given one.
_covering(field, t, value) := [x |
	some x in _allowlist(t)
	_within(field, value, x.entry)
]

_entry_ports(x) := object.get(x.entry, "ports", null)

# The ports of one destination that no covering entry allows ("all ports" when the rule opens
# every port and no entry allows every port).
_refused_ports(entries, item) := ["all ports"] if {
	count(item.ports) == 0
	not _some_entry_allows_all(entries)
}

_refused_ports(entries, item) := [p |
	some p in item.ports
	not _some_entry_allows(entries, p)
] if {
	count(item.ports) > 0
}

_some_entry_allows_all(entries) if {
	some x in entries
	_entry_ports(x) == null
}

_some_entry_allows(entries, port) if {
	some x in entries
	network.ports_allow(_entry_ports(x), port)
}

_allowed_ports_text(entries) := "every port" if _some_entry_allows_all(entries)

_allowed_ports_text(entries) := concat(", ", [sprintf("%v", [port]) | some port in sort(allowed)]) if {
	not _some_entry_allows_all(entries)
	allowed := {p | some x in entries; some p in _entry_ports(x)}
}

_ports_text(item) := "every port" if count(item.ports) == 0

_ports_text(item) := sprintf(
	"%s %s",
	[item.protocol, concat(", ", [sprintf("%v", [p]) | some p in item.ports])],
) if {
	count(item.ports) > 0
}

# ---------------------------------------------------------------------------------------
# Cluster DNS: config.dns, or kube-system/k8s-app=kube-dns when the configuration names none.

_default_dns := {"namespace": "kube-system", "podLabels": {"k8s-app": "kube-dns"}}

_dns_config := object.get(tenancy.config, "dns", _default_dns)

_dns_namespace := object.get(_dns_config, "namespace", "kube-system")

_dns_labels := object.get(_dns_config, "podLabels", {})

_cluster_dns_text := sprintf(
	"%s pods labelled %s",
	[_dns_namespace, concat(", ", [sprintf("%s=%s", [k, v]) | some k, v in _dns_labels])],
) if {
	count(_dns_labels) > 0
}

_cluster_dns_text := sprintf("the pods of %s", [_dns_namespace]) if count(_dns_labels) == 0

_cluster_dns(target) if target == sprintf("ClusterDNS/%s", [_dns_namespace])

_cluster_dns(target) if {
	r := data.inventory.resources[target]
	r.namespace == _dns_namespace
	labels := object.get(k8s.pod_metadata(r.object), "labels", {})
	every k, v in _dns_labels {
		labels[k] == v
	}
}

# ---------------------------------------------------------------------------------------
# Violations

violation contains v if {
	some id, w in _egress
	w.unrestricted == true
	v := {
		"msg": sprintf(
			concat("", [
				"%s of tenant %s may reach any address outside the cluster (it is not isolated for egress, ",
				"or a rule has no destination or allows the world): add a default-deny egress policy ",
				"and allow only the destinations on its egress allowlists (%s)",
			]),
			[naming.describe(id), w.tenant, _lists_text(w.tenant)],
		),
		"resource": id,
		"evidence": {"tenant": w.tenant, "unrestricted": true},
	}
}

# A destination that no allowlist entry contains.
violation contains v if {
	tenancy.has_config
	some id, w in _egress
	some field in ["cidr", "fqdn"]
	some item in w[sprintf("%ss", [field])]
	not _covered_by_world_finding(w, field, item)
	count(_covering(field, w.tenant, item[field])) == 0
	v := {
		"msg": sprintf(
			concat("", [
				"%s may reach %s (%s), which is on no egress allowlist (%s)%s: remove it from the egress rule, ",
				"or add it to the allowlist in kaze-policy.yaml with an owner and a reason",
			]),
			[
				naming.describe(id), item[field], _ports_text(item), _lists_text(w.tenant),
				_refused_text(field, w.tenant, item[field]),
			],
		),
		"resource": id,
		"evidence": {
			"tenant": w.tenant, "vertical": object.get(_vertical_of, w.tenant, null),
			"destination": item, "allowlisted": false,
		},
	}
}

# A destination inside an allowlist entry, on ports the entry does not allow.
violation contains v if {
	tenancy.has_config
	some id, w in _egress
	some field in ["cidr", "fqdn"]
	some item in w[sprintf("%ss", [field])]
	entries := _covering(field, w.tenant, item[field])
	count(entries) > 0
	refused := _refused_ports(entries, item)
	count(refused) > 0
	v := {
		"msg": sprintf(
			"%s may reach %s on %s, but its allowlist entry allows only %s: limit the egress rule to the allowlisted ports",
			[naming.describe(id), item[field], _ports_text(item), _allowed_ports_text(entries)],
		),
		"resource": id,
		"evidence": {
			"tenant": w.tenant, "vertical": object.get(_vertical_of, w.tenant, null),
			"destination": item, "refused_ports": refused, "entries": entries,
		},
	}
}

# DNS anywhere but the cluster DNS. An address outside the cluster never is; which in-cluster
# workload is depends on the configuration (config.dns).
violation contains v if {
	some id, w in _egress
	some target in w.dns
	_dns_decided(target)
	not _cluster_dns(target)
	v := {
		"msg": sprintf(
			"%s may send DNS queries (port 53) to %s, which is not the cluster DNS (%s): allow port 53 only to the cluster DNS",
			[naming.describe(id), naming.describe(target), _cluster_dns_text],
		),
		"resource": id,
		"evidence": {
			"tenant": w.tenant, "dns": target,
			"cluster_dns": {"namespace": _dns_namespace, "podLabels": _dns_labels},
		},
	}
}

_dns_decided(target) if not _in_cluster(target)

_dns_decided(_) if tenancy.has_config

# A DNS target that is a workload of the inventory, or the configured cluster DNS.
_in_cluster(target) if data.inventory.resources[target]

_in_cluster(target) if startswith(target, "ClusterDNS/")

# The /0 ranges of an unrestricted workload are reported once, by the unrestricted finding.
_covered_by_world_finding(w, "cidr", item) if {
	w.unrestricted == true
	network.prefix_length(item.cidr) == 0
}
