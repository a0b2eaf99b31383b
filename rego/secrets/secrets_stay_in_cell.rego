# METADATA
# title: In a customer-VPC cell, nothing replicates or syncs secrets out of the cell
# description: >-
#   In customer-VPC mode the client keeps its data and its keys in its own account, and
#   Speedrun's operators have no access to its secrets: client keys never leave the VPC. A
#   copy made by the platform itself breaks that as surely as a leak. So, in a customer-VPC
#   cell: no External Secrets PushSecret (or ClusterPushSecret) may push to a store outside
#   the cell (a Vault, Kubernetes or webhook provider whose address is not a cluster service,
#   i.e. does not end in .svc or .svc.cluster.local as a whole suffix, or any cloud or SaaS
#   secret manager); no Vault secrets sync destination may be declared in Terraform
#   (vault_secrets_sync_*_destination, or a vault_generic_endpoint on sys/sync/destinations),
#   since every destination type is a service outside the cell; no Vault replication may be
#   enabled (a vault_generic_endpoint on sys/replication, or a live Vault whose performance
#   or DR replication is not disabled), since a replication partner holds every secret; and
#   the live Vault (VaultSnapshot) has no secret sync to an endpoint outside the cell.
# custom:
#   id: KZ-SEC-05
#   severity: high
#   scopes: [iac]
#   reference: "docs/requirements.md#provider-keys; docs/requirements.md#secrets"
#   remediation: >-
#     Remove the sync, push or replication. Secrets of a customer-VPC cell live in the
#     cell's own Vault (https://vault.vault.svc:8200) only; a workload that needs one reads it
#     there, and a recovery copy belongs in the client's own account under the client's
#     control (a Vault snapshot to the cell's object store), never in Speedrun's systems.
#   frameworks:
#     soc2: [CC6.1, CC6.7, C1.1]
#     iso27001: [A.5.14, A.8.12]
#     nist80053: [AC-4, SC-7]
package kaze.secrets.secrets_stay_in_cell

import rego.v1

import data.kaze.lib.k8s
import data.kaze.lib.network
import data.kaze.lib.tenancy
import data.kaze.lib.vault

not_applicable := concat("", [
	"the cell's mode is not configured (kaze-policy.yaml cell.mode): ",
	"the rule applies to customer-VPC cells only",
]) if {
	tenancy.cell_mode == null
}

not_applicable := sprintf("this is an %s cell: the rule applies to customer-VPC cells only", [tenancy.cell_mode]) if {
	tenancy.cell_mode != null
	tenancy.cell_mode != "customer-vpc"
}

# In agency mode nothing of this rule applies: without the mode, nothing is certain. Undecided
# marks that the configuration left it open.
undecided := not_applicable if tenancy.cell_mode == null

errors contains msg if {
	some push in _pushes
	some ref in _store_refs(push)
	count(_stores(push, ref)) == 0
	msg := sprintf(
		"%s pushes to %s %v, which is not in this target: where it sends secrets cannot be judged",
		[push.id, _store_kind(ref), object.get(ref, "name", object.get(ref, "labelSelector", "?"))],
	)
}

# External Secrets: a push through a store whose provider is outside the cell.
violation contains v if {
	some push in _pushes
	some ref in _store_refs(push)
	some store in _stores(push, ref)
	some d in _destinations(store)
	d.inside == false
	v := {
		"msg": sprintf(
			concat("", [
				"%s pushes secrets through %s %s to %s, outside the cell: in a customer-VPC cell secrets stay ",
				"in the cell's own Vault; remove the push or point it to a store inside the cell",
			]),
			[_push_text(push), store.kind, store.name, _outside_text(d)],
		),
		"resource": push.id,
		"evidence": {"store": store.id, "provider": d.provider, "endpoint": d.endpoint},
	}
}

# Terraform: a Vault secrets sync destination.
violation contains v if {
	some kind in _sync_destination_kinds
	some r in vault.resources_of(kind)
	r.apiVersion == "terraform"
	v := {
		"msg": sprintf(
			concat("", [
				"%s.%s declares a Vault secrets sync destination (%s), which copies the synced secrets outside ",
				"the cell: remove it and its associations; in a customer-VPC cell secrets stay in the cell's own Vault",
			]),
			[r.kind, r.name, trim_suffix(trim_prefix(r.kind, "vault_secrets_sync_"), "_destination")],
		),
		"resource": r.id,
		"evidence": {"type": r.kind, "destination": object.get(r.object, "name", r.name)},
	}
}

# Terraform: a generic endpoint that configures a sync destination or replication.
violation contains v if {
	some r in vault.resources_of("vault_generic_endpoint")
	r.apiVersion == "terraform"
	path := trim_prefix(object.get(r.object, "path", ""), "/")
	some prefix, what in _endpoint_findings
	startswith(path, prefix)
	v := {
		"msg": sprintf(
			concat("", [
				"vault_generic_endpoint.%s writes %s and so %s: remove it; ",
				"in a customer-VPC cell secrets stay in the cell's own Vault",
			]),
			[r.name, path, what],
		),
		"resource": r.id,
		"evidence": {"path": path},
	}
}

# A live Vault (VaultSnapshot): replication.
violation contains v if {
	some s in vault.snapshots
	some kind, status in object.get(s.object, "replication", {})
	is_object(status)
	replication_mode := lower(sprintf("%v", [object.get(status, "mode", "disabled")]))
	not replication_mode in {"disabled", "", "null"}
	v := {
		"msg": sprintf(
			concat("", [
				"The Vault of %s has %s replication enabled (mode %s), which gives another cluster a copy of every ",
				"secret: disable it; in a customer-VPC cell secrets stay in the cell's own Vault",
			]),
			[s.id, kind, replication_mode],
		),
		"resource": s.id,
		"evidence": {"replication": kind, "status": status},
	}
}

# A live Vault (VaultSnapshot): secret syncs.
violation contains v if {
	some s in vault.snapshots
	some sync in object.get(s.object, "secretSyncs", [])
	is_object(sync)
	endpoint := object.get(sync, "endpoint", null)
	not _inside_endpoint(endpoint)
	v := {
		"msg": sprintf(
			concat("", [
				"The Vault of %s syncs secrets to %v (%v, %v), outside the cell: remove the sync destination; ",
				"in a customer-VPC cell secrets stay in the cell's own Vault",
			]),
			[s.id, object.get(sync, "name", "?"), object.get(sync, "type", "?"), endpoint],
		),
		"resource": s.id,
		"evidence": {
			"name": object.get(sync, "name", null),
			"type": object.get(sync, "type", null),
			"endpoint": endpoint,
		},
	}
}

# ---------------------------------------------------------------------------------------
# External Secrets: PushSecret / ClusterPushSecret → SecretStore / ClusterSecretStore

_pushes := array.concat(vault.resources_of("PushSecret"), vault.resources_of("ClusterPushSecret"))

_store_refs(push) := object.get(push.object, ["spec", "secretStoreRefs"], []) if push.kind == "PushSecret"

_store_refs(push) := object.get(push.object, ["spec", "pushSecretSpec", "secretStoreRefs"], []) if {
	push.kind == "ClusterPushSecret"
}

_store_kind(ref) := object.get(ref, "kind", "SecretStore")

# The stores a reference names (by name, or by labels).
_stores(push, ref) := [s |
	some s in vault.resources_of(_store_kind(ref))
	s.name == ref.name
	_same_scope(push, s)
] if {
	is_string(ref.name)
}

_stores(push, ref) := [s |
	some s in vault.resources_of(_store_kind(ref))
	network.selector_matches(ref.labelSelector, k8s.labels(s.object))
	_same_scope(push, s)
] if {
	not is_string(object.get(ref, "name", null))
	is_object(object.get(ref, "labelSelector", null))
}

_stores(_, ref) := [] if {
	not is_string(object.get(ref, "name", null))
	not is_object(object.get(ref, "labelSelector", null))
}

# A SecretStore serves the PushSecrets of its own namespace.
_same_scope(_, store) if store.kind == "ClusterSecretStore"

_same_scope(push, store) if {
	store.kind == "SecretStore"
	store.namespace == push.namespace
}

# Where a store sends what is pushed to it: {provider, endpoint (or null), inside}.
_destinations(store) := {d |
	some type, settings in object.get(store.object, ["spec", "provider"], {})
	d := _provider_destination(type, settings)
}

_provider_destination("vault", settings) := {
	"provider": "vault",
	"endpoint": settings.server,
	"inside": _inside(settings.server),
}

_provider_destination("webhook", settings) := {
	"provider": "webhook",
	"endpoint": settings.url,
	"inside": _inside(settings.url),
}

# The Kubernetes provider writes to this cluster unless it names another API server.
_provider_destination("kubernetes", settings) := destination if {
	url := settings.server.url
	is_string(url)
	destination := {"provider": "kubernetes", "endpoint": url, "inside": _inside(url)}
}

_provider_destination("kubernetes", settings) := {"provider": "kubernetes", "endpoint": null, "inside": true} if {
	not is_string(object.get(settings, ["server", "url"], null))
}

# The fake provider keeps values in the operator's memory.
_provider_destination("fake", _) := {"provider": "fake", "endpoint": null, "inside": true}

# Every other provider is a cloud or SaaS secret manager.
_provider_destination(type, _) := {"provider": type, "endpoint": null, "inside": false} if {
	not type in {"vault", "webhook", "kubernetes", "fake"}
}

_inside(address) if vault.inside_cell(address)

_inside(address) := false if not vault.inside_cell(address)

_outside_text(d) := sprintf("the %s provider at %s", [d.provider, d.endpoint]) if d.endpoint != null

_outside_text(d) := sprintf("the %s provider, a secret manager outside the cell", [d.provider]) if {
	d.endpoint == null
}

_push_text(push) := sprintf("%s %s/%s", [push.kind, push.namespace, push.name]) if is_string(push.namespace)

_push_text(push) := sprintf("%s %s", [push.kind, push.name]) if not is_string(push.namespace)

# ---------------------------------------------------------------------------------------
# Terraform: Vault secrets sync destinations and replication

_sync_destination_kinds contains kind if {
	some kind, _ in object.get(data.inventory, "by_kind", {})
	startswith(kind, "vault_secrets_sync_")
	endswith(kind, "_destination")
}

_endpoint_findings := {
	"sys/sync/destinations/": "declares a Vault secrets sync destination, which copies secrets outside the cell",
	"sys/replication/": "configures Vault replication, which gives another cluster a copy of every secret",
}

_inside_endpoint(endpoint) if {
	is_string(endpoint)
	vault.inside_cell(endpoint)
}
