# The pull planner's schedule, the parked-windows and near-expiry alarms and the operator's dashboard. EventBridge Scheduler
# invokes the pull_planner function (local.functions, group standalone) every pull_planner_schedule_expression:
# one tick requests the due windows of every pull plan (src/sp_reports/pipeline/pull_planner.py), so the fleet
# has one schedule, not one per plan. Its Errors and dead-letter alarms come with the function_schedule module.

module "pull_planner_schedule" {
  source = "./modules/function_schedule"

  name                = module.standalone_function["pull_planner"].function_name
  function_name       = module.standalone_function["pull_planner"].function_name
  function_arn        = module.standalone_function["pull_planner"].function_arn
  schedule_expression = var.pull_planner_schedule_expression
  description         = "requests the due windows of every pull plan and records them in the plans ledger"
  alarm_topic_arn     = module.state_machine.topic_arn
  kms_key_arn         = module.security.data_kms_key_arn
  tags                = var.tags

  role_name                 = local.iam_role_names.pull_planner_schedule
  role_path                 = var.iam_role_path
  role_permissions_boundary = var.iam_permissions_boundary_arn
}

locals {
  # The functions' custom metrics carry Powertools' `service` dimension, the functions' POWERTOOLS_SERVICE_NAME
  # (https://docs.powertools.aws.dev/lambda/python/latest/core/metrics/#adding-dimensions).
  metric_dimensions = { service = var.name_prefix }
  # A queue's name is the last field of its ARN (Amazon SQS Developer Guide, "Amazon SQS resource ARNs").
  pull_planner_dlq_name = element(split(":", module.pull_planner_schedule.dlq_arn), 5)
  sweep_dlq_name        = element(split(":", module.sweep_schedule.dlq_arn), 5)
  dashboard_region      = data.aws_region.current.id
}

# A window parked after three failed reports (src/sp_reports/pipeline/pull_window_outcomes.py counts
# WindowsParked) is no longer retried: somebody has to look at why (the coverage names the reason).
resource "aws_cloudwatch_metric_alarm" "pull_windows_parked" {
  alarm_name          = "${var.name_prefix}-pull-windows-parked"
  alarm_description   = "A pull plan window failed three times and is parked: its data is missing until somebody looks at the reason (GET /plans/{planId}/coverage)."
  namespace           = var.metrics_namespace
  metric_name         = "WindowsParked"
  dimensions          = local.metric_dimensions
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [module.state_machine.topic_arn]
  tags                = var.tags
}

# A discover plan's report (settlement) that is not stored a week before SP-API drops it, 90 days after its
# creation (src/sp_reports/pipeline/pull_discovery.py counts DiscoveredReportsNearExpiry at each discovery, every
# 30 minutes per plan): once dropped it cannot be fetched or requested again.
resource "aws_cloudwatch_metric_alarm" "pull_reports_near_expiry" {
  alarm_name          = "${var.name_prefix}-pull-reports-near-expiry"
  alarm_description   = "A report a discover pull plan found (settlement) is not stored and SP-API drops it within 7 days; once dropped it is lost (GET /plans/{planId}/coverage names it)."
  namespace           = var.metrics_namespace
  metric_name         = "DiscoveredReportsNearExpiry"
  dimensions          = local.metric_dimensions
  statistic           = "Maximum"
  period              = 3600
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [module.state_machine.topic_arn]
  tags                = var.tags
}

resource "aws_cloudwatch_dashboard" "pull_plans" {
  dashboard_name = "${var.name_prefix}-pull-plans"
  dashboard_body = jsonencode({
    widgets = [
      {
        type = "metric", x = 0, y = 0, width = 12, height = 6
        properties = {
          title   = "Plan windows per day"
          region  = local.dashboard_region
          stat    = "Sum"
          period  = 86400
          view    = "timeSeries"
          stacked = false
          metrics = [for name in ["WindowsStored", "WindowsWithoutData", "WindowsFailed", "WindowsParked", "PlannerReportsCreated", "PlannerWindowsWaitingForToken"] : [var.metrics_namespace, name, "service", var.name_prefix]]
        }
      },
      {
        type = "metric", x = 12, y = 0, width = 12, height = 6
        properties = {
          title   = "Reports by outcome"
          region  = local.dashboard_region
          stat    = "Sum"
          period  = 3600
          view    = "timeSeries"
          stacked = true
          metrics = [for name in ["ReportsDelivered", "ReportsWithoutData", "ReportsFailed"] : [var.metrics_namespace, name, "service", var.name_prefix]]
        }
      },
      {
        type = "metric", x = 0, y = 6, width = 12, height = 6
        properties = {
          title  = "Queue and dead-letter queue depth"
          region = local.dashboard_region
          stat   = "Maximum"
          period = 300
          view   = "timeSeries"
          metrics = [for queue in [module.queue.queue_name, module.queue.dlq_name, local.sweep_dlq_name, local.pull_planner_dlq_name] :
          ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", queue]]
        }
      },
      {
        type = "metric", x = 12, y = 6, width = 12, height = 6
        properties = {
          title  = "Planner and sweep: errors and duration"
          region = local.dashboard_region
          period = 300
          view   = "timeSeries"
          metrics = flatten([for f in ["pull_planner", "report_sweeper"] : [
            ["AWS/Lambda", "Errors", "FunctionName", module.standalone_function[f].function_name, { stat = "Sum" }],
            ["AWS/Lambda", "Duration", "FunctionName", module.standalone_function[f].function_name, { stat = "Maximum", yAxis = "right" }],
          ]])
        }
      },
      {
        type = "metric", x = 0, y = 12, width = 24, height = 6
        properties = {
          title   = "Planner ticks: windows left for the next tick, and plans stopped for time or quota"
          region  = local.dashboard_region
          stat    = "Sum"
          period  = 300
          view    = "timeSeries"
          metrics = [for name in ["PlannerWindowsDeferred", "PlannerStoppedForTime", "PlannerSellersThrottled", "PlannerReportsAdopted"] : [var.metrics_namespace, name, "service", var.name_prefix]]
        }
      },
      {
        type = "metric", x = 0, y = 18, width = 24, height = 6
        properties = {
          title   = "Discover plans: reports found, not stored near SP-API's 90-day retention, discoveries failed"
          region  = local.dashboard_region
          stat    = "Sum"
          period  = 3600
          view    = "timeSeries"
          metrics = [for name in ["ReportsDiscovered", "DiscoveredReportsNearExpiry", "DiscoveryFailures"] : [var.metrics_namespace, name, "service", var.name_prefix]]
        }
      },
    ]
  })
}
