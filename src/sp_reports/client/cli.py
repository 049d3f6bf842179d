"""The `sp-reports` command: store seller tokens, subscribe to notifications, request and follow reports."""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import boto3
from botocore.exceptions import BotoCoreError

from sp_reports.spapi.notifications import REPORT_PROCESSING_FINISHED

from . import config as cfg
from . import terraform_outputs as tf
from .client import Report, SpReportsClient
from .errors import ApiError, ApiUnavailableError, ConfigurationError, WaitTimeoutError
from .redaction import redact

EXIT_OK = 0
EXIT_API_CLIENT_ERROR = 1
EXIT_USAGE = 2
EXIT_API_UNAVAILABLE = 3
EXIT_REPORT_NOT_READY = 4
EXIT_INCOMPLETE = 5
EXIT_INTERRUPTED = 130

ENV_REFRESH_TOKEN = "SP_REPORTS_REFRESH_TOKEN"  # noqa: S105 - a variable name, not a secret
REGION_CODES = ("NA", "EU", "FE")

EPILOG = f"""\
configuration (first found wins):
  API URL      --api-url, ${cfg.ENV_API_URL}, terraform output '{tf.OUTPUT_API_INVOKE_URL}' or
               '{tf.API_INVOKE_URL_ALIASES[0]}' (per-endpoint outputs '{tf.OUTPUT_TOKENS_ENDPOINT_URL}',
               '{tf.OUTPUT_NOTIFICATIONS_ENDPOINT_URL}', '{tf.OUTPUT_REPORTS_ENDPOINT_URL}' or the
               map '{tf.OUTPUT_API_ENDPOINT_URLS}' win over it)
  region       --region, the execute-api hostname, $AWS_REGION, $AWS_DEFAULT_REGION,
               terraform output '{tf.OUTPUT_AWS_REGION}' or '{tf.AWS_REGION_ALIASES[0]}'
  invoke role  --role-arn, ${cfg.ENV_ROLE_ARN}, terraform output '{tf.OUTPUT_API_INVOKE_ROLE_ARN}' (optional)
  terraform    --terraform-dir / ${cfg.ENV_TERRAFORM_DIR} runs `terraform output -json` there;
               --terraform-outputs / ${cfg.ENV_TERRAFORM_OUTPUTS_FILE} reads a saved copy of it
  STS endpoint --endpoint-url, ${cfg.ENV_ENDPOINT_URL} (local AWS only)
  AWS credentials come from the standard chain (--profile, AWS_PROFILE, environment, SSO, instance role).

exit codes:
  0  success
  1  the API rejected the request (4xx); its message is printed
  2  usage or configuration error
  3  the API failed (5xx), throttled after retries, or could not be reached
  4  `reports wait` timed out, or the report ended FATAL, FAILED or CANCELLED
  5  `reports create` made some of the request's reports, not all (the failed ones are printed), or
     `sellers delete` could not erase everything (what is left is printed)
"""

logger = logging.getLogger("sp_reports.client")


class UsageError(Exception):
    """A problem with the command line that argparse cannot see (bad k=v option, unreadable token file)."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    output = Output(json_mode=getattr(args, "json", False), stdout=sys.stdout, stderr=sys.stderr)
    _configure_logging(getattr(args, "verbose", False))
    try:
        return args.command(args, output, lambda: _client_from_args(args))
    except UsageError as exc:
        return output.error("UsageError", str(exc), EXIT_USAGE)
    except ConfigurationError as exc:
        return output.error("ConfigurationError", str(exc), EXIT_USAGE)
    except ApiError as exc:
        exit_code = EXIT_API_CLIENT_ERROR if exc.is_client_error else EXIT_API_UNAVAILABLE
        return output.api_error(exc, _hint(exc, args), exit_code)
    except ApiUnavailableError as exc:
        return output.error("ApiUnavailable", str(exc), EXIT_API_UNAVAILABLE)
    except WaitTimeoutError as exc:
        return output.error("WaitTimeout", str(exc), EXIT_REPORT_NOT_READY)
    except BotoCoreError as exc:
        # Credential chain problems (no credentials, bad profile, expired SSO session) are configuration.
        return output.error("AwsConfigurationError", redact(str(exc)), EXIT_USAGE)
    except KeyboardInterrupt:
        output.stderr.write("\ninterrupted\n")
        return EXIT_INTERRUPTED


def build_parser() -> argparse.ArgumentParser:
    common = _common_options()
    parser = argparse.ArgumentParser(
        prog="sp-reports",
        description="Call the sp-reports API (SigV4-signed): store seller tokens, request SP-API reports.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    groups = parser.add_subparsers(
        title="commands", required=True, metavar="{tokens,notifications,reports,sellers}"
    )

    tokens = groups.add_parser("tokens", help="seller refresh tokens").add_subparsers(required=True)
    put = _leaf(tokens, "put", common, "store (or replace) a seller's LWA refresh token", _cmd_tokens_put)
    put.add_argument("--seller-id", required=True)
    source = put.add_mutually_exclusive_group()
    source.add_argument("--refresh-token-file", metavar="FILE", help="read the refresh token from FILE")
    source.add_argument(
        "--refresh-token-stdin", action="store_true", help="read the refresh token from stdin"
    )
    source.add_argument(
        "--refresh-token",
        metavar="TOKEN",
        help=f"the token itself (discouraged: shell history keeps it; prefer ${ENV_REFRESH_TOKEN} or a file)",
    )

    notifications = groups.add_parser("notifications", help="SP-API notifications").add_subparsers(
        required=True
    )
    subscribe = _leaf(
        notifications, "subscribe", common, "subscribe a seller to report notifications", _cmd_subscribe
    )
    subscribe.add_argument("--seller-id", required=True)
    subscribe.add_argument("--region-code", required=True, choices=REGION_CODES, type=str.upper)
    subscribe.add_argument("--notification-type", default=REPORT_PROCESSING_FINISHED)
    subscribe.add_argument(
        "--replace-existing",
        action="store_true",
        help="move the seller's subscription here when it delivers elsewhere (which then stops receiving)",
    )

    reports = groups.add_parser("reports", help="report requests").add_subparsers(required=True)
    create = _leaf(reports, "create", common, "request a report", _cmd_reports_create)
    create.add_argument("--seller-id", required=True)
    create.add_argument("--region-code", required=True, choices=REGION_CODES, type=str.upper)
    create.add_argument("--report-type", required=True, help="for example GET_MERCHANT_LISTINGS_ALL_DATA")
    create.add_argument(
        "--marketplace-ids", required=True, help="comma-separated, for example A1F83G8C2ARO7P"
    )
    create.add_argument("--start", type=_iso_timestamp, help="ISO-8601 start of the report's data")
    create.add_argument("--end", type=_iso_timestamp, help="ISO-8601 end of the report's data")
    create.add_argument(
        "--option", action="append", default=[], metavar="KEY=VALUE", help="a report option; repeatable"
    )
    create.add_argument(
        "--no-split",
        dest="split_range",
        action="store_false",
        default=None,
        help="refuse a range beyond the report type's maximum instead of one report per window",
    )

    get = _leaf(
        reports, "get", common, "show a report's status, S3 location and download URL", _cmd_reports_get
    )
    get.add_argument("report_id", metavar="REPORT_ID")

    wait = _leaf(
        reports, "wait", common, "wait until a report is DONE, FATAL or CANCELLED", _cmd_reports_wait
    )
    wait.add_argument("report_id", metavar="REPORT_ID")
    wait.add_argument("--timeout", type=_positive_float, default=900.0, help="seconds (default: 900)")
    wait.add_argument(
        "--interval", type=_positive_float, default=5.0, help="seconds between polls (default: 5)"
    )

    sellers = groups.add_parser("sellers", help="offboarding sellers").add_subparsers(required=True)
    delete = _leaf(
        sellers,
        "delete",
        common,
        "erase a seller's token, report records, sweep state, subscriptions and stored reports",
        _cmd_sellers_delete,
    )
    delete.add_argument("seller_id", metavar="SELLER_ID")
    return parser


def _common_options() -> argparse.ArgumentParser:
    # Accepted before or after the command; SUPPRESS keeps a subcommand from resetting a value given earlier.
    common = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    group = common.add_argument_group("global options")
    group.add_argument("--api-url", help=f"base invoke URL of the API stage (${cfg.ENV_API_URL})")
    group.add_argument("--region", help="AWS region of the API, used for signing")
    group.add_argument("--role-arn", help=f"IAM role to assume before calling the API (${cfg.ENV_ROLE_ARN})")
    group.add_argument(
        "--terraform-dir", help=f"read outputs of this Terraform root (${cfg.ENV_TERRAFORM_DIR})"
    )
    group.add_argument(
        "--terraform-outputs",
        metavar="FILE",
        help=f"saved `terraform output -json` (${cfg.ENV_TERRAFORM_OUTPUTS_FILE})",
    )
    group.add_argument("--endpoint-url", help=f"STS endpoint, for local AWS (${cfg.ENV_ENDPOINT_URL})")
    group.add_argument("--profile", help="AWS profile for credentials (AWS_PROFILE)")
    group.add_argument("--http-timeout", type=_positive_float, help="seconds per HTTP request (default: 30)")
    group.add_argument("--json", action="store_true", help="machine-readable JSON on stdout")
    group.add_argument(
        "--verbose", action="store_true", help="log requests, retries and configuration sources"
    )
    return common


def _leaf(
    subparsers: argparse._SubParsersAction,
    name: str,
    common: argparse.ArgumentParser,
    help_text: str,
    command: Callable[..., int],
) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        name,
        help=help_text,
        description=help_text,
        parents=[common],
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(command=command)
    return parser


ClientFactory = Callable[[], SpReportsClient]


def _cmd_tokens_put(args: argparse.Namespace, output: Output, client: ClientFactory) -> int:
    refresh_token = _read_refresh_token(args, os.environ, sys.stdin, output.stderr)
    stored = client().put_token(args.seller_id, refresh_token)
    if output.json_mode:
        output.json({"sellerId": stored.seller_id})
    else:
        output.line(f"Refresh token of seller {stored.seller_id}: stored.")
    return EXIT_OK


def _cmd_subscribe(args: argparse.Namespace, output: Output, client: ClientFactory) -> int:
    subscription = client().subscribe_notifications(
        args.seller_id, args.region_code, args.notification_type, replace_existing=args.replace_existing
    )
    if output.json_mode:
        output.json(
            {"destinationId": subscription.destination_id, "subscriptionId": subscription.subscription_id}
        )
    else:
        output.line(
            f"Seller {args.seller_id} is subscribed to {args.notification_type} in {args.region_code} "
            f"(destination {subscription.destination_id}, subscription {subscription.subscription_id})."
        )
    return EXIT_OK


def _cmd_sellers_delete(args: argparse.Namespace, output: Output, client: ClientFactory) -> int:
    erasure = client().delete_seller(args.seller_id)
    exit_code = EXIT_INCOMPLETE if erasure.not_erased else EXIT_OK
    if output.json_mode:
        answer: dict[str, Any] = {"sellerId": erasure.seller_id, "erased": dict(erasure.erased)}
        if erasure.not_erased:
            answer["notErased"] = list(erasure.not_erased)
        output.json(answer)
        return exit_code
    if erasure.nothing_to_erase:
        output.line(f"Seller {erasure.seller_id}: nothing to erase.")
    else:
        counts = ", ".join(
            f"{count} {_label(kind).lower()}" for kind, count in erasure.erased.items() if count
        )
        output.line(f"Seller {erasure.seller_id} erased: {counts}.")
    for problem in erasure.not_erased:
        output.note(f"not erased: {problem}")
    return exit_code


def _cmd_reports_create(args: argparse.Namespace, output: Output, client: ClientFactory) -> int:
    marketplace_ids = [item.strip() for item in args.marketplace_ids.split(",") if item.strip()]
    if not marketplace_ids:
        raise UsageError("--marketplace-ids names no marketplace")
    if args.start and args.end and _parse_iso(args.start) > _parse_iso(args.end):
        raise UsageError("--start is after --end")
    result = client().request_reports(
        args.seller_id,
        args.region_code,
        args.report_type,
        marketplace_ids,
        data_start_time=args.start,
        data_end_time=args.end,
        report_options=_parse_options(args.option),
        split_range=args.split_range,
    )
    if output.json_mode:
        output.json(dict(result.raw))
    elif len(result.reports) == 1 and result.complete:
        (only,) = result.reports
        verb = "Reusing the recent report" if only.get("reused") else "Requested report"
        output.line(f"{verb} {result.report_id}.")
        output.note(f"Follow it with: sp-reports reports wait {result.report_id}")
    else:
        output.line(f"Requested {len(result.reports)} reports:")
        for report in result.reports:
            reused = "  (reused)" if report.get("reused") else ""
            output.line(f"  {report.get('reportId')}  {_report_scope(report)}{reused}")
        for failed in result.failed:
            error = failed.get("error") or {}
            output.line(f"  FAILED  {_report_scope(failed)}: {error.get('code')}: {error.get('message')}")
        for skipped in result.not_requested:
            output.line(f"  NOT REQUESTED  {_report_scope(skipped)}")
        output.note("Follow each with: sp-reports reports wait REPORT_ID")
    return EXIT_OK if result.complete else EXIT_INCOMPLETE


def _report_scope(report: Mapping[str, Any]) -> str:
    marketplaces = ",".join(report.get("marketplaceIds") or ())
    window = ""
    if report.get("dataStartTime") or report.get("dataEndTime"):
        window = f"  {report.get('dataStartTime', '')}..{report.get('dataEndTime', '')}"
    return f"{marketplaces}{window}"


def _cmd_reports_get(args: argparse.Namespace, output: Output, client: ClientFactory) -> int:
    output.report(client().get_report(args.report_id))
    return EXIT_OK


def _cmd_reports_wait(args: argparse.Namespace, output: Output, client: ClientFactory) -> int:
    progress = WaitProgress(args.report_id, output.stderr)
    try:
        report = client().wait_for_report(
            args.report_id, timeout=args.timeout, poll_interval=args.interval, on_progress=progress
        )
    finally:
        progress.finish()
    output.report(report)
    if report.succeeded:
        return EXIT_OK
    output.note(f"report {report.report_id} ended {report.status}")
    return EXIT_REPORT_NOT_READY


class WaitProgress:
    """Progress of `reports wait` on stderr: one updating line on a terminal, a line per change otherwise."""

    def __init__(self, report_id: str, stream: TextIO) -> None:
        self._report_id = report_id
        self._stream = stream
        self._interactive = stream.isatty()
        self._last_status: str | None = None
        self._written = False

    def __call__(self, report: Report, elapsed: float) -> None:
        message = f"waiting for report {self._report_id}: {report.status} after {elapsed:.0f} s"
        if self._interactive:
            self._stream.write(f"\r{message:<78}")
            self._written = True
        elif report.status != self._last_status:
            self._stream.write(message + "\n")
        self._stream.flush()
        self._last_status = report.status

    def finish(self) -> None:
        if self._written:
            self._stream.write("\n")
            self._stream.flush()


class Output:
    def __init__(self, json_mode: bool, stdout: TextIO, stderr: TextIO) -> None:
        self.json_mode = json_mode
        self.stdout = stdout
        self.stderr = stderr

    def line(self, text: str) -> None:
        self.stdout.write(text + "\n")

    def note(self, text: str) -> None:
        self.stderr.write(text + "\n")

    def json(self, value: Any) -> None:
        self.stdout.write(json.dumps(value, indent=2, sort_keys=True, default=str) + "\n")

    def report(self, report: Report) -> None:
        # The user asked for this report: its download URL is shown (it is their own presigned link).
        if self.json_mode:
            self.json(dict(report.raw))
            return
        rows = [("Report", report.report_id), ("Status", report.status)]
        rows += [("Seller", report.seller_id), ("Type", report.report_type)]
        if report.s3_bucket and report.s3_key:
            rows.append(("Stored at", f"s3://{report.s3_bucket}/{report.s3_key}"))
        if isinstance(report.raw.get("charset"), dict):
            rows.append(("Charset", _charset(report.raw["charset"])))
        shown = {"reportId", "status", "sellerId", "reportType", "s3", "downloadUrl", "downloadUrlExpiresAt"}
        shown.add("charset")
        rows += [(_label(key), _scalar(value)) for key, value in report.raw.items() if key not in shown]
        if report.download_url:
            rows.append(("Download URL", report.download_url))
            rows.append(("URL expires at", report.download_url_expires_at))
        shown_rows = [(label, value) for label, value in rows if value not in (None, "")]
        width = max(len(label) for label, _ in shown_rows) + 2
        for label, value in shown_rows:
            self.line(f"{label + ':':<{width}}{value}")

    def error(self, code: str, message: str, exit_code: int, hint: str | None = None) -> int:
        if self.json_mode:
            error: dict[str, Any] = {"code": code, "message": message}
            if hint:
                error["hint"] = hint
            self.stderr.write(json.dumps({"error": error}) + "\n")
        else:
            self.stderr.write(f"sp-reports: error: {message}\n")
            if hint:
                self.stderr.write(f"hint: {hint}\n")
        return exit_code

    def api_error(self, exc: ApiError, hint: str | None, exit_code: int) -> int:
        if not self.json_mode:
            return self.error(exc.code, str(exc), exit_code, hint)
        error: dict[str, Any] = {"status": exc.status, "code": exc.code, "message": exc.message}
        if exc.request_id:
            error["requestId"] = exc.request_id
        if hint:
            error["hint"] = hint
        self.stderr.write(json.dumps({"error": error}) + "\n")
        return exit_code


def _hint(exc: ApiError, args: argparse.Namespace) -> str | None:
    text = exc.message.lower()
    if exc.status == 403 and "signature" in text:
        return "check that --region is the API's region and that this machine's clock is right"
    if exc.status == 403 and "missing authentication token" in text:
        return "API Gateway says this for unknown paths too: check that the API URL ends with the stage name"
    if exc.status == 403 and ("not authorized" in text or "explicit deny" in text):
        if not getattr(args, "role_arn", None) and not os.environ.get(cfg.ENV_ROLE_ARN):
            return f"your AWS identity may not invoke the API: pass --role-arn (or ${cfg.ENV_ROLE_ARN})"
        return "the invoke role may not call this API: check its execute-api:Invoke policy"
    if exc.status == 429 and exc.retry_after:
        return f"try again in {exc.retry_after:.0f} seconds"
    if exc.status == 429:
        return "the API kept throttling after retries; try again in a minute"
    return None


def _client_from_args(args: argparse.Namespace) -> SpReportsClient:
    flags = cfg.ConfigFlags(
        api_url=getattr(args, "api_url", None),
        region=getattr(args, "region", None),
        role_arn=getattr(args, "role_arn", None),
        terraform_dir=getattr(args, "terraform_dir", None),
        terraform_outputs_file=getattr(args, "terraform_outputs", None),
        endpoint_url=getattr(args, "endpoint_url", None),
    )
    config = cfg.resolve_config(flags, os.environ)
    for setting, source in config.sources.items():
        logger.debug("%s from %s", setting, source)
    session = boto3.Session(profile_name=getattr(args, "profile", None))
    http_timeout = getattr(args, "http_timeout", None) or 30.0
    return SpReportsClient.from_config(
        config, session=session, timeout=(min(5.0, http_timeout), http_timeout)
    )


def _read_refresh_token(
    args: argparse.Namespace, environ: Mapping[str, str], stdin: TextIO, stderr: TextIO
) -> str:
    if args.refresh_token_file:
        try:
            token = Path(args.refresh_token_file).read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(
                f"cannot read --refresh-token-file {args.refresh_token_file}: {exc.strerror}"
            ) from None
        where = "--refresh-token-file"
    elif args.refresh_token_stdin:
        token, where = stdin.read(), "stdin"
    elif args.refresh_token:
        stderr.write(
            "warning: a token given with --refresh-token stays in your shell history; "
            f"prefer --refresh-token-file, --refresh-token-stdin or ${ENV_REFRESH_TOKEN}\n"
        )
        token, where = args.refresh_token, "--refresh-token"
    elif environ.get(ENV_REFRESH_TOKEN):
        token, where = environ[ENV_REFRESH_TOKEN], f"${ENV_REFRESH_TOKEN}"
    elif stdin.isatty():
        token, where = getpass.getpass("LWA refresh token (input hidden): "), "the prompt"
    else:
        raise UsageError(
            f"no refresh token: use --refresh-token-file FILE, --refresh-token-stdin or ${ENV_REFRESH_TOKEN}"
        )
    token = token.strip()
    if not token:
        raise UsageError(f"the refresh token from {where} is empty")
    if any(character.isspace() for character in token):
        raise UsageError(f"the refresh token from {where} contains whitespace; it must be a single line")
    return token


def _parse_options(pairs: Sequence[str]) -> dict[str, str]:
    options: dict[str, str] = {}
    for pair in pairs:
        key, separator, value = pair.partition("=")
        if not separator or not key.strip():
            raise UsageError(f"--option {pair!r} is not KEY=VALUE")
        options[key.strip()] = value
    return options


def _iso_timestamp(value: str) -> str:
    try:
        _parse_iso(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not an ISO-8601 date or time") from None
    return value


def _parse_iso(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    # A time without offset is UTC, as SP-API reads it.
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _positive_float(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if number <= 0:
        raise argparse.ArgumentTypeError(f"{value!r} must be positive")
    return number


def _label(key: str) -> str:
    spaced = "".join(f" {char.lower()}" if char.isupper() else char for char in key)
    return spaced[:1].upper() + spaced[1:]


def _charset(charset: dict[str, Any]) -> str:
    """One line: what the stored bytes are in, and how that was decided."""
    stored = charset.get("stored") or "unknown"
    if charset.get("transcoded") and charset.get("source") != stored:
        stored += f" (transcoded from {charset.get('source')})"
    if charset.get("replacements"):
        stored += f", {charset['replacements']} undecodable bytes replaced"
    if charset.get("assumed") or charset.get("stored") is None:
        stored += f"; {charset.get('note') or 'assumed'}"
    return stored


def _scalar(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    return str(value)


_verbose_handler: logging.Handler | None = None


def _configure_logging(verbose: bool) -> None:
    # Only our logger: botocore's DEBUG output would print the session token in the canonical request.
    global _verbose_handler
    if _verbose_handler is not None:
        logger.removeHandler(_verbose_handler)
        _verbose_handler = None
    if verbose:
        _verbose_handler = logging.StreamHandler(sys.stderr)
        _verbose_handler.setFormatter(logging.Formatter("sp-reports: %(message)s"))
        logger.addHandler(_verbose_handler)
    logger.setLevel(logging.DEBUG if verbose else logging.WARNING)


if __name__ == "__main__":
    sys.exit(main())
