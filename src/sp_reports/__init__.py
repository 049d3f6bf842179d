"""sp-reports: the SP-API client (spapi), the application layer (pipeline), the Lambda handlers
(handlers) and the sp-reports CLI (client), under one namespace so they install beside other SP-API
packages (Amazon's SDK installs a top-level ``spapi``)."""
