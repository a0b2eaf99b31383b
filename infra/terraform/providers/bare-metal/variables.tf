variable "cell_name" {
  description = "Name of the cell."
  type        = string
}

variable "node_cidr" {
  description = "The site's VLAN for the cell's machines (no public addresses)."
  type        = string
  default     = "10.80.0.0/24"
}

variable "cluster_endpoint" {
  description = "Kubernetes API endpoint (a VIP on the node VLAN)."
  type        = string
  default     = "https://10.80.0.10:6443"
}

variable "control_plane_nodes" {
  description = "Control-plane machines: name => address."
  type        = map(string)
}

variable "worker_nodes" {
  description = "Worker machines: name => address."
  type        = map(string)
}

variable "kubernetes_version" {
  description = "Kubernetes version run by Talos."
  type        = string
  default     = "1.31.4"
}

variable "audit_collector_url" {
  description = "The site's audit collector, which writes the API audit events to the object-locked bucket."
  type        = string
  default     = "https://audit-collector.site.internal:8443/kube-audit"
}

variable "minio_endpoint" {
  description = "S3 API endpoint of the site's MinIO."
  type        = string
}

variable "audit_retention_days" {
  description = "Days each audit object is locked (COMPLIANCE mode)."
  type        = number
  default     = 400
}

variable "audit_export_principals" {
  description = "MinIO groups of the client's auditors, with read access to the audit bucket."
  type        = list(string)
  default     = ["client-auditors"]
}
