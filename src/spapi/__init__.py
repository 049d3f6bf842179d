"""sp-reports' SP-API library: regions, LWA, HTTP client, Reports, Notifications, token store, credentials."""

import logging

# Library convention: emit records, configure nothing. A handler's Powertools Logger picks them up with
# copy_config_to_registered_loggers(source_logger=logger, include={"spapi"}).
logging.getLogger(__name__).addHandler(logging.NullHandler())
