# Cloud SQL for the platform's metering data: private IP only (no public address,
# KZ-SOD-04), TLS required, IAM database authentication (no built-in password), CMEK.

resource "google_sql_database_instance" "metering" {
  count = var.managed_postgres ? 1 : 0

  name                = "kaze-${var.cell_name}-metering"
  database_version    = "POSTGRES_16"
  region              = var.region
  deletion_protection = true
  encryption_key_name = google_kms_crypto_key.cell["database"].id

  settings {
    tier              = "db-custom-2-7680"
    availability_type = "REGIONAL"
    disk_autoresize   = true

    ip_configuration {
      ipv4_enabled                                  = false
      private_network                               = google_compute_network.cell.id
      enable_private_path_for_google_cloud_services = false
      ssl_mode                                      = "ENCRYPTED_ONLY"
    }

    backup_configuration {
      enabled                        = true
      point_in_time_recovery_enabled = true
    }

    database_flags {
      name  = "cloudsql.iam_authentication"
      value = "on"
    }

    database_flags {
      name  = "log_connections"
      value = "on"
    }
  }

  depends_on = [
    google_service_networking_connection.private_services,
    google_kms_crypto_key_iam_member.database,
  ]
}
