output "data_kms_key_arn" {
  description = "ARN of the data key (queue, topic, bucket, tables, logs, secret, Lambda environment)."
  value       = local.data_key_arn
}

output "data_kms_key_alias" {
  description = "Alias of the data key; null when the caller brings the key (existing_data_kms_key_arn)."
  value       = one(aws_kms_alias.data[*].name)
}

output "tokens_kms_key_arn" {
  description = "ARN of the key that encrypts the sellers' refresh tokens."
  value       = local.tokens_key_arn
}

output "tokens_kms_key_alias" {
  description = "Alias of the tokens key; null when the caller brings the key (existing_tokens_kms_key_arn)."
  value       = one(aws_kms_alias.tokens[*].name)
}

output "lwa_credentials_secret_arn" {
  description = "ARN of the Secrets Manager secret holding the LWA app credentials JSON {\"client_id\", \"client_secret\"}."
  value       = aws_secretsmanager_secret.lwa.arn
}

output "tokens_key_condition" {
  description = "IAM condition every use of the tokens key must meet: the encryption context is {\"SellerId\": <id>} and nothing else. The key policy requires it; an IAM statement that grants a role use of the key repeats it, so the role's own policy says the same."
  value       = local.seller_context_condition
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
  description = "ARN of the role that signs report download links (assumed by the roles in download_link_signer_trusted_role_arns); built from its name, so it does not wait for the role, whose trust policy names those roles."
  value       = local.download_link_signer_arn
}

output "key_policy_statements_required" {
  description = "Key policy statements the stack needs, per key ({ data, tokens }, each a list of statements): the same ones this module puts in the policies of the keys it creates, minus their administration. A caller who brings a key (existing_data_kms_key_arn, existing_tokens_kms_key_arn) adds them to that key's policy. The tokens statements name the functions' roles, so they are known once the roles exist."
  value = {
    data   = local.data_key_required_statements
    tokens = local.tokens_key_required_statements
  }
}
