# Bare-metal (on-premises) implementation of a Kaze cell: a Talos Linux Kubernetes cluster on
# the site's machines, and the audit bucket on the site's S3-compatible object store (MinIO)
# with object lock. The bucket is managed through the S3 API with the AWS provider pointed at
# MinIO's endpoint. Credentials (Talos is bootstrapped from generated machine secrets; the
# MinIO access key comes from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY in the environment) are
# never in files.

terraform {
  required_version = ">= 1.6.0"

  required_providers {
    talos = {
      source  = "siderolabs/talos"
      version = "~> 0.7"
    }
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.80"
    }
  }

  # The site's own state store (S3-compatible); configured at `terraform init`.
  backend "s3" {
    use_path_style              = true
    skip_credentials_validation = true
    skip_region_validation      = true
    skip_requesting_account_id  = true
  }
}

provider "talos" {}

provider "aws" {
  alias                       = "minio"
  region                      = "us-east-1"
  s3_use_path_style           = true
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true

  endpoints {
    s3 = var.minio_endpoint
  }
}
