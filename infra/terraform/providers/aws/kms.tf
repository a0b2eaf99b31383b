# Customer-managed keys of the cell, rotated yearly by AWS. In customer-VPC mode they live in
# the client's account: the client can revoke Speedrun's use of its data at any time.

resource "aws_kms_key" "cell" {
  for_each = toset(["eks-secrets", "audit", "volumes", "vault-unseal", "database", "logs"])

  description             = "kaze ${var.cell_name} ${each.key}"
  enable_key_rotation     = true
  rotation_period_in_days = 365
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.kms[each.key].json
}

resource "aws_kms_alias" "cell" {
  for_each      = aws_kms_key.cell
  name          = "alias/kaze-${var.cell_name}-${each.key}"
  target_key_id = each.value.key_id
}

data "aws_iam_policy_document" "kms" {
  # checkov:skip=CKV_AWS_111:a KMS key policy: resources * is the key itself, and the account-root statement is AWS's default key policy that lets IAM policies grant use of the key
  # checkov:skip=CKV_AWS_356:a KMS key policy: resources * is the key itself (a key policy can name no other resource)
  # checkov:skip=CKV_AWS_109:a KMS key policy: the account-root statement is AWS's default key policy; without it no IAM policy could administer the key
  for_each = toset(["eks-secrets", "audit", "volumes", "vault-unseal", "database", "logs"])

  statement {
    sid       = "AccountAdministration"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }

  dynamic "statement" {
    for_each = each.key == "logs" ? [1] : []
    content {
      sid       = "CloudWatchLogs"
      actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
      resources = ["*"]
      principals {
        type        = "Service"
        identifiers = ["logs.${var.region}.amazonaws.com"]
      }
    }
  }
}
