locals {
  object_arn_pattern = "${var.reports_bucket_arn}/${var.reports_key_prefix}*"

  # Use of the data key through the services a function calls (DynamoDB tables, the secret, the bucket, the
  # queue and the topic are all encrypted with it). kms:ViaService keeps a role from using it directly.
  data_key_services = {
    token_storage            = ["dynamodb", "secretsmanager"]
    notifications_subscriber = ["dynamodb", "secretsmanager"]
    report_creator           = ["dynamodb", "secretsmanager"]
    report_status            = ["dynamodb"]
    notifications_processor  = ["dynamodb", "sqs"]
    report_storer            = ["dynamodb", "secretsmanager", "s3"]
    report_notifier          = ["dynamodb", "sns"]
  }

  data_key_statement = {
    for f in local.functions : f => {
      Sid      = "UseDataKeyOnlyThroughItsServices"
      Effect   = "Allow"
      Action   = ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
      Resource = aws_kms_key.data.arn
      Condition = {
        StringEquals = { "kms:ViaService" = [for s in local.data_key_services[f] : "${s}.${local.region}.amazonaws.com"] }
      }
    }
  }

  # Download links are signed by the link-signer role, not by the function's own credentials: a presigned URL
  # dies with its signer's session, and only an assumed session's end is known (see download_link_signer).
  sign_download_links_statement = {
    Sid      = "SignDownloadLinksAsTheLinkSigner"
    Effect   = "Allow"
    Action   = "sts:AssumeRole"
    Resource = aws_iam_role.download_link_signer.arn
  }

  read_credentials_statement = {
    Sid      = "ReadLwaAppCredentials"
    Effect   = "Allow"
    Action   = "secretsmanager:GetSecretValue"
    Resource = aws_secretsmanager_secret.lwa.arn
  }

  read_tokens_statements = [
    {
      Sid      = "ReadEncryptedRefreshTokens"
      Effect   = "Allow"
      Action   = "dynamodb:GetItem"
      Resource = var.tokens_table_arn
    },
    {
      Sid       = "DecryptRefreshTokensWithSellerContext"
      Effect    = "Allow"
      Action    = "kms:Decrypt"
      Resource  = aws_kms_key.tokens.arn
      Condition = local.seller_context_condition
    },
  ]

  # One list of statements per function: its own actions on its own resources.
  function_statements = {
    token_storage = [
      {
        Sid      = "UpsertEncryptedRefreshTokens"
        Effect   = "Allow"
        Action   = ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem"]
        Resource = var.tokens_table_arn
      },
      {
        Sid       = "EncryptRefreshTokensWithSellerContext"
        Effect    = "Allow"
        Action    = "kms:Encrypt"
        Resource  = aws_kms_key.tokens.arn
        Condition = local.seller_context_condition
      },
      local.read_credentials_statement,
    ]

    notifications_subscriber = concat(local.read_tokens_statements, [local.read_credentials_statement])

    report_creator = concat(local.read_tokens_statements, [
      local.read_credentials_statement,
      {
        Sid      = "RecordRequestedReports"
        Effect   = "Allow"
        Action   = "dynamodb:PutItem"
        Resource = var.reports_table_arn
      },
      {
        # Request intents (src/spapi/report_records.py) are written before createReport and removed once the
        # report is recorded; only their items (partition keys request-intents#...), by dynamodb:LeadingKeys
        # (DynamoDB Developer Guide, "Using IAM policy conditions for fine-grained access control").
        Sid       = "TrackReportRequestIntents"
        Effect    = "Allow"
        Action    = ["dynamodb:UpdateItem", "dynamodb:DeleteItem"]
        Resource  = var.reports_table_arn
        Condition = { "ForAllValues:StringLike" = { "dynamodb:LeadingKeys" = ["request-intents#*"] } }
      },
    ])

    report_status = [
      {
        Sid      = "ReadReportRecords"
        Effect   = "Allow"
        Action   = "dynamodb:GetItem"
        Resource = var.reports_table_arn
      },
      local.sign_download_links_statement,
    ]

    notifications_processor = [
      {
        Sid      = "ConsumeNotificationQueue"
        Effect   = "Allow"
        Action   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"]
        Resource = var.notifications_queue_arn
      },
      {
        Sid      = "TrackReportRecords"
        Effect   = "Allow"
        Action   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
        Resource = var.reports_table_arn
      },
      {
        Sid      = "StartReportWorkflow"
        Effect   = "Allow"
        Action   = "states:StartExecution"
        Resource = var.state_machine_arn
      },
      {
        # A duplicate notification looks up the report's execution by name (running, succeeded, or ended
        # without success and to be reported). DescribeExecution is authorised on the execution ARN; names
        # are per report, hence the wildcard over this state machine's executions only.
        Sid      = "FindReportWorkflowExecutions"
        Effect   = "Allow"
        Action   = "states:DescribeExecution"
        Resource = "${replace(var.state_machine_arn, ":stateMachine:", ":execution:")}:*"
      },
    ]

    report_storer = concat(local.read_tokens_statements, [
      local.read_credentials_statement,
      {
        # Records where the document went; the report's context comes in the execution input, so the storer
        # reads no record (the update's condition says whether one exists).
        Sid      = "UpdateReportRecords"
        Effect   = "Allow"
        Action   = "dynamodb:UpdateItem"
        Resource = var.reports_table_arn
      },
      {
        # The "already stored" check HEADs a key that usually does not exist yet. Without s3:ListBucket on the
        # bucket S3 answers that with 403, not 404 (S3 API reference, HeadObject: "If you don't have the
        # s3:ListBucket permission, Amazon S3 returns an HTTP status code 403 Forbidden error"), and every
        # report would fail there. No s3:prefix condition: a HeadObject request carries no prefix key.
        Sid      = "TellMissingReportsFromForbiddenOnes"
        Effect   = "Allow"
        Action   = "s3:ListBucket"
        Resource = var.reports_bucket_arn
      },
      {
        # GetObject also answers HeadObject (the "already stored" check); multipart uploads need the rest.
        Sid      = "StreamReportDocumentsIntoBucket"
        Effect   = "Allow"
        Action   = ["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]
        Resource = local.object_arn_pattern
      },
    ])

    report_notifier = [
      {
        Sid      = "UpdateReportRecords"
        Effect   = "Allow"
        Action   = ["dynamodb:GetItem", "dynamodb:UpdateItem"]
        Resource = var.reports_table_arn
      },
      local.sign_download_links_statement,
      {
        Sid      = "PublishReportNotifications"
        Effect   = "Allow"
        Action   = "sns:Publish"
        Resource = var.notifications_topic_arn
      },
      {
        # Publishing reaches only confirmed subscriptions (email ones stay pending until their owner confirms):
        # the notifier counts them so the record never claims a delivery nobody could receive.
        Sid      = "CountConfirmedRecipients"
        Effect   = "Allow"
        Action   = "sns:ListSubscriptionsByTopic"
        Resource = var.notifications_topic_arn
      },
    ]
  }
}

resource "aws_iam_role" "lambda" {
  for_each = local.role_names

  name        = each.value
  description = "Execution role of the ${each.key} Lambda"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "LambdaServiceAssumesForThisAccountOnly"
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "lambda" {
  for_each = local.role_names

  name = "${each.value}-access"
  role = aws_iam_role.lambda[each.key].name
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = concat(local.function_statements[each.key], [local.data_key_statement[each.key]])
  })
}

# The role that signs download links. A presigned URL stops working when the credentials that signed it
# expire (AWS Knowledge Center, "presigned-url-s3-bucket-expiration"); a Lambda cannot tell when its own
# credentials do, an assumed session states it. Assumed from a Lambda's role, the session lasts at most an hour
# (role chaining, IAM User Guide "Roles terms and concepts"), which bounds presigned_url_ttl_seconds.
locals {
  link_signing_functions = ["report_status", "report_notifier"]
}

resource "aws_iam_role" "download_link_signer" {
  name                 = "${var.name_prefix}-download-link-signer"
  description          = "Signs the report download links that the ${var.name_prefix} status and notifier functions hand out"
  max_session_duration = 3600
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "OnlyTheLinkHandingFunctionsAssume"
      Effect    = "Allow"
      Principal = { AWS = [for f in local.link_signing_functions : aws_iam_role.lambda[f].arn] }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "download_link_signer" {
  name = "${var.name_prefix}-download-link-signer-access"
  role = aws_iam_role.download_link_signer.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ReadStoredReports"
        Effect   = "Allow"
        Action   = "s3:GetObject"
        Resource = local.object_arn_pattern
      },
      {
        # A presigned URL carries its signer's permissions: S3 decrypts an SSE-KMS object as the signer.
        Sid       = "DecryptStoredReportsThroughS3"
        Effect    = "Allow"
        Action    = "kms:Decrypt"
        Resource  = aws_kms_key.data.arn
        Condition = { StringEquals = { "kms:ViaService" = "s3.${local.region}.amazonaws.com" } }
      },
    ]
  })
}

# The role API callers assume to sign (SigV4) their requests to the API.
locals {
  api_invoke_principals = concat(
    length(var.api_invoke_trusted_principal_arns) > 0 ? var.api_invoke_trusted_principal_arns : [local.account_root],
    var.create_api_invoke_user ? [aws_iam_user.api_invoke[0].arn] : [],
  )
  api_method_arns = [
    "${var.api_execution_arn}/${var.api_stage_name}/POST/tokens",
    "${var.api_execution_arn}/${var.api_stage_name}/POST/notifications",
    "${var.api_execution_arn}/${var.api_stage_name}/POST/reports",
    "${var.api_execution_arn}/${var.api_stage_name}/GET/reports/*",
  ]
}

resource "aws_iam_role" "api_invoke" {
  name        = "${var.name_prefix}-api-invoke"
  description = "Assumed by callers of the ${var.name_prefix} SP-API reports API"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "TrustedCallersAssume"
      Effect    = "Allow"
      Principal = { AWS = local.api_invoke_principals }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "api_invoke" {
  name = "${var.name_prefix}-api-invoke"
  role = aws_iam_role.api_invoke.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "InvokeTheReportsApiMethodsOnly"
      Effect   = "Allow"
      Action   = "execute-api:Invoke"
      Resource = local.api_method_arns
    }]
  })
}

resource "aws_iam_user" "api_invoke" {
  # checkov:skip=CKV_AWS_273:Opt-in (create_api_invoke_user) for parity with the SP-API reference Quick Start; SSO users should assume the invoke role instead.
  count = var.create_api_invoke_user ? 1 : 0

  name = "${var.name_prefix}-api-invoke"
  tags = var.tags
}

resource "aws_iam_user_policy" "api_invoke" {
  # checkov:skip=CKV_AWS_40:The opt-in Quick Start user holds one statement, assuming the invoke role; a group for one user adds nothing.
  count = var.create_api_invoke_user ? 1 : 0

  name = "${var.name_prefix}-assume-api-invoke"
  user = aws_iam_user.api_invoke[0].name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "AssumeTheApiInvokeRole"
      Effect   = "Allow"
      Action   = "sts:AssumeRole"
      Resource = aws_iam_role.api_invoke.arn
    }]
  })
}
