package kaze.secrets.secrets_stay_in_cell_test

import rego.v1

import data.kaze.secrets.secrets_stay_in_cell

vpc := {"cell": {"name": "acme-vpc", "mode": "customer-vpc"}}

inventory(config, resources) := {
	"config": config,
	"resources": {r.id: r | some r in resources},
	"by_kind": {kind: [r.id | some r in resources; r.kind == kind] | some kind in {r.kind | some r in resources}},
}

store(kind, name, namespace, provider) := {
	"id": concat("/", [x | some x in [kind, namespace, name]; x != null]),
	"kind": kind, "name": name, "namespace": namespace,
	"object": {"kind": kind, "metadata": {"name": name, "labels": {"kaze.io/store": name}}, "spec": {"provider": provider}},
}

push(refs) := {
	"id": "PushSecret/tenant-acme/push", "kind": "PushSecret", "name": "push", "namespace": "tenant-acme",
	"object": {"spec": {"secretStoreRefs": refs}},
}

hub := store("ClusterSecretStore", "hub", null, {"vault": {"server": "https://vault.hub.speedrun.kaze.io:8200"}})

cell := store("ClusterSecretStore", "cell", null, {"vault": {"server": "https://vault.vault.svc:8200"}})

test_push_to_a_vault_outside_the_cell_fails if {
	vs := secrets_stay_in_cell.violation with data.inventory as inventory(vpc, [hub, push([{"name": "hub", "kind": "ClusterSecretStore"}])])
	some v in vs
	v.resource == "PushSecret/tenant-acme/push"
	v.evidence.store == "ClusterSecretStore/hub"
}

test_push_to_the_cells_vault_passes if {
	count(secrets_stay_in_cell.violation) == 0 with data.inventory as inventory(vpc, [cell, push([{"name": "cell", "kind": "ClusterSecretStore"}])])
}

test_lookalike_cluster_suffix_is_outside if {
	evil := store("ClusterSecretStore", "evil", null, {"vault": {"server": "https://vault.svc.cluster.local.evil.example"}})
	count(secrets_stay_in_cell.violation) == 1 with data.inventory as inventory(vpc, [evil, push([{"name": "evil", "kind": "ClusterSecretStore"}])])
}

test_push_to_a_cloud_secret_manager_fails if {
	aws := store("SecretStore", "aws", "tenant-acme", {"aws": {"service": "SecretsManager", "region": "eu-west-1"}})
	some v in secrets_stay_in_cell.violation with data.inventory as inventory(vpc, [aws, push([{"name": "aws"}])])
	v.evidence.provider == "aws"
}

test_push_selecting_stores_by_label if {
	refs := [{"kind": "ClusterSecretStore", "labelSelector": {"matchLabels": {"kaze.io/store": "hub"}}}]
	count(secrets_stay_in_cell.violation) == 1 with data.inventory as inventory(vpc, [hub, cell, push(refs)])
}

test_store_of_another_namespace_is_not_used if {
	other := store("SecretStore", "cell", "tenant-globex", {"vault": {"server": "https://vault.vault.svc:8200"}})
	count(secrets_stay_in_cell.errors) == 1 with data.inventory as inventory(vpc, [other, push([{"name": "cell"}])])
}

test_kubernetes_provider_in_cluster_passes if {
	k := store("ClusterSecretStore", "k", null, {"kubernetes": {"remoteNamespace": "backup"}})
	count(secrets_stay_in_cell.violation) == 0 with data.inventory as inventory(vpc, [k, push([{"name": "k", "kind": "ClusterSecretStore"}])])
}

tf(kind, obj) := {"id": sprintf("terraform/vault/%s.x", [kind]), "kind": kind, "name": "x", "apiVersion": "terraform", "object": obj}

test_terraform_sync_destination_fails if {
	some v in secrets_stay_in_cell.violation with data.inventory as inventory(vpc, [tf("vault_secrets_sync_aws_destination", {"name": "aws"})])
	v.resource == "terraform/vault/vault_secrets_sync_aws_destination.x"
}

test_terraform_replication_fails if {
	count(secrets_stay_in_cell.violation) == 1 with data.inventory as inventory(vpc, [tf("vault_generic_endpoint", {"path": "sys/replication/performance/primary/enable"})])
	count(secrets_stay_in_cell.violation) == 0 with data.inventory as inventory(vpc, [tf("vault_generic_endpoint", {"path": "sys/audit/file"})])
}

snapshot(obj) := {"id": "VaultSnapshot/cell", "kind": "VaultSnapshot", "name": "cell", "object": obj}

test_live_replication_fails if {
	s := snapshot({"replication": {"performance": {"mode": "primary"}, "dr": {"mode": "disabled"}}, "secretSyncs": []})
	some v in secrets_stay_in_cell.violation with data.inventory as inventory(vpc, [s])
	v.evidence.replication == "performance"
}

test_live_secret_sync_outside_fails if {
	s := snapshot({"replication": {}, "secretSyncs": [{"name": "gh", "type": "gh", "endpoint": "https://api.github.com"}]})
	count(secrets_stay_in_cell.violation) == 1 with data.inventory as inventory(vpc, [s])
}

test_live_vault_without_replication_passes if {
	s := snapshot({"replication": {"performance": {"mode": "disabled"}, "dr": {"mode": "disabled"}}, "secretSyncs": []})
	count(secrets_stay_in_cell.violation) == 0 with data.inventory as inventory(vpc, [s])
}

test_not_applicable_in_agency_mode if {
	secrets_stay_in_cell.not_applicable == "this is an agency cell: the rule applies to customer-VPC cells only" with data.inventory as inventory({"cell": {"name": "a", "mode": "agency"}}, [])
}

test_not_applicable_without_mode if {
	secrets_stay_in_cell.not_applicable with data.inventory as inventory(null, [])
}

# Without the cell's mode nothing of the rule is certain: undecided.
test_undecided_without_mode if {
	contains(secrets_stay_in_cell.undecided, "cell.mode") with data.inventory as inventory(null, [])
}

test_not_undecided_with_mode if {
	not secrets_stay_in_cell.undecided with data.inventory as inventory({"cell": {"name": "a", "mode": "agency"}}, [])
}
