output "stacks" {
  description = "Each stack of the fleet by name_prefix: its region, API base URL and API invoke role."
  value = {
    for prefix, stack in module.sp_reports : prefix => {
      region              = stack.region
      api_base_url        = stack.api_base_url
      api_invoke_role_arn = stack.api_invoke_role_arn
    }
  }
}
