"""What a report id may be, wherever one arrives (our API's path, SP-API's notifications), and what any
identifier that becomes a segment of an S3 key may be.

The Reports model types reportId as a bare string, no length or pattern; SP-API's ids are digits today
("54517018502"). So the rule is ours: the characters that are safe in an S3 key, a DynamoDB key and an
execution name, and a bound generous enough for any id SP-API may send, as our OpenAPI document states
(maxLength 128). One rule, so a report the processor accepted can always be asked about.

An identifier is one segment of a report's S3 key (<seller>/<report type>/<report id>/report.<ext>), so it
may hold no "/" and may not be "." or "..": S3 keeps such keys as they are, but a tool that maps keys to
paths (aws s3 sync, s3fs, a download into a directory) reads "." and ".." as directory steps, and Amazon S3
lists them among the key names to avoid ("Creating object key names", "Characters to avoid" and the note on
"." and ".." in prefixes, https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html). A name
made of dots only is refused whatever its length, which costs nothing: no SP-API id, type or seller looks
like that.
`\\Z`, not `$`, ends every pattern: `$` also matches before a final newline.

A module of its own, importing nothing else of `spapi`: the functions that only check report ids (the status
API, the notifications processor, the notifier) then do not import the HTTP client and `requests` at their
cold start (docs/benchmarks.md, "Cold start").
"""

from __future__ import annotations

import re

REPORT_ID_MAX_LENGTH = 128
KEY_SEGMENT_MAX_LENGTH = 128
# Letters, digits, ".", "_" and "-", at least one of them not a dot.
KEY_SEGMENT_PATTERN = re.compile(rf"^(?!\.+\Z)[A-Za-z0-9._-]{{1,{KEY_SEGMENT_MAX_LENGTH}}}\Z")
REPORT_ID_PATTERN = re.compile(rf"^(?!\.+\Z)[A-Za-z0-9._-]{{1,{REPORT_ID_MAX_LENGTH}}}\Z")


def is_key_segment(value: object) -> bool:
    """Whether `value` may be one segment of an S3 key: a string of letters, digits, ".", "_" and "-" (at most
    128), not made of dots only."""
    return isinstance(value, str) and KEY_SEGMENT_PATTERN.match(value) is not None
