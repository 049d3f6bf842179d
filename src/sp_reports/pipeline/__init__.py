"""sp-reports' application layer: what our pipeline does with SP-API's answers.

API Gateway requests and answers (`api_requests`), the KMS-encrypted token store (`token_store`), report
records in DynamoDB (`report_records`), report storage in S3 (`report_storage`), notification processing and
execution names for Step Functions (`notifications_processing`), outcomes and emails (`report_outcomes`) and
download links (`download_links`). It builds on `spapi`, the SP-API client, which knows none of this.
Clients and configuration are passed in, so everything here runs without Lambda.
"""

import logging

# Library convention: emit records, configure nothing (the handlers' Powertools Logger picks them up).
logging.getLogger(__name__).addHandler(logging.NullHandler())
