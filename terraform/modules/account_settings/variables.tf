variable "current_cloudwatch_role_arn" {
  type        = string
  description = "The API Gateway CloudWatch role this account has in this region now, as `aws apigateway get-account --query \"cloudwatchRoleArn || ''\" --output text` answers it: \"\" (or null) when none is set. Required because no data source of the AWS provider reads the setting at plan time: the module refuses to replace another role unless take_over_existing_role is true. After this module has set it, its own role's ARN (or \"\") is accepted."

  validation {
    condition     = var.current_cloudwatch_role_arn == null || var.current_cloudwatch_role_arn == "" || can(regex("^arn:aws[a-zA-Z-]*:iam::[0-9]{12}:role/.+$", var.current_cloudwatch_role_arn))
    error_message = "current_cloudwatch_role_arn must be \"\" (the account has no API Gateway CloudWatch role in this region) or an IAM role ARN, as aws apigateway get-account --query \"cloudwatchRoleArn || ''\" --output text answers it."
  }
}

variable "take_over_existing_role" {
  type        = bool
  description = "Replace the role current_cloudwatch_role_arn names (another role than this module's) with this module's. Every REST API of the account in this region then logs through this module's role, and destroying this module resets the setting to none: it does not restore the replaced role (outputs.replaced_cloudwatch_role_arn keeps its ARN for that)."
  default     = false
}

variable "role_name" {
  type        = string
  description = "Name of the role API Gateway writes CloudWatch logs with; null: `api-gateway-cloudwatch-logs-<region>` (one per account and region, so regions of one account never collide)."
  default     = null

  validation {
    condition     = var.role_name == null || can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.role_name))
    error_message = "role_name must be 1-64 characters of letters, digits and +=,.@_- (IAM role name rules)."
  }
}

variable "role_path" {
  type        = string
  description = "IAM path of the role (e.g. /platform/), for estates whose SCPs or naming rules use paths."
  default     = "/"

  validation {
    # IAM CreateRole, Path: "/" or "/.../" of at most 512 characters from ! (0x21) through DEL (0x7F)
    # (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html), as the root's iam_role_path.
    condition     = length(var.role_path) <= 512 && can(regex("^/([\\x{21}-\\x{7F}]+/)?$", var.role_path))
    error_message = "role_path must be \"/\" or begin and end with \"/\", at most 512 characters of ASCII '!' through DEL (IAM's path rules)."
  }
}

variable "role_permissions_boundary" {
  type        = string
  description = "ARN of the managed policy set as the role's permissions boundary; null sets none."
  default     = null

  validation {
    condition     = var.role_permissions_boundary == null || can(regex("^arn:aws[a-zA-Z-]*:iam::([0-9]{12}|aws):policy/.+$", var.role_permissions_boundary))
    error_message = "role_permissions_boundary must be an IAM managed policy ARN."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags applied to the role."
  default     = {}
}
