"""An SP-API client: regions, LWA, HTTP client, rate limits, Reports, Notifications, documents, credentials.

It knows nothing of the application that uses it (tables, buckets, keys, API Gateway, Step Functions):
credentials and tokens reach it through provider callables. `tests/spapi/test_layering.py` holds that line.
"""

import logging

# Library convention: emit records, configure nothing. A handler's Powertools Logger picks them up with
# copy_config_to_registered_loggers(source_logger=logger, include={"sp_reports"}).
logging.getLogger(__name__).addHandler(logging.NullHandler())
