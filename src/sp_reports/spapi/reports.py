"""Reports API 2021-06-30: createReport, getReports, getReport, getReportDocument, cancelReport.

Request bodies follow the model's CreateReportSpecification exactly (camelCase, reportOptions a string map);
responses are not wrapped in `payload` in this API version.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

from sp_reports.spapi.errors import (
    ReportDocumentError,
    ReportRequestRefusedError,
    SpApiClientError,
    SpApiServerError,
)
from sp_reports.spapi.http import AccessToken, SpApiHttpClient, SpApiResponse
from sp_reports.spapi.regions import REGIONS, TEST_ENDPOINTS_ENV, document_url_allowed
from sp_reports.spapi.tokens import RestrictedDataTokenFor, RestrictedResource, TokensClient

BASE_PATH = "/reports/2021-06-30"

# getReports' filters (reports_2021-06-30.json): reportTypes 1-10 items, pageSize 1-100 (default 10), the
# processingStatus enum; arrays go comma-separated (collectionFormat csv).
GET_REPORTS_MAX_TYPES = 10
GET_REPORTS_MAX_PAGE_SIZE = 100
PROCESSING_STATUSES = frozenset({"CANCELLED", "DONE", "FATAL", "IN_PROGRESS", "IN_QUEUE"})
FINISHED_STATUSES = frozenset({"CANCELLED", "DONE", "FATAL"})


@dataclass(frozen=True)
class ReportsPage:
    """One getReports answer: its Report objects and the token of the next page (None on the last)."""

    reports: tuple[dict[str, Any], ...]
    next_token: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class ReportDocument:
    report_document_id: str
    # A presigned URL is a bearer credential for the document: keep it out of reprs and logs.
    url: str = field(repr=False)
    compression_algorithm: str | None = None


def _iso8601(value: datetime | str, field_name: str) -> str:
    if isinstance(value, str):
        if "T" not in value:
            raise ValueError(f"{field_name}: expected an ISO 8601 date-time, got {value!r}")
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"{field_name}: expected an ISO 8601 date-time, got {value!r}") from None
        return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"{field_name}: a timezone-aware datetime is required")
        return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    raise ValueError(f"{field_name}: expected a datetime or ISO 8601 string")


def _segment(value: str, field_name: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{field_name}: a non-empty string is required")
    return quote(value, safe="")


class ReportsClient:
    def __init__(
        self,
        http: SpApiHttpClient,
        access_token_provider: AccessToken,
        *,
        restricted_documents: bool = False,
        stand_in: bool = False,
    ) -> None:
        self.http = http
        self._token = access_token_provider
        # A client of a stand-in of SP-API (our emulator) takes its document URLs as they come, as a test
        # deployment does (sp_reports.spapi.regions.document_url_allowed); otherwise the environment decides.
        self._stand_in = stand_in
        # getReportDocument with a Restricted Data Token for the document's exact path (restricted report
        # types: "you must pass in an RDT", Tokens API use case guide;
        # docs/spapi-notes.md#restricted-data-tokens).
        self._restricted_documents = restricted_documents

    def with_restricted_documents(self) -> ReportsClient:
        """The same client, fetching each document with an RDT made for its path with the seller's token."""
        return ReportsClient(self.http, self._token, restricted_documents=True, stand_in=self._stand_in)

    def __repr__(self) -> str:
        return f"ReportsClient(http={self.http!r})"

    def _call(self, operation: str, method: str, path: str, **kwargs: Any) -> SpApiResponse:
        return self.http.request(operation, method, BASE_PATH + path, access_token=self._token, **kwargs)

    def create_report(
        self,
        report_type: str,
        marketplace_ids: Sequence[str],
        data_start_time: datetime | str | None = None,
        data_end_time: datetime | str | None = None,
        report_options: Mapping[str, str] | None = None,
    ) -> str:
        """Request a report; returns its reportId (SP-API answers 202 Accepted). A 400 raises
        ReportRequestRefusedError naming the report type and marketplaces asked for."""
        if not isinstance(report_type, str) or not report_type:
            raise ValueError("reportType: a non-empty string is required")
        if isinstance(marketplace_ids, str) or not marketplace_ids:
            raise ValueError("marketplaceIds: a list of 1-25 marketplace ids is required")
        ids = list(marketplace_ids)
        if len(ids) > 25:
            raise ValueError("marketplaceIds: at most 25 marketplace ids are allowed")
        body: dict[str, Any] = {"reportType": report_type, "marketplaceIds": ids}
        if data_start_time is not None:
            body["dataStartTime"] = _iso8601(data_start_time, "dataStartTime")
        if data_end_time is not None:
            body["dataEndTime"] = _iso8601(data_end_time, "dataEndTime")
        if report_options:
            if not all(isinstance(k, str) and isinstance(v, str) for k, v in report_options.items()):
                raise ValueError("reportOptions: keys and values must be strings")
            body["reportOptions"] = dict(report_options)
        try:
            response = self._call("createReport", "POST", "/reports", json=body)
        except SpApiClientError as refused:
            if refused.status != 400:
                raise
            raise ReportRequestRefusedError(
                refused.status,
                refused.code,
                refused.message,
                refused.details,
                refused.request_id,
                refused.operation,
                report_type=report_type,
                marketplace_ids=tuple(ids),
            ) from None
        report_id = response.body.get("reportId") if isinstance(response.body, dict) else None
        if not isinstance(report_id, str) or not report_id:
            raise SpApiServerError(
                response.status,
                "InvalidResponse",
                "createReport answered without a reportId",
                request_id=response.request_id,
                operation="createReport",
            )
        return report_id

    def get_reports(
        self,
        report_types: Sequence[str] = (),
        *,
        processing_statuses: Iterable[str] = (),
        marketplace_ids: Sequence[str] = (),
        created_since: datetime | str | None = None,
        created_until: datetime | str | None = None,
        page_size: int = GET_REPORTS_MAX_PAGE_SIZE,
        next_token: str | None = None,
    ) -> ReportsPage:
        """One page of getReports. With `next_token` the token is sent alone, as the model requires
        ("Specifying nextToken with any other parameters will cause the request to fail")."""
        if next_token:
            params: dict[str, Any] = {"nextToken": next_token}
        else:
            params = _get_reports_filters(
                report_types, processing_statuses, marketplace_ids, created_since, created_until, page_size
            )
        response = self._call("getReports", "GET", "/reports", params=params)
        body = response.body if isinstance(response.body, dict) else {}
        reports = body.get("reports")
        if not isinstance(reports, list) or not all(isinstance(report, dict) for report in reports):
            raise SpApiServerError(
                response.status,
                "InvalidResponse",
                "getReports answered without a list of reports",
                request_id=response.request_id,
                operation="getReports",
            )
        token = body.get("nextToken")
        return ReportsPage(tuple(reports), token if isinstance(token, str) and token else None)

    def seconds_until_call(self, operation: str) -> float:
        """How long the client-side rate limit of `operation` (for this client's seller) would make the next
        call wait; takes no token, so a caller with a deadline can decide not to call."""
        partition = str(getattr(self._token, "rate_limit_partition", ""))
        return self.http.rate_limiter.bucket(operation, partition).time_to_token()

    def get_report(self, report_id: str) -> dict[str, Any]:
        """The Report (reportId, reportType, processingStatus, reportDocumentId?, ...)."""
        response = self._call("getReport", "GET", f"/reports/{_segment(report_id, 'reportId')}")
        if not isinstance(response.body, dict) or "processingStatus" not in response.body:
            raise SpApiServerError(
                response.status,
                "InvalidResponse",
                "getReport answered without a processingStatus",
                request_id=response.request_id,
                operation="getReport",
            )
        return response.body

    def get_report_document(self, report_document_id: str) -> ReportDocument:
        """A fresh presigned URL (valid 5 minutes) for the document."""
        path = BASE_PATH + f"/documents/{_segment(report_document_id, 'reportDocumentId')}"
        token: AccessToken = self._token
        if self._restricted_documents:
            token = RestrictedDataTokenFor(
                TokensClient(self.http, self._token),
                RestrictedResource("GET", path),
                str(getattr(self._token, "rate_limit_partition", "")),
            )
        response = self.http.request("getReportDocument", "GET", path, access_token=token)
        body = response.body if isinstance(response.body, dict) else {}
        url = body.get("url")
        if not isinstance(url, str) or not url:
            raise SpApiServerError(
                response.status,
                "InvalidResponse",
                "getReportDocument answered without a url",
                request_id=response.request_id,
                operation="getReportDocument",
            )
        # The URL is fetched and what it serves is stored: only Amazon S3 over https
        # (sp_reports.spapi.regions says
        # why), so a wrong or tampered answer cannot make the function fetch from anywhere else. The URL
        # itself is a credential: the error names its host at most.
        if not document_url_allowed(url, {TEST_ENDPOINTS_ENV: "true"} if self._stand_in else None):
            raise ReportDocumentError(
                report_document_id,
                "getReportDocument answered with a URL off Amazon's document hosts or not https "
                f"({_scheme_and_host(url)}); refusing to download from it",
            )
        return ReportDocument(
            report_document_id=str(body.get("reportDocumentId") or report_document_id),
            url=url,
            compression_algorithm=body.get("compressionAlgorithm"),
        )

    def cancel_report(self, report_id: str) -> None:
        """Cancel a report that is still IN_QUEUE (SP-API refuses others with a 4xx)."""
        self._call("cancelReport", "DELETE", f"/reports/{_segment(report_id, 'reportId')}")

    # -- schedules: Amazon makes a report of the type every period (reports_2021-06-30.json) ----------------

    def create_report_schedule(
        self,
        report_type: str,
        marketplace_ids: Sequence[str],
        period: str,
        *,
        next_report_creation_time: datetime | str | None = None,
        report_options: Mapping[str, str] | None = None,
    ) -> str:
        """Create a report schedule; returns its reportScheduleId (SP-API answers 201). A schedule of the same
        type and marketplaces that exists already is cancelled and replaced by SP-API (the operation's
        description): look for one with get_report_schedules first."""
        ids = list(marketplace_ids)
        if not report_type or not 1 <= len(ids) <= 25:
            raise ValueError("a report type and 1-25 marketplace ids are required")
        body: dict[str, Any] = {"reportType": report_type, "marketplaceIds": ids, "period": period}
        if next_report_creation_time is not None:
            body["nextReportCreationTime"] = _iso8601(next_report_creation_time, "nextReportCreationTime")
        if report_options:
            body["reportOptions"] = dict(report_options)
        response = self._call("createReportSchedule", "POST", "/schedules", json=body)
        schedule_id = response.body.get("reportScheduleId") if isinstance(response.body, dict) else None
        if not isinstance(schedule_id, str) or not schedule_id:
            raise SpApiServerError(
                response.status,
                "InvalidResponse",
                "createReportSchedule answered without a reportScheduleId",
                request_id=response.request_id,
                operation="createReportSchedule",
            )
        return schedule_id

    def get_report_schedules(self, report_types: Sequence[str]) -> tuple[dict[str, Any], ...]:
        """The seller's schedules of the types (1-10 of them, as the model requires)."""
        if isinstance(report_types, str) or not 1 <= len(report_types) <= 10:
            raise ValueError("reportTypes: 1-10 report types are required")
        response = self._call(
            "getReportSchedules", "GET", "/schedules", params={"reportTypes": ",".join(report_types)}
        )
        body = response.body if isinstance(response.body, dict) else {}
        schedules = body.get("reportSchedules")
        if not isinstance(schedules, list) or not all(isinstance(item, dict) for item in schedules):
            raise SpApiServerError(
                response.status,
                "InvalidResponse",
                "getReportSchedules answered without a list of schedules",
                request_id=response.request_id,
                operation="getReportSchedules",
            )
        return tuple(schedules)

    def cancel_report_schedule(self, report_schedule_id: str) -> None:
        """Cancel the seller's schedule (SP-API answers 404 for one that is not, or no longer, there)."""
        self._call(
            "cancelReportSchedule",
            "DELETE",
            f"/schedules/{_segment(report_schedule_id, 'reportScheduleId')}",
        )


def _scheme_and_host(url: str) -> str:
    """What an error may say of a refused document URL: its scheme and host, never its path or signature."""
    try:
        parts = urlsplit(url)
        return f"{parts.scheme or '?'}://{parts.hostname or '?'}"
    except ValueError:
        return "not a URL"


def _get_reports_filters(
    report_types: Sequence[str],
    processing_statuses: Iterable[str],
    marketplace_ids: Sequence[str],
    created_since: datetime | str | None,
    created_until: datetime | str | None,
    page_size: int,
) -> dict[str, Any]:
    types = [report_types] if isinstance(report_types, str) else list(report_types)
    if not 1 <= len(types) <= GET_REPORTS_MAX_TYPES or not all(isinstance(t, str) and t for t in types):
        raise ValueError(f"reportTypes: 1-{GET_REPORTS_MAX_TYPES} report types are required")
    statuses = sorted(set(processing_statuses))
    unknown = [status for status in statuses if status not in PROCESSING_STATUSES]
    if unknown:
        raise ValueError(f"processingStatuses: {unknown[0]!r} is not a processing status")
    if not 1 <= page_size <= GET_REPORTS_MAX_PAGE_SIZE:
        raise ValueError(f"pageSize: expected 1-{GET_REPORTS_MAX_PAGE_SIZE}")
    params: dict[str, Any] = {"reportTypes": ",".join(types), "pageSize": page_size}
    if statuses:
        params["processingStatuses"] = ",".join(statuses)
    if marketplace_ids:
        params["marketplaceIds"] = ",".join(marketplace_ids)
    if created_since is not None:
        params["createdSince"] = _iso8601(created_since, "createdSince")
    if created_until is not None:
        params["createdUntil"] = _iso8601(created_until, "createdUntil")
    return params


def iter_report_pages(
    reports_client: ReportsClient,
    report_types: Sequence[str],
    *,
    before_each_call: Callable[[], None] | None = None,
    **filters: Any,
) -> Iterator[ReportsPage]:
    """getReports page by page: the filters on the first call, then each nextToken alone until a page has
    none. `before_each_call` runs before every call that will be made (not after the last page): a caller
    with a deadline raises there to stop between pages."""
    if before_each_call:
        before_each_call()
    page = reports_client.get_reports(report_types, **filters)
    yield page
    while page.next_token:
        if before_each_call:
            before_each_call()
        page = reports_client.get_reports(next_token=page.next_token)
        yield page


# How getReport says "not this region's report": the id is unknown here (404), malformed for this region's
# id space (400), or the seller is not authorised in this region (403).
_NOT_THIS_REGION = frozenset({400, 403, 404})


def find_report_region(
    report_id: str,
    reports_in: Callable[[str], ReportsClient],
    region_codes: Iterable[str] = REGIONS,
) -> tuple[str, ReportsClient] | None:
    """The region whose SP-API knows the report, with the Reports client `reports_in(region_code)` gave for
    it; None when no region does. For reports nobody recorded a region for (SP-API's scheduled reports): a
    report id is unique only per seller and region, so each region is asked in turn (getReport allows 2 calls
    a second) and the first that knows it wins. Other failures (throttling, 5xx) are raised, not skipped."""
    for region_code in region_codes:
        client = reports_in(region_code)
        try:
            client.get_report(report_id)
        except SpApiClientError as refused:
            if refused.status in _NOT_THIS_REGION:
                continue
            raise
        return region_code, client
    return None
