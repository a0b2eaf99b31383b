# Applied in the client's AWS account (Northwind), by the client or by Speedrun for the client.
cell_name          = "northwind"
mode               = "customer-vpc"
region             = "us-east-1"
availability_zones = ["us-east-1a", "us-east-1b", "us-east-1c"]
vpc_cidr           = "10.40.0.0/16"

audit_export_principal_arns = ["arn:aws:iam::444455556666:role/northwind-security-audit"]
operator_access_role_arns   = []
managed_postgres            = false
