variable "primary_region" {
  type        = string
  description = "Region of the first stack."
  default     = "us-east-1"
}

variable "secondary_region" {
  type        = string
  description = "Region of the second stack."
  default     = "eu-west-1"
}

variable "name_prefix" {
  type        = string
  description = "The same name_prefix for both stacks."
  default     = "sp-reports"
}

variable "notification_email" {
  type        = string
  description = "Address that receives both stacks' report emails; null subscribes nobody."
  default     = null
}

variable "lambda_package_dir" {
  type        = string
  description = "Directory holding the functions' zips and manifest.json (a release's files, or make package's .build/lambda); null uses the module's default."
  default     = null
}
