# The audit store on the site's MinIO: a bucket with object lock in COMPLIANCE mode (objects
# cannot be deleted or overwritten before their retention ends, by anyone). The client's
# auditors (a MinIO group with a read-only policy on this bucket) can export it.

resource "aws_s3_bucket" "audit" {
  # checkov:skip=CKV_AWS_18:a bucket of the site's MinIO (provider aws.minio), which has no S3 server access logging; MinIO's audit webhook records access
  # checkov:skip=CKV2_AWS_62:nothing consumes events of the audit bucket
  # checkov:skip=CKV2_AWS_61:object lock in COMPLIANCE mode keeps every record audit_retention_days; expiring them afterwards is the client's auditors' decision, not a lifecycle rule's
  # checkov:skip=CKV_AWS_144:a bucket of the site's MinIO: the audit log stays on site, protected by MinIO's erasure coding
  # checkov:skip=CKV2_AWS_6:a bucket of the site's MinIO, which has no S3 Block Public Access; no bucket policy grants anonymous access
  provider            = aws.minio
  bucket              = "kaze-${var.cell_name}-audit"
  object_lock_enabled = true

  tags = {
    "kaze.io/purpose" = "audit-logs"
  }
}

resource "aws_s3_bucket_versioning" "audit" {
  provider = aws.minio
  bucket   = aws_s3_bucket.audit.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_object_lock_configuration" "audit" {
  provider = aws.minio
  bucket   = aws_s3_bucket.audit.id
  rule {
    default_retention {
      mode = "COMPLIANCE"
      days = var.audit_retention_days
    }
  }
  depends_on = [aws_s3_bucket_versioning.audit]
}

resource "aws_s3_bucket_server_side_encryption_configuration" "audit" {
  provider = aws.minio
  bucket   = aws_s3_bucket.audit.id
  rule {
    apply_server_side_encryption_by_default {
      # MinIO KES, backed by the site's KMS.
      sse_algorithm     = "aws:kms"
      kms_master_key_id = "kaze-${var.cell_name}-audit"
    }
  }
}

module "audit_store" {
  source = "../../modules/storage"

  name                  = "audit"
  bucket_id             = aws_s3_bucket.audit.arn
  endpoint              = var.minio_endpoint
  object_lock_enabled   = aws_s3_bucket.audit.object_lock_enabled
  retention_mode        = aws_s3_bucket_object_lock_configuration.audit.rule[0].default_retention[0].mode
  retention_days        = var.audit_retention_days
  encryption_key_id     = "kaze-${var.cell_name}-audit"
  export_principals     = var.audit_export_principals
  public_access_blocked = true
}
