"""Reports 2021-06-30 operations: createReport, getReports, getReport, cancelReport, getReportDocument.

Report schedules: report_schedules_api.
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sp_reports.spapi.regions import MARKETPLACE_IDS
from sp_reports.spapi.report_types import catalogue, report_type
from spapi_emulator import state as st
from spapi_emulator.context import EmulatorContext
from spapi_emulator.operation_calls import ApiError, Handler, OperationCall, invalid, not_found, unauthorized

# The marketplaces SP-API serves: the client library's one list, taken from Amazon's "Marketplace IDs" page
# (developer-docs.amazon.com/sp-api/docs/marketplace-ids). createReport refuses others, as SP-API does.
KNOWN_MARKETPLACES = MARKETPLACE_IDS
RETENTION = timedelta(days=90)

# createReport refuses a seller's report for marketplaces it does not sell in: 400 "Report rejected for this
# client. your report could not be applied to any marketplaces" (selling-partner-api-models#1021). Amazon's
# wording speaks of "any" marketplace; when only some requested marketplaces are the seller's, what SP-API
# does is unconfirmed - the emulator refuses then too (the stricter reading), with the same answer.
NOT_PARTICIPATING = "Report rejected for this client. your report could not be applied to any marketplaces"

# Report types createReport refuses, with SP-API's message. Amazon-generated settlement reports cannot be
# requested, only found with getReports (selling-partner-api-docs#1633); for
# GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2 createReport answered 400 InvalidInput "Request for report type
# 1118 is not allowed at this time", "details": "" (selling-partner-api-models#1265). SP-API names the type by
# an internal number; the numbers of the other two are not known, so their messages name the type.
REFUSED_REPORT_TYPES = {
    "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2": "Request for report type 1118 is not allowed at this time",
    "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE": (
        "Request for report type GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE is not allowed at this time"
    ),
    "GET_V2_SETTLEMENT_REPORT_DATA_XML": (
        "Request for report type GET_V2_SETTLEMENT_REPORT_DATA_XML is not allowed at this time"
    ),
}


# The report types SP-API knows: every type Amazon's Report Type Values page names (report_type_values.json,
# by source), every type of our catalogue (each entry cites a newer source), and any a test
# configures. Another type is refused as SP-API refuses it: 400 InvalidInput "Invalid Report Type <type>"
# (getReports, selling-partner-api-models#1926; createReport answers an unknown type the same way).
_DOCUMENTED = Path(__file__).with_name("report_type_values.json")
DOCUMENTED_REPORT_TYPES = frozenset(
    name
    for source in json.loads(_DOCUMENTED.read_text(encoding="utf-8"))["sources"]
    for name in source["reportTypes"]
)


def known_report_type(context: EmulatorContext, name: str) -> bool:
    return (
        name in DOCUMENTED_REPORT_TYPES
        or report_type(name) is not None
        or context.configures_report_type(name)
    )


def _refuse_unknown_types(context: EmulatorContext, names: list[str]) -> None:
    for name in names:
        if not known_report_type(context, name):
            raise ApiError(400, "InvalidInput", f"Invalid Report Type {name}", "")


def create_report(call: OperationCall) -> tuple[int, Any]:
    body = call.body
    unknown = [marketplace for marketplace in body["marketplaceIds"] if marketplace not in KNOWN_MARKETPLACES]
    if unknown:
        raise invalid(f"marketplaceIds: unknown marketplace {unknown[0]}")
    context = call.context
    refusal = context.refused_report_types.get(body["reportType"])
    if refusal is not None:
        raise ApiError(400, "InvalidInput", refusal, "")
    _refuse_unknown_types(context, [body["reportType"]])
    seller_id = call.grant.seller_id or ""
    if not all(context.state.participates(seller_id, marketplace) for marketplace in body["marketplaceIds"]):
        raise ApiError(400, "InvalidInput", NOT_PARTICIPATING, "")
    report = st.Report(
        fatal_reason=report_type_violation(context, seller_id, body),
        report_id=context.state.next_report_id(),
        seller_id=call.grant.seller_id or "",
        report_type=body["reportType"],
        marketplace_ids=list(body["marketplaceIds"]),
        created=context.now(),
        created_mono=context.monotonic(),
        data_start_time=body.get("dataStartTime"),
        data_end_time=body.get("dataEndTime"),
        report_options=body.get("reportOptions"),
        endpoint=call.endpoint,
    )
    context.add_report(report)
    return 202, {"reportId": report.report_id}


def report_type_violation(context: EmulatorContext, seller_id: str, body: dict[str, Any]) -> str | None:
    """The per-type rule a createReport request breaks, which SP-API answers by failing the report (FATAL)
    rather than refusing the request (docs/spapi-notes.md#report-type-rules; each rule's source is in
    spapi/report_types.json):

    - a dataStartTime..dataEndTime range longer than the type's maximum (reporttype-values: "You can request
      up to 60 days of data in a single report", "up to one month"; vendor DAY periods 15 days);
    - a report of a type with a cooldown requested within it, for the same marketplaces, while an earlier one
      was made or is being made (near real-time FBA reports once per 30 minutes, daily ones once per 4 hours:
      reporttype-values; FATAL when sooner: selling-partner-api-models#4032).

    Amazon-generated types are refused with a 400 instead (REFUSED_REPORT_TYPES); unknown types break nothing.
    """
    rules = report_type(body["reportType"])
    if rules is None:
        return None
    maximum = rules.effective_max_range(body.get("reportOptions"))
    start, end = parse_time(body.get("dataStartTime")), parse_time(body.get("dataEndTime"))
    if maximum is not None and start is not None and (end or context.now()) - start > maximum:
        return (
            f"The requested date range exceeds the maximum of {maximum.days} days for {body['reportType']}."
        )
    if rules.cooldown is not None:
        since = context.now() - rules.cooldown
        with context.state.lock:
            recent = [
                report
                for report in context.state.reports.values()
                if report.seller_id == seller_id
                and report.report_type == body["reportType"]
                and report.processing_status in ("IN_QUEUE", "IN_PROGRESS", "DONE")
                and report.fatal_reason is None
                and set(report.marketplace_ids) & set(body["marketplaceIds"])
                and report.created >= since
            ]
        if recent:
            return (
                f"A {body['reportType']} report was generated less than "
                f"{rules.cooldown.total_seconds() / 60:g} minutes ago; request it again later."
            )
    return None


def _own_report(call: OperationCall, report_id: str) -> st.Report:
    report = call.context.state.reports.get(report_id)
    if report is None or report.seller_id != call.grant.seller_id:
        raise not_found(f"Report {report_id}")
    return report


def get_report(call: OperationCall) -> tuple[int, Any]:
    with call.context.state.lock:
        return 200, _own_report(call, call.path_params["reportId"]).to_model()


def cancel_report(call: OperationCall) -> tuple[int, Any]:
    with call.context.state.lock:
        report = _own_report(call, call.path_params["reportId"])
    cancelled_from = call.context.cancel_queued_report(report.report_id)
    if cancelled_from != "IN_QUEUE":
        raise invalid(
            f"Report {report.report_id} cannot be cancelled: its processingStatus is "
            f"{cancelled_from}; only IN_QUEUE reports can be cancelled."
        )
    return 200, None


def get_reports(call: OperationCall) -> tuple[int, Any]:
    context, query = call.context, call.query
    next_token = query.get("nextToken")
    if next_token:
        if len(query) > 1:
            raise invalid("nextToken must be the only parameter when it is given.")
        with context.state.lock:
            page = context.state.page_tokens.get(next_token)
        if page is None:
            raise invalid("nextToken: the token is invalid or has expired.")
        ids, page_size = page
    else:
        report_types = call.csv("reportTypes")
        if not report_types:
            raise invalid("Either reportTypes or nextToken is required.")
        _refuse_unknown_types(context, report_types)
        statuses = set(call.csv("processingStatuses"))
        marketplaces = set(call.csv("marketplaceIds"))
        page_size = int(query.get("pageSize", "10"))
        now = context.now()
        since = parse_time(query.get("createdSince")) or now - RETENTION
        until = parse_time(query.get("createdUntil")) or now
        with context.state.lock:
            selected = [
                report
                for report in context.state.reports.values()
                if report.seller_id == call.grant.seller_id
                and report.report_type in report_types
                and (not statuses or report.processing_status in statuses)
                and (not marketplaces or marketplaces.intersection(report.marketplace_ids))
                and since <= report.created <= until
            ]
        selected.sort(key=lambda report: report.created, reverse=True)
        ids = [report.report_id for report in selected]
    page_ids, rest = ids[:page_size], ids[page_size:]
    with context.state.lock:
        # A report that expired since the listing's first page is no longer there (drop_expired_reports).
        body: dict[str, Any] = {
            "reports": [context.state.reports[i].to_model() for i in page_ids if i in context.state.reports]
        }
        if rest:
            token = secrets.token_urlsafe(24)
            context.state.page_tokens[token] = (rest, page_size)
            body["nextToken"] = token
    return 200, body


def drop_expired_reports(context: EmulatorContext) -> list[str]:
    """SP-API keeps a report 90 days ("Reports are retained for a maximum of 90 days":
    reports_2021-06-30.json, getReports' createdSince): an older one is gone with its document. getReports no
    longer lists it, and getReport and getReportDocument answer the model's 404 for it, as for an id SP-API
    never had. Returns the ids dropped."""
    oldest = context.now() - RETENTION
    with context.state.lock:
        expired = [report for report in context.state.reports.values() if report.created <= oldest]
        for report in expired:
            del context.state.reports[report.report_id]
            if report.report_document_id:
                context.state.documents.pop(report.report_document_id, None)
    return [report.report_id for report in expired]


def document_retention(report_type_name: str) -> timedelta:
    """How long SP-API keeps a report's document: per type, at most 30 days since 2024-05-30 (developer-docs
    changelog "report-document-retention-policy-is-changing-to-a-maximum-of-30-days"), the catalogue's
    documentRetentionDays (its default for a type it does not list)."""
    rules = report_type(report_type_name)
    days = rules.document_retention_days if rules is not None else catalogue().document_retention_days
    return timedelta(days=days)


def drop_expired_documents(context: EmulatorContext) -> None:
    """A report's document goes after its type's document retention while the report itself is still listed
    (up to 90 days, drop_expired_reports): getReportDocument then answers the model's 404, as for a document
    id SP-API never had, and a download URL handed out earlier no longer serves it."""
    now = context.now()
    with context.state.lock:
        for report in context.state.reports.values():
            if report.report_document_id and report.created + document_retention(report.report_type) <= now:
                context.state.documents.pop(report.report_document_id, None)


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def get_report_document(call: OperationCall) -> tuple[int, Any]:
    context = call.context
    document_id = call.path_params["reportDocumentId"]
    with context.state.lock:
        owner = next(
            (
                report
                for report in context.state.reports.values()
                if report.report_document_id == document_id and report.seller_id == call.grant.seller_id
            ),
            None,
        )
        document = context.state.documents.get(document_id) if owner is not None else None
    if document is None:
        raise not_found(f"Report document {document_id}")
    rules = report_type(owner.report_type)
    if rules is not None and rules.restricted and call.grant.kind != "restricted":
        # "When specifying a restricted report type in a call to the getReportDocument operation, you must
        # pass in an RDT" (Tokens API use case guide; developer-docs retrieve-a-report;
        # docs/spapi-notes.md#restricted-data-tokens): an LWA access token is refused with the model's 403
        # ErrorList, code Unauthorized.
        raise unauthorized()
    content_encoding = call.query.get("enableContentEncodingUrlHeader") == "true"
    body = {
        "reportDocumentId": document_id,
        "url": context.documents.url(call.host_url, document_id, content_encoding),
    }
    if document.compression:
        body["compressionAlgorithm"] = document.compression
    return 200, body


HANDLERS: dict[str, Handler] = {
    "createReport": create_report,
    "getReports": get_reports,
    "getReport": get_report,
    "cancelReport": cancel_report,
    "getReportDocument": get_report_document,
}
