resource "azurerm_resource_group" "cell" {
  name     = "kaze-${var.cell_name}"
  location = var.location
}

resource "azurerm_virtual_network" "cell" {
  name                = "kaze-${var.cell_name}"
  location            = azurerm_resource_group.cell.location
  resource_group_name = azurerm_resource_group.cell.name
  address_space       = [var.vnet_cidr]
}

resource "azurerm_subnet" "nodes" {
  # checkov:skip=CKV2_AZURE_31:traffic to and between pods is policed by Cilium (network_policy cilium) and the nodes have AKS's own NSG
  name                 = "nodes"
  resource_group_name  = azurerm_resource_group.cell.name
  virtual_network_name = azurerm_virtual_network.cell.name
  address_prefixes     = [cidrsubnet(var.vnet_cidr, 4, 0)]

  default_outbound_access_enabled = false
}

resource "azurerm_subnet" "database" {
  # checkov:skip=CKV2_AZURE_31:delegated to PostgreSQL flexible server, reachable only inside the VNet; Cilium policies restrict which pods connect
  name                 = "database"
  resource_group_name  = azurerm_resource_group.cell.name
  virtual_network_name = azurerm_virtual_network.cell.name
  address_prefixes     = [cidrsubnet(var.vnet_cidr, 8, 240)]

  delegation {
    name = "postgresql"
    service_delegation {
      name    = "Microsoft.DBforPostgreSQL/flexibleServers"
      actions = ["Microsoft.Network/virtualNetworks/subnets/join/action"]
    }
  }
}

resource "azurerm_public_ip" "nat" {
  name                = "kaze-${var.cell_name}-nat"
  location            = azurerm_resource_group.cell.location
  resource_group_name = azurerm_resource_group.cell.name
  allocation_method   = "Static"
  sku                 = "Standard"
  zones               = ["1", "2", "3"]
}

resource "azurerm_nat_gateway" "cell" {
  name                = "kaze-${var.cell_name}"
  location            = azurerm_resource_group.cell.location
  resource_group_name = azurerm_resource_group.cell.name
  sku_name            = "Standard"
}

resource "azurerm_nat_gateway_public_ip_association" "cell" {
  nat_gateway_id       = azurerm_nat_gateway.cell.id
  public_ip_address_id = azurerm_public_ip.nat.id
}

resource "azurerm_subnet_nat_gateway_association" "nodes" {
  subnet_id      = azurerm_subnet.nodes.id
  nat_gateway_id = azurerm_nat_gateway.cell.id
}

resource "azurerm_private_dns_zone" "postgres" {
  name                = "kaze-${var.cell_name}.postgres.database.azure.com"
  resource_group_name = azurerm_resource_group.cell.name
}

resource "azurerm_private_dns_zone_virtual_network_link" "postgres" {
  name                  = "kaze-${var.cell_name}"
  resource_group_name   = azurerm_resource_group.cell.name
  private_dns_zone_name = azurerm_private_dns_zone.postgres.name
  virtual_network_id    = azurerm_virtual_network.cell.id
}

module "networking" {
  source = "../../modules/networking"

  name                 = "kaze-${var.cell_name}"
  network_id           = azurerm_virtual_network.cell.id
  cidr_block           = var.vnet_cidr
  private_subnet_ids   = [azurerm_subnet.nodes.id]
  database_subnet_ids  = [azurerm_subnet.database.id]
  egress_ips           = [azurerm_public_ip.nat.ip_address]
  nodes_have_public_ip = false
}
