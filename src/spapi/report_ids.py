"""What a report id may be, wherever one arrives (our API's path, SP-API's notifications).

The Reports model types reportId as a bare string, no length or pattern; SP-API's ids are digits today
("54517018502"). So the rule is ours: the characters that are safe in an S3 key, a DynamoDB key and an
execution name, and a bound generous enough for any id SP-API may send, as our OpenAPI document states
(maxLength 128). One rule, so a report the processor accepted can always be asked about.

A module of its own, importing nothing else of `spapi`: the functions that only check report ids (the status
API, the notifications processor, the notifier) then do not import the HTTP client and `requests` at their
cold start (docs/benchmarks.md, "Cold start").
"""

from __future__ import annotations

import re

REPORT_ID_MAX_LENGTH = 128
REPORT_ID_PATTERN = re.compile(rf"^[A-Za-z0-9._-]{{1,{REPORT_ID_MAX_LENGTH}}}\Z")
