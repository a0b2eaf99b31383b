variable "name" {
  description = "Name of the cell's cluster."
  type        = string
}

variable "kubernetes_version" {
  description = "Kubernetes minor version, e.g. 1.31."
  type        = string
  validation {
    condition     = can(regex("^1\\.(2[9]|3[0-9])$", var.kubernetes_version))
    error_message = "Kubernetes 1.29 or later (native sidecars for the mesh proxy in Jobs)."
  }
}

variable "endpoint" {
  description = "URL of the API server."
  type        = string
}

variable "ca_certificate" {
  description = "Base64 PEM of the cluster CA (public)."
  type        = string
}

variable "oidc_issuer_url" {
  description = "Issuer of the cluster's service-account tokens (Vault Kubernetes auth, MinIO STS)."
  type        = string
}

variable "private_endpoint" {
  description = "The API server is reachable only from the cell's network."
  type        = bool
  validation {
    condition     = var.private_endpoint
    error_message = "The API server of a Kaze cell must not be public."
  }
}

variable "api_audit_log_enabled" {
  description = "The API server's audit log is on (KZ-AUD-01)."
  type        = bool
  validation {
    condition     = var.api_audit_log_enabled
    error_message = "KZ-AUD-01: the cluster's API audit log must be on."
  }
}

variable "api_audit_log_destination" {
  description = "Identifier of the object-locked audit store the audit log is exported to (output of the storage interface)."
  type        = string
  validation {
    condition     = length(var.api_audit_log_destination) > 0
    error_message = "KZ-AUD-01: audit logs must go to the cell's object-locked audit store."
  }
}

variable "secrets_encryption_key_id" {
  description = "Key (KMS or equivalent) that encrypts Kubernetes Secrets at rest in etcd."
  type        = string
}

variable "cni" {
  description = "Network plugin. The Kaze base needs Cilium (CiliumNetworkPolicy toFQDNs and toEntities)."
  type        = string
  default     = "cilium"
  validation {
    condition     = var.cni == "cilium"
    error_message = "The tenant egress allowlists need Cilium."
  }
}

variable "workload_identity" {
  description = "How pods get cloud identities without keys: eks-pod-identity, gke-workload-identity, azure-workload-identity or none."
  type        = string
  validation {
    condition     = contains(["eks-pod-identity", "gke-workload-identity", "azure-workload-identity", "none"], var.workload_identity)
    error_message = "Unknown workload identity mechanism."
  }
}

variable "node_subnet_ids" {
  description = "Subnets of the worker nodes (private subnets of the networking interface)."
  type        = list(string)
  default     = []
}

variable "human_access_groups" {
  description = "Kubernetes groups that people receive from the SSO (never cluster-admin)."
  type        = list(string)
  default     = ["kaze:deployers", "kaze:operators", "kaze:break-glass"]
}
