output "cluster" {
  description = "The cell's cluster (modules/kubernetes-cluster)."
  value       = module.kubernetes_cluster.cluster
}

output "network" {
  description = "The cell's network (modules/networking)."
  value       = module.networking.network
}

output "audit_store" {
  description = "The immutable audit storage account (modules/storage)."
  value       = module.audit_store.bucket
}

output "disk_encryption_set_id" {
  description = "Disk encryption set for the kaze-block StorageClass of the overlay."
  value       = azurerm_disk_encryption_set.cell.id
}

output "vault_identity_client_id" {
  description = "Client ID of Vault's workload identity (overlay patch vault-workload-identity.yaml)."
  value       = azurerm_user_assigned_identity.vault.client_id
}
