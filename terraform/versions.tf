terraform {
  # 1.11: write-only attributes (the LWA client secret never enters the state).
  required_version = "~> 1.11"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
}

# Credentials come from the environment. To point this stack at another AWS endpoint (e.g. a local emulator),
# add a `*_override.tf` file with its own `provider "aws"` block; Terraform merges it over this one.
provider "aws" {
  region = var.region
}
