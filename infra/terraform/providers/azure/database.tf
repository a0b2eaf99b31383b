# PostgreSQL flexible server for the platform's metering data: VNet-integrated (delegated
# subnet, private DNS), public network access disabled (KZ-SOD-04), Entra ID authentication
# only (no administrator password).

resource "azurerm_postgresql_flexible_server" "metering" {
  # checkov:skip=CKV2_AZURE_57:VNet-integrated (delegated subnet and private DNS zone): the server has no public endpoint; private endpoints are the other access mode, not an addition
  count = var.managed_postgres ? 1 : 0

  name                = "kaze-${var.cell_name}-metering"
  resource_group_name = azurerm_resource_group.cell.name
  location            = azurerm_resource_group.cell.location
  version             = "16"
  sku_name            = "GP_Standard_D2ds_v5"
  storage_mb          = 65536
  zone                = "1"

  delegated_subnet_id           = azurerm_subnet.database.id
  private_dns_zone_id           = azurerm_private_dns_zone.postgres.id
  public_network_access_enabled = false

  authentication {
    active_directory_auth_enabled = true
    password_auth_enabled         = false
    tenant_id                     = data.azurerm_client_config.current.tenant_id
  }

  high_availability {
    mode                      = "ZoneRedundant"
    standby_availability_zone = "2"
  }

  backup_retention_days        = 14
  geo_redundant_backup_enabled = false

  depends_on = [azurerm_private_dns_zone_virtual_network_link.postgres]
}
