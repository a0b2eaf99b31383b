# GCP implementation of a Kaze cell: VPC, GKE, Cloud KMS, the locked audit bucket, and an
# optional Cloud SQL instance for the platform's metering data. Used by the agency-gcp overlay.
# Credentials come from the environment (gcloud ADC or CI's workload identity federation).

terraform {
  required_version = ">= 1.6.0"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 6.14"
    }
  }

  backend "gcs" {}
}

provider "google" {
  project = var.project_id
  region  = var.region

  default_labels = {
    "kaze-cell"       = var.cell_name
    "kaze-managed-by" = "terraform"
  }
}

data "google_project" "cell" {}
