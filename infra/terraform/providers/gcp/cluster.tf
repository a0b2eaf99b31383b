# GKE: private nodes and private endpoint, Kubernetes API audit logs (Admin Activity is
# always on; Data Access logs for the Kubernetes API are enabled below) routed to the locked
# audit bucket, application-layer Secrets encryption with Cloud KMS. Cilium is installed by
# the cell bootstrap (legacy datapath; GKE's own network policy is off).

resource "google_service_account" "nodes" {
  account_id   = "kaze-${var.cell_name}-nodes"
  display_name = "GKE nodes (${var.cell_name})"
}

resource "google_project_iam_member" "nodes" {
  for_each = toset(["roles/logging.logWriter", "roles/monitoring.metricWriter", "roles/artifactregistry.reader"])
  project  = var.project_id
  role     = each.value
  member   = "serviceAccount:${google_service_account.nodes.email}"
}

resource "google_container_cluster" "cell" {
  # checkov:skip=CKV_GCP_12:Cilium, installed by the cell bootstrap, enforces the NetworkPolicies; GKE's own network policy is off so that they are not enforced twice
  # checkov:skip=CKV_GCP_66:images are admitted by the Sigstore policy controller in the cell (KZ-SUP-03), the same on every cloud, not by Binary Authorization
  # checkov:skip=CKV_GCP_61:pod traffic on a node is policed by Cilium, the cell's CNI; the subnet's VPC flow logs (log_config) record traffic between nodes
  # checkov:skip=CKV_GCP_69:the default node pool is removed (remove_default_node_pool); the only pool, google_container_node_pool.general, sets workload_metadata_config GKE_METADATA
  # checkov:skip=CKV_GCP_65:people authenticate through Speedrun's SSO (identity_service_config), whose groups claim base/rbac/platform-roles.yaml binds; Google Groups are not the identity source
  name     = "kaze-${var.cell_name}"
  location = var.region

  min_master_version       = var.kubernetes_version
  remove_default_node_pool = true
  initial_node_count       = 1
  deletion_protection      = true

  resource_labels = {
    "kaze-cell" = var.cell_name
  }

  # No client certificate: people come through SSO, workloads through their ServiceAccounts.
  master_auth {
    client_certificate_config {
      issue_client_certificate = false
    }
  }

  network           = google_compute_network.cell.id
  subnetwork        = google_compute_subnetwork.nodes.id
  datapath_provider = "LEGACY_DATAPATH"
  networking_mode   = "VPC_NATIVE"

  ip_allocation_policy {
    cluster_secondary_range_name  = "pods"
    services_secondary_range_name = "services"
  }

  private_cluster_config {
    enable_private_nodes    = true
    enable_private_endpoint = true
    master_ipv4_cidr_block  = var.control_plane_cidr
  }

  master_authorized_networks_config {
    cidr_blocks {
      cidr_block   = var.network_cidr
      display_name = "cell nodes and bastion"
    }
  }

  network_policy {
    enabled = false
  }

  addons_config {
    network_policy_config {
      disabled = true
    }
  }

  database_encryption {
    state    = "ENCRYPTED"
    key_name = google_kms_crypto_key.cell["gke-secrets"].id
  }

  workload_identity_config {
    workload_pool = "${var.project_id}.svc.id.goog"
  }

  identity_service_config {
    enabled = true
  }

  logging_config {
    enable_components = ["SYSTEM_COMPONENTS", "APISERVER", "CONTROLLER_MANAGER", "SCHEDULER"]
  }

  release_channel {
    channel = "REGULAR"
  }

  depends_on = [google_kms_crypto_key_iam_member.gke_secrets]
}

resource "google_container_node_pool" "general" {
  name     = "general"
  cluster  = google_container_cluster.cell.id
  location = var.region

  autoscaling {
    min_node_count = 1
    max_node_count = 3
  }

  node_config {
    machine_type      = var.node_machine_type
    service_account   = google_service_account.nodes.email
    oauth_scopes      = ["https://www.googleapis.com/auth/cloud-platform"]
    boot_disk_kms_key = google_kms_crypto_key.cell["volumes"].id
    image_type        = "COS_CONTAINERD"

    workload_metadata_config {
      mode = "GKE_METADATA"
    }

    shielded_instance_config {
      enable_secure_boot          = true
      enable_integrity_monitoring = true
    }

    taint {
      key    = "node.cilium.io/agent-not-ready"
      value  = "true"
      effect = "NO_EXECUTE"
    }
  }

  management {
    auto_repair  = true
    auto_upgrade = true
  }
}

# Data Access audit logs of the Kubernetes API (reads and writes), in addition to the
# always-on Admin Activity logs.
resource "google_project_iam_audit_config" "kubernetes" {
  project = var.project_id
  service = "container.googleapis.com"

  audit_log_config {
    log_type = "ADMIN_READ"
  }
  audit_log_config {
    log_type = "DATA_READ"
  }
  audit_log_config {
    log_type = "DATA_WRITE"
  }
}

module "kubernetes_cluster" {
  source = "../../modules/kubernetes-cluster"

  name                      = google_container_cluster.cell.name
  kubernetes_version        = var.kubernetes_version
  endpoint                  = "https://${google_container_cluster.cell.private_cluster_config[0].private_endpoint}"
  ca_certificate            = google_container_cluster.cell.master_auth[0].cluster_ca_certificate
  oidc_issuer_url           = "https://container.googleapis.com/v1/projects/${var.project_id}/locations/${var.region}/clusters/${google_container_cluster.cell.name}"
  private_endpoint          = google_container_cluster.cell.private_cluster_config[0].enable_private_endpoint
  api_audit_log_enabled     = length(google_project_iam_audit_config.kubernetes.audit_log_config) > 0
  api_audit_log_destination = google_storage_bucket.audit.url
  secrets_encryption_key_id = google_kms_crypto_key.cell["gke-secrets"].id
  cni                       = "cilium"
  workload_identity         = "gke-workload-identity"
  node_subnet_ids           = [google_compute_subnetwork.nodes.id]
}
