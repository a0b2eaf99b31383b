package kaze.secrets.secrets_stay_in_cell_test

import rego.v1

import data.kaze.secrets.secrets_stay_in_cell
import data.kaze.testing.inventory

vpc := {"cell": {"name": "acme-vpc", "mode": "customer-vpc"}}

agency := {"cell": {"name": "a", "mode": "agency"}}

_store(kind, name, namespace, provider) := inventory.resource(kind, namespace, name, {
	"metadata": {"labels": {"kaze.io/store": name}},
	"spec": {"provider": provider},
})

_push(refs) := inventory.resource("PushSecret", "tenant-acme", "push", {"spec": {"secretStoreRefs": refs}})

_cluster_ref(name) := {"name": name, "kind": "ClusterSecretStore"}

_hub := _store("ClusterSecretStore", "hub", null, {"vault": {"server": "https://vault.hub.speedrun.kaze.io:8200"}})

_cell := _store("ClusterSecretStore", "cell", null, {"vault": {"server": "https://vault.vault.svc:8200"}})

_evil := _store(
	"ClusterSecretStore", "evil", null,
	{"vault": {"server": "https://vault.svc.cluster.local.evil.example"}},
)

_aws := _store("SecretStore", "aws", "tenant-acme", {"aws": {"service": "SecretsManager", "region": "eu-west-1"}})

_in_cluster := _store("ClusterSecretStore", "k", null, {"kubernetes": {"remoteNamespace": "backup"}})

_tf(kind, obj) := {
	"id": sprintf("terraform/vault/%s.x", [kind]),
	"kind": kind,
	"name": "x",
	"apiVersion": "terraform",
	"object": obj,
}

_snapshot(obj) := inventory.resource("VaultSnapshot", null, "cell", obj)

_github_sync := {"name": "gh", "type": "gh", "endpoint": "https://api.github.com"}

# In a customer-VPC cell: how many violations each set of resources gives.
test_violations[name] if {
	some name, [resources, want] in {
		"push to a vault outside the cell": [[_hub, _push([_cluster_ref("hub")])], 1],
		"push to the cell's vault": [[_cell, _push([_cluster_ref("cell")])], 0],
		"lookalike cluster suffix is outside": [[_evil, _push([_cluster_ref("evil")])], 1],
		"push to a cloud secret manager": [[_aws, _push([{"name": "aws"}])], 1],
		"push selecting stores by label": [
			[_hub, _cell, _push([{"kind": "ClusterSecretStore", "labelSelector": {"matchLabels": {"kaze.io/store": "hub"}}}])],
			1,
		],
		"kubernetes provider in the cluster": [[_in_cluster, _push([_cluster_ref("k")])], 0],
		"terraform sync destination": [[_tf("vault_secrets_sync_aws_destination", {"name": "aws"})], 1],
		"terraform replication": [[_tf("vault_generic_endpoint", {"path": "sys/replication/performance/primary/enable"})], 1],
		"terraform audit endpoint": [[_tf("vault_generic_endpoint", {"path": "sys/audit/file"})], 0],
		"live replication": [
			[_snapshot({"replication": {"performance": {"mode": "primary"}, "dr": {"mode": "disabled"}}, "secretSyncs": []})],
			1,
		],
		"live secret sync outside": [
			[_snapshot({"replication": {}, "secretSyncs": [_github_sync]})],
			1,
		],
		"live vault without replication": [
			[_snapshot({"replication": {"performance": {"mode": "disabled"}, "dr": {"mode": "disabled"}}, "secretSyncs": []})],
			0,
		],
	}
	inv := inventory.with_config(resources, vpc)
	count(secrets_stay_in_cell.violation) == want with data.inventory as inv
}

test_push_to_a_vault_outside_the_cell_names_the_store if {
	inv := inventory.with_config([_hub, _push([_cluster_ref("hub")])], vpc)
	some v in secrets_stay_in_cell.violation with data.inventory as inv
	v.resource == "PushSecret/tenant-acme/push"
	v.evidence.store == "ClusterSecretStore/hub"
}

test_push_to_a_cloud_secret_manager_names_the_provider if {
	inv := inventory.with_config([_aws, _push([{"name": "aws"}])], vpc)
	some v in secrets_stay_in_cell.violation with data.inventory as inv
	v.evidence.provider == "aws"
}

test_store_of_another_namespace_is_not_used if {
	other := _store("SecretStore", "cell", "tenant-globex", {"vault": {"server": "https://vault.vault.svc:8200"}})
	inv := inventory.with_config([other, _push([{"name": "cell"}])], vpc)
	count(secrets_stay_in_cell.errors) == 1 with data.inventory as inv
}

test_terraform_sync_destination_is_the_resource if {
	inv := inventory.with_config([_tf("vault_secrets_sync_aws_destination", {"name": "aws"})], vpc)
	some v in secrets_stay_in_cell.violation with data.inventory as inv
	v.resource == "terraform/vault/vault_secrets_sync_aws_destination.x"
}

test_live_replication_names_the_kind if {
	s := _snapshot({"replication": {"performance": {"mode": "primary"}, "dr": {"mode": "disabled"}}, "secretSyncs": []})
	some v in secrets_stay_in_cell.violation with data.inventory as inventory.with_config([s], vpc)
	v.evidence.replication == "performance"
}

test_not_applicable_in_agency_mode if {
	want := "this is an agency cell: the rule applies to customer-VPC cells only"
	secrets_stay_in_cell.not_applicable == want with data.inventory as inventory.with_config([], agency)
}

test_not_applicable_without_mode if {
	secrets_stay_in_cell.not_applicable with data.inventory as inventory.with_config([], null)
}

# Without the cell's mode nothing of the rule is certain: undecided.
test_undecided_without_mode if {
	contains(secrets_stay_in_cell.undecided, "cell.mode") with data.inventory as inventory.with_config([], null)
}

test_not_undecided_with_mode if {
	not secrets_stay_in_cell.undecided with data.inventory as inventory.with_config([], agency)
}
