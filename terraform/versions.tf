terraform {
  # 1.11: write-only attributes (the LWA client secret never enters the state). Minimum versions only: this is a
  # module the caller's configuration calls, and the caller's root picks the versions (and owns the lock file).
  required_version = ">= 1.11"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100"
    }
  }
}
