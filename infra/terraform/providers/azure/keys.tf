# The client's Key Vault: keys for etcd encryption, disks, the audit store and Vault's
# auto-unseal, rotated automatically. RBAC authorization, purge protection, private access.

resource "azurerm_key_vault" "cell" {
  # checkov:skip=CKV2_AZURE_32:public network access is disabled and network_acls deny by default; AKS's KMS and the disk encryption set reach the vault as trusted Azure services
  name                          = "kaze-${var.cell_name}-kv"
  location                      = azurerm_resource_group.cell.location
  resource_group_name           = azurerm_resource_group.cell.name
  tenant_id                     = data.azurerm_client_config.current.tenant_id
  sku_name                      = "premium"
  enable_rbac_authorization     = true
  purge_protection_enabled      = true
  soft_delete_retention_days    = 90
  public_network_access_enabled = false

  network_acls {
    default_action = "Deny"
    bypass         = "AzureServices"
  }
}

resource "azurerm_key_vault_key" "cell" {
  # checkov:skip=CKV_AZURE_40:the rotation policy expires each key version after P180D and rotates it 30 days before; a fixed expiration_date would stop the keys the cluster and Vault use
  for_each     = toset(["etcd", "disks", "audit", "vault-unseal"])
  name         = each.key
  key_vault_id = azurerm_key_vault.cell.id
  key_type     = "RSA-HSM"
  key_size     = 3072
  key_opts     = ["wrapKey", "unwrapKey", "encrypt", "decrypt"]

  rotation_policy {
    automatic {
      time_before_expiry = "P30D"
    }
    expire_after         = "P180D"
    notify_before_expiry = "P29D"
  }
}

resource "azurerm_disk_encryption_set" "cell" {
  name                = "kaze-${var.cell_name}"
  location            = azurerm_resource_group.cell.location
  resource_group_name = azurerm_resource_group.cell.name
  key_vault_key_id    = azurerm_key_vault_key.cell["disks"].versionless_id

  auto_key_rotation_enabled = true

  identity {
    type = "SystemAssigned"
  }
}

resource "azurerm_role_assignment" "disk_encryption" {
  scope                = azurerm_key_vault.cell.id
  role_definition_name = "Key Vault Crypto Service Encryption User"
  principal_id         = azurerm_disk_encryption_set.cell.identity[0].principal_id
}

# Identities that use the keys.
resource "azurerm_user_assigned_identity" "aks" {
  name                = "kaze-${var.cell_name}-aks"
  location            = azurerm_resource_group.cell.location
  resource_group_name = azurerm_resource_group.cell.name
}

resource "azurerm_role_assignment" "aks_etcd_key" {
  scope                = azurerm_key_vault.cell.id
  role_definition_name = "Key Vault Crypto User"
  principal_id         = azurerm_user_assigned_identity.aks.principal_id
}

resource "azurerm_user_assigned_identity" "vault" {
  name                = "kaze-${var.cell_name}-vault"
  location            = azurerm_resource_group.cell.location
  resource_group_name = azurerm_resource_group.cell.name
}

resource "azurerm_role_assignment" "vault_unseal" {
  scope                = "${azurerm_key_vault.cell.id}/keys/vault-unseal"
  role_definition_name = "Key Vault Crypto User"
  principal_id         = azurerm_user_assigned_identity.vault.principal_id
}

# Only the vault/vault ServiceAccount of this cluster can act as Vault's identity.
resource "azurerm_federated_identity_credential" "vault" {
  name                = "vault"
  resource_group_name = azurerm_resource_group.cell.name
  parent_id           = azurerm_user_assigned_identity.vault.id
  audience            = ["api://AzureADTokenExchange"]
  issuer              = azurerm_kubernetes_cluster.cell.oidc_issuer_url
  subject             = "system:serviceaccount:vault:vault"
}
