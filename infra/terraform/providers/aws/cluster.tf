# EKS: private API endpoint, API audit log on (exported to the object-locked audit bucket,
# audit.tf), Secrets encrypted with the cell's KMS key, people authenticated by Speedrun SSO
# with their kaze:* groups, nobody mapped to cluster-admin. Cilium replaces the VPC CNI and
# kube-proxy (installed by the cell bootstrap), so the EKS default add-ons are not installed.

data "aws_iam_policy_document" "eks_assume" {
  statement {
    actions = ["sts:AssumeRole", "sts:TagSession"]
    principals {
      type        = "Service"
      identifiers = ["eks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "cluster" {
  name               = "kaze-${var.cell_name}-eks-cluster"
  assume_role_policy = data.aws_iam_policy_document.eks_assume.json
}

resource "aws_iam_role_policy_attachment" "cluster" {
  role       = aws_iam_role.cluster.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/AmazonEKSClusterPolicy"
}

resource "aws_cloudwatch_log_group" "eks" {
  # checkov:skip=CKV_AWS_338:a 30-day buffer: the subscription filter streams every record to the object-locked audit bucket (audit.tf), which keeps it audit_retention_days
  name              = "/aws/eks/kaze-${var.cell_name}/cluster"
  retention_in_days = 30
  kms_key_id        = aws_kms_key.cell["logs"].arn
}

resource "aws_security_group" "cluster" {
  name        = "kaze-${var.cell_name}-eks-control-plane"
  description = "EKS control plane ENIs: HTTPS from the cell's VPC only."
  vpc_id      = aws_vpc.cell.id

  ingress {
    description = "Kubernetes API from the VPC"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = [var.vpc_cidr]
  }
}

resource "aws_eks_cluster" "cell" {
  # checkov:skip=CKV_AWS_37:the API server, audit and authenticator logs are the ones the audit store keeps (KZ-AUD-01); controller manager and scheduler logs would have no reader
  name     = "kaze-${var.cell_name}"
  role_arn = aws_iam_role.cluster.arn
  version  = var.kubernetes_version

  bootstrap_self_managed_addons = false

  vpc_config {
    subnet_ids              = [for s in aws_subnet.private : s.id]
    security_group_ids      = [aws_security_group.cluster.id]
    endpoint_private_access = true
    endpoint_public_access  = false
  }

  # KZ-AUD-01: the API server's audit log (and the authenticator's, for who-is-who).
  enabled_cluster_log_types = ["api", "audit", "authenticator"]

  encryption_config {
    resources = ["secrets"]
    provider {
      key_arn = aws_kms_key.cell["eks-secrets"].arn
    }
  }

  access_config {
    authentication_mode                         = "API"
    bootstrap_cluster_creator_admin_permissions = false
  }

  depends_on = [
    aws_iam_role_policy_attachment.cluster,
    aws_cloudwatch_log_group.eks,
  ]
}

# People: Speedrun SSO, groups claim prefixed "kaze:" (kaze:deployers, kaze:operators,
# kaze:break-glass), bound by base/rbac/platform-roles.yaml.
resource "aws_eks_identity_provider_config" "sso" {
  cluster_name = aws_eks_cluster.cell.name

  oidc {
    identity_provider_config_name = "speedrun-sso"
    issuer_url                    = var.sso_issuer_url
    client_id                     = "kaze-kubernetes"
    username_claim                = "email"
    username_prefix               = "sso:"
    groups_claim                  = "groups"
    groups_prefix                 = "kaze:"
  }
}

# IAM sessions of the operations roles map to kaze:operators; no access policy (in particular
# no AmazonEKSClusterAdminPolicy) is associated with any principal.
resource "aws_eks_access_entry" "operators" {
  for_each          = toset(var.operator_access_role_arns)
  cluster_name      = aws_eks_cluster.cell.name
  principal_arn     = each.value
  kubernetes_groups = ["kaze:operators"]
  type              = "STANDARD"
}

data "aws_iam_policy_document" "node_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "node" {
  name               = "kaze-${var.cell_name}-eks-node"
  assume_role_policy = data.aws_iam_policy_document.node_assume.json
}

resource "aws_iam_role_policy_attachment" "node" {
  for_each = toset([
    "AmazonEKSWorkerNodePolicy",
    "AmazonEC2ContainerRegistryReadOnly",
    "AmazonSSMManagedInstanceCore",
  ])
  role       = aws_iam_role.node.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/${each.value}"
}

resource "aws_launch_template" "node" {
  name_prefix = "kaze-${var.cell_name}-node-"

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  block_device_mappings {
    device_name = "/dev/xvda"
    ebs {
      volume_size = 100
      volume_type = "gp3"
      encrypted   = true
      kms_key_id  = aws_kms_key.cell["volumes"].arn
    }
  }
}

resource "aws_eks_node_group" "general" {
  cluster_name    = aws_eks_cluster.cell.name
  node_group_name = "general"
  node_role_arn   = aws_iam_role.node.arn
  subnet_ids      = [for s in aws_subnet.private : s.id]
  instance_types  = var.node_instance_types
  ami_type        = "BOTTLEROCKET_x86_64"

  scaling_config {
    min_size     = var.node_count.min
    desired_size = var.node_count.desired
    max_size     = var.node_count.max
  }

  launch_template {
    id      = aws_launch_template.node.id
    version = aws_launch_template.node.latest_version
  }

  # Cilium taints nodes until its agent is ready.
  taint {
    key    = "node.cilium.io/agent-not-ready"
    value  = "true"
    effect = "NO_EXECUTE"
  }

  depends_on = [aws_iam_role_policy_attachment.node]
}

resource "aws_eks_addon" "pod_identity" {
  cluster_name = aws_eks_cluster.cell.name
  addon_name   = "eks-pod-identity-agent"
}

# Vault's auto-unseal: the vault/vault ServiceAccount may use the unseal key, nothing else.
data "aws_iam_policy_document" "pod_identity_assume" {
  statement {
    actions = ["sts:AssumeRole", "sts:TagSession"]
    principals {
      type        = "Service"
      identifiers = ["pods.eks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "vault_unseal" {
  name               = "kaze-${var.cell_name}-vault-unseal"
  assume_role_policy = data.aws_iam_policy_document.pod_identity_assume.json
}

data "aws_iam_policy_document" "vault_unseal" {
  statement {
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"]
    resources = [aws_kms_key.cell["vault-unseal"].arn]
  }
}

resource "aws_iam_role_policy" "vault_unseal" {
  name   = "vault-unseal"
  role   = aws_iam_role.vault_unseal.id
  policy = data.aws_iam_policy_document.vault_unseal.json
}

resource "aws_eks_pod_identity_association" "vault" {
  cluster_name    = aws_eks_cluster.cell.name
  namespace       = "vault"
  service_account = "vault"
  role_arn        = aws_iam_role.vault_unseal.arn
}

module "kubernetes_cluster" {
  source = "../../modules/kubernetes-cluster"

  name                      = aws_eks_cluster.cell.name
  kubernetes_version        = aws_eks_cluster.cell.version
  endpoint                  = aws_eks_cluster.cell.endpoint
  ca_certificate            = aws_eks_cluster.cell.certificate_authority[0].data
  oidc_issuer_url           = aws_eks_cluster.cell.identity[0].oidc[0].issuer
  private_endpoint          = !aws_eks_cluster.cell.vpc_config[0].endpoint_public_access
  api_audit_log_enabled     = contains(aws_eks_cluster.cell.enabled_cluster_log_types, "audit")
  api_audit_log_destination = aws_s3_bucket.audit.arn
  secrets_encryption_key_id = aws_kms_key.cell["eks-secrets"].arn
  cni                       = "cilium"
  workload_identity         = "eks-pod-identity"
  node_subnet_ids           = [for s in aws_subnet.private : s.id]
}
