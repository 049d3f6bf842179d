terraform {
  required_version = ">= 1.11"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # The upper bound is this module's only: destroying the setting must not leave it naming the role the
      # same destroy deletes. Provider 5.x resets the setting on destroy only with reset_on_delete = true (main.tf);
      # 6.0 removes that argument and always resets ("Terraform AWS Provider Version 6 Upgrade Guide",
      # resource/aws_api_gateway_account: https://registry.terraform.io/providers/hashicorp/aws/latest/docs/guides/version-6-upgrade),
      # so no one configuration is right for both. For 6.x, drop reset_on_delete and this bound together.
      version = ">= 5.100, < 6.0"
    }
  }
}
