resource "google_kms_key_ring" "cell" {
  name     = "kaze-${var.cell_name}"
  location = var.region
}

resource "google_kms_crypto_key" "cell" {
  for_each        = toset(["gke-secrets", "audit", "volumes", "vault-unseal", "database"])
  name            = each.key
  key_ring        = google_kms_key_ring.cell.id
  rotation_period = "7776000s"

  lifecycle {
    prevent_destroy = true
  }
}

# Service agents that encrypt with the cell's keys.
resource "google_kms_crypto_key_iam_member" "gke_secrets" {
  crypto_key_id = google_kms_crypto_key.cell["gke-secrets"].id
  role          = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
  member        = "serviceAccount:service-${data.google_project.cell.number}@container-engine-robot.iam.gserviceaccount.com"
}

resource "google_kms_crypto_key_iam_member" "audit_bucket" {
  crypto_key_id = google_kms_crypto_key.cell["audit"].id
  role          = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
  member        = "serviceAccount:service-${data.google_project.cell.number}@gs-project-accounts.iam.gserviceaccount.com"
}

resource "google_kms_crypto_key_iam_member" "volumes" {
  crypto_key_id = google_kms_crypto_key.cell["volumes"].id
  role          = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
  member        = "serviceAccount:service-${data.google_project.cell.number}@compute-system.iam.gserviceaccount.com"
}

resource "google_project_service_identity" "cloudsql" {
  provider = google
  service  = "sqladmin.googleapis.com"
}

resource "google_kms_crypto_key_iam_member" "database" {
  crypto_key_id = google_kms_crypto_key.cell["database"].id
  role          = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
  member        = "serviceAccount:${google_project_service_identity.cloudsql.email}"
}

# Vault's auto-unseal through Workload Identity: the vault/vault ServiceAccount only.
resource "google_service_account" "vault" {
  account_id   = "kaze-vault"
  display_name = "Vault auto-unseal (${var.cell_name})"
}

resource "google_kms_crypto_key_iam_member" "vault_unseal" {
  crypto_key_id = google_kms_crypto_key.cell["vault-unseal"].id
  role          = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
  member        = "serviceAccount:${google_service_account.vault.email}"
}

resource "google_service_account_iam_member" "vault_workload_identity" {
  service_account_id = google_service_account.vault.name
  role               = "roles/iam.workloadIdentityUser"
  member             = "serviceAccount:${var.project_id}.svc.id.goog[vault/vault]"
}
