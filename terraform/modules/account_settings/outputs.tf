output "cloudwatch_role_arn" {
  description = "ARN of the role the account's API Gateway setting names in this region (pass it to the sp-reports root's api_gateway_cloudwatch_role_arn: the stage then waits for the setting)."
  # From the setting, not the role: a caller that references this output waits until the setting is made.
  value = aws_api_gateway_account.this.cloudwatch_role_arn
}

output "cloudwatch_role_name" {
  description = "Name of the role API Gateway writes CloudWatch logs with."
  value       = aws_iam_role.cloudwatch.name
}

output "replaced_cloudwatch_role_arn" {
  description = "The role the setting named before this module took it over (take_over_existing_role); null when it named none or this module's own. Destroying the module resets the setting to none: re-set this role then if its APIs still need it."
  value       = local.replaces_another_role ? local.current_role : null
}
