locals {
  # Administrative actions only: whoever administers the tokens key cannot encrypt or decrypt with it.
  key_admin_actions = [
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListAliases",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:RevokeGrant",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
  ]

  # The token store encrypts with the context {"SellerId": <id>} and nothing else.
  seller_context_condition = {
    "ForAllValues:StringEquals" = { "kms:EncryptionContextKeys" = ["SellerId"] }
    "Null"                      = { "kms:EncryptionContext:SellerId" = "false" }
  }

  tokens_key_admin_statement = {
    Sid       = "AdministerKeyWithoutCryptographicUse"
    Effect    = "Allow"
    Principal = { AWS = local.key_administrators }
    Action    = local.key_admin_actions
    # In a key policy, "*" is the key the policy is attached to (AWS rule for key policies).
    Resource = "*"
  }

  tokens_key_statements = [
    local.tokens_key_admin_statement,
    {
      Sid       = "OnlyTokenStorageEncryptsRefreshTokens"
      Effect    = "Allow"
      Principal = { AWS = var.token_encrypter_role_arns }
      Action    = "kms:Encrypt"
      Resource  = "*" # this key (key policy)
      Condition = local.seller_context_condition
    },
    {
      Sid       = "OnlyTokenReadersDecryptRefreshTokens"
      Effect    = "Allow"
      Principal = { AWS = var.token_decrypter_role_arns }
      Action    = "kms:Decrypt"
      Resource  = "*" # this key (key policy)
      Condition = local.seller_context_condition
    },
  ]

  data_key_statements = [
    {
      # The AWS default statement: lets IAM policies grant use of the key, so each role below gets only the
      # kms:ViaService-scoped use it needs from its own policy.
      Sid       = "EnableIamPoliciesOfThisAccount"
      Effect    = "Allow"
      Principal = { AWS = local.account_root }
      Action    = "kms:*"
      Resource  = "*" # this key (key policy)
    },
    {
      Sid       = "CloudWatchLogsEncryptsThisStacksLogGroups"
      Effect    = "Allow"
      Principal = { Service = "logs.${local.region}.amazonaws.com" }
      Action    = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
      Resource  = "*" # this key (key policy)
      Condition = {
        ArnLike = {
          "kms:EncryptionContext:aws:logs:arn" = [
            "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/lambda/${var.name_prefix}-*",
            "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/vendedlogs/states/${var.name_prefix}-*",
            "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/apigateway/${var.name_prefix}-*",
          ]
        }
      }
    },
    {
      Sid       = "SpApiSendsEncryptedNotificationsToTheQueue"
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::${var.spapi_notifications_account_id}:root" }
      Action    = ["kms:GenerateDataKey", "kms:Decrypt"]
      Resource  = "*" # this key (key policy)
      # SP-API's account sends to queues of many applications: through SQS, and only for our queues. SQS uses
      # the queue's ARN as the encryption context of the data keys it requests (key aws:sqs:arn; Amazon SQS
      # Developer Guide, "Amazon SQS Key management":
      # https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html).
      Condition = {
        StringEquals = {
          "kms:ViaService"                    = "sqs.${local.region}.amazonaws.com"
          "kms:EncryptionContext:aws:sqs:arn" = var.spapi_queue_arns
        }
      }
    },
    {
      Sid       = "CloudWatchAlarmsPublishToTheEncryptedTopic"
      Effect    = "Allow"
      Principal = { Service = "cloudwatch.amazonaws.com" }
      Action    = ["kms:GenerateDataKey*", "kms:Decrypt"]
      Resource  = "*" # this key (key policy)
      Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
    },
  ]
}
