"""The `sp-reports` command: store seller tokens, subscribe to notifications, request and follow reports."""

from __future__ import annotations

import argparse
import getpass
import io
import json
import logging
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TextIO

import boto3
from botocore.exceptions import BotoCoreError

from sp_reports.spapi.notifications import REPORT_PROCESSING_FINISHED

from . import config as cfg
from . import terraform_outputs as tf
from .client import Plan, Report, SpReportsClient
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
        title="commands", required=True, metavar="{tokens,notifications,reports,sellers,plans}"
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

    _plans_parser(groups, common)
    return parser


CADENCES = ("daily", "weekly", "monthly")
PLAN_MODES = ("request", "amazon-schedule", "discover")


def _plans_parser(groups: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    plans = groups.add_parser("plans", help="recurring pulls: pull plans and their coverage").add_subparsers(
        required=True
    )
    create = _leaf(
        plans,
        "create",
        common,
        "create a pull plan (the same definition twice is one plan)",
        _cmd_plans_create,
    )
    create.add_argument("--seller-id", required=True)
    create.add_argument(
        "--marketplace-ids", required=True, help="comma-separated, for example A1F83G8C2ARO7P"
    )
    create.add_argument(
        "--report-type", required=True, help="for example GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"
    )
    create.add_argument(
        "--cadence",
        choices=CADENCES,
        type=str.lower,
        help="window length; required for mode request, none for mode discover (Amazon decides the periods)",
    )
    create.add_argument(
        "--start-date", required=True, type=_iso_date, help="first day to pull, YYYY-MM-DD (UTC)"
    )
    create.add_argument(
        "--look-back-days",
        type=_day_list,
        default=(),
        metavar="DAYS",
        help="comma-separated days after a window ends to pull it again, e.g. 1,2,7",
    )
    create.add_argument(
        "--mode",
        choices=PLAN_MODES,
        help="how windows are pulled: request (createReport per window, the default), amazon-schedule "
        "(an Amazon report schedule makes each window's first version; falls back to createReport when "
        "Amazon refuses, and says so in the plan's status note) or discover (the reports Amazon makes by "
        "itself, e.g. settlement, found with getReports)",
    )
    create.add_argument(
        "--replace-existing-schedule",
        action="store_true",
        help="amazon-schedule: replace a schedule of the type and marketplaces this plan did not create",
    )
    create.add_argument(
        "--option", action="append", default=[], metavar="KEY=VALUE", help="a report option; repeatable"
    )

    listing = _leaf(plans, "list", common, "list pull plans (one seller's with --seller-id)", _cmd_plans_list)
    listing.add_argument("--seller-id")
    listing.add_argument("--limit", type=_page_limit, help="plans per page (1-100)")
    listing.add_argument("--next-token", help="the page after the one that printed this token")
    listing.add_argument("--all", action="store_true", help="follow every page")

    show = _leaf(plans, "show", common, "show a pull plan", _cmd_plans_show)
    show.add_argument("plan_id", metavar="PLAN_ID")
    pause = _leaf(plans, "pause", common, "pause a pull plan: no new windows until resumed", _cmd_plans_pause)
    pause.add_argument("plan_id", metavar="PLAN_ID")
    resume = _leaf(plans, "resume", common, "resume a paused pull plan", _cmd_plans_resume)
    resume.add_argument("plan_id", metavar="PLAN_ID")
    update = _leaf(
        plans,
        "update",
        common,
        "add longer look-backs to a pull plan (for another cadence or other look-backs, delete the plan and "
        "create a new one)",
        _cmd_plans_update,
    )
    update.add_argument("plan_id", metavar="PLAN_ID")
    update.add_argument(
        "--look-back-days",
        type=_day_list,
        metavar="DAYS",
        help="comma-separated: the plan's look-backs followed by longer ones, e.g. 2,7,14 for a plan of 2,7",
    )
    update.add_argument(
        "--replace-existing-schedule",
        action="store_true",
        help="amazon-schedule: let the plan replace a schedule of its type and marketplaces it did not make",
    )
    delete = _leaf(
        plans,
        "delete",
        common,
        "delete a pull plan (what is stored, and its ledger, stay)",
        _cmd_plans_delete,
    )
    delete.add_argument("plan_id", metavar="PLAN_ID")

    coverage = _leaf(
        plans,
        "coverage",
        common,
        "which windows of a plan are stored, pending or failed",
        _cmd_plans_coverage,
    )
    coverage.add_argument("plan_id", metavar="PLAN_ID")
    coverage.add_argument(
        "--from",
        dest="from_date",
        type=_iso_date,
        help="first day, YYYY-MM-DD (default: 30 days before --to)",
    )
    coverage.add_argument(
        "--to", dest="to_date", type=_iso_date, help="last day, YYYY-MM-DD (default: today, UTC)"
    )


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


def _cmd_plans_create(args: argparse.Namespace, output: Output, client: ClientFactory) -> int:
    marketplace_ids = [item.strip() for item in args.marketplace_ids.split(",") if item.strip()]
    if not marketplace_ids:
        raise UsageError("--marketplace-ids names no marketplace")
    if args.mode == "discover" and args.cadence:
        raise UsageError("--cadence: a discover plan has none (Amazon decides each report's period)")
    if args.mode != "discover" and not args.cadence:
        raise UsageError("--cadence is required (daily, weekly or monthly) unless --mode discover")
    plan = client().create_plan(
        args.seller_id,
        marketplace_ids,
        args.report_type,
        args.cadence,
        args.start_date,
        look_back_days=args.look_back_days,
        report_options=_parse_options(args.option),
        mode=args.mode,
        replace_existing_schedule=args.replace_existing_schedule,
    )
    if output.json_mode:
        output.json(dict(plan.raw))
        return EXIT_OK
    if plan.created:
        output.line(f"Created plan {plan.plan_id}.")
    else:
        output.line(f"Plan {plan.plan_id} already exists with this definition; nothing changed.")
    output.plan(plan)
    output.note(f"Follow it with: sp-reports plans coverage {plan.plan_id}")
    return EXIT_OK


def _cmd_plans_list(args: argparse.Namespace, output: Output, client: ClientFactory) -> int:
    api = client()
    plans: list[Plan] = []
    next_token = args.next_token
    while True:
        page = api.list_plans(args.seller_id, next_token=next_token, limit=args.limit)
        plans += page.plans
        next_token = page.next_token
        if not args.all or not next_token:
            break
    if output.json_mode:
        output.json({"plans": [dict(plan.raw) for plan in plans], "nextToken": next_token})
        return EXIT_OK
    if not plans:
        output.line("No plans.")
    else:
        headers = ("PLAN", "SELLER", "REPORT TYPE", "MARKETPLACES", "CADENCE", "LOOK-BACKS", "START", "STATE")
        output.table(headers, [_plan_row(plan.raw) for plan in plans])
    if next_token:
        output.note(f"More plans: repeat with --next-token {next_token} (or --all)")
    return EXIT_OK


def _plan_row(plan: Mapping[str, Any]) -> tuple[str, ...]:
    return (
        str(plan.get("planId", "")),
        str(plan.get("sellerId", "")),
        str(plan.get("reportType", "")),
        ",".join(plan.get("marketplaceIds") or ()),
        str(plan.get("cadence") or "-"),  # a discover plan has none
        ",".join(str(day) for day in plan.get("lookBackDays") or ()) or "-",
        str(plan.get("startDate", "")),
        "paused" if plan.get("paused") else "active",
    )


def _cmd_plans_show(args: argparse.Namespace, output: Output, client: ClientFactory) -> int:
    output.plan(client().get_plan(args.plan_id))
    return EXIT_OK


def _cmd_plans_pause(args: argparse.Namespace, output: Output, client: ClientFactory) -> int:
    return _changed_plan(output, client().update_plan(args.plan_id, paused=True), "paused")


def _cmd_plans_resume(args: argparse.Namespace, output: Output, client: ClientFactory) -> int:
    return _changed_plan(output, client().update_plan(args.plan_id, paused=False), "resumed")


def _cmd_plans_update(args: argparse.Namespace, output: Output, client: ClientFactory) -> int:
    if args.look_back_days is None and not args.replace_existing_schedule:
        raise UsageError("give --look-back-days or --replace-existing-schedule")
    plan = client().update_plan(
        args.plan_id,
        look_back_days=args.look_back_days,
        replace_existing_schedule=True if args.replace_existing_schedule else None,
    )
    return _changed_plan(output, plan, "updated")


def _changed_plan(output: Output, plan: Plan, verb: str) -> int:
    if output.json_mode:
        output.json(dict(plan.raw))
    else:
        output.line(f"Plan {plan.plan_id} {verb}.")
        output.plan(plan)
    return EXIT_OK


def _cmd_plans_delete(args: argparse.Namespace, output: Output, client: ClientFactory) -> int:
    deleted = client().delete_plan(args.plan_id)
    if output.json_mode:
        output.json({"planId": args.plan_id, "deleted": deleted})
    else:
        output.line(f"Plan {args.plan_id} deleted: no more windows; what is stored stays.")
    return EXIT_OK


def _cmd_plans_coverage(args: argparse.Namespace, output: Output, client: ClientFactory) -> int:
    if args.from_date and args.to_date and args.from_date > args.to_date:
        raise UsageError("--from is after --to")
    answer = client().plan_coverage(args.plan_id, args.from_date, args.to_date)
    if output.json_mode:
        output.json(dict(answer))
        return EXIT_OK
    print_coverage(answer, output)
    return EXIT_OK


def print_coverage(answer: Mapping[str, Any], output: Output) -> None:
    """A coverage answer (GET /plans/{planId}/coverage) as `sp-reports plans coverage` prints it: a heading,
    a table of windows, the count per status and the backfill left; how the backfill's end was estimated goes
    to the output's stderr."""
    windows = [window for window in answer.get("windows") or () if isinstance(window, Mapping)]
    deleted = " (deleted: nothing more is pulled)" if answer.get("deleted") else ""
    output.line(f"Plan {answer.get('planId')}{deleted}, {answer.get('from')} to {answer.get('to')}:")
    if windows:
        headers = ("WINDOW", "MARKETPLACES", "STATUS", "VERSION", "CONVERSION", "DETAIL")
        output.table(headers, [_coverage_row(window) for window in windows])
    else:
        output.line("No windows in this range.")
    summary = answer.get("summary") if isinstance(answer.get("summary"), Mapping) else {}
    if summary:
        output.line("Windows: " + ", ".join(f"{count} {status}" for status, count in summary.items()))
    backfill = answer.get("backfill") if isinstance(answer.get("backfill"), Mapping) else {}
    if backfill.get("windowsLeft"):
        end = backfill.get("estimatedEnd") or "unknown"
        output.line(f"Backfill: {backfill['windowsLeft']} window(s) left, estimated end {end}")
        if backfill.get("estimate"):
            output.note(f"({backfill['estimate']})")


def coverage_table(answer: Mapping[str, Any]) -> str:
    """What `print_coverage` prints, stdout and stderr lines together, as one text (for a demo or a log)."""
    text = io.StringIO()
    print_coverage(answer, Output(json_mode=False, stdout=text, stderr=text))
    return text.getvalue()


def _coverage_row(window: Mapping[str, Any]) -> tuple[str, ...]:
    start, end = str(window.get("start", "")), str(window.get("end", ""))
    versions = window.get("versions") or ()
    version = window.get("currentVersion")
    shown = f"v{version}" if version else "-"
    if len(versions) > 1:
        shown += f" ({len(versions)} pulls)"
    detail = window.get("reason") or window.get("s3Key") or ""
    if not detail and window.get("dueAt"):
        detail = f"due {window['dueAt']}"
    if not detail and window.get("dueSince"):
        detail = f"due since {window['dueSince']}"
    if window.get("expiresAt") and not window.get("s3Key"):
        # A discovered report not stored yet: SP-API drops it then.
        detail = f"{detail}; " if detail else ""
        detail += f"SP-API drops the report at {window['expiresAt']}"
    return (
        f"{start[:10]}..{end[:10]}",
        ",".join(window.get("marketplaceIds") or ()),
        str(window.get("status", "")),
        shown,
        _conversion_cell(window.get("conversion")),
        str(detail),
    )


def _conversion_cell(conversion: Any) -> str:
    """A stored window's conversion into the analytics tables, in a few words ("-": not stored)."""
    if not isinstance(conversion, Mapping):
        return "-"
    status = conversion.get("status")
    problem = conversion.get("firstProblem") if isinstance(conversion.get("firstProblem"), Mapping) else {}
    where = ", ".join(
        part
        for part in (
            f"row {problem['row']}" if problem.get("row") is not None else "",
            str(problem.get("column") or ""),
        )
        if part
    )
    first = f"{where}: {problem.get('reason')}" if where else str(problem.get("reason") or "")
    if status == "CONVERTED":
        return f"converted, {conversion.get('rows', 0)} rows"
    if status == "CONVERTED_WITH_PROBLEMS":
        return (
            f"converted, {conversion.get('rows', 0)} rows, {conversion.get('problemCount', 0)} problems"
            + (f" (first: {first})" if first else "")
        )
    if status == "REJECTED":
        return f"rejected: {first}" if first else "rejected"
    if status == "NO_SCHEMA":
        return "no schema for this report type"
    if status == "FAILED":
        return f"failed: {conversion.get('error')}"
    if status == "SUPERSEDED":
        return "superseded by a newer version"
    return "not recorded"


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

    def plan(self, plan: Plan) -> None:
        if self.json_mode:
            self.json(dict(plan.raw))
            return
        raw = plan.raw
        rows = [
            ("Plan", plan.plan_id),
            ("State", "paused" if plan.paused else "active"),
            ("Seller", plan.seller_id),
            ("Report type", plan.report_type),
            ("Marketplaces", ", ".join(raw.get("marketplaceIds") or ())),
            ("Cadence", raw.get("cadence") or "none: Amazon decides each report's period (mode discover)"),
            ("Look-back days", ", ".join(str(day) for day in raw.get("lookBackDays") or ()) or "none"),
            ("Start date", raw.get("startDate")),
            ("Mode", raw.get("mode")),
        ]
        if raw.get("reportOptions"):
            rows.append(("Report options", _scalar(raw["reportOptions"])))
        rows += [("Created at", raw.get("createdAt")), ("Updated at", raw.get("updatedAt"))]
        schedule = raw.get("schedule")
        if isinstance(schedule, dict):
            details = [
                f"{label} {schedule[key]}"
                for key, label in (
                    ("reportScheduleId", "id"),
                    ("coversWindowsEndingFrom", "for windows ending from"),
                )
                if schedule.get(key)
            ]
            rows.append(("Amazon schedule", " ".join([str(schedule.get("state")), *details])))
        if raw.get("replaceExistingSchedule"):
            rows.append(("Replaces schedules", "yes, also one this plan did not create"))
        rows.append(("Status note", raw.get("statusNote")))
        self._rows(rows)

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        widths = [max(len(str(row[i])) for row in (headers, *rows)) for i in range(len(headers))]
        for row in (headers, *rows):
            self.line(
                "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
            )

    def _rows(self, rows: Sequence[tuple[str, Any]]) -> None:
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


def _iso_date(value: str) -> str:
    try:
        date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)") from None
    if len(value) != 10:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)")
    return value


def _day_list(value: str) -> tuple[int, ...]:
    parts = [part.strip() for part in value.split(",") if part.strip()]
    if not all(part.isdigit() for part in parts):
        raise argparse.ArgumentTypeError(f"{value!r} is not a comma-separated list of whole days")
    return tuple(int(part) for part in parts)


def _page_limit(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= 100:
        raise argparse.ArgumentTypeError(f"{value!r} must be a whole number from 1 to 100")
    return int(value)


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
