# Interface: "give me a bucket".
#
# Used for the cell's audit store (KZ-AUD-01): the provider creates the bucket with its own
# resources (S3 object lock, GCS locked retention policy, Azure immutability policy, MinIO
# object lock) and passes its properties through here. The module refuses a store that is
# not immutable, not encrypted, public, or that the client cannot export. No provider, no
# resources.

terraform {
  required_version = ">= 1.6.0"
}

locals {
  bucket = {
    name              = var.name
    bucket_id         = var.bucket_id
    endpoint          = var.endpoint
    immutable         = var.object_lock_enabled
    retention_mode    = var.retention_mode
    retention_days    = var.retention_days
    encryption_key_id = var.encryption_key_id
    export_principals = var.export_principals
    public            = !var.public_access_blocked
  }
}
