output "network" {
  description = "Cloud-neutral description of the cell's network."
  value       = local.network
}
