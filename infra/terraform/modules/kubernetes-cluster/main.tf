# Interface: "give me a cluster".
#
# Every provider (providers/aws, gcp, azure, bare-metal) builds its cluster with its own
# resources and then passes what it built through this module. The module creates nothing
# and uses no provider (KZ-POR-02): it checks the invariants that the Kaze controls need from
# any cluster, and returns one cloud-neutral description that the cell bootstrap consumes
# (kubeconfig, OIDC issuer for Vault's Kubernetes auth and MinIO's STS, audit destination).

terraform {
  required_version = ">= 1.6.0"
}

locals {
  cluster = {
    name                 = var.name
    kubernetes_version   = var.kubernetes_version
    endpoint             = var.endpoint
    ca_certificate       = var.ca_certificate
    oidc_issuer_url      = var.oidc_issuer_url
    private_endpoint     = var.private_endpoint
    api_audit_log        = { enabled = var.api_audit_log_enabled, destination = var.api_audit_log_destination }
    secrets_encryption   = var.secrets_encryption_key_id
    cni                  = var.cni
    workload_identity    = var.workload_identity
    node_subnet_ids      = var.node_subnet_ids
    human_access_groups  = var.human_access_groups
  }
}
