"""One module per Lambda function (handler `sp_reports.handlers.<name>.handler`); `_*` modules are shared
helpers.

`FUNCTIONS` is the one list of them that packaging, Terraform checks, the local deployment and the benchmark
read; a test keeps it equal to the modules in this package.
"""

FUNCTIONS = (
    "token_storage",
    "notifications_subscriber",
    "report_creator",
    "report_status",
    "notifications_processor",
    "report_storer",
    "report_converter",
    "report_notifier",
    "report_sweeper",
    "pull_planner",
    "seller_eraser",
    "plans_api",
    "authorization_login",
    "authorization_redirect",
)
# Deployed only where the deployment opts in (root variable seller_authorization_redirect_uri): the seller
# authorization workflow's log-in and redirect URIs.
OPT_IN_FUNCTIONS = ("authorization_login", "authorization_redirect")
