# AKS: private API server, Entra ID authentication with Kubernetes RBAC (only the
# break-glass group is AKS administrator; local accounts disabled), etcd encrypted with the
# client's key, Azure CNI powered by Cilium with its FQDN policies (CiliumNetworkPolicy
# toFQDNs), and the kube-audit logs sent to the immutable audit store (audit.tf).

resource "azurerm_kubernetes_cluster" "cell" {
  # checkov:skip=CKV_AZURE_226:the OS disks are encrypted with the client's key (disk_encryption_set_id, host encryption); ephemeral OS disks depend on the cache of the client's VM size (node_vm_size)
  # checkov:skip=CKV_AZURE_168:max_pods is left to Azure CNI Overlay's default of 250 pods per node
  # checkov:skip=CKV_AZURE_232:a single node pool: the platform's own system pods and the cell's workloads share it by design; tenants are isolated by namespace, NetworkPolicies and quotas
  # checkov:skip=CKV_AZURE_4:the kube-audit logs go to the immutable audit store through diagnostic settings (audit.tf); metrics and logs to the cell's own monitoring stack, not Azure Monitor
  # checkov:skip=CKV_AZURE_172:the Key Vault Secrets Store CSI driver is not used: workloads read their secrets from the cell's Vault
  # checkov:skip=CKV_AZURE_116:admission policy is the cell's own, the same on every cloud: the kaze-policy webhook and the Sigstore policy controller, not Azure Policy
  name                = "kaze-${var.cell_name}"
  location            = azurerm_resource_group.cell.location
  resource_group_name = azurerm_resource_group.cell.name
  dns_prefix          = "kaze-${var.cell_name}"
  kubernetes_version  = var.kubernetes_version

  private_cluster_enabled   = true
  local_account_disabled    = true
  oidc_issuer_enabled       = true
  workload_identity_enabled = true
  sku_tier                  = "Standard"
  automatic_upgrade_channel = "patch"
  disk_encryption_set_id    = azurerm_disk_encryption_set.cell.id

  default_node_pool {
    name                         = "system"
    vm_size                      = var.node_vm_size
    vnet_subnet_id               = azurerm_subnet.nodes.id
    auto_scaling_enabled         = true
    min_count                    = 3
    max_count                    = 9
    zones                        = ["1", "2", "3"]
    only_critical_addons_enabled = false
    host_encryption_enabled      = true
  }

  identity {
    type         = "UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.aks.id]
  }

  azure_active_directory_role_based_access_control {
    azure_rbac_enabled     = false
    tenant_id              = data.azurerm_client_config.current.tenant_id
    admin_group_object_ids = [var.break_glass_group_object_id]
  }

  key_management_service {
    key_vault_key_id         = azurerm_key_vault_key.cell["etcd"].id
    key_vault_network_access = "Private"
  }

  network_profile {
    network_plugin      = "azure"
    network_plugin_mode = "overlay"
    network_data_plane  = "cilium"
    network_policy      = "cilium"
    outbound_type       = "userAssignedNATGateway"
    pod_cidr            = "10.244.0.0/16"
    service_cidr        = "10.245.0.0/16"
    dns_service_ip      = "10.245.0.10"

    advanced_networking {
      observability_enabled = false
      security_enabled      = true
    }
  }

  depends_on = [
    azurerm_role_assignment.aks_etcd_key,
    azurerm_subnet_nat_gateway_association.nodes,
  ]
}

module "kubernetes_cluster" {
  source = "../../modules/kubernetes-cluster"

  name                      = azurerm_kubernetes_cluster.cell.name
  kubernetes_version        = var.kubernetes_version
  endpoint                  = "https://${azurerm_kubernetes_cluster.cell.private_fqdn}"
  ca_certificate            = azurerm_kubernetes_cluster.cell.kube_config[0].cluster_ca_certificate
  oidc_issuer_url           = azurerm_kubernetes_cluster.cell.oidc_issuer_url
  private_endpoint          = azurerm_kubernetes_cluster.cell.private_cluster_enabled
  api_audit_log_enabled     = contains([for l in azurerm_monitor_diagnostic_setting.kube_audit.enabled_log : l.category], "kube-audit")
  api_audit_log_destination = azurerm_storage_account.audit.id
  secrets_encryption_key_id = azurerm_key_vault_key.cell["etcd"].id
  cni                       = "cilium"
  workload_identity         = "azure-workload-identity"
  node_subnet_ids           = [azurerm_subnet.nodes.id]
}
