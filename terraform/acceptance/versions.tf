terraform {
  # 1.11: write-only attributes (the root module's LWA client secret never enters the state).
  required_version = "~> 1.11"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
}

# For the emulator. The root module (module.sp_reports) declares its own `provider "aws"` from its `region`
# input, so it is called without count, for_each or depends_on (Terraform refuses those on a module with its
# own provider configuration); both get the same region.
provider "aws" {
  region = var.region
}
