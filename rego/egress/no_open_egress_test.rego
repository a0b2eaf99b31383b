package kaze.egress.no_open_egress_test

import rego.v1

import data.kaze.egress.no_open_egress

_namespaces := {"tenant-a": {"tenant": "a", "plane": null}, "infra": {"tenant": null, "plane": "system"}}

_policy(ns, egress) := {
	"kind": "NetworkPolicy",
	"metadata": {"name": "p", "namespace": ns},
	"spec": {"podSelector": {}, "policyTypes": ["Egress"], "egress": egress},
}

_cilium_policy(egress) := {
	"kind": "CiliumNetworkPolicy",
	"metadata": {"name": "c", "namespace": "tenant-a"},
	"spec": {"egress": egress},
}

# name: [the policy, how many findings]
_policies := {
	"the world with an except": [
		_policy("tenant-a", [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}}]}]),
		1,
	],
	"a rule without to": [_policy("tenant-a", [{"ports": [{"port": 443}]}]), 1],
	"a narrow CIDR": [
		_policy("tenant-a", [{"to": [{"ipBlock": {"cidr": "203.0.113.0/24"}}], "ports": [{"port": 443}]}]),
		0,
	],
	"a system namespace, out of scope": [_policy("infra", [{}]), 0],
	"Cilium's world entity": [_cilium_policy([{"toEntities": ["world"]}]), 1],
	"Cilium to every IPv6 address": [_cilium_policy([{"toCIDRSet": [{"cidr": "::/0"}]}]), 1],
	"Cilium to a narrow CIDR": [_cilium_policy([{"toCIDR": ["203.0.113.0/24"]}]), 0],
}

test_policies[name] if {
	some name, [policy, want] in _policies
	request := {"id": "x", "object": policy}
	vs := no_open_egress.violation with input as request with data.inventory.namespaces as _namespaces
	count(vs) == want
}
