# The report sweep's schedule: EventBridge Scheduler invokes the report_sweeper function (local.functions, group
# standalone) every sweep_schedule_expression; its failures raise an alarm to the report topic.

module "sweep_schedule" {
  source = "./modules/function_schedule"

  name                = module.standalone_function["report_sweeper"].function_name
  function_name       = module.standalone_function["report_sweeper"].function_name
  function_arn        = module.standalone_function["report_sweeper"].function_arn
  schedule_expression = var.sweep_schedule_expression
  description         = "finds with getReports the finished reports no notification brought in and starts their workflow"
  alarm_topic_arn     = module.state_machine.topic_arn
  tags                = var.tags

  role_name                 = local.iam_role_names.report_sweeper_schedule
  role_path                 = var.iam_role_path
  role_permissions_boundary = var.iam_permissions_boundary_arn
}
