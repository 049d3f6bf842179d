output "stacks" {
  description = "Each stack by module name: its region, API base URL and API invoke role."
  value = {
    for name, stack in { primary = module.primary, secondary = module.secondary } : name => {
      region                     = stack.region
      api_base_url               = stack.api_base_url
      api_invoke_role_arn        = stack.api_invoke_role_arn
    }
  }
}
