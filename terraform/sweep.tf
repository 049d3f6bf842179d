# The report sweep's schedule: EventBridge Scheduler invokes the report_sweeper function (local.functions, group
# standalone) every sweep_schedule_expression. Two alarms to the report topic: a run that fails (the function's
# Errors), and an invocation Scheduler could not deliver after its retries (it lands in the schedule's
# dead-letter queue, encrypted with the data key, instead of being dropped unseen).

module "sweep_schedule" {
  source = "./modules/function_schedule"

  name                = module.standalone_function["report_sweeper"].function_name
  function_name       = module.standalone_function["report_sweeper"].function_name
  function_arn        = module.standalone_function["report_sweeper"].function_arn
  schedule_expression = var.sweep_schedule_expression
  description         = "finds with getReports the finished reports no notification brought in and starts their workflow"
  alarm_topic_arn     = module.state_machine.topic_arn
  kms_key_arn         = module.security.data_kms_key_arn
  tags                = var.tags

  role_name                 = local.iam_role_names.report_sweeper_schedule
  role_path                 = var.iam_role_path
  role_permissions_boundary = var.iam_permissions_boundary_arn
}
