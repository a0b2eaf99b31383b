# Cloud SQL for the platform's metering data: private IP only (no public address,
# KZ-SOD-04), TLS required, IAM database authentication (no built-in password), CMEK.

resource "google_sql_database_instance" "metering" {
  # checkov:skip=CKV_GCP_6:ssl_mode ENCRYPTED_ONLY requires TLS on every connection; clients authenticate with IAM database authentication, not client certificates
  # checkov:skip=CKV_GCP_108:log_hostname makes a reverse DNS lookup per connection; log_connections already records the client's address
  # checkov:skip=CKV_GCP_110:pgAudit would copy metering statements and their values into Cloud Logging; connections and schema changes are logged (log_connections, log_statement ddl)
  # checkov:skip=CKV2_GCP_13:log_duration logs every statement's time, the metering rows' load with it; slow statements are found through Query Insights
  # checkov:skip=CKV_GCP_79:PostgreSQL 16, the major version of the metering database in every cell (AWS and Azure alike), upgraded together across clouds
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
    database_flags {
      name  = "log_disconnections"
      value = "on"
    }
    database_flags {
      name  = "log_checkpoints"
      value = "on"
    }
    database_flags {
      name  = "log_lock_waits"
      value = "on"
    }
    database_flags {
      name  = "log_min_error_statement"
      value = "error"
    }
    # Schema changes only: the metering rows themselves stay out of the logs.
    database_flags {
      name  = "log_statement"
      value = "ddl"
    }
  }

  depends_on = [
    google_service_networking_connection.private_services,
    google_kms_crypto_key_iam_member.database,
  ]
}
