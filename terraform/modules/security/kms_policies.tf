locals {
  # Administrative actions only: an administrator gets no cryptographic use of the keys from their policies. One
  # who wants it must rewrite the policy (kms:PutKeyPolicy), in the open: CloudTrail records PutKeyPolicy, and the
  # next apply puts our policy back. Who holds that power is key_administrator_arns (see main.tf).
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

  # Administrators of the keys this module creates: key_administrator_arns, or the account root (IAM policies
  # decide). Not in key_policy_statements_required: who administers a key the caller brings is the caller's.
  key_admin_statement = {
    Sid       = "AdministerKeyWithoutCryptographicUse"
    Effect    = "Allow"
    Principal = { AWS = local.key_administrators }
    Action    = local.key_admin_actions
    # In a key policy, "*" is the key the policy is attached to (AWS rule for key policies).
    Resource = "*"
  }

  # What the stack needs from the tokens key, whoever owns it: the one home of these statements, for our own key's
  # policy and for the statements a caller who brings the key adds to its policy (key_policy_statements_required).
  tokens_key_required_statements = [
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

  tokens_key_statements = concat([local.key_admin_statement], local.tokens_key_required_statements)

  # The data key's use is granted by IAM policies (each role's own statement, narrowed with kms:ViaService), so
  # its key policy must let this account's IAM policies grant use: the two statements of the AWS default key
  # policy for key users, "Allows key users to use the KMS key" and "... with AWS services" (grants only for
  # AWS resources, kms:GrantIsForAWSResource: DynamoDB and Lambda keep grants on the key for their tables and
  # functions). KMS Developer Guide, "Default key policy":
  # https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
  data_key_use_through_iam_statements = [
    {
      Sid       = "IamPoliciesOfThisAccountGrantUseOfTheKey"
      Effect    = "Allow"
      Principal = { AWS = local.account_root }
      Action    = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:DescribeKey"]
      Resource  = "*" # this key (key policy)
    },
    {
      Sid       = "IamPoliciesOfThisAccountGrantUseToAwsServices"
      Effect    = "Allow"
      Principal = { AWS = local.account_root }
      Action    = ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"]
      Resource  = "*" # this key (key policy)
      Condition = { Bool = { "kms:GrantIsForAWSResource" = "true" } }
    },
  ]

  # The services that use the data key as themselves: CloudWatch Logs, SP-API's account through SQS, CloudWatch
  # alarms publishing to the encrypted topic.
  data_key_service_statements = [
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

  # What the stack needs from the data key, whoever owns it (one home, as for the tokens key).
  data_key_required_statements = concat(local.data_key_use_through_iam_statements, local.data_key_service_statements)

  # Our own data key. Without explicit administrators, the account root gets kms:* (the AWS default statement:
  # IAM policies decide who administers and who uses the key), which holds the use statements above. With
  # explicit administrators, they alone administer it, and IAM policies may grant its use but not its
  # administration: no principal of the account can rewrite the policy from its IAM permissions.
  data_key_statements = concat(
    [for statement in [local.key_admin_statement] : statement if local.explicit_key_administrators],
    [for statement in local.data_key_use_through_iam_statements : statement if local.explicit_key_administrators],
    [
      for statement in [{
        Sid       = "EnableIamPoliciesOfThisAccount"
        Effect    = "Allow"
        Principal = { AWS = local.account_root }
        Action    = "kms:*"
        Resource  = "*" # this key (key policy)
      }] : statement if !local.explicit_key_administrators
    ],
    local.data_key_service_statements,
  )
}
