"""Python API of the sp-reports service: every call is SigV4-signed for `execute-api`."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

import boto3

from sp_reports.spapi.notifications import REPORT_PROCESSING_FINISHED

from .config import ApiEndpoints, ClientConfig, region_from_url
from .credentials import DEFAULT_ROLE_SESSION_NAME, credential_source
from .errors import ApiError, ConfigurationError, WaitTimeoutError
from .transport import RetryPolicy, SignedTransport

# Statuses after which a report never changes again. STORED is not one: the email is still to be sent.
# SKIPPED: a report the application did not request, left alone by configuration
# (see sp_reports.pipeline.report_records).
TERMINAL_STATUSES = frozenset({"DONE", "FAILED", "FATAL", "CANCELLED", "SKIPPED"})
SUCCESS_STATUSES = frozenset({"DONE"})


@dataclass(frozen=True)
class StoredToken:
    # The API answers alike whether the seller had a token before (it does not say which sellers exist).
    seller_id: str


@dataclass(frozen=True)
class Subscription:
    destination_id: str
    subscription_id: str


@dataclass(frozen=True)
class SellerErasure:
    """What DELETE /sellers/{sellerId} erased, per kind, and what it could not (`not_erased`)."""

    seller_id: str
    erased: Mapping[str, int]
    not_erased: tuple[str, ...] = ()

    @property
    def nothing_to_erase(self) -> bool:
        return not any(self.erased.values())


@dataclass(frozen=True)
class Report:
    """A report as `GET /reports/{reportId}` describes it; `raw` keeps every field the API sent."""

    report_id: str
    status: str
    seller_id: str | None = None
    report_type: str | None = None
    s3_bucket: str | None = None
    s3_key: str | None = None
    download_url: str | None = field(
        default=None, repr=False
    )  # presigned: a secret until the user asks for it
    download_url_expires_at: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> Report:
        location = body.get("s3") if isinstance(body.get("s3"), Mapping) else {}
        return cls(
            report_id=str(body.get("reportId", "")),
            status=str(body.get("status", "UNKNOWN")),
            seller_id=body.get("sellerId"),
            report_type=body.get("reportType"),
            s3_bucket=location.get("bucket"),
            s3_key=location.get("key"),
            download_url=body.get("downloadUrl"),
            download_url_expires_at=body.get("downloadUrlExpiresAt"),
            raw=dict(body),
        )

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def succeeded(self) -> bool:
        return self.status in SUCCESS_STATUSES


@dataclass(frozen=True)
class ReportRequestResult:
    """What `POST /reports` answered: every report id of the request, in the order of the service's plan."""

    report_id: str  # the first
    report_ids: tuple[str, ...]
    reports: tuple[Mapping[str, Any], ...]  # reportId, marketplaceIds, dataStartTime?, dataEndTime?, reused?
    complete: bool = True
    failed: tuple[Mapping[str, Any], ...] = ()  # marketplaceIds, data*Time, error {code, message}
    not_requested: tuple[Mapping[str, Any], ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class Plan:
    """A pull plan as the API describes it (`raw` keeps every field); `created` is False when POST /plans
    found the same plan already stored."""

    plan_id: str
    seller_id: str
    report_type: str
    paused: bool
    created: bool = False
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_body(cls, body: Mapping[str, Any], created: bool = False) -> Plan:
        return cls(
            plan_id=str(body.get("planId", "")),
            seller_id=str(body.get("sellerId", "")),
            report_type=str(body.get("reportType", "")),
            paused=body.get("paused") is True,
            created=created,
            raw=dict(body),
        )


@dataclass(frozen=True)
class PlanPage:
    plans: tuple[Plan, ...]
    next_token: str | None = None


ProgressCallback = Callable[[Report, float], None]


class SpReportsClient:
    """Calls the deployed API. `api` is the stage's base invoke URL or an `ApiEndpoints`.

    Credentials come from `session` (the standard boto3 chain); with `role_arn` they are first exchanged
    for the invoke role's with sts:AssumeRole (renewed before they expire). `sts_endpoint_url` points STS
    at local AWS.
    """

    def __init__(
        self,
        api: ApiEndpoints | str,
        region: str | None = None,
        *,
        session: boto3.Session | None = None,
        role_arn: str | None = None,
        sts_endpoint_url: str | None = None,
        role_session_name: str = DEFAULT_ROLE_SESSION_NAME,
        timeout: float | tuple[float, float] = (5.0, 30.0),
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.endpoints = ApiEndpoints.from_base_url(api) if isinstance(api, str) else api
        region = region or region_from_url(self.endpoints.reports_url)
        if not region:
            raise ConfigurationError(
                "the AWS region is not given and the API URL does not name one (--region)"
            )
        session = session or boto3.Session()
        credentials = credential_source(session, role_arn, region, sts_endpoint_url, role_session_name)
        self._transport = SignedTransport(credentials, region, timeout=timeout, retry=retry, sleep=sleep)
        self._sleep = sleep
        self._clock = clock

    @classmethod
    def from_config(
        cls, config: ClientConfig, session: boto3.Session | None = None, **options: Any
    ) -> SpReportsClient:
        return cls(
            config.endpoints,
            config.region,
            session=session,
            role_arn=config.role_arn,
            sts_endpoint_url=config.sts_endpoint_url,
            **options,
        )

    def put_token(self, seller_id: str, refresh_token: str) -> StoredToken:
        """Stores (or replaces) the seller's LWA refresh token; the API checks it with LWA first."""
        if not refresh_token or not refresh_token.strip():
            raise ValueError("refresh_token is empty")
        response = self._transport.request(
            "POST",
            self.endpoints.tokens_url,
            {"SellerId": seller_id, "RefreshToken": refresh_token},
            secrets=(refresh_token,),
        )
        body = _object(response.body)
        return StoredToken(seller_id=str(body.get("sellerId", seller_id)))

    def subscribe_notifications(
        self,
        seller_id: str,
        region_code: str,
        notification_type: str = REPORT_PROCESSING_FINISHED,
        *,
        replace_existing: bool = False,
    ) -> Subscription:
        body: dict[str, Any] = {
            "SellerId": seller_id,
            "RegionCode": region_code,
            "NotificationType": notification_type,
        }
        if replace_existing:
            body["ReplaceExistingSubscription"] = True
        response = self._transport.request("POST", self.endpoints.notifications_url, body)
        body = _object(response.body)
        return Subscription(
            destination_id=str(body.get("destinationId")), subscription_id=str(body.get("subscriptionId"))
        )

    def delete_seller(self, seller_id: str) -> SellerErasure:
        """Erases everything the deployment keeps about the seller; an unknown one is answered with zeros."""
        if not seller_id:
            raise ValueError("seller_id is empty")
        url = f"{self.endpoints.sellers_url}/{quote(seller_id, safe='')}"
        body = _object(self._transport.request("DELETE", url).body)
        erased = body.get("erased") if isinstance(body.get("erased"), Mapping) else {}
        return SellerErasure(
            seller_id=str(body.get("sellerId", seller_id)),
            erased={str(kind): int(count) for kind, count in erased.items() if isinstance(count, int)},
            not_erased=tuple(str(problem) for problem in body.get("notErased") or ()),
        )

    def create_plan(
        self,
        seller_id: str,
        marketplace_ids: Sequence[str] | str,
        report_type: str,
        cadence: str | None,
        start_date: str,
        *,
        look_back_days: Sequence[int] = (),
        report_options: Mapping[str, str] | None = None,
        mode: str | None = None,
        replace_existing_schedule: bool = False,
    ) -> Plan:
        """POST /plans: a plan is its definition, so the same body answers the same plan (`created` False)
        and a retry after a lost answer is safe. A plan of mode discover has no cadence (None)."""
        payload: dict[str, Any] = {
            "sellerId": seller_id,
            "marketplaceIds": _marketplace_list(marketplace_ids),
            "reportType": report_type,
            "startDate": start_date,
        }
        if cadence is not None:
            payload["cadence"] = cadence
        if look_back_days:
            payload["lookBackDays"] = list(look_back_days)
        if report_options:
            payload["reportOptions"] = dict(report_options)
        if mode:
            payload["mode"] = mode
        if replace_existing_schedule:
            payload["replaceExistingSchedule"] = True
        response = self._transport.request("POST", self.endpoints.plans_url, payload)
        return Plan.from_body(_object(response.body), created=response.status == 201)

    def list_plans(
        self, seller_id: str | None = None, *, next_token: str | None = None, limit: int | None = None
    ) -> PlanPage:
        """GET /plans: a page of plans (one seller's, or every plan), and the token of the next page."""
        query = {"sellerId": seller_id, "nextToken": next_token, "limit": limit}
        url = _with_query(self.endpoints.plans_url, query)
        body = _object(self._transport.request("GET", url).body)
        plans = body.get("plans") if isinstance(body.get("plans"), list) else []
        token = body.get("nextToken")
        return PlanPage(
            tuple(Plan.from_body(plan) for plan in plans if isinstance(plan, Mapping)),
            str(token) if token else None,
        )

    def get_plan(self, plan_id: str) -> Plan:
        return Plan.from_body(_object(self._transport.request("GET", self._plan_url(plan_id)).body))

    def update_plan(
        self,
        plan_id: str,
        *,
        paused: bool | None = None,
        cadence: str | None = None,
        look_back_days: Sequence[int] | None = None,
        replace_existing_schedule: bool | None = None,
    ) -> Plan:
        """PATCH /plans/{planId}: pause or resume it, change its cadence or look-backs (checked again), or let
        an amazon-schedule plan replace a schedule it did not create."""
        payload: dict[str, Any] = {}
        if paused is not None:
            payload["paused"] = paused
        if cadence is not None:
            payload["cadence"] = cadence
        if look_back_days is not None:
            payload["lookBackDays"] = list(look_back_days)
        if replace_existing_schedule is not None:
            payload["replaceExistingSchedule"] = replace_existing_schedule
        if not payload:
            raise ValueError(
                "nothing to change: give paused, cadence, look_back_days or replace_existing_schedule"
            )
        response = self._transport.request("PATCH", self._plan_url(plan_id), payload)
        return Plan.from_body(_object(response.body))

    def delete_plan(self, plan_id: str) -> bool:
        """DELETE /plans/{planId}: no more windows; what is stored stays."""
        body = _object(self._transport.request("DELETE", self._plan_url(plan_id)).body)
        return body.get("deleted") is True

    def plan_coverage(
        self, plan_id: str, from_date: str | None = None, to_date: str | None = None
    ) -> Mapping[str, Any]:
        """GET /plans/{planId}/coverage: every window of the days from_date..to_date with its status."""
        url = _with_query(f"{self._plan_url(plan_id)}/coverage", {"from": from_date, "to": to_date})
        return _object(self._transport.request("GET", url).body)

    def _plan_url(self, plan_id: str) -> str:
        if not plan_id:
            raise ValueError("plan_id is empty")
        return f"{self.endpoints.plans_url}/{quote(plan_id, safe='')}"

    def create_report(
        self,
        seller_id: str,
        region_code: str,
        report_type: str,
        marketplace_ids: Sequence[str] | str,
        data_start_time: datetime | str | None = None,
        data_end_time: datetime | str | None = None,
        report_options: Mapping[str, str] | None = None,
    ) -> str:
        """Requests a report and answers its (first) id; `request_reports` answers every id of a request the
        service split into windows or marketplaces. Not retried after 5xx: SP-API may have created it."""
        return self.request_reports(
            seller_id,
            region_code,
            report_type,
            marketplace_ids,
            data_start_time,
            data_end_time,
            report_options,
        ).report_id

    def request_reports(
        self,
        seller_id: str,
        region_code: str,
        report_type: str,
        marketplace_ids: Sequence[str] | str,
        data_start_time: datetime | str | None = None,
        data_end_time: datetime | str | None = None,
        report_options: Mapping[str, str] | None = None,
        *,
        split_range: bool | None = None,
    ) -> ReportRequestResult:
        """POST /reports: the service may make several SP-API reports of one request (a range beyond the
        type's maximum is split into windows, a single-marketplace type fans out), or answer a recent one
        of the same type (`reused`). `complete` is False when a later report failed: see `failed`."""
        payload: dict[str, Any] = {
            "SellerId": seller_id,
            "RegionCode": region_code,
            "ReportType": report_type,
            "MarketplaceIds": _marketplace_list(marketplace_ids),
        }
        if data_start_time is not None:
            payload["ReportDataStartTime"] = _iso(data_start_time)
        if data_end_time is not None:
            payload["ReportDataEndTime"] = _iso(data_end_time)
        if report_options:
            payload["ReportOptions"] = dict(report_options)
        if split_range is not None:
            payload["SplitRange"] = split_range
        response = self._transport.request("POST", self.endpoints.reports_url, payload, idempotent=False)
        body = _object(response.body)
        report_id = body.get("reportId")
        if not report_id:
            raise ApiError(
                response.status, "InvalidResponse", "the API answered without a reportId", response.request_id
            )
        reports = body.get("reports") if isinstance(body.get("reports"), list) else [{"reportId": report_id}]
        return ReportRequestResult(
            report_id=str(report_id),
            report_ids=tuple(str(r.get("reportId")) for r in reports if isinstance(r, Mapping)),
            reports=tuple(dict(r) for r in reports if isinstance(r, Mapping)),
            complete=body.get("complete", True) is not False,
            failed=tuple(dict(f) for f in body.get("failed") or () if isinstance(f, Mapping)),
            not_requested=tuple(dict(n) for n in body.get("notRequested") or () if isinstance(n, Mapping)),
            raw=body,
        )

    def get_report(self, report_id: str) -> Report:
        if not report_id:
            raise ValueError("report_id is empty")
        url = f"{self.endpoints.reports_url}/{quote(report_id, safe='')}"
        response = self._transport.request("GET", url)
        return Report.from_body(_object(response.body))

    def wait_for_report(
        self,
        report_id: str,
        timeout: float = 900.0,
        poll_interval: float = 5.0,
        on_progress: ProgressCallback | None = None,
    ) -> Report:
        """Polls until the report reaches a status in `TERMINAL_STATUSES`; answers it, also when it failed.

        `on_progress(report, elapsed_seconds)` is called after every poll. Raises `WaitTimeoutError` when
        `timeout` seconds pass first.
        """
        if poll_interval <= 0:
            raise ValueError("poll_interval must be positive")
        started = self._clock()
        while True:
            report = self.get_report(report_id)
            elapsed = self._clock() - started
            if on_progress is not None:
                on_progress(report, elapsed)
            if report.is_terminal:
                return report
            remaining = timeout - elapsed
            if remaining <= 0:
                raise WaitTimeoutError(report_id, report.status, elapsed)
            self._sleep(min(poll_interval, remaining))


def _object(body: Any) -> Mapping[str, Any]:
    return body if isinstance(body, Mapping) else {}


def _with_query(url: str, query: Mapping[str, Any]) -> str:
    given = {name: str(value) for name, value in query.items() if value is not None and value != ""}
    return f"{url}?{urlencode(given)}" if given else url


def _marketplace_list(marketplace_ids: Sequence[str] | str) -> list[str]:
    items = marketplace_ids.split(",") if isinstance(marketplace_ids, str) else list(marketplace_ids)
    cleaned = [item.strip() for item in items if item and item.strip()]
    if not cleaned:
        raise ValueError("marketplace_ids is empty")
    return cleaned


def _iso(value: datetime | str) -> str:
    return value.isoformat() if isinstance(value, datetime) else value
