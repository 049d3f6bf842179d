"""The emulator's state: applications, sellers, access tokens, reports and their documents, destinations and
subscriptions. One lock guards it all; nothing here does I/O, so the lock is held only briefly."""

from __future__ import annotations

import gzip
import hashlib
import hmac
import itertools
import secrets
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

# A deliberate independent copy of sp_reports.spapi.reports.FINISHED_STATUSES: the emulator plays SP-API
# (docs/spapi-notes.md#statuses), so it does not take SP-API's facts from the client it judges.
TERMINAL_STATUSES = ("DONE", "CANCELLED", "FATAL")
GRANTLESS_SCOPES = ("sellingpartnerapi::notifications",)
# developer-docs "rotating-your-apps-lwa-credentials": "Your old credentials expire seven days after you
# generate new credentials."
ROTATION_OVERLAP_SECONDS = 7 * 24 * 3600.0


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def iso_offset(moment: datetime) -> str:
    """An instant as SP-API spells a settlement report's data range: `2022-03-10T08:24:51+00:00`
    (selling-partner-api-docs#969)."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


@dataclass
class ClientSecret:
    """One LWA client secret of an app and when each side stops accepting it (emulator monotonic time).

    The two sides can disagree: SP-API answered 403 "The LWA secret token you provided has expired." while
    LWA still issued tokens (selling-partner-api-models#4489), and LWA answers 401 invalid_client to a rotated
    secret (jlevers/selling-partner-api#595).
    """

    value: str = field(repr=False)
    lwa_expires_at: float | None = None  # LWA refuses the secret from then on (401 invalid_client)
    spapi_expires_at: float | None = None  # SP-API refuses access tokens issued with it (403)

    def lwa_expired(self, now: float) -> bool:
        return self.lwa_expires_at is not None and now >= self.lwa_expires_at

    def spapi_expired(self, now: float) -> bool:
        return self.spapi_expires_at is not None and now >= self.spapi_expires_at


@dataclass
class RegisteredApp:
    client_id: str
    secrets: list[ClientSecret] = field(repr=False)
    application_id: str
    # Grant types LWA refuses for this application with unauthorized_client (an app without the role, e.g.
    # for grantless notifications calls).
    unauthorized_grants: set[str] = field(default_factory=set)

    @property
    def client_secret(self) -> str:
        """The newest secret (what the developer console shows after a rotation)."""
        return self.secrets[-1].value

    def secret_matching(self, presented: str) -> ClientSecret | None:
        for secret in self.secrets:
            if hmac.compare_digest(secret.value.encode(), presented.encode()):
                return secret
        return None


@dataclass
class RegisteredSeller:
    seller_id: str
    client_id: str | None  # the application the seller authorised; None: any registered application
    revoked: bool = False


# How long an authorization code works: "The LWA authorization code expires after five minutes" (SP-API,
# "Website Authorization Workflow", https://developer-docs.amazon.com/sp-api/docs/website-authorization-workflow).
AUTHORIZATION_CODE_TTL_SECONDS = 300


@dataclass
class AuthorizationCode:
    """A code Amazon hands the application's redirect URI (`spapi_oauth_code`) once a seller consented: it
    works once, within AUTHORIZATION_CODE_TTL_SECONDS, for the application and redirect URI it was issued
    to."""

    seller_id: str
    client_id: str
    redirect_uri: str
    expires_at: float
    used: bool = False


@dataclass
class AccessGrant:
    kind: str  # "seller", "grantless" or "restricted" (a Restricted Data Token)
    client_id: str
    expires_at: float
    seller_id: str | None = None
    scope: str | None = None
    # The client secret the token was issued with: SP-API refuses the token once that secret has expired.
    secret: ClientSecret | None = field(default=None, repr=False)
    # A restricted data token's (method, path) pairs: the only requests it authorises.
    restricted_resources: frozenset[tuple[str, str]] = frozenset()

    @property
    def principal(self) -> str:
        return self.seller_id or self.client_id


@dataclass
class ReportDocument:
    report_document_id: str
    content: bytes  # the bytes as stored: compressed when compression == "GZIP", unless the label lies
    compression: str | None
    # The charset parameter of the download's Content-Type (None: the download names none).
    charset_label: str | None = None

    @property
    def plain(self) -> bytes:
        # Decided by the bytes: some documents are flagged GZIP but are not (document_charsets).
        return gzip.decompress(self.content) if self.content.startswith(b"\x1f\x8b") else self.content


@dataclass
class Report:
    report_id: str
    seller_id: str
    report_type: str
    marketplace_ids: list[str]
    created: datetime
    created_mono: float
    processing_status: str = "IN_QUEUE"
    data_start_time: str | None = None
    data_end_time: str | None = None
    report_options: dict[str, str] | None = None
    processing_start_time: datetime | None = None
    started_mono: float | None = None
    processing_end_time: datetime | None = None
    report_document_id: str | None = None
    # The regional endpoint (Host) createReport came to; its notifications go to that endpoint's
    # subscriptions. None (reports added by tests): every endpoint's.
    endpoint: str | None = None
    # Why SP-API will fail this report (a rule of its type broken at createReport): it ends FATAL with this
    # reason in its error document. None: it ends as configured.
    fatal_reason: str | None = None
    # The schedule that created it (reports_2021-06-30.json, Report.reportScheduleId: "The identifier of the
    # report schedule that created this report (if any)"); None: createReport made it.
    report_schedule_id: str | None = None

    def to_model(self) -> dict:
        body: dict = {
            "reportId": self.report_id,
            "reportType": self.report_type,
            "marketplaceIds": list(self.marketplace_ids),
            "createdTime": iso(self.created),
            "processingStatus": self.processing_status,
        }
        if self.data_start_time:
            body["dataStartTime"] = self.data_start_time
        if self.data_end_time:
            body["dataEndTime"] = self.data_end_time
        if self.processing_start_time:
            body["processingStartTime"] = iso(self.processing_start_time)
        if self.processing_end_time:
            body["processingEndTime"] = iso(self.processing_end_time)
        if self.report_document_id:
            body["reportDocumentId"] = self.report_document_id
        if self.report_schedule_id:
            body["reportScheduleId"] = self.report_schedule_id
        return body


@dataclass
class ReportSchedule:
    """A seller's schedule (createReportSchedule): a report of its type and marketplaces every `period`
    (an ISO 8601 period of the model's enum), the next at `next_creation`."""

    report_schedule_id: str
    seller_id: str
    report_type: str
    marketplace_ids: list[str]
    period: str
    next_creation: datetime
    report_options: dict[str, str] | None = None
    # The regional endpoint (Host) it was created at: its reports notify that endpoint's subscriptions.
    endpoint: str | None = None

    def to_model(self) -> dict:
        body: dict = {
            "reportScheduleId": self.report_schedule_id,
            "reportType": self.report_type,
            "marketplaceIds": list(self.marketplace_ids),
            "period": self.period,
            "nextReportCreationTime": iso(self.next_creation),
        }
        if self.report_options:
            body["reportOptions"] = dict(self.report_options)
        return body


@dataclass
class Destination:
    destination_id: str
    client_id: str
    name: str
    arn: str
    # The regional endpoint (Host) it was created at: destinations are per region, although createDestination
    # is grantless (selling-partner-api-models#4286, #2151).
    endpoint: str = ""

    def to_model(self) -> dict:
        return {
            "destinationId": self.destination_id,
            "name": self.name,
            "resource": {"sqs": {"arn": self.arn}},
        }


@dataclass
class Subscription:
    subscription_id: str
    client_id: str
    seller_id: str
    notification_type: str
    payload_version: str
    destination_id: str
    endpoint: str = ""  # the regional endpoint (Host) it was created at, as its destination

    def to_model(self) -> dict:
        return {
            "subscriptionId": self.subscription_id,
            "payloadVersion": self.payload_version,
            "destinationId": self.destination_id,
        }


def synthetic_listings_report(
    report_id: str, rows: int = 20, *, item_name: str = "Item", codec: str = "utf-8"
) -> bytes:
    """A small tab-separated merchant listings report whose content follows from the report id alone (and
    the marketplace's `item_name` and `codec`: spapi_emulator.document_charsets)."""
    seed = hashlib.sha256(report_id.encode()).hexdigest()
    lines = ["item-name\tseller-sku\tprice\tquantity\tasin1\tstatus"]
    for index in range(rows):
        digest = hashlib.sha256(f"{seed}:{index}".encode()).hexdigest()
        price = int(digest[:6], 16) % 10000 / 100
        quantity = int(digest[6:10], 16) % 500
        asin = "B0" + digest[10:18].upper()
        lines.append(
            f"{item_name} {index} of report {report_id}\tSKU-{digest[18:26]}\t{price:.2f}\t{quantity}"
            f"\t{asin}\tActive"
        )
    return ("\n".join(lines) + "\n").encode(codec)


def synthetic_listings_report_of_size(report_id: str, size: int) -> bytes:
    """A listings report of whole lines, as close to ``size`` bytes as they allow without exceeding it (a
    large report exercises the storer's multipart upload)."""
    report = synthetic_listings_report(report_id, rows=max(1, size // 64))
    while len(report) < size:
        report = synthetic_listings_report(report_id, rows=int(report.count(b"\n") * size / len(report)) + 1)
    return report[:size].rsplit(b"\n", 1)[0] + b"\n"


class EmulatorState:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.apps: dict[str, RegisteredApp] = {}
        self.sellers: dict[str, RegisteredSeller] = {}  # keyed by refresh token
        # The marketplaces each seller sells in (by seller id); absent: every marketplace SP-API serves.
        self.participation: dict[str, frozenset[str]] = {}
        self.access_tokens: dict[str, AccessGrant] = {}
        self.reports: dict[str, Report] = {}
        self.schedules: dict[str, ReportSchedule] = {}
        self.documents: dict[str, ReportDocument] = {}
        self.destinations: dict[str, Destination] = {}
        self.subscriptions: dict[str, Subscription] = {}
        self.page_tokens: dict[str, tuple[list[str], int]] = {}
        self.authorization_codes: dict[str, AuthorizationCode] = {}
        # The sellers' settlements (spapi_emulator.settlements.SettlementAccount), each making its reports.
        self.settlement_accounts: list = []
        self._report_numbers = itertools.count(50_000_000_000 + secrets.randbelow(10_000_000))

    # Pickled by the emulator deployed as a Lambda (state_in_s3): the lock stays with the process, and the
    # report counter is kept as the next number (pickling itertools.count is deprecated since Python 3.12).
    def __getstate__(self) -> dict:
        kept = vars(self).items()
        fields = {name: value for name, value in kept if name not in ("lock", "_report_numbers")}
        with self.lock:
            next_number = next(self._report_numbers)
            self._report_numbers = itertools.count(next_number)
        return {**fields, "next_report_number": next_number}

    def __setstate__(self, fields: dict) -> None:
        fields = dict(fields)
        self._report_numbers = itertools.count(fields.pop("next_report_number"))
        fields.setdefault("authorization_codes", {})  # a state saved before codes existed
        fields.setdefault("schedules", {})  # a state saved before schedules existed
        fields.setdefault("settlement_accounts", [])  # a state saved before settlements existed
        vars(self).update(fields)
        self.lock = threading.RLock()

    def register_app(
        self, client_id: str, client_secret: str, application_id: str | None = None
    ) -> RegisteredApp:
        app = RegisteredApp(
            client_id=client_id,
            secrets=[ClientSecret(client_secret)],
            application_id=application_id or f"amzn1.sellerapps.app.{uuid.uuid4()}",
        )
        with self.lock:
            self.apps[client_id] = app
        return app

    def rotate_client_secret(self, client_id: str, new_secret: str, now: float, overlap: float) -> None:
        """A new client secret; the ones before it keep working for `overlap` seconds, then expire on both
        sides (LWA and SP-API)."""
        with self.lock:
            app = self._app(client_id)
            for secret in app.secrets:
                for side in ("lwa_expires_at", "spapi_expires_at"):
                    current = getattr(secret, side)
                    setattr(secret, side, now + overlap if current is None else min(current, now + overlap))
            app.secrets.append(ClientSecret(new_secret))

    def expire_client_secret(
        self, client_id: str, secret: str, now: float, *, lwa: bool = True, spapi: bool = True
    ) -> None:
        """The secret stops working now: at LWA (401 invalid_client), at SP-API (403 for the access tokens it
        issued), or both."""
        with self.lock:
            found = self._app(client_id).secret_matching(secret)
            if found is None:
                raise KeyError(f"application {client_id} has no such client secret")
            if lwa:
                found.lwa_expires_at = now
            if spapi:
                found.spapi_expires_at = now

    def _app(self, client_id: str) -> RegisteredApp:
        try:
            return self.apps[client_id]
        except KeyError:
            raise KeyError(f"unknown application {client_id}") from None

    def register_seller(
        self,
        refresh_token: str,
        seller_id: str,
        client_id: str | None = None,
        marketplaces: Iterable[str] | None = None,
    ) -> None:
        with self.lock:
            self.sellers[refresh_token] = RegisteredSeller(seller_id=seller_id, client_id=client_id)
            if marketplaces is not None:
                self.participation[seller_id] = frozenset(marketplaces)

    def issue_authorization_code(self, client_id: str, seller_id: str, redirect_uri: str, now: float) -> str:
        """The seller consents to the application on Seller Central: Amazon issues the code it sends to the
        application's redirect URI as `spapi_oauth_code`."""
        if client_id not in self.apps:
            raise KeyError(f"client_id: no application {client_id!r} is registered")
        code = secrets.token_urlsafe(24)  # opaque to the application
        with self.lock:
            self.authorization_codes[code] = AuthorizationCode(
                seller_id, client_id, redirect_uri, now + AUTHORIZATION_CODE_TTL_SECONDS
            )
        return code

    def participates(self, seller_id: str, marketplace_id: str) -> bool:
        with self.lock:
            marketplaces = self.participation.get(seller_id)
        return marketplaces is None or marketplace_id in marketplaces

    def revoke(self, refresh_token: str) -> None:
        """The seller withdrew the authorisation: the refresh token and its access tokens stop working."""
        with self.lock:
            seller = self.sellers.get(refresh_token)
            if seller is None:
                return
            seller.revoked = True
            for token, grant in list(self.access_tokens.items()):
                if grant.kind != "grantless" and grant.seller_id == seller.seller_id:  # RDTs too
                    del self.access_tokens[token]

    def next_report_id(self) -> str:
        with self.lock:
            return str(next(self._report_numbers))

    def application_id(self, client_id: str) -> str:
        with self.lock:
            return self.apps[client_id].application_id
