# `make acceptance` on a real account: the sp-reports root module (module.sp_reports, deployed as a user
# deploys it, with deletion protection off) and our SP-API emulator in the same account behind an AWS_IAM
# function URL, standing in for SP-API, LWA and the Tokens API. The root's two test-only inputs let the stack's
# SP-API callers sign their calls to the emulator and let the emulator's role send notifications to the queue.
# With spapi_emulator = false (the run has a real seller's credentials) there is no emulator: the stack calls
# real SP-API and LWA (or, with local AWS as the account, the stand-in at spapi_endpoint_url / lwa_endpoint_url),
# and the test-only inputs stay off.
# TEST INFRASTRUCTURE: everything here is destroyed at the end of the run.

module "spapi_emulator" {
  source = "./modules/spapi_emulator"
  count  = var.spapi_emulator ? 1 : 0

  name_prefix        = var.name_prefix
  lambda_package_dir = var.lambda_package_dir
  # The stack's data key: it encrypts the queue the emulator sends to, and its policy already lets CloudWatch
  # Logs use it for /aws/lambda/<name_prefix>-* (the emulator's log group).
  kms_key_arn               = module.sp_reports.data_kms_key_arn
  environment_variables     = var.emulator_environment
  role_permissions_boundary = var.permissions_boundary_arn
  tags                      = var.tags
}

locals {
  # The function URL ends with "/"; SP-API paths are appended to the base without it (src/sp_reports/spapi/regions.py
  # strips it anyway) and the emulator serves LWA at /auth/o2/token (LWA_PATH, harness/spapi_emulator/app.py).
  emulator          = one(module.spapi_emulator)
  emulator_base_url = local.emulator == null ? null : trimsuffix(local.emulator.function_url, "/")
}

# The account's API Gateway CloudWatch setting is account-wide: a run leaves a role already set alone, and only
# where there is none sets one for itself, which its destroy resets (make acceptance then checks the setting is
# as it was before the run).
module "account_settings" {
  source = "../modules/account_settings"
  count  = var.account_cloudwatch_role_arn == "" ? 1 : 0

  current_cloudwatch_role_arn = ""
  role_name                   = "${var.name_prefix}-apigw-cloudwatch"
  role_permissions_boundary   = var.permissions_boundary_arn
  tags                        = var.tags
}

# Who runs the acceptance run (var.report_reader_principal_arns, else the caller): it reads the stored
# documents to check them, and the reports bucket's policy denies object reads to every principal the stack
# does not name. aws:PrincipalArn of an assumed-role session is its role's ARN, path included, which the
# session's ARN does not carry: issuer_arn is that role's ARN.
data "aws_caller_identity" "current" {
  count = var.report_reader_principal_arns == null ? 1 : 0
}

data "aws_iam_session_context" "current" {
  count = var.report_reader_principal_arns == null ? 1 : 0

  arn = data.aws_caller_identity.current[0].arn
}

module "sp_reports" {
  source = "../"

  name_prefix         = var.name_prefix
  lambda_package_dir  = var.lambda_package_dir
  deletion_protection = false
  tags                = var.tags
  notification_email  = var.notification_email

  # Every role of the stack within the run's boundary (docs/acceptance-permissions-boundary.json).
  iam_permissions_boundary_arn = var.permissions_boundary_arn

  # The run's own setting (the stage waits for it) or the account's.
  api_gateway_cloudwatch_role_arn = var.account_cloudwatch_role_arn == "" ? one(module.account_settings[*].cloudwatch_role_arn) : var.account_cloudwatch_role_arn

  lwa_client_id     = var.lwa_client_id
  lwa_client_secret = var.lwa_client_secret

  # Without the emulator: the run's endpoints, null by default (the root's: SP-API's regional ones and LWA).
  # Either way a stand-in's endpoints make this a test deployment (the root refuses them otherwise).
  spapi_endpoint_url      = local.emulator == null ? var.spapi_endpoint_url : local.emulator_base_url
  lwa_endpoint_url        = local.emulator == null ? var.lwa_endpoint_url : "${local.emulator_base_url}/auth/o2/token"
  test_endpoint_overrides = local.emulator != null || var.spapi_endpoint_url != null || var.lwa_endpoint_url != null

  # TEST ONLY inputs (variables.tf of the root module), off without the emulator.
  test_spapi_emulator_function_arn   = local.emulator == null ? null : local.emulator.function_arn
  test_notification_sender_role_arns = local.emulator == null ? [] : [local.emulator.role_arn]

  # The emulator's sellers are fictitious, and its run stores a restricted report type to prove the Restricted
  # Data Token path; against SP-API's sandbox the run stores an unrestricted type only (acceptance_seller.py).
  allow_restricted_report_types = local.emulator != null

  report_reader_principal_arns = var.report_reader_principal_arns != null ? var.report_reader_principal_arns : [data.aws_iam_session_context.current[0].issuer_arn]
  # The run reads what SNS would email through an SQS queue it subscribes to the topic (email_observer).
  notification_subscription_protocols = ["email", "sqs"]
  # The run proves the emailed download link (its stated expiry, a tampered copy refused): the option that
  # emails leave off by default.
  email_download_links = true
}
