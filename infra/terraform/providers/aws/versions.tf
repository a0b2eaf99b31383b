# AWS implementation of a Kaze cell: VPC, EKS, KMS, the object-locked audit store, and an
# optional managed PostgreSQL for the platform's metering data. Used by the agency-aws and
# customer-vpc-aws overlays (one state per cell: terraform workspace = cell name).
#
# Credentials come from the environment (SSO session or CI's OIDC role); none are in files.

terraform {
  required_version = ">= 1.6.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.80"
    }
  }

  # Partial configuration: bucket, key and region are given at `terraform init`.
  backend "s3" {
    encrypt      = true
    use_lockfile = true
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      "kaze.io/cell"       = var.cell_name
      "kaze.io/mode"       = var.mode
      "kaze.io/managed-by" = "terraform"
    }
  }
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}
