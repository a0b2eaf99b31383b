output "cluster" {
  description = "The cell's cluster (modules/kubernetes-cluster)."
  value       = module.kubernetes_cluster.cluster
}

output "network" {
  description = "The cell's network (modules/networking)."
  value       = module.networking.network
}

output "audit_store" {
  description = "The object-locked audit store (modules/storage)."
  value       = module.audit_store.bucket
}

output "volume_kms_key_arn" {
  description = "KMS key for the kaze-block StorageClass of the overlay."
  value       = aws_kms_key.cell["volumes"].arn
}

output "vault_unseal_kms_key_alias" {
  description = "KMS key alias for Vault's awskms seal (overlay patch vault-seal.yaml)."
  value       = aws_kms_alias.cell["vault-unseal"].name
}

output "metering_database_endpoint" {
  description = "Private endpoint of the metering database, when created."
  value       = try(aws_db_instance.metering[0].address, null)
}
