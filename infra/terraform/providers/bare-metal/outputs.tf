output "cluster" {
  description = "The cell's cluster (modules/kubernetes-cluster)."
  value       = module.kubernetes_cluster.cluster
}

output "network" {
  description = "The cell's network (modules/networking)."
  value       = module.networking.network
}

output "audit_store" {
  description = "The object-locked audit bucket (modules/storage)."
  value       = module.audit_store.bucket
}

output "kubeconfig" {
  description = "Administrative kubeconfig for the cell bootstrap (kept in state only; break-glass)."
  value       = talos_cluster_kubeconfig.cell.kubeconfig_raw
  sensitive   = true
}

output "talosconfig" {
  description = "Talos client configuration (kept in state only; break-glass)."
  value       = data.talos_client_configuration.cell.talos_config
  sensitive   = true
}
