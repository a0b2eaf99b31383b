variable "cell_name" {
  description = "Name of the cell, e.g. agency-aws or northwind."
  type        = string
}

variable "mode" {
  description = "agency or customer-vpc."
  type        = string
  validation {
    condition     = contains(["agency", "customer-vpc"], var.mode)
    error_message = "agency or customer-vpc."
  }
}

variable "region" {
  description = "AWS region of the cell."
  type        = string
}

variable "availability_zones" {
  description = "Three availability zones of the region."
  type        = list(string)
}

variable "vpc_cidr" {
  description = "Address range of the cell's VPC."
  type        = string
  default     = "10.40.0.0/16"
}

variable "kubernetes_version" {
  description = "EKS Kubernetes version."
  type        = string
  default     = "1.31"
}

variable "node_instance_types" {
  description = "Instance types of the general node group."
  type        = list(string)
  default     = ["m7i.xlarge"]
}

variable "node_count" {
  description = "Minimum, desired and maximum node counts."
  type        = object({ min = number, desired = number, max = number })
  default     = { min = 3, desired = 3, max = 9 }
}

variable "sso_issuer_url" {
  description = "Speedrun SSO OIDC issuer; its groups claim gives people their kaze:* groups."
  type        = string
  default     = "https://sso.speedrun.ventures"
}

variable "operator_access_role_arns" {
  description = "IAM roles whose sessions map to the Kubernetes group kaze:operators (break-glass elevation is an SSO group, not an IAM role)."
  type        = list(string)
  default     = []
}

variable "audit_retention_days" {
  description = "Days each audit object is immutable (object lock, compliance mode)."
  type        = number
  default     = 400
}

variable "audit_export_principal_arns" {
  description = "The client's (or, in agency mode, the client's auditors') IAM principals allowed to read and export the audit logs."
  type        = list(string)
}

variable "managed_postgres" {
  description = "Create the managed PostgreSQL instance for the platform's metering data (tenants' databases always run in-cluster on CloudNativePG)."
  type        = bool
  default     = true
}
