output "cluster" {
  description = "Cloud-neutral description of the cell's cluster."
  value       = local.cluster
}
