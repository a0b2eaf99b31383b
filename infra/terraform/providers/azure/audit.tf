# The audit store (KZ-AUD-01): AKS diagnostic settings send the kube-audit logs to a storage
# account whose version-level immutability policy is Locked (WORM: blobs cannot be changed
# or deleted before the retention ends, and the policy cannot be weakened). The client's
# auditors can read and export the blobs.

resource "azurerm_storage_account" "audit" {
  # checkov:skip=CKV_AZURE_59:network_rules default Deny: the diagnostic settings deliver through the trusted-services bypass, which a disabled public network access would also stop
  # checkov:skip=CKV2_AZURE_33:network_rules default Deny with the trusted-services bypass the diagnostic settings need; the client's auditors read through their RBAC role assignment
  # checkov:skip=CKV_AZURE_206:ZRS: replicated across the region's zones; geo-replication would copy the audit log out of the client's region
  # checkov:skip=CKV_AZURE_33:the queue service is not used: the account holds the audit log's blobs only
  # checkov:skip=CKV2_AZURE_38:the Locked immutability policy makes every blob undeletable until its retention ends, which soft delete would only approximate
  name                     = substr(replace("kaze${var.cell_name}audit", "-", ""), 0, 24)
  resource_group_name      = azurerm_resource_group.cell.name
  location                 = azurerm_resource_group.cell.location
  account_tier             = "Standard"
  account_replication_type = "ZRS"
  account_kind             = "StorageV2"

  # Azure tag names allow no "/": kaze-purpose stands for kaze.io/purpose.
  tags = {
    "kaze-purpose" = "audit-logs"
  }

  min_tls_version                   = "TLS1_2"
  https_traffic_only_enabled        = true
  shared_access_key_enabled         = false
  allow_nested_items_to_be_public   = false
  infrastructure_encryption_enabled = true

  blob_properties {
    versioning_enabled = true
  }

  immutability_policy {
    state                         = "Locked"
    period_since_creation_in_days = var.audit_retention_days
    allow_protected_append_writes = true
  }

  network_rules {
    default_action = "Deny"
    bypass         = ["AzureServices"]
  }

  identity {
    type = "SystemAssigned"
  }
}

resource "azurerm_role_assignment" "audit_key" {
  scope                = azurerm_key_vault.cell.id
  role_definition_name = "Key Vault Crypto Service Encryption User"
  principal_id         = azurerm_storage_account.audit.identity[0].principal_id
}

resource "azurerm_storage_account_customer_managed_key" "audit" {
  storage_account_id = azurerm_storage_account.audit.id
  key_vault_id       = azurerm_key_vault.cell.id
  key_name           = azurerm_key_vault_key.cell["audit"].name

  depends_on = [azurerm_role_assignment.audit_key]
}

resource "azurerm_monitor_diagnostic_setting" "kube_audit" {
  name               = "kube-audit-to-immutable-storage"
  target_resource_id = azurerm_kubernetes_cluster.cell.id
  storage_account_id = azurerm_storage_account.audit.id

  enabled_log {
    category = "kube-audit"
  }

  enabled_log {
    category = "kube-audit-admin"
  }

  enabled_log {
    category = "guard"
  }
}

resource "azurerm_role_assignment" "client_export" {
  for_each             = toset(var.audit_export_principal_ids)
  scope                = azurerm_storage_account.audit.id
  role_definition_name = "Storage Blob Data Reader"
  principal_id         = each.value
}

module "audit_store" {
  source = "../../modules/storage"

  name                  = "audit"
  bucket_id             = azurerm_storage_account.audit.id
  endpoint              = azurerm_storage_account.audit.primary_blob_endpoint
  object_lock_enabled   = azurerm_storage_account.audit.immutability_policy[0].state == "Locked"
  retention_mode        = "LOCKED"
  retention_days        = var.audit_retention_days
  encryption_key_id     = azurerm_key_vault_key.cell["audit"].id
  export_principals     = var.audit_export_principal_ids
  public_access_blocked = !azurerm_storage_account.audit.allow_nested_items_to_be_public
}
