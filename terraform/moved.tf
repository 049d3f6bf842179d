# Where the functions' execution roles and their access policies were when the security module made them all,
# keyed by function name, before each function's module created its own. These blocks let a stack deployed with
# those addresses move its roles instead of replacing them: tests/terraform/test_function_roles.py checks that
# every old address moves to the role its function now creates
# (test_every_old_role_address_moves_to_the_role_its_function_now_creates) and plans such a stack, from
# tests/terraform/fixtures/roles_before_issue_11, to see it move them and destroy nothing. Moved blocks take
# literal addresses only, so the function names appear here too; delete this file once every deployment has
# applied a plan with it.

moved {
  from = module.security.aws_iam_role.lambda["token_storage"]
  to   = module.api.module.function["token_storage"].aws_iam_role.this[0]
}

moved {
  from = module.security.aws_iam_role_policy.lambda["token_storage"]
  to   = module.api.module.function["token_storage"].aws_iam_role_policy.this[0]
}

moved {
  from = module.security.aws_iam_role.lambda["notifications_subscriber"]
  to   = module.api.module.function["notifications_subscriber"].aws_iam_role.this[0]
}

moved {
  from = module.security.aws_iam_role_policy.lambda["notifications_subscriber"]
  to   = module.api.module.function["notifications_subscriber"].aws_iam_role_policy.this[0]
}

moved {
  from = module.security.aws_iam_role.lambda["report_creator"]
  to   = module.api.module.function["report_creator"].aws_iam_role.this[0]
}

moved {
  from = module.security.aws_iam_role_policy.lambda["report_creator"]
  to   = module.api.module.function["report_creator"].aws_iam_role_policy.this[0]
}

moved {
  from = module.security.aws_iam_role.lambda["report_status"]
  to   = module.api.module.function["report_status"].aws_iam_role.this[0]
}

moved {
  from = module.security.aws_iam_role_policy.lambda["report_status"]
  to   = module.api.module.function["report_status"].aws_iam_role_policy.this[0]
}

moved {
  from = module.security.aws_iam_role.lambda["notifications_processor"]
  to   = module.queue.module.processor.aws_iam_role.this[0]
}

moved {
  from = module.security.aws_iam_role_policy.lambda["notifications_processor"]
  to   = module.queue.module.processor.aws_iam_role_policy.this[0]
}

moved {
  from = module.security.aws_iam_role.lambda["report_storer"]
  to   = module.state_machine.module.function["report_storer"].aws_iam_role.this[0]
}

moved {
  from = module.security.aws_iam_role_policy.lambda["report_storer"]
  to   = module.state_machine.module.function["report_storer"].aws_iam_role_policy.this[0]
}

moved {
  from = module.security.aws_iam_role.lambda["report_notifier"]
  to   = module.state_machine.module.function["report_notifier"].aws_iam_role.this[0]
}

moved {
  from = module.security.aws_iam_role_policy.lambda["report_notifier"]
  to   = module.state_machine.module.function["report_notifier"].aws_iam_role_policy.this[0]
}

# The queue module's stand-in node for the processor's role policy, now the policy itself (the mapping waits
# for the processor module): nothing in AWS to destroy.
removed {
  from = module.queue.terraform_data.processor_permissions

  lifecycle {
    destroy = false
  }
}

# The account's API Gateway CloudWatch role and setting, which module.api made when the root's
# manage_api_gateway_cloudwatch_role was true (its default). The setting is account-wide and now made by
# modules/account_settings, if at all, apart from stacks. A stack deployed with them forgets them on its next
# apply instead of destroying them: destroying the role would leave the setting naming a deleted role, and every
# REST API of the account in that region would stop logging. The role and setting stay in AWS as they are (the
# stage keeps logging); import them into a modules/account_settings call to manage them again (its README).
# tests/terraform/test_root_wiring.py plans such a stack (fixtures/api_gateway_account_in_the_stack) and checks
# that its next plan forgets the three and destroys nothing.
# `removed` with destroy = false needs Terraform 1.7 ("Removing Resources", Terraform language documentation:
# https://developer.hashicorp.com/terraform/language/resources/syntax#removing-resources); this module needs 1.11.
removed {
  from = module.api.aws_api_gateway_account.this

  lifecycle {
    destroy = false
  }
}

removed {
  from = module.api.aws_iam_role_policy_attachment.cloudwatch

  lifecycle {
    destroy = false
  }
}

removed {
  from = module.api.aws_iam_role.cloudwatch

  lifecycle {
    destroy = false
  }
}
