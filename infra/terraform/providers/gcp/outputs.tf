output "cluster" {
  description = "The cell's cluster (modules/kubernetes-cluster)."
  value       = module.kubernetes_cluster.cluster
}

output "network" {
  description = "The cell's network (modules/networking)."
  value       = module.networking.network
}

output "audit_store" {
  description = "The locked audit bucket (modules/storage)."
  value       = module.audit_store.bucket
}

output "volume_kms_key_id" {
  description = "Cloud KMS key for the kaze-block StorageClass of the overlay."
  value       = google_kms_crypto_key.cell["volumes"].id
}

output "vault_service_account" {
  description = "Google service account for Vault's Workload Identity (overlay patch)."
  value       = google_service_account.vault.email
}
