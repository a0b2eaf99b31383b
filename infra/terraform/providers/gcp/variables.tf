variable "cell_name" {
  description = "Name of the cell, e.g. agency-gcp."
  type        = string
}

variable "project_id" {
  description = "Google Cloud project of the cell."
  type        = string
}

variable "region" {
  description = "Region of the cell."
  type        = string
}

variable "network_cidr" {
  description = "Primary range of the nodes' subnet."
  type        = string
  default     = "10.50.0.0/20"
}

variable "pods_cidr" {
  description = "Secondary range for pods."
  type        = string
  default     = "10.52.0.0/14"
}

variable "services_cidr" {
  description = "Secondary range for services."
  type        = string
  default     = "10.56.0.0/20"
}

variable "control_plane_cidr" {
  description = "Range of the private control plane."
  type        = string
  default     = "172.16.0.0/28"
}

variable "kubernetes_version" {
  description = "GKE minimum master version."
  type        = string
  default     = "1.31"
}

variable "node_machine_type" {
  description = "Machine type of the general node pool."
  type        = string
  default     = "n2-standard-4"
}

variable "audit_retention_days" {
  description = "Days each audit object is retained (locked retention policy)."
  type        = number
  default     = 400
}

variable "audit_export_members" {
  description = "The client's auditors (IAM members) allowed to read and export the audit logs."
  type        = list(string)
}

variable "managed_postgres" {
  description = "Create the Cloud SQL instance for the platform's metering data."
  type        = bool
  default     = true
}
