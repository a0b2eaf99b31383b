resource "google_compute_network" "cell" {
  # checkov:skip=CKV2_GCP_18:the network's implied rules deny all ingress; GKE adds the rules its nodes need, and egress leaves through Cloud NAT, restricted in the cell by Cilium's policies
  name                    = "kaze-${var.cell_name}"
  auto_create_subnetworks = false
}

resource "google_compute_subnetwork" "nodes" {
  name                     = "kaze-${var.cell_name}-nodes"
  network                  = google_compute_network.cell.id
  region                   = var.region
  ip_cidr_range            = var.network_cidr
  private_ip_google_access = true

  secondary_ip_range {
    range_name    = "pods"
    ip_cidr_range = var.pods_cidr
  }

  secondary_ip_range {
    range_name    = "services"
    ip_cidr_range = var.services_cidr
  }

  log_config {
    aggregation_interval = "INTERVAL_5_SEC"
    flow_sampling        = 0.5
  }
}

resource "google_compute_router" "cell" {
  name    = "kaze-${var.cell_name}"
  network = google_compute_network.cell.id
  region  = var.region
}

resource "google_compute_router_nat" "cell" {
  name                               = "kaze-${var.cell_name}"
  router                             = google_compute_router.cell.name
  region                             = var.region
  nat_ip_allocate_option             = "AUTO_ONLY"
  source_subnetwork_ip_ranges_to_nat = "ALL_SUBNETWORKS_ALL_IP_RANGES"
}

# Private services access for Cloud SQL (no public IP).
resource "google_compute_global_address" "private_services" {
  name          = "kaze-${var.cell_name}-private-services"
  purpose       = "VPC_PEERING"
  address_type  = "INTERNAL"
  prefix_length = 20
  network       = google_compute_network.cell.id
}

resource "google_service_networking_connection" "private_services" {
  network                 = google_compute_network.cell.id
  service                 = "servicenetworking.googleapis.com"
  reserved_peering_ranges = [google_compute_global_address.private_services.name]
}

module "networking" {
  source = "../../modules/networking"

  name                 = "kaze-${var.cell_name}"
  network_id           = google_compute_network.cell.id
  cidr_block           = var.network_cidr
  private_subnet_ids   = [google_compute_subnetwork.nodes.id]
  nodes_have_public_ip = false
}
