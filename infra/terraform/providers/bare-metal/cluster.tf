# Talos Linux: immutable, API-managed nodes. The API server writes every request to the
# audit webhook (the site's collector -> object-locked bucket, audit.tf) with a policy that
# records Secret access at Metadata level (never the secret values) and everything else at
# Request level. Cilium is the CNI (installed by the cell bootstrap); kube-proxy is off.

resource "talos_machine_secrets" "cell" {}

locals {
  kubernetes_host = trimsuffix(trimprefix(var.cluster_endpoint, "https://"), ":6443")

  audit_policy = {
    apiVersion = "audit.k8s.io/v1"
    kind       = "Policy"
    omitStages = ["RequestReceived"]
    rules = [
      { level = "Metadata", resources = [{ group = "", resources = ["secrets", "configmaps", "serviceaccounts/token"] }] },
      { level = "None", users = ["system:kube-proxy"], verbs = ["watch"] },
      { level = "None", nonResourceURLs = ["/healthz*", "/readyz*", "/livez*", "/version"] },
      { level = "Request" },
    ]
  }

  audit_webhook_kubeconfig = yamlencode({
    apiVersion        = "v1"
    kind              = "Config"
    clusters          = [{ name = "audit-collector", cluster = { server = var.audit_collector_url, "certificate-authority" = "/var/etc/kubernetes/audit-collector-ca.crt" } }]
    contexts          = [{ name = "audit", context = { cluster = "audit-collector", user = "" } }]
    "current-context" = "audit"
  })

  control_plane_patch = yamlencode({
    cluster = {
      network = { cni = { name = "none" } }
      proxy   = { disabled = true }
      apiServer = {
        auditPolicy = local.audit_policy
        extraArgs = {
          "audit-webhook-config-file" = "/var/etc/kubernetes/audit-webhook.yaml"
          "audit-webhook-mode"        = "batch"
          "audit-log-maxage"          = "30"
        }
        extraVolumes = [{ hostPath = "/var/etc/kubernetes", mountPath = "/var/etc/kubernetes", readonly = true }]
      }
    }
    machine = {
      files = [{ path = "/var/etc/kubernetes/audit-webhook.yaml", permissions = 420, op = "create", content = local.audit_webhook_kubeconfig }]
    }
  })

  worker_patch = yamlencode({
    cluster = {
      network = { cni = { name = "none" } }
      proxy   = { disabled = true }
    }
  })
}

data "talos_machine_configuration" "control_plane" {
  cluster_name       = "kaze-${var.cell_name}"
  cluster_endpoint   = var.cluster_endpoint
  machine_type       = "controlplane"
  machine_secrets    = talos_machine_secrets.cell.machine_secrets
  kubernetes_version = var.kubernetes_version
  config_patches     = [local.control_plane_patch]
}

data "talos_machine_configuration" "worker" {
  cluster_name       = "kaze-${var.cell_name}"
  cluster_endpoint   = var.cluster_endpoint
  machine_type       = "worker"
  machine_secrets    = talos_machine_secrets.cell.machine_secrets
  kubernetes_version = var.kubernetes_version
  config_patches     = [local.worker_patch]
}

data "talos_client_configuration" "cell" {
  cluster_name         = "kaze-${var.cell_name}"
  client_configuration = talos_machine_secrets.cell.client_configuration
  endpoints            = values(var.control_plane_nodes)
}

resource "talos_machine_configuration_apply" "control_plane" {
  for_each                    = var.control_plane_nodes
  client_configuration        = talos_machine_secrets.cell.client_configuration
  machine_configuration_input = data.talos_machine_configuration.control_plane.machine_configuration
  node                        = each.value
}

resource "talos_machine_configuration_apply" "worker" {
  for_each                    = var.worker_nodes
  client_configuration        = talos_machine_secrets.cell.client_configuration
  machine_configuration_input = data.talos_machine_configuration.worker.machine_configuration
  node                        = each.value
}

resource "talos_machine_bootstrap" "cell" {
  client_configuration = talos_machine_secrets.cell.client_configuration
  node                 = values(var.control_plane_nodes)[0]
  depends_on           = [talos_machine_configuration_apply.control_plane]
}

resource "talos_cluster_kubeconfig" "cell" {
  client_configuration = talos_machine_secrets.cell.client_configuration
  node                 = values(var.control_plane_nodes)[0]
  depends_on           = [talos_machine_bootstrap.cell]
}

module "networking" {
  source = "../../modules/networking"

  name                 = "kaze-${var.cell_name}"
  network_id           = "site-vlan-${var.cell_name}"
  cidr_block           = var.node_cidr
  private_subnet_ids   = ["site-vlan-${var.cell_name}"]
  nodes_have_public_ip = false
}

module "kubernetes_cluster" {
  source = "../../modules/kubernetes-cluster"

  name                      = "kaze-${var.cell_name}"
  kubernetes_version        = join(".", slice(split(".", var.kubernetes_version), 0, 2))
  endpoint                  = var.cluster_endpoint
  ca_certificate            = talos_machine_secrets.cell.machine_secrets.certs.k8s.cert
  oidc_issuer_url           = var.cluster_endpoint
  private_endpoint          = true
  api_audit_log_enabled     = length(local.audit_policy.rules) > 0
  api_audit_log_destination = aws_s3_bucket.audit.arn
  secrets_encryption_key_id = "talos-secretbox"
  cni                       = "cilium"
  workload_identity         = "none"
  node_subnet_ids           = ["site-vlan-${var.cell_name}"]
}
