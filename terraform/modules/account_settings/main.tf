# The account's API Gateway CloudWatch role, per region: the IAM role API Gateway writes REST API access and
# execution logs with, and the account setting that names it. A stage turns on logging only once the setting is
# made ("CloudWatch Logs role ARN must be set in account settings to enable logging", API Gateway Developer
# Guide, "Set up CloudWatch logging for REST APIs in API Gateway":
# https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html). The setting is one per
# account and region, shared by every REST API there ("To avoid overwriting other roles, you should only have
# one AWS::ApiGateway::Account resource per region per account", CloudFormation User Guide,
# AWS::ApiGateway::Account), so an estate applies this module once per account and region, apart from stacks.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  role_name = coalesce(var.role_name, "api-gateway-cloudwatch-logs-${data.aws_region.current.id}")
  # Known at plan time (the role's own arn attribute is not until it exists): the precondition compares the
  # account's current setting with it.
  role_arn     = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:role${var.role_path}${local.role_name}"
  current_role = var.current_cloudwatch_role_arn == null ? "" : var.current_cloudwatch_role_arn
  # Another role than this module's is named now: applying replaces it for every API of the account and region.
  replaces_another_role = local.current_role != "" && local.current_role != local.role_arn
}

resource "aws_iam_role" "cloudwatch" {
  name                 = local.role_name
  path                 = var.role_path
  permissions_boundary = var.role_permissions_boundary
  description          = "Role API Gateway writes CloudWatch logs with for the REST APIs of this account in ${data.aws_region.current.id}"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "ApiGatewayWritesLogs"
      Effect    = "Allow"
      Principal = { Service = "apigateway.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = var.tags
}

# The AWS managed policy the API Gateway guide names for this role (same page, "Create an IAM role for
# logging to CloudWatch").
resource "aws_iam_role_policy_attachment" "cloudwatch" {
  role       = aws_iam_role.cloudwatch.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
}

resource "aws_api_gateway_account" "this" {
  cloudwatch_role_arn = aws_iam_role.cloudwatch.arn
  # Destroy resets the setting to none before the role is deleted (Terraform destroys this resource first: it
  # depends on the role), so no API is left naming a deleted role. Without it provider 5.x only forgets the
  # setting ("Applying this resource destruction will only remove the resource from Terraform state").
  reset_on_delete = true

  # The attachment first: UpdateAccount checks that API Gateway can write logs with the role.
  depends_on = [aws_iam_role_policy_attachment.cloudwatch]

  lifecycle {
    precondition {
      condition     = !local.replaces_another_role || var.take_over_existing_role
      error_message = "This account's API Gateway CloudWatch role in ${data.aws_region.current.id} is ${local.current_role}, not this module's (${local.role_arn}). Every REST API of the account in this region logs with it, and the sp-reports stage can use it as it is: leave it (do not apply this module here; pass that ARN to the stack's api_gateway_cloudwatch_role_arn), or set take_over_existing_role = true to replace it."
    }
  }
}
