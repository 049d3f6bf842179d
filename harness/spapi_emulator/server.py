"""`SpApiEmulator`: the emulator served on 127.0.0.1 from a background thread, with its control surface.

    with SpApiEmulator() as emulator:
        emulator.register_app("amzn1.application-oa2-client.x", "secret")
        emulator.register_seller("Atzr|…", "A3TH9S8BH6GOGM")
        ... point SPAPI_ENDPOINT_URL at emulator.url and LWA_ENDPOINT_URL at emulator.lwa_url ...

Starting one costs a socket and two threads (the models are parsed once per process), so tests start one each.
"""

from __future__ import annotations

import os
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from spapi_emulator.app import LWA_PATH, EmulatorApp, EmulatorConfig, Exchange, SentNotification
from spapi_emulator.contract import ModelContract
from spapi_emulator.settlements import SettlementAccount
from spapi_emulator.state import ROTATION_OVERLAP_SECONDS, Report

TICK_SECONDS = 0.02
EXPIRY_SECONDS = 1.0


class _QuietHandler(WSGIRequestHandler):
    """Access logs would print document URLs, whose query string is a credential; log nothing per request."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


class SpApiEmulator:
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        models_dir: str | os.PathLike[str] | None = None,
        config: EmulatorConfig | None = None,
        ssl_context: ssl.SSLContext | None = None,
        **config_overrides: Any,
    ) -> None:
        """`ssl_context`: serve https with it (every listener, document URLs included) for clients that only
        speak https to SP-API; None, the default, serves http."""
        if config is None:
            config = EmulatorConfig(**config_overrides)
        elif config_overrides:
            raise TypeError("pass either config or keyword overrides, not both")
        self.contract = ModelContract.load(models_dir)
        self.app = EmulatorApp(self.contract, config)
        self._host = host
        self._port = port
        self._ssl_context = ssl_context
        self._server: BaseWSGIServer | None = None
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        # Listeners of the other regional endpoints (another port: another Host), started on first use.
        self._regional: dict[str, BaseWSGIServer] = {}
        self._regional_lock = threading.Lock()

    # -- lifecycle --------------------------------------------------------------------------------------

    def start(self) -> SpApiEmulator:
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = self._listen(self._port)
        serve = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="spapi-emulator",
            daemon=True,
        )
        ticker = threading.Thread(target=self._tick_forever, name="spapi-emulator-ticker", daemon=True)
        self._threads = [serve, ticker]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._stopping.set()
        with self._regional_lock:
            regional, self._regional = list(self._regional.values()), {}
        for server in [self._server, *regional]:
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._server = None
        self._threads = []

    def __enter__(self) -> SpApiEmulator:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def _tick_forever(self) -> None:
        # Reports advance in time even when nobody polls, so notifications arrive on their own. Retention
        # (days) is enforced every EXPIRY_SECONDS only: each pass walks every report the emulator holds,
        # which every TICK_SECONDS would take the GIL from its callers once it holds thousands. A clock moved
        # on purpose (EmulatorApp.advance_time) enforces it at once.
        expired_at = time.monotonic()
        while not self._stopping.wait(TICK_SECONDS):
            expire = time.monotonic() - expired_at >= EXPIRY_SECONDS
            if expire:
                expired_at = time.monotonic()
            self.app.tick(expire=expire)

    # -- addresses --------------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the emulator is not running")
        return self._server.server_port

    @property
    def url(self) -> str:
        return f"{self._scheme}://{self._host}:{self.port}"

    @property
    def _scheme(self) -> str:
        return "http" if self._ssl_context is None else "https"

    def _listen(self, port: int) -> BaseWSGIServer:
        return make_server(
            self._host,
            port,
            self.app,
            threaded=True,
            request_handler=_QuietHandler,
            ssl_context=self._ssl_context,
        )

    def endpoint_url(self, region_code: str) -> str:
        """The base URL of a regional SP-API endpoint: `url` for NA, a listener of its own (started on first
        use) for EU and FE. Each endpoint keeps its own destinations and subscriptions, as SP-API's regions
        do; point a region at its URL with `SPAPI_ENDPOINT_URL_<REGION>`."""
        code = region_code.strip().upper()
        if code not in ("NA", "EU", "FE"):
            raise ValueError(f"region_code: expected NA, EU or FE, got {region_code!r}")
        if code == "NA":
            return self.url
        with self._regional_lock:
            server = self._regional.get(code)
            if server is None:
                if self._server is None:
                    raise RuntimeError("the emulator is not running")
                server = self._listen(0)
                thread = threading.Thread(
                    target=server.serve_forever,
                    kwargs={"poll_interval": 0.05},
                    name=f"spapi-emulator-{code.lower()}",
                    daemon=True,
                )
                thread.start()
                self._threads.append(thread)
                self._regional[code] = server
            return f"{self._scheme}://{self._host}:{server.server_port}"

    @property
    def config(self) -> EmulatorConfig:
        """The live configuration: changes (delays, TTLs, auto_advance) apply to the next request."""
        return self.app.config

    @property
    def lwa_url(self) -> str:
        return self.url + LWA_PATH

    # -- identities -------------------------------------------------------------------------------------

    def register_app(self, client_id: str, client_secret: str, application_id: str | None = None) -> str:
        """Register an LWA application; returns its SP-API application id (amzn1.sellerapps.app.…)."""
        return self.app.state.register_app(client_id, client_secret, application_id).application_id

    def register_seller(
        self,
        refresh_token: str,
        seller_id: str,
        client_id: str | None = None,
        marketplaces: Iterable[str] | None = None,
    ) -> None:
        """A seller who authorised `client_id` (None: any application). `marketplaces`: the marketplaces the
        seller sells in (createReport refuses others with SP-API's 400); None, the default, is every
        marketplace SP-API serves, so a test only narrows it when participation is what it is about."""
        self.app.state.register_seller(refresh_token, seller_id, client_id, marketplaces)

    def revoke(self, refresh_token: str) -> None:
        self.app.state.revoke(refresh_token)

    def authorize(self, client_id: str, seller_id: str, redirect_uri: str) -> str:
        """The seller consents to the application on Seller Central: the `spapi_oauth_code` Amazon sends to
        `redirect_uri`, which LWA's authorization_code grant exchanges once, within five minutes."""
        return self.app.state.issue_authorization_code(
            client_id, seller_id, redirect_uri, self.app.monotonic()
        )

    def deauthorize_seller(self, seller_id: str) -> int:
        return self.app.deauthorize_seller(seller_id)

    def deny_grant(self, client_id: str, grant_type: str = "client_credentials") -> None:
        """LWA refuses the application this grant type with 400 unauthorized_client "Not authorized for
        requested operation" (the application lacks the role, e.g. for grantless notifications calls)."""
        if grant_type not in ("refresh_token", "client_credentials"):
            raise ValueError("grant_type: refresh_token or client_credentials")
        with self.app.state.lock:
            self.app.state.apps[client_id].unauthorized_grants.add(grant_type)

    def rotate_client_secret(
        self, client_id: str, new_secret: str, overlap_seconds: float = ROTATION_OVERLAP_SECONDS
    ) -> None:
        """Rotate the application's LWA client secret: the new one works at once, the old ones for
        `overlap_seconds` more (SP-API: seven days), then LWA answers 401 invalid_client and SP-API 403 "The
        LWA secret token you provided has expired." for the access tokens they issued."""
        self.app.state.rotate_client_secret(client_id, new_secret, self.app.monotonic(), overlap_seconds)

    def expire_client_secret(
        self, client_id: str, secret: str, *, signals: tuple[str, ...] = ("lwa", "spapi")
    ) -> None:
        """The secret expires now, seen by LWA (`lwa`: 401 invalid_client), by SP-API (`spapi`: 403 for the
        access tokens issued with it), or both."""
        unknown = set(signals) - {"lwa", "spapi"}
        if unknown or not signals:
            raise ValueError("signals: a non-empty subset of ('lwa', 'spapi')")
        self.app.state.expire_client_secret(
            client_id, secret, self.app.monotonic(), lwa="lwa" in signals, spapi="spapi" in signals
        )

    # -- observation ------------------------------------------------------------------------------------

    @property
    def exchanges(self) -> list[Exchange]:
        with self.app.exchanges_lock:
            return list(self.app.exchanges)

    @property
    def lwa_exchange_count(self) -> int:
        return sum(self.app.lwa_exchanges.values())

    @property
    def lwa_exchanges(self) -> dict[str, int]:
        """Token requests received, per grant type (`refresh_token`, `client_credentials`)."""
        return dict(self.app.lwa_exchanges)

    @property
    def reports(self) -> dict[str, Report]:
        with self.app.state.lock:
            return dict(self.app.state.reports)

    def report(self, report_id: str) -> Report:
        return self.reports[report_id]

    @property
    def sent_notifications(self) -> list[SentNotification]:
        return self.app.sent_notifications

    @property
    def notification_errors(self) -> list[str]:
        return self.app.notification_errors

    @property
    def notification_sink(self) -> Callable[[str, str], None]:
        return self.app.notification_sink

    @notification_sink.setter
    def notification_sink(self, sink: Callable[[str, str], None]) -> None:
        self.app.notification_sink = sink

    @property
    def tolerated_deviations(self) -> list[str]:
        """Requests SP-API lets pass though the models do not allow them (contract.TOLERATED)."""
        with self.app.exchanges_lock:
            return list(self.app.tolerated_deviations)

    def contract_violations(self) -> list[str]:
        """Every recorded SP-API exchange whose request or response the models do not allow."""
        return self.app.contract_violations()

    # -- behaviour --------------------------------------------------------------------------------------

    def set_rate(self, operation: str, rate: float, burst: int) -> None:
        self.app.rate_limiter.set_rate(operation, rate, burst)

    def disable_rate_limits(self) -> None:
        self.app.rate_limiter.enabled = False

    def enable_rate_limits(self) -> None:
        self.app.rate_limiter.enabled = True

    def advance_time(self, seconds: float) -> None:
        """Let `seconds` pass for the emulator (token expiry, URL expiry, lifecycle, bucket refill)."""
        self.app.advance_time(seconds)

    def open_settlements(self, account: SettlementAccount) -> None:
        """The seller's settlements begin: their reports appear as the clock passes each period's end."""
        self.app.open_settlements(account)

    def configure_report_type(
        self, report_type: str, *, outcome: str = "DONE", document: bytes | None = None
    ) -> None:
        self.app.configure_report_type(report_type, outcome=outcome, document=document)

    def refuse_report_type(self, report_type: str, message: str | None = None) -> None:
        """createReport answers 400 InvalidInput for `report_type` (settlement types are refused already)."""
        with self.app.state.lock:
            self.app.refused_report_types[report_type] = (
                message or f"Request for report type {report_type} is not allowed at this time"
            )

    def refuse_schedules_of(self, report_type: str, message: str | None = None) -> None:
        """createReportSchedule answers 400 InvalidInput for `report_type` (createReport still makes it), as
        it refuses the types nobody can request."""
        with self.app.state.lock:
            self.app.schedule_refusals[report_type] = (
                message or f"Request for report type {report_type} is not allowed at this time"
            )

    def set_report_document(self, report_id: str, content: bytes) -> None:
        self.app.set_report_document(report_id, content)

    def start_report(self, report_id: str) -> None:
        self.app.start_report(report_id)

    def finish_report(self, report_id: str, status: str = "DONE", document: bytes | None = None) -> None:
        self.app.finish_report(report_id, status, document)

    # -- faults -----------------------------------------------------------------------------------------

    def inject(self, operation: str, status: int = 500, times: int | None = 1) -> None:
        """The next `times` calls of `operation` (an operationId, `lwa` or `downloadDocument`) answer
        `status`; `times=None` until `clear_faults()`."""
        self.app.faults.inject(operation, status, times)

    def delay(self, operation: str, seconds: float, times: int | None = 1) -> None:
        self.app.faults.delay(operation, seconds, times)

    def truncated_gzip(self, times: int | None = 1) -> None:
        self.app.faults.document_fault("truncated_gzip", times)

    def plain_labelled_gzip(self, times: int | None = 1) -> None:
        self.app.faults.document_fault("plain_labelled_gzip", times)

    def cut_download(self, after_bytes: int, times: int | None = 1) -> None:
        """The next `times` document downloads promise their whole body (Content-Length) but send only
        `after_bytes` of it before the connection drops: an interrupted download, to be resumed with Range."""
        self.app.faults.cut_download(after_bytes, times)

    def expire_urls_immediately(self, times: int | None = 1) -> None:
        self.app.faults.document_fault("expire_urls_immediately", times)

    def lwa_down(self, status: int = 503, times: int | None = None) -> None:
        """LWA answers `status` (503 temporarily_unavailable or 500 server_error) until `lwa_up()`, or for
        `times` token requests."""
        self.app.faults.lwa_down(status, times)

    def lwa_up(self) -> None:
        self.app.faults.lwa_up()

    def clear_faults(self) -> None:
        self.app.faults.clear()
