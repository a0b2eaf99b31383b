output "bucket" {
  description = "Cloud-neutral description of the bucket."
  value       = local.bucket
}
