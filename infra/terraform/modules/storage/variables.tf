variable "name" {
  description = "Role of the bucket in the cell, e.g. audit."
  type        = string
}

variable "bucket_id" {
  description = "Identifier of the bucket (ARN, gs:// URL, storage account/container, MinIO bucket)."
  type        = string
}

variable "endpoint" {
  description = "S3-compatible (or native) endpoint of the bucket."
  type        = string
}

variable "object_lock_enabled" {
  description = "Objects cannot be deleted or overwritten before their retention ends."
  type        = bool
  validation {
    condition     = var.object_lock_enabled
    error_message = "KZ-AUD-01: the audit store must be immutable (object lock / locked retention)."
  }
}

variable "retention_mode" {
  description = "COMPLIANCE (S3, MinIO) or LOCKED (GCS retention policy, Azure immutability policy): nobody, not even an administrator, can shorten it."
  type        = string
  validation {
    condition     = contains(["COMPLIANCE", "LOCKED"], var.retention_mode)
    error_message = "Governance-mode locks can be bypassed by an administrator; use COMPLIANCE or a locked policy."
  }
}

variable "retention_days" {
  description = "How long each audit object is immutable."
  type        = number
  validation {
    condition     = var.retention_days >= 365
    error_message = "Audit logs are kept immutable for at least one year."
  }
}

variable "encryption_key_id" {
  description = "Customer-managed key that encrypts the bucket."
  type        = string
}

variable "export_principals" {
  description = "Who may read and export the audit logs: the client's own auditors (KZ-AUD-01)."
  type        = list(string)
  validation {
    condition     = length(var.export_principals) >= 1
    error_message = "KZ-AUD-01: the client must be able to export its audit logs."
  }
}

variable "public_access_blocked" {
  description = "The bucket cannot be made public."
  type        = bool
  validation {
    condition     = var.public_access_blocked
    error_message = "The audit store is never public."
  }
}
