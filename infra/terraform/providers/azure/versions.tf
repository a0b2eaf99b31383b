# Azure implementation of a Kaze cell: VNet, AKS, Key Vault keys, the immutable audit storage
# account, and an optional PostgreSQL flexible server for the platform's metering data. Used
# by the customer-vpc-azure overlay, in the client's subscription. Credentials come from the
# environment (az login or CI's workload identity federation).

terraform {
  required_version = ">= 1.6.0"

  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 4.14"
    }
  }

  backend "azurerm" {
    use_azuread_auth = true
  }
}

provider "azurerm" {
  features {
    key_vault {
      purge_soft_delete_on_destroy = false
    }
  }
  storage_use_azuread = true
}

data "azurerm_client_config" "current" {}
