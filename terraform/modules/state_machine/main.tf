# State machine: the report workflow (ASL in report_workflow.asl.json, rendered with the function ARNs and task
# timeouts), the three Lambdas it invokes, the SNS topic that emails people, and the alarms that tell them when
# something is stuck. Part of this stack, not a general-purpose module: the workflow is the sp-reports one; the
# caller says which of its functions does which task (functions[*].task: store, convert, notify).

data "aws_caller_identity" "current" {}

locals {
  state_machine_name = "${var.name_prefix}-report-workflow"
  topic_name         = "${var.name_prefix}-report-notifications"

  # The function doing each task.
  task_functions = { for f, function in var.functions : function.task => f }
  # The notifying function learns the topic it publishes to.
  task_environment = {
    store   = {}
    convert = {}
    notify  = { NOTIFICATIONS_TOPIC_ARN = aws_sns_topic.this.arn }
  }

  # Each task's TimeoutSeconds is its function's timeout plus a margin, so raising a function's timeout can never
  # make Step Functions give up first. The margin covers what Lambda does not count in the function's timeout:
  # the Init phase of a cold start, up to 10 s ("Understanding the Lambda execution environment lifecycle", Init
  # phase), and the invoke's own round trip.
  task_timeout_margin_seconds = 30
  task_timeout_seconds = {
    for name, function in var.functions : name => function.timeout + local.task_timeout_margin_seconds
  }
}

module "function" {
  source   = "../lambda_function"
  for_each = var.functions

  function_name                  = "${var.name_prefix}-${replace(each.key, "_", "-")}"
  description                    = each.value.description
  handler                        = "sp_reports.handlers.${each.key}.handler"
  runtime                        = each.value.runtime
  architecture                   = each.value.architecture
  attach_policy_statements       = contains(keys(var.policy_statements), each.key)
  policy_statements              = try(var.policy_statements[each.key], [])
  memory_size                    = each.value.memory_size
  timeout                        = each.value.timeout
  ephemeral_storage_size         = each.value.ephemeral_storage_mb
  reserved_concurrent_executions = each.value.reserved_concurrent_executions
  log_retention_days             = each.value.log_retention_days
  environment_variables          = merge(each.value.environment_variables, local.task_environment[each.value.task])
  role_name                      = each.value.role_name
  role_path                      = var.role_path
  role_permissions_boundary      = var.role_permissions_boundary
  vpc_subnet_ids                 = each.value.vpc_subnet_ids
  vpc_security_group_ids         = each.value.vpc_security_group_ids
  code_signing_config_arn        = each.value.code_signing_config_arn
  kms_key_arn                    = var.kms_key_arn
  package                        = each.value.package
  tags                           = var.tags
}

resource "aws_cloudwatch_log_group" "this" {
  # The vendedlogs path keeps Step Functions' log delivery within CloudWatch Logs' resource-policy size limit.
  name              = "/aws/vendedlogs/states/${local.state_machine_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_iam_role" "this" {
  name                 = coalesce(var.role_name, local.state_machine_name)
  path                 = var.role_path
  permissions_boundary = var.role_permissions_boundary
  description          = "Execution role of the ${local.state_machine_name} state machine"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "StepFunctionsAssumesForThisAccountOnly"
      Effect    = "Allow"
      Principal = { Service = "states.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id } }
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "this" {
  name = "${aws_iam_role.this.name}-access"
  role = aws_iam_role.this.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid    = "InvokeTheWorkflowFunctionsOnly"
        Effect = "Allow"
        Action = "lambda:InvokeFunction"
        # The function ARN and its qualified forms (version/alias), as the lambda:invoke integration may use either.
        Resource = flatten([for f, function in module.function : [function.function_arn, "${function.function_arn}:*"] if contains(keys(local.invoked_functions), f)])
      },
      {
        Sid    = "DeliverExecutionLogs"
        Effect = "Allow"
        Action = [
          "logs:CreateLogDelivery",
          "logs:GetLogDelivery",
          "logs:UpdateLogDelivery",
          "logs:DeleteLogDelivery",
          "logs:ListLogDeliveries",
          "logs:PutResourcePolicy",
          "logs:DescribeResourcePolicies",
          "logs:DescribeLogGroups",
        ]
        # CloudWatch Logs' vended-log-delivery actions support no resource-level permissions: AWS requires "*".
        Resource = "*"
      },
      {
        Sid    = "SendTraces"
        Effect = "Allow"
        Action = ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"]
        # X-Ray's trace and sampling actions support no resource-level permissions: AWS requires "*".
        Resource = "*"
      },
    ]
  })
}

locals {
  workflow_definition = templatefile("${path.module}/report_workflow.asl.json", {
    store_function_arn           = module.function[local.task_functions["store"]].function_arn
    convert_function_arn         = module.function[local.task_functions["convert"]].function_arn
    notify_function_arn          = module.function[local.task_functions["notify"]].function_arn
    store_task_timeout_seconds   = local.task_timeout_seconds[local.task_functions["store"]]
    convert_task_timeout_seconds = local.task_timeout_seconds[local.task_functions["convert"]]
    notify_task_timeout_seconds  = local.task_timeout_seconds[local.task_functions["notify"]]
  })
  # Conversion switched off: the same workflow without ConvertReport, a stored report going straight to
  # NotifyReady (the ASL file keeps one copy of every other state).
  workflow = jsondecode(local.workflow_definition)
  workflow_without_conversion = merge(local.workflow, {
    States = merge(
      { for name, state in local.workflow.States : name => state if name != "ConvertReport" },
      { StoreReport = merge(local.workflow.States.StoreReport, { Next = "NotifyReady" }) },
    )
  })
  # The functions the workflow invokes: the converter only while it converts.
  invoked_functions = { for f, function in var.functions : f => function if var.conversion_enabled || function.task != "convert" }
}

resource "aws_sfn_state_machine" "this" {
  # checkov:skip=CKV_AWS_285:Execution data stays out of the logs on purpose: inputs and outputs carry seller and report details; errors are logged (level ERROR).
  name       = local.state_machine_name
  type       = "STANDARD"
  role_arn   = aws_iam_role.this.arn
  definition = var.conversion_enabled ? local.workflow_definition : jsonencode(local.workflow_without_conversion)

  logging_configuration {
    log_destination = "${aws_cloudwatch_log_group.this.arn}:*"
    level           = "ERROR"
    # Execution data would copy inputs and outputs into the logs; errors alone are enough to act on.
    include_execution_data = false
  }

  tracing_configuration {
    enabled = true
  }

  tags = var.tags

  depends_on = [aws_iam_role_policy.this]
}

resource "aws_sns_topic" "this" {
  name              = local.topic_name
  kms_master_key_id = var.kms_key_arn
  tags              = var.tags
}

resource "aws_sns_topic_policy" "this" {
  arn = aws_sns_topic.this.arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat([
      {
        Sid       = "AccountManagesAndPublishes"
        Effect    = "Allow"
        Principal = { AWS = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root" }
        Action = [
          "sns:GetTopicAttributes",
          "sns:SetTopicAttributes",
          "sns:AddPermission",
          "sns:RemovePermission",
          "sns:DeleteTopic",
          "sns:Subscribe",
          "sns:ListSubscriptionsByTopic",
          "sns:Publish",
        ]
        Resource = aws_sns_topic.this.arn
      },
      {
        Sid       = "CloudWatchAlarmsOfThisAccountPublish"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = "sns:Publish"
        Resource  = aws_sns_topic.this.arn
        Condition = { StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id } }
      },
      {
        Sid       = "DenyRequestsWithoutTls"
        Effect    = "Deny"
        Principal = "*" # a Deny for everyone: no principal may use plain HTTP
        Action    = "sns:Publish"
        Resource  = aws_sns_topic.this.arn
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
      {
        # Every message carries a report's download link: it reaches only the kinds of endpoint the deployment
        # chose (email by default). sns:Protocol is Subscribe's condition key (Service Authorization Reference,
        # "Actions, resources, and condition keys for Amazon SNS":
        # https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsns.html; SNS Developer
        # Guide, "Example cases for Amazon SNS access control":
        # https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html).
        Sid       = "SubscribeOnlyWithTheAllowedProtocols"
        Effect    = "Deny"
        Principal = "*" # a Deny for everyone
        Action    = "sns:Subscribe"
        Resource  = aws_sns_topic.this.arn
        Condition = { StringNotEquals = { "sns:Protocol" = var.subscription_protocols } }
      },
      # Given endpoint patterns, a subscription's endpoint (an address, a URL, an ARN) must match one of them:
      # sns:Endpoint is Subscribe's other condition key (same Service Authorization Reference page).
      ], length(var.subscription_endpoints) == 0 ? [] : [{
        Sid       = "SubscribeOnlyTheAllowedEndpoints"
        Effect    = "Deny"
        Principal = "*" # a Deny for everyone
        Action    = "sns:Subscribe"
        Resource  = aws_sns_topic.this.arn
        Condition = { StringNotLike = { "sns:Endpoint" = var.subscription_endpoints } }
      }], [
      {
        # Only the stack's own principals subscribe: those of its account or, given, the listed ones. An explicit
        # Deny, so that no Allow added to this policy later opens subscriptions to anyone else.
        Sid       = "OnlyTheStacksPrincipalsSubscribe"
        Effect    = "Deny"
        Principal = "*" # a Deny for everyone else
        Action    = "sns:Subscribe"
        Resource  = aws_sns_topic.this.arn
        Condition = merge(
          length(var.subscriber_principal_arns) > 0 ? { ArnNotLike = { "aws:PrincipalArn" = var.subscriber_principal_arns } } : {},
          length(var.subscriber_principal_arns) > 0 ? {} : { StringNotEquals = { "aws:PrincipalAccount" = [data.aws_caller_identity.current.account_id] } },
        )
      },
    ])
  })
}

data "aws_partition" "current" {}

resource "aws_sns_topic_subscription" "email" {
  count = var.notification_email == null ? 0 : 1

  topic_arn = aws_sns_topic.this.arn
  protocol  = "email"
  endpoint  = var.notification_email
}
