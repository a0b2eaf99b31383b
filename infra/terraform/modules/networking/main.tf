# Interface: "give me a VPC + subnets".
#
# The provider builds the network (VPC, VNet or the data-centre's VLANs) and passes it
# through here. Kaze needs nodes and databases in private subnets, with egress through NAT
# (or the site's firewall) and no public addresses on nodes. No provider, no resources.

terraform {
  required_version = ">= 1.6.0"
}

locals {
  network = {
    name                 = var.name
    network_id           = var.network_id
    cidr_block           = var.cidr_block
    private_subnet_ids   = var.private_subnet_ids
    public_subnet_ids    = var.public_subnet_ids
    database_subnet_ids  = length(var.database_subnet_ids) > 0 ? var.database_subnet_ids : var.private_subnet_ids
    egress_ips           = var.egress_ips
    nodes_have_public_ip = var.nodes_have_public_ip
  }
}
