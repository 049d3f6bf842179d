terraform {
  # 1.11: write-only attributes (the root module's LWA client secret never enters the state).
  required_version = ">= 1.11"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100"
    }
  }
}

# This configuration is a root of its own: its provider serves the emulator and the stack (module.sp_reports,
# which has no provider block and takes its region and account from this one).
provider "aws" {
  region = var.region
}
