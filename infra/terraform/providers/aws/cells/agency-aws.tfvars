# terraform workspace select agency-aws && terraform apply -var-file=cells/agency-aws.tfvars
cell_name          = "agency-aws"
mode               = "agency"
region             = "eu-west-1"
availability_zones = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
vpc_cidr           = "10.30.0.0/16"

# Agency mode: each client's auditors read their cell's audit store through this role.
audit_export_principal_arns = ["arn:aws:iam::111122223333:role/kaze-client-auditors"]
operator_access_role_arns   = ["arn:aws:iam::111122223333:role/kaze-operations"]
