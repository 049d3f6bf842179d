output "data_kms_key_arn" {
  description = "ARN of the data key (queue, topic, bucket, tables, logs, secret, Lambda environment)."
  value       = aws_kms_key.data.arn
}

output "data_kms_key_alias" {
  description = "Alias of the data key."
  value       = aws_kms_alias.data.name
}

output "tokens_kms_key_arn" {
  description = "ARN of the key that encrypts the sellers' refresh tokens."
  value       = aws_kms_key.tokens.arn
}

output "tokens_kms_key_alias" {
  description = "Alias of the tokens key."
  value       = aws_kms_alias.tokens.name
}

output "lwa_credentials_secret_arn" {
  description = "ARN of the Secrets Manager secret holding the LWA app credentials JSON {\"client_id\", \"client_secret\"}."
  value       = aws_secretsmanager_secret.lwa.arn
}

output "lambda_role_arns" {
  description = "Execution role ARN per function (keys: token_storage, notifications_subscriber, report_creator, report_status, notifications_processor, report_storer, report_notifier)."
  value       = { for f, role in aws_iam_role.lambda : f => role.arn }
}

output "lambda_role_policy_ids" {
  description = "ID (`role:policy`) of each execution role's inline access policy, per function. A consumer that needs the permissions in place (the queue module's event source mapping) depends on it through this value."
  value       = { for f, policy in aws_iam_role_policy.lambda : f => policy.id }
}

output "lambda_role_names" {
  description = "Execution role name per function."
  value       = { for f, role in aws_iam_role.lambda : f => role.name }
}

output "api_invoke_role_arn" {
  description = "ARN of the role API callers assume to sign their requests."
  value       = aws_iam_role.api_invoke.arn
}

output "api_invoke_user_name" {
  description = "Name of the optional Quick Start IAM user (null unless create_api_invoke_user)."
  value       = var.create_api_invoke_user ? aws_iam_user.api_invoke[0].name : null
}

output "download_link_signer_role_arn" {
  description = "ARN of the role that signs report download links (assumed by report_status and report_notifier)."
  value       = aws_iam_role.download_link_signer.arn
}
