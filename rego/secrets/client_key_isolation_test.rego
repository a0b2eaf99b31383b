package kaze.secrets.client_key_isolation_test

import rego.v1

import data.kaze.secrets.client_key_isolation
import data.kaze.testing.inventory

unknown := "kaze-probe-unknown-client"

config := {"tenants": [
	{"name": "acme", "vertical": "finance", "namespaces": ["tenant-acme"]},
	{"name": "acme-corp", "vertical": "finance", "namespaces": ["tenant-acme-corp"]},
	{"name": "globex", "vertical": "healthcare", "namespaces": ["tenant-globex"]},
]}

access(policy, client) := {
	"policy": policy, "source": sprintf("VaultPolicy/%s", [policy]), "client": client,
	"path": sprintf("kv/data/clients/%s/kaze-probe-key", [client]), "capabilities": ["read"],
	"all_clients": client == unknown,
}

policy_resource(name) := {
	"id": sprintf("VaultPolicy/%s", [name]), "kind": "VaultPolicy", "apiVersion": "vault",
	"name": name, "object": {},
}

role_resource(name, namespaces, policies) := {
	"id": sprintf("VaultAuthRole/%s", [name]), "kind": "VaultAuthRole", "apiVersion": "vault", "name": name,
	"object": {
		"bound_service_account_names": ["agent"], "bound_service_account_namespaces": namespaces,
		"token_policies": policies,
	},
}

_inv(entries, resources) := object.union(inventory.with_config(resources, config), {
	"namespaces": {},
	"facts": {"vault_acl": {"client_access": entries, "errors": [], "unknown_client": unknown}},
})

own := [access("client-acme-agent", "acme"), access("client-globex-agent", "globex")]

own_resources := [policy_resource("client-acme-agent"), policy_resource("client-globex-agent")]

# Each case: the Vault policies' access to client keys, and how many findings it gives.
count_cases := {
	"own clients pass": [own, 0],
	"break-glass may reach every client": [
		array.concat(own, [access("break-glass", "acme"), access("break-glass", "globex"), access("break-glass", unknown)]),
		0,
	],
	"a lookalike of break-glass is not break-glass": [[access("support-break-glass", unknown)], 1],
	"a platform policy reading one client fails": [[access("platform-support", "globex")], 1],
	# client-acme-corp-agent belongs to acme-corp, not to acme.
	"longest client name owns the policy": [[access("client-acme-corp-agent", "acme-corp")], 0],
	"longest client name owns the policy, not a shorter one": [[access("client-acme-corp-agent", "acme")], 1],
}

test_count[name] if {
	some name, [entries, want] in count_cases
	count(client_key_isolation.violation) == want with data.inventory as _inv(entries, own_resources)
}

test_policy_reaching_every_client_fails if {
	entries := array.concat(own, [access("support", "acme"), access("support", "globex"), access("support", unknown)])
	vs := client_key_isolation.violation with data.inventory as _inv(entries, own_resources)
	count(vs) == 1
	some v in vs
	v.resource == "VaultPolicy/support"
	v.evidence.client == "<any client>"
	contains(v.msg, "kv/data/clients/<any client>/")
}

test_own_policy_with_a_plus_segment_fails if {
	entries := array.concat(own, [access("client-acme-agent", unknown)])
	some v in client_key_isolation.violation with data.inventory as _inv(entries, own_resources)
	v.resource == "VaultPolicy/client-acme-agent"
	v.evidence.owner == "acme"
}

test_another_clients_path_fails if {
	entries := array.concat(own, [access("client-globex-agent", "acme")])
	vs := client_key_isolation.violation with data.inventory as _inv(entries, own_resources)
	count(vs) == 1
	some v in vs
	v.resource == "VaultPolicy/client-globex-agent"
	v.evidence.client == "acme"
}

test_role_attaching_another_clients_policy_fails if {
	roles := [
		role_resource("acme-agent", ["tenant-acme"], ["client-acme-agent"]),
		role_resource("globex-agent", ["tenant-globex"], ["client-globex-agent", "client-acme-agent"]),
	]
	vs := client_key_isolation.violation with data.inventory as _inv(own, array.concat(own_resources, roles))
	count(vs) == 1
	some v in vs
	v.resource == "VaultAuthRole/globex-agent"
	v.evidence.policy == "client-acme-agent"
	v.evidence.tenant == "globex"
}

test_role_attaching_break_glass_to_a_tenant_fails if {
	roles := [role_resource("acme-agent", ["tenant-acme"], ["client-acme-agent", "break-glass"])]
	some v in client_key_isolation.violation with data.inventory as _inv(own, array.concat(own_resources, roles))
	v.resource == "VaultAuthRole/acme-agent"
	v.evidence.policy_reaches == ["every client's keys (it is the break-glass policy)"]
}

test_role_open_to_every_namespace_fails if {
	roles := [role_resource("acme-agent", ["*"], ["client-acme-agent"])]
	some v in client_key_isolation.violation with data.inventory as _inv(own, array.concat(own_resources, roles))
	v.evidence.bound_namespace == "*"
}

test_role_glob_admitting_another_tenant_fails if {
	roles := [role_resource("acme-agent", ["tenant-*"], ["client-acme-agent"])]
	vs := client_key_isolation.violation with data.inventory as _inv(own, array.concat(own_resources, roles))
	{v.evidence.tenant | some v in vs} == {"acme-corp", "globex"}
}

test_role_of_the_shared_plane_is_not_judged if {
	roles := [role_resource("llm-gateway", ["kaze-llm-gateway"], ["platform-llm-gateway"])]
	count(client_key_isolation.violation) == 0 with data.inventory as _inv(own, array.concat(own_resources, roles))
}

test_live_auth_role_is_judged if {
	snapshot := {
		"id": "VaultSnapshot/cell", "kind": "VaultSnapshot", "apiVersion": "snapshot.kaze.io/v1", "name": "cell",
		"object": {"authRoles": [{
			"mount": "kubernetes", "name": "globex-agent", "policies": ["client-acme-agent"],
			"boundServiceAccountNames": ["agent"], "boundServiceAccountNamespaces": ["tenant-globex"],
		}]},
	}
	some v in client_key_isolation.violation with data.inventory as _inv(own, array.concat(own_resources, [snapshot]))
	v.resource == "VaultSnapshot/cell"
	v.evidence.role == "globex-agent"
}

test_missing_analysis_is_an_error if {
	inv := object.remove(_inv(own, own_resources), ["facts"])
	count(client_key_isolation.errors) == 1 with data.inventory as inv
}

test_unparsable_policy_is_an_error if {
	unparsable := {"policy": "x", "source": "VaultPolicy/x", "error": "line 2: invalid"}
	inv := object.union(
		_inv(own, own_resources),
		{"facts": {"vault_acl": {"client_access": own, "errors": [unparsable]}}},
	)
	some e in client_key_isolation.errors with data.inventory as inv
	contains(e, "Vault policy x")
}

test_terraform_vault_policy_is_an_error if {
	tf := {
		"id": "terraform/vault/vault_policy.x", "kind": "vault_policy", "apiVersion": "terraform",
		"name": "x", "object": {},
	}
	count(client_key_isolation.errors) == 1 with data.inventory as _inv(own, array.concat(own_resources, [tf]))
}

test_not_applicable_without_vault if {
	client_key_isolation.not_applicable with data.inventory as _inv([], [])
}
