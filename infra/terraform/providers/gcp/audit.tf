# The audit store (KZ-AUD-01): a log sink routes the Kubernetes API audit logs of the cell's
# cluster to a GCS bucket whose retention policy is locked (objects cannot be deleted or
# replaced before the retention ends, and the policy itself can no longer be shortened).
# The client's auditors can read and export it.

resource "google_storage_bucket" "audit" {
  # checkov:skip=CKV_GCP_62:the bucket holds only the audit log: the log sink writes it and the client's auditors read it (IAM members); usage logs would go to another bucket of the same project, no more independent than this one
  # checkov:skip=CKV_GCP_78:the locked retention policy keeps every object unchanged and undeletable until its retention ends, what versioning would protect; GCS does not combine a bucket retention policy with Object Versioning
  name                        = "kaze-${var.cell_name}-audit-${data.google_project.cell.number}"
  location                    = var.region
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false

  # GCS label keys allow no "." or "/": kaze-purpose stands for kaze.io/purpose.
  labels = {
    "kaze-purpose" = "audit-logs"
  }

  retention_policy {
    retention_period = var.audit_retention_days * 86400
    is_locked        = true
  }

  encryption {
    default_kms_key_name = google_kms_crypto_key.cell["audit"].id
  }

  depends_on = [google_kms_crypto_key_iam_member.audit_bucket]
}

resource "google_logging_project_sink" "kube_audit" {
  name                   = "kaze-${var.cell_name}-kube-audit"
  destination            = "storage.googleapis.com/${google_storage_bucket.audit.name}"
  filter                 = "logName:\"cloudaudit.googleapis.com\" AND resource.type=\"k8s_cluster\" AND resource.labels.cluster_name=\"${google_container_cluster.cell.name}\""
  unique_writer_identity = true
}

resource "google_storage_bucket_iam_member" "sink_writer" {
  bucket = google_storage_bucket.audit.name
  role   = "roles/storage.objectCreator"
  member = google_logging_project_sink.kube_audit.writer_identity
}

resource "google_storage_bucket_iam_member" "client_export" {
  for_each = toset(var.audit_export_members)
  bucket   = google_storage_bucket.audit.name
  role     = "roles/storage.objectViewer"
  member   = each.value
}

module "audit_store" {
  source = "../../modules/storage"

  name                  = "audit"
  bucket_id             = google_storage_bucket.audit.url
  endpoint              = "https://storage.googleapis.com"
  object_lock_enabled   = google_storage_bucket.audit.retention_policy[0].is_locked
  retention_mode        = "LOCKED"
  retention_days        = var.audit_retention_days
  encryption_key_id     = google_kms_crypto_key.cell["audit"].id
  export_principals     = var.audit_export_members
  public_access_blocked = google_storage_bucket.audit.public_access_prevention == "enforced"
}
