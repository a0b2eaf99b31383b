variable "cell_name" {
  description = "Name of the cell, e.g. contoso."
  type        = string
}

variable "location" {
  description = "Azure region of the cell."
  type        = string
}

variable "vnet_cidr" {
  description = "Address space of the cell's VNet."
  type        = string
  default     = "10.70.0.0/16"
}

variable "kubernetes_version" {
  description = "AKS Kubernetes version."
  type        = string
  default     = "1.31"
}

variable "node_vm_size" {
  description = "VM size of the system and general node pools."
  type        = string
  default     = "Standard_D4s_v5"
}

variable "break_glass_group_object_id" {
  description = "Entra ID group of kaze:break-glass; the only group that AKS makes cluster administrator."
  type        = string
}

variable "audit_retention_days" {
  description = "Days each audit blob is immutable (locked immutability policy)."
  type        = number
  default     = 400
}

variable "audit_export_principal_ids" {
  description = "Object IDs of the client's auditors allowed to read and export the audit logs."
  type        = list(string)
}

variable "managed_postgres" {
  description = "Create the PostgreSQL flexible server for the platform's metering data."
  type        = bool
  default     = false
}
