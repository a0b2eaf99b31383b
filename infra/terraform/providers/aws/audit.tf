# The audit store (KZ-AUD-01): the EKS API audit log streams from CloudWatch Logs through
# Kinesis Data Firehose into an S3 bucket with object lock in COMPLIANCE mode (nobody, not
# even the account root, can delete or shorten a record before its retention ends). The
# client's auditors can read and export everything in it.

resource "aws_s3_bucket" "audit" {
  # checkov:skip=CKV_AWS_18:the bucket holds only the audit log: Firehose writes it and the client's auditors read it (bucket policy); its server access logs would go to another bucket of the same account, no more independent than this one
  # checkov:skip=CKV2_AWS_62:nothing consumes events of the audit bucket: its only writer is the Firehose stream
  # checkov:skip=CKV2_AWS_61:object lock in COMPLIANCE mode keeps every record audit_retention_days; expiring them afterwards is the client's auditors' decision, not a lifecycle rule's
  # checkov:skip=CKV_AWS_144:the audit log stays in the cell's region (data residency); S3 stores it across availability zones
  bucket_prefix       = "kaze-${var.cell_name}-audit-"
  object_lock_enabled = true

  tags = {
    "kaze.io/purpose" = "audit-logs"
  }
}

resource "aws_s3_bucket_versioning" "audit" {
  bucket = aws_s3_bucket.audit.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_object_lock_configuration" "audit" {
  bucket = aws_s3_bucket.audit.id
  rule {
    default_retention {
      mode = "COMPLIANCE"
      days = var.audit_retention_days
    }
  }
  depends_on = [aws_s3_bucket_versioning.audit]
}

resource "aws_s3_bucket_server_side_encryption_configuration" "audit" {
  bucket = aws_s3_bucket.audit.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.cell["audit"].arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_public_access_block" "audit" {
  bucket                  = aws_s3_bucket.audit.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "audit" {
  bucket = aws_s3_bucket.audit.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

data "aws_iam_policy_document" "audit_bucket" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.audit.arn, "${aws_s3_bucket.audit.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  statement {
    sid       = "ClientAuditorsExport"
    actions   = ["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectRetention", "s3:ListBucket", "s3:ListBucketVersions"]
    resources = [aws_s3_bucket.audit.arn, "${aws_s3_bucket.audit.arn}/*"]
    principals {
      type        = "AWS"
      identifiers = var.audit_export_principal_arns
    }
  }

  statement {
    sid       = "VpcFlowLogsDelivery"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.audit.arn}/vpc-flow-logs/*"]
    principals {
      type        = "Service"
      identifiers = ["delivery.logs.amazonaws.com"]
    }
  }
}

resource "aws_s3_bucket_policy" "audit" {
  bucket = aws_s3_bucket.audit.id
  policy = data.aws_iam_policy_document.audit_bucket.json
}

# The client's auditors also decrypt with the audit key.
resource "aws_kms_grant" "audit_export" {
  for_each          = toset(var.audit_export_principal_arns)
  name              = "kaze-audit-export"
  key_id            = aws_kms_key.cell["audit"].key_id
  grantee_principal = each.value
  operations        = ["Decrypt", "DescribeKey"]
}

# CloudWatch Logs -> Firehose -> S3.
data "aws_iam_policy_document" "firehose_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["firehose.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "firehose" {
  name               = "kaze-${var.cell_name}-audit-firehose"
  assume_role_policy = data.aws_iam_policy_document.firehose_assume.json
}

data "aws_iam_policy_document" "firehose" {
  statement {
    actions   = ["s3:PutObject", "s3:GetBucketLocation", "s3:ListBucket", "s3:AbortMultipartUpload"]
    resources = [aws_s3_bucket.audit.arn, "${aws_s3_bucket.audit.arn}/*"]
  }
  statement {
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [aws_kms_key.cell["audit"].arn]
  }
}

resource "aws_iam_role_policy" "firehose" {
  name   = "deliver-audit"
  role   = aws_iam_role.firehose.id
  policy = data.aws_iam_policy_document.firehose.json
}

resource "aws_kinesis_firehose_delivery_stream" "audit" {
  name        = "kaze-${var.cell_name}-kube-audit"
  destination = "extended_s3"

  server_side_encryption {
    enabled  = true
    key_type = "CUSTOMER_MANAGED_CMK"
    key_arn  = aws_kms_key.cell["audit"].arn
  }

  extended_s3_configuration {
    role_arn            = aws_iam_role.firehose.arn
    bucket_arn          = aws_s3_bucket.audit.arn
    prefix              = "kube-audit/!{timestamp:yyyy/MM/dd}/"
    error_output_prefix = "kube-audit-errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/"
    compression_format  = "GZIP"
    kms_key_arn         = aws_kms_key.cell["audit"].arn
    buffering_interval  = 300
    buffering_size      = 64
  }
}

data "aws_iam_policy_document" "logs_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["logs.${var.region}.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "logs_to_firehose" {
  name               = "kaze-${var.cell_name}-audit-subscription"
  assume_role_policy = data.aws_iam_policy_document.logs_assume.json
}

data "aws_iam_policy_document" "logs_to_firehose" {
  statement {
    actions   = ["firehose:PutRecord", "firehose:PutRecordBatch"]
    resources = [aws_kinesis_firehose_delivery_stream.audit.arn]
  }
}

resource "aws_iam_role_policy" "logs_to_firehose" {
  name   = "put-audit"
  role   = aws_iam_role.logs_to_firehose.id
  policy = data.aws_iam_policy_document.logs_to_firehose.json
}

resource "aws_cloudwatch_log_subscription_filter" "kube_audit" {
  name            = "kube-audit-to-s3"
  log_group_name  = aws_cloudwatch_log_group.eks.name
  filter_pattern  = ""
  destination_arn = aws_kinesis_firehose_delivery_stream.audit.arn
  role_arn        = aws_iam_role.logs_to_firehose.arn
}

module "audit_store" {
  source = "../../modules/storage"

  name                  = "audit"
  bucket_id             = aws_s3_bucket.audit.arn
  endpoint              = "https://s3.${var.region}.amazonaws.com"
  object_lock_enabled   = aws_s3_bucket.audit.object_lock_enabled
  retention_mode        = aws_s3_bucket_object_lock_configuration.audit.rule[0].default_retention[0].mode
  retention_days        = var.audit_retention_days
  encryption_key_id     = aws_kms_key.cell["audit"].arn
  export_principals     = var.audit_export_principal_arns
  public_access_blocked = aws_s3_bucket_public_access_block.audit.restrict_public_buckets
}
