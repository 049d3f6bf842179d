"""What a finished report means to a person: the failure reason, the email that says how it ended, and who can
receive it."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sp_reports.spapi.errors import redact
from sp_reports.spapi.regions import REGIONS

# SNS Publish API reference, Subject: "Constraints: Subjects must be UTF-8 text with no line breaks or control
# characters, and less than 100 characters long." So at most 99.
MAX_SUBJECT_CHARS = 99
MAX_REASON_CHARS = 1000
_COUNTRY_OF_MARKETPLACE = {
    mid: country for region in REGIONS.values() for country, mid in region.marketplaces.items()
}


# A failure reason is text that SP-API (an error document) or an exception message chose, and it lands in the
# body of a plain-text email: it must not be able to lay out lines of its own ("\n\nDownload: https://...")
# or carry a link a mail client turns into something to click. Unicode's Cc (controls), Zl and Zp (line and
# paragraph separators) break lines; Cf (format characters, e.g. U+202E RIGHT-TO-LEFT OVERRIDE) reorder what
# is shown (Unicode Standard Annex #9, https://www.unicode.org/reports/tr9/; category values,
# https://www.unicode.org/reports/tr44/#General_Category_Values).
_LINE_BREAKING = frozenset({"Cc", "Zl", "Zp"})
_INVISIBLE = "Cf"
# A URL (RFC 3986 scheme "://" authority, https://www.rfc-editor.org/rfc/rfc3986#section-3) or a bare
# "www." host, which mail clients link as well.
_URL = re.compile(r"\b([A-Za-z][A-Za-z0-9+.-]*)://([^\s/?#]*)|\bwww\.([^\s/?#]*)", re.I)


def plain_reason(text: str) -> str:
    """`text` as one line of inert text: control and format characters gone, line breaks and runs of white
    space one space, URLs defanged ("https://evil.example/x" reads "hxxps://evil[.]example/x"), so the
    reason stays readable but nothing in it is a link or a line of the email's own."""
    characters = []
    for character in text:
        category = unicodedata.category(character)
        if category in _LINE_BREAKING:
            characters.append(" ")
        elif category != _INVISIBLE:
            characters.append(character)
    one_line = " ".join("".join(characters).split())
    return _URL.sub(_defang, one_line)


def _defang(match: re.Match[str]) -> str:
    """One URL defanged; a defanged one stays as it is, so a reason may pass here twice."""
    scheme, authority, www_host = match.group(1), match.group(2), match.group(3)
    if scheme is None:
        return "www[.]" + _BARE_DOT.sub("[.]", www_host)
    lowered = scheme.lower()
    if lowered in ("http", "https", "hxxp", "hxxps"):
        shown = "hxxp" + lowered[4:] + "://"
    else:
        shown = f"{scheme}[:]//"
    return shown + _BARE_DOT.sub("[.]", authority)


_BARE_DOT = re.compile(r"(?<!\[)\.(?!\])")


# How ListSubscriptionsByTopic shows a subscription whose owner has not confirmed it yet.
PENDING_CONFIRMATION = "PendingConfirmation"


@dataclass(frozen=True)
class TopicSubscribers:
    confirmed: int
    pending: int


def topic_subscribers(sns_client: Any, topic_arn: str) -> TopicSubscribers:
    """Count the topic's confirmed and pending subscriptions. Email subscriptions stay pending until someone
    follows the link SNS sends (GetSubscriptionAttributes, PendingConfirmation: "true if the subscription
    hasn't been confirmed"), and a pending subscription receives nothing published meanwhile."""
    confirmed = pending = 0
    for page in sns_client.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=topic_arn):
        for subscription in page.get("Subscriptions", []):
            arn = subscription.get("SubscriptionArn") or ""
            if arn == PENDING_CONFIRMATION:
                pending += 1
            elif arn.startswith("arn:"):  # not "Deleted"
                confirmed += 1
    return TopicSubscribers(confirmed=confirmed, pending=pending)


class Outcome(StrEnum):
    READY = "READY"
    NO_DATA = "NO_DATA"
    FAILED = "FAILED"


def failure_reason_from_error_document(document: bytes) -> str:
    """SP-API's explanation of a FATAL report: `errorDetails` of the JSON error document, else its text."""
    text = document.decode("utf-8", errors="replace").strip()
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError:
        parsed = None
    if isinstance(parsed, dict):
        for key in ("errorDetails", "errorMessage", "message", "error"):
            if isinstance(parsed.get(key), str) and parsed[key].strip():
                text = parsed[key].strip()
                break
    return _shorten(plain_reason(redact(text)) or "SP-API gave no reason")


def failure_reason_from_state(state: Mapping[str, Any]) -> str:
    """Why the workflow is on its failure path: a caught error, the error document's reason, or SP-API's
    FATAL."""
    error = state.get("error")
    if isinstance(error, Mapping):
        name = str(error.get("Error") or "Error")
        cause = error.get("Cause")
        message = ""
        if isinstance(cause, str) and cause:
            try:
                parsed = json.loads(cause)
            except json.JSONDecodeError:
                parsed = None
            # A Lambda failure's Cause is its {"errorType", "errorMessage", "stackTrace"}: keep the message.
            message = str(parsed.get("errorMessage", "")) if isinstance(parsed, dict) else cause
        return _shorten(plain_reason(redact(f"{name}: {message}" if message else name)))
    stored = state.get("stored")
    if isinstance(stored, Mapping) and stored.get("failureReason"):
        return _shorten(
            plain_reason(redact(f"SP-API could not produce the report: {stored['failureReason']}"))
        )
    if state.get("processingStatus") == "FATAL":
        return "SP-API could not produce the report (FATAL) and gave no error document"
    return "the report could not be processed"


def _shorten(text: str) -> str:
    return text if len(text) <= MAX_REASON_CHARS else text[: MAX_REASON_CHARS - 1] + "…"


@dataclass(frozen=True)
class ReportSummary:
    report_id: str
    report_type: str
    seller_id: str
    marketplace_ids: Sequence[str] = ()
    data_start_time: str | None = None
    data_end_time: str | None = None


@dataclass(frozen=True)
class Email:
    subject: str
    body: str


def compose_email(
    outcome: Outcome,
    report: ReportSummary,
    *,
    status: str,
    bucket: str | None = None,
    key: str | None = None,
    size: int | None = None,
    download_url: str | None = None,
    url_expires_at: str | None = None,
    url_ttl_seconds: int | None = None,
    failure_reason: str | None = None,
) -> Email:
    headline = {
        Outcome.READY: "is ready to download",
        Outcome.NO_DATA: "has no data",
        Outcome.FAILED: "failed",
    }[outcome]
    subject = f"SP-API report {report.report_type} {headline}"
    if len(subject) > MAX_SUBJECT_CHARS:
        subject = subject[: MAX_SUBJECT_CHARS - 1] + "…"

    lines = [f"Your Amazon SP-API report {headline}.", ""]
    rows = [
        ("Seller", report.seller_id),
        ("Report type", report.report_type),
        ("Report id", report.report_id),
        ("Marketplaces", _marketplaces(report.marketplace_ids)),
        ("Period", _period(report.data_start_time, report.data_end_time)),
        ("Status", status),
    ]
    if size is not None:
        rows.append(("Size", _size(size)))
    if bucket and key:
        rows.append(("Stored at", f"s3://{bucket}/{key}"))
    if failure_reason:
        # Also here, where the email is made: a reason may come from a stored record written before, or
        # from a caller that did not pass it through failure_reason_from_*.
        rows.append(("Reason", _shorten(plain_reason(redact(failure_reason)))))
    width = max(len(label) for label, _ in rows) + 2
    lines += [f"{label + ':':<{width}}{value}" for label, value in rows]
    if outcome is Outcome.READY and download_url:
        validity = f" ({_duration(url_ttl_seconds)})" if url_ttl_seconds else ""
        lines += ["", f"Download link, valid until {url_expires_at}{validity}:", download_url]
        lines += [
            "",
            f"After that, GET /reports/{report.report_id} on the sp-reports API gives a fresh link.",
        ]
    elif outcome is Outcome.READY:
        # No link by default: the topic's messages reach whoever subscribes to it, and a presigned URL would
        # let any of them read the document. The command signs as its caller, so the API decides who may.
        lines += [
            "",
            "Fetch it with the sp-reports client, as a principal allowed to read it:",
            f"  {fetch_command(report.report_id)}",
            "It answers the report's status, where it is stored and a download link of its own "
            f"(GET /reports/{report.report_id} on the sp-reports API).",
        ]
    elif outcome is Outcome.NO_DATA:
        lines += ["", "SP-API found nothing to report for this period and marketplaces; nothing was stored."]
    elif outcome is Outcome.FAILED:
        lines += ["", "Request the report again once the reason above is resolved."]
    return Email(subject=subject, body="\n".join(lines) + "\n")


def fetch_command(report_id: str) -> str:
    """The `sp-reports` command that shows a report and a download link to a caller allowed to read it."""
    return f"sp-reports reports get {report_id}"


def _marketplaces(ids: Sequence[str]) -> str:
    if not ids:
        return "not recorded"
    return ", ".join(
        f"{mid} ({_COUNTRY_OF_MARKETPLACE[mid]})" if mid in _COUNTRY_OF_MARKETPLACE else mid for mid in ids
    )


def _period(start: str | None, end: str | None) -> str:
    if not start and not end:
        return "SP-API's default for this report type"
    return f"{start or 'the default start'} to {end or 'now'}"


def _size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            shown = f"{int(value)} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
            return shown if unit == "bytes" else f"{shown} ({size:,} bytes)"
        value /= 1024
    return f"{size:,} bytes"  # pragma: no cover - the loop always returns


def _duration(seconds: int) -> str:
    if seconds % 86400 == 0:
        return f"{seconds // 86400} day{'s' if seconds != 86400 else ''}"
    if seconds % 3600 == 0:
        return f"{seconds // 3600} hour{'s' if seconds != 3600 else ''}"
    if seconds % 60 == 0:
        return f"{seconds // 60} minutes"
    return f"{seconds} seconds"
