# One Lambda function with what every function of the pipeline shares: a KMS-encrypted log group with retention
# that exists before the function (so Lambda never creates an unencrypted, never-expiring one), X-Ray tracing,
# encrypted environment variables, optional DLQ and reserved concurrency, and the role permissions for its own
# logs. The execution role is created here with the caller's policy_statements (as terraform-aws-modules/lambda
# does), or given by the caller (create_role = false, role_arn).

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  role_name = var.create_role ? aws_iam_role.this[0].name : regex("[^/]+$", var.role_arn) # path stripped
  # A created role's ARN is built from its path and name (arn:<partition>:iam::<account>:role<path><name>, IAM
  # User Guide, "IAM identifiers": https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html):
  # known at plan time, so a key or trust policy that names the role shows the exact principal in the plan, and
  # still waits for the role, whose path and name it reads (KMS and IAM refuse a principal that does not exist yet).
  role_arn = var.create_role ? "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:role${aws_iam_role.this[0].path}${aws_iam_role.this[0].name}" : var.role_arn

  in_vpc = length(var.vpc_subnet_ids) > 0
}

resource "aws_iam_role" "this" {
  count = var.create_role ? 1 : 0

  name                 = coalesce(var.role_name, var.function_name)
  path                 = var.role_path
  permissions_boundary = var.role_permissions_boundary
  description          = coalesce(var.role_description, "Execution role of the ${var.function_name} Lambda")
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "LambdaServiceAssumesForThisAccountOnly"
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id } }
    }]
  })
  tags = var.tags
}

# The function's own permissions: the caller's statements, one inline policy on the role this module created.
resource "aws_iam_role_policy" "this" {
  count = var.create_role && var.attach_policy_statements ? 1 : 0

  name   = "${aws_iam_role.this[0].name}-access"
  role   = aws_iam_role.this[0].name
  policy = jsonencode({ Version = "2012-10-17", Statement = var.policy_statements })
}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/aws/lambda/${var.function_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

locals {
  runtime_statements = concat(
    [
      {
        Sid      = "WriteOwnLogGroup"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = "${aws_cloudwatch_log_group.this.arn}:*"
      },
      {
        Sid    = "SendTraces"
        Effect = "Allow"
        Action = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
        # X-Ray's PutTraceSegments/PutTelemetryRecords support no resource-level permissions: AWS requires "*".
        Resource = "*"
      },
    ],
    var.dead_letter_target_arn == null ? [] : [
      {
        Sid      = "SendFailedInvocationsToDeadLetterTarget"
        Effect   = "Allow"
        Action   = strcontains(var.dead_letter_target_arn, ":sqs:") ? "sqs:SendMessage" : "sns:Publish"
        Resource = var.dead_letter_target_arn
      },
    ],
    # In a VPC, Lambda creates and deletes the function's network interfaces with the execution role's
    # permissions (Lambda Developer Guide, "Giving Lambda functions access to resources in an Amazon VPC":
    # https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html). The interfaces do not exist
    # before Lambda creates them, and the guide states ec2:DescribeNetworkInterfaces works only when allowed on
    # all resources: "*" is what AWS requires here.
    local.in_vpc ? [
      {
        Sid    = "ManageNetworkInterfacesInTheVpc"
        Effect = "Allow"
        Action = [
          "ec2:CreateNetworkInterface",
          "ec2:DescribeNetworkInterfaces",
          "ec2:DescribeSubnets",
          "ec2:DeleteNetworkInterface",
          "ec2:AssignPrivateIpAddresses",
          "ec2:UnassignPrivateIpAddresses",
        ]
        Resource = "*"
      },
    ] : [],
  )
}

resource "aws_iam_role_policy" "runtime" {
  name   = "${var.function_name}-runtime"
  role   = local.role_name
  policy = jsonencode({ Version = "2012-10-17", Statement = local.runtime_statements })
}

resource "aws_lambda_function" "this" {
  # checkov:skip=CKV_AWS_117:In a VPC only when the caller gives subnets and security groups (vpc_subnet_ids, vpc_security_group_ids; at the stack's root lambda_vpc_subnet_ids and lambda_vpc_security_group_ids): the functions call public AWS and SP-API endpoints, where a VPC adds NAT or endpoint cost without reducing exposure.
  # checkov:skip=CKV_AWS_272:Code signing is optional (code_signing_config_arn; at the stack's root lambda_code_signing_config_arn): it needs an AWS Signer profile per estate and signed releases, and local builds are unsigned; zips are byte-reproducible and pinned by source_code_hash.
  # checkov:skip=CKV_AWS_116:The stack invokes its functions synchronously (API Gateway, SQS event source, Step Functions), where failures return to the caller, except the sweeper, which its schedule invokes asynchronously with no retries and an Errors alarm (modules/function_schedule): a missed run is resumed from its watermark by the next. var.dead_letter_target_arn adds a DLQ for other async use.
  # checkov:skip=CKV_AWS_115:Reserved concurrency is root input lambda_reserved_concurrency (per function); unreserved by default so small accounts (concurrency 10) can deploy.
  function_name                  = var.function_name
  description                    = var.description
  role                           = local.role_arn
  handler                        = var.handler
  runtime                        = var.runtime
  architectures                  = [var.architecture]
  memory_size                    = var.memory_size
  timeout                        = var.timeout
  reserved_concurrent_executions = var.reserved_concurrent_executions
  kms_key_arn                    = var.kms_key_arn
  code_signing_config_arn        = var.code_signing_config_arn

  filename          = var.package.filename
  s3_bucket         = var.package.s3_bucket
  s3_key            = var.package.s3_key
  s3_object_version = var.package.s3_version
  source_code_hash  = var.package.source_sha256

  ephemeral_storage {
    size = var.ephemeral_storage_size
  }

  tracing_config {
    mode = var.tracing_mode
  }

  dynamic "environment" {
    for_each = length(var.environment_variables) == 0 ? [] : [var.environment_variables]
    content {
      variables = environment.value
    }
  }

  dynamic "vpc_config" {
    for_each = local.in_vpc ? [true] : []
    content {
      subnet_ids         = var.vpc_subnet_ids
      security_group_ids = var.vpc_security_group_ids
    }
  }

  dynamic "dead_letter_config" {
    for_each = var.dead_letter_target_arn == null ? [] : [var.dead_letter_target_arn]
    content {
      target_arn = dead_letter_config.value
    }
  }

  tags = var.tags

  # The log group and the permissions must exist before the first invocation.
  depends_on = [aws_cloudwatch_log_group.this, aws_iam_role_policy.runtime, aws_iam_role_policy.this]
}
