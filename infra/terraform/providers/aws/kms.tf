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
