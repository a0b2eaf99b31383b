# Managed PostgreSQL for the platform's metering data (usage and billing aggregates; no client
# content). Tenants' databases never live here: each tenant has its own CloudNativePG cluster
# in its namespace. Private subnets only, never publicly accessible (KZ-SOD-04), reachable
# from the cluster's nodes only; the master password is generated and kept by RDS in Secrets
# Manager (never in Terraform or its state).

resource "aws_db_subnet_group" "metering" {
  count      = var.managed_postgres ? 1 : 0
  name       = "kaze-${var.cell_name}-metering"
  subnet_ids = [for s in aws_subnet.private : s.id]
}

resource "aws_security_group" "metering_db" {
  count       = var.managed_postgres ? 1 : 0
  name        = "kaze-${var.cell_name}-metering-db"
  description = "PostgreSQL from the cluster only."
  vpc_id      = aws_vpc.cell.id

  ingress {
    description     = "PostgreSQL from the EKS cluster"
    from_port       = 5432
    to_port         = 5432
    protocol        = "tcp"
    security_groups = [aws_eks_cluster.cell.vpc_config[0].cluster_security_group_id]
  }
}

resource "aws_db_instance" "metering" {
  # checkov:skip=CKV_AWS_118:a managed instance of metering aggregates: Performance Insights (enabled) and CloudWatch metrics cover it; OS-level enhanced monitoring would add an IAM role for no decision we take on it
  # checkov:skip=CKV2_AWS_30:statement logging would copy metering queries and their values into CloudWatch Logs; access is IAM-authenticated and the postgresql log (connections, errors) is exported
  count = var.managed_postgres ? 1 : 0

  identifier     = "kaze-${var.cell_name}-metering"
  engine         = "postgres"
  engine_version = "16.6"
  instance_class = "db.t4g.medium"

  allocated_storage     = 50
  max_allocated_storage = 200
  storage_type          = "gp3"
  storage_encrypted     = true
  kms_key_id            = aws_kms_key.cell["database"].arn

  db_name                             = "metering"
  username                            = "kaze_admin"
  manage_master_user_password         = true
  master_user_secret_kms_key_id       = aws_kms_key.cell["database"].arn
  iam_database_authentication_enabled = true

  db_subnet_group_name   = aws_db_subnet_group.metering[0].name
  vpc_security_group_ids = [aws_security_group.metering_db[0].id]
  publicly_accessible    = false
  multi_az               = true

  backup_retention_period         = 14
  deletion_protection             = true
  skip_final_snapshot             = false
  final_snapshot_identifier       = "kaze-${var.cell_name}-metering-final"
  copy_tags_to_snapshot           = true
  auto_minor_version_upgrade      = true
  performance_insights_enabled    = true
  performance_insights_kms_key_id = aws_kms_key.cell["database"].arn
  enabled_cloudwatch_logs_exports = ["postgresql"]
}
