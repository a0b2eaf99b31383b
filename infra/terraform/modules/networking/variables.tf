variable "name" {
  description = "Name of the cell's network."
  type        = string
}

variable "network_id" {
  description = "Identifier of the network (VPC, VNet, VLAN)."
  type        = string
}

variable "cidr_block" {
  description = "Address range of the network."
  type        = string
  validation {
    condition     = can(cidrnetmask(var.cidr_block))
    error_message = "A valid IPv4 CIDR."
  }
}

variable "private_subnet_ids" {
  description = "Private subnets: nodes, load balancers that are internal, databases."
  type        = list(string)
  validation {
    condition     = length(var.private_subnet_ids) >= 1
    error_message = "A Kaze cell needs at least one private subnet."
  }
}

variable "public_subnet_ids" {
  description = "Public subnets (NAT and internet-facing load balancers only; may be empty)."
  type        = list(string)
  default     = []
}

variable "database_subnet_ids" {
  description = "Subnets for managed databases, when separate from the private subnets."
  type        = list(string)
  default     = []
}

variable "egress_ips" {
  description = "Public addresses the cell's egress leaves from (for clients' allowlists)."
  type        = list(string)
  default     = []
}

variable "nodes_have_public_ip" {
  description = "Whether worker nodes get public addresses."
  type        = bool
  default     = false
  validation {
    condition     = !var.nodes_have_public_ip
    error_message = "Worker nodes of a Kaze cell have no public address."
  }
}
