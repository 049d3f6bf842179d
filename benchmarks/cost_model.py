"""What 1,000 reports cost in us-east-1, from the benchmark's measured store durations, the memory sizes and
architecture in Terraform, the workflow's state transitions counted from its ASL, and a price table.

Every price carries its region, the date it was read and its source page. Requests per report follow the code
path of one DONE report (named beside each count); the store step's Lambda duration is projected from this
machine's measurement: its wall time into the S3 stand-in (the link), or its CPU seconds divided by the vCPU
share the function's memory buys (Lambda gives one vCPU at 1,769 MB), whichever is longer.

The pull planner's work is priced per 1,000 windows started (`planner_cost`), from benchmarks.pull_planner's
seconds, DynamoDB request units and KMS decrypts per window and its ticks.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from benchmarks.sizing import root_functions

GIB = 1024**3
FULL_VCPU_MB = 1769
PRICES_READ = "2026-11-28"


@dataclass(frozen=True)
class Price:
    usd: float
    unit: str
    source: str


# us-east-1 on-demand prices, first tier, no free tier (it is per account, not per report).
PRICES: dict[str, Price] = {
    "lambda_gb_s_x86_64": Price(0.0000166667, "GB-s", "https://aws.amazon.com/lambda/pricing/"),
    "lambda_gb_s_arm64": Price(0.0000133334, "GB-s", "https://aws.amazon.com/lambda/pricing/"),
    "lambda_request": Price(0.20 / 1e6, "request", "https://aws.amazon.com/lambda/pricing/"),
    "sfn_standard_transition": Price(
        0.025 / 1e3, "state transition", "https://aws.amazon.com/step-functions/pricing/"
    ),
    "sfn_express_request": Price(1.00 / 1e6, "execution", "https://aws.amazon.com/step-functions/pricing/"),
    # Express duration: per GB-s, memory billed in 64 MB chunks, time rounded up to 100 ms (same page).
    "sfn_express_gb_s": Price(0.00001667, "GB-s", "https://aws.amazon.com/step-functions/pricing/"),
    "sqs_request": Price(0.40 / 1e6, "request (64 KB chunk)", "https://aws.amazon.com/sqs/pricing/"),
    "dynamodb_write_unit": Price(
        0.625 / 1e6, "write request unit", "https://aws.amazon.com/dynamodb/pricing/on-demand/"
    ),
    "dynamodb_read_unit": Price(
        0.125 / 1e6, "read request unit", "https://aws.amazon.com/dynamodb/pricing/on-demand/"
    ),
    "kms_request": Price(0.03 / 1e4, "request", "https://aws.amazon.com/kms/pricing/"),
    "s3_put_request": Price(0.005 / 1e3, "PUT/COPY/POST/LIST request", "https://aws.amazon.com/s3/pricing/"),
    "s3_get_request": Price(0.0004 / 1e3, "GET/HEAD request", "https://aws.amazon.com/s3/pricing/"),
    "s3_standard_gb_month": Price(0.023, "GB-month (first 50 TB)", "https://aws.amazon.com/s3/pricing/"),
    "sns_publish": Price(0.50 / 1e6, "publish", "https://aws.amazon.com/sns/pricing/"),
    "sns_email": Price(2.00 / 1e5, "email notification", "https://aws.amazon.com/sns/pricing/"),
    "secrets_api_call": Price(0.05 / 1e4, "API call", "https://aws.amazon.com/secrets-manager/pricing/"),
    # EventBridge Scheduler: per invocation after the free tier (14 million a month, per account).
    "scheduler_invocation": Price(1.00 / 1e6, "invocation", "https://aws.amazon.com/eventbridge/pricing/"),
}

# Invocations per DONE report, by function: the API's createReport, one SQS message in a batch of
# `batch_size`, the workflow's store and notify tasks. token_storage and notifications_subscriber run per
# seller, report_status when somebody asks: none of them per report.
INVOCATIONS = {"report_creator": 1.0, "report_storer": 1.0, "report_notifier": 1.0}

# Other requests per DONE report, from the handlers' code paths.
DYNAMODB_WRITES = (
    4  # creator PutItem (record), processor UpdateItem (claim), storer mark_stored, notifier mark_finished
)
DYNAMODB_READS = 3  # creator and storer GetItem (seller token), notifier GetItem (record); items < 4 KB
KMS_DECRYPTS = (
    2  # creator and storer decrypt the seller's refresh token (S3 uses a bucket key: ~0 per object)
)
SECRET_READS_AT_MOST = 2  # creator and storer read the LWA secret once per container: an upper bound
SNS_PUBLISHES = 1  # the outcome email, to one confirmed subscription
SQS_REQUESTS_PER_MESSAGE = 1  # SendMessage (SP-API's); receive and delete are per batch, added below
S3_DOWNLOADS = 1  # the recipient follows the emailed link once


@dataclass(frozen=True)
class Line:
    item: str
    quantity: float  # per 1,000 reports
    unit: str
    usd: float  # per 1,000 reports


@dataclass(frozen=True)
class ReportCost:
    size_label: str
    size_bytes: int
    store_seconds: float  # projected Lambda duration of the store step
    lines: list[Line]
    express_usd: float  # what Express would charge instead of the Standard transitions

    @property
    def total(self) -> float:
        return sum(line.usd for line in self.lines)

    @property
    def biggest(self) -> Line:
        return max(self.lines, key=lambda line: line.usd)


@dataclass(frozen=True)
class Deployment:
    """What the cost depends on in Terraform, read from its sources."""

    memory_mb: dict[str, int]
    architecture: str
    batch_size: int
    part_size: int


def read_deployment(terraform_dir: Path, part_size: int) -> Deployment:
    memory_mb = {name: settings["memory_size"] for name, settings in root_functions(terraform_dir).items()}
    variables = (terraform_dir / "variables.tf").read_text()
    architecture = re.search(
        r'variable "lambda_architecture"\s*\{[^}]*?default\s*=\s*"(\w+)"', variables, re.DOTALL
    )
    queue = (terraform_dir / "modules" / "queue" / "variables.tf").read_text()
    batch = re.search(r'variable "batch_size"\s*\{[^}]*?default\s*=\s*(\d+)', queue, re.DOTALL)
    if not (architecture and batch and memory_mb):
        raise ValueError("architecture, batch size or function list not found in terraform/")
    return Deployment(
        memory_mb,
        architecture.group(1),
        int(batch.group(1)),
        part_size,
    )


def _render(template: str) -> str:
    """The ASL with its Terraform placeholders filled (numbers with a number, names with a string)."""
    template = re.sub(r"\$\{\w*seconds\w*\}", "60", template)
    return re.sub(r"\$\{(\w+)\}", r"arn:\1", template)


def _matches(rule: Mapping, document: Mapping) -> bool:
    if "And" in rule:
        return all(_matches(part, document) for part in rule["And"])
    field = rule["Variable"].removeprefix("$.")
    present = field in document
    if "IsPresent" in rule:
        return present == rule["IsPresent"]
    if "IsString" in rule:
        return present and isinstance(document[field], str) == rule["IsString"]
    if "StringEquals" in rule:
        return present and document[field] == rule["StringEquals"]
    raise ValueError(f"choice rule not modelled: {sorted(rule)}")


def states_entered(asl_path: Path, execution_input: Mapping) -> list[str]:
    """The states one execution enters when every task succeeds first time: Standard bills one state
    transition per state entered ("each time a step of your workflow is executed", the pricing page)."""
    definition = json.loads(_render(asl_path.read_text()))
    name, entered = definition["StartAt"], []
    while name:
        state = definition["States"][name]
        entered.append(name)
        if state["Type"] == "Choice":
            name = next(
                (choice["Next"] for choice in state["Choices"] if _matches(choice, execution_input)),
                state.get("Default"),
            )
        else:
            name = None if state.get("End") or state["Type"] in ("Succeed", "Fail") else state.get("Next")
    return entered


def store_duration(wall_seconds: float, cpu_seconds: float, memory_mb: int) -> float:
    """The store step on Lambda: the link's time or the CPU time at the memory's vCPU share, the longer."""
    return max(wall_seconds, cpu_seconds / min(1.0, memory_mb / FULL_VCPU_MB))


def report_cost(
    size_label: str,
    size_bytes: int,
    store_seconds: float,
    other_seconds: Mapping[str, float],
    deployment: Deployment,
    transitions: int,
) -> ReportCost:
    """The bill for 1,000 reports of `size_bytes`; `other_seconds`: the other functions' durations."""
    reports = 1000
    gb_s_price = PRICES[f"lambda_gb_s_{deployment.architecture}"]
    durations = {**other_seconds, "report_storer": store_seconds}
    invocations = {**INVOCATIONS, "notifications_processor": 1 / deployment.batch_size}
    lines = []
    for function, count in sorted(invocations.items()):
        seconds = durations[function] * (
            deployment.batch_size if function == "notifications_processor" else 1
        )
        gb_s = reports * count * seconds * deployment.memory_mb[function] / 1024
        lines.append(Line(f"Lambda {function} duration", gb_s, "GB-s", gb_s * gb_s_price.usd))
    requests = reports * sum(invocations.values())
    lines.append(Line("Lambda requests", requests, "requests", requests * PRICES["lambda_request"].usd))
    lines.append(
        Line(
            "Step Functions Standard transitions",
            reports * transitions,
            "transitions",
            reports * transitions * PRICES["sfn_standard_transition"].usd,
        )
    )
    sqs = reports * (
        SQS_REQUESTS_PER_MESSAGE + 2 / deployment.batch_size
    )  # + ReceiveMessage, DeleteMessageBatch
    lines.append(Line("SQS requests", sqs, "requests", sqs * PRICES["sqs_request"].usd))
    lines.append(
        Line(
            "DynamoDB writes",
            reports * DYNAMODB_WRITES,
            "WRU",
            reports * DYNAMODB_WRITES * PRICES["dynamodb_write_unit"].usd,
        )
    )
    lines.append(
        Line(
            "DynamoDB reads",
            reports * DYNAMODB_READS,
            "RRU",
            reports * DYNAMODB_READS * PRICES["dynamodb_read_unit"].usd,
        )
    )
    lines.append(
        Line(
            "KMS requests",
            reports * KMS_DECRYPTS,
            "requests",
            reports * KMS_DECRYPTS * PRICES["kms_request"].usd,
        )
    )
    parts = -(-size_bytes // deployment.part_size) if size_bytes > deployment.part_size else 0
    puts = 1 if parts == 0 else parts + 2  # PutObject, or Create + UploadPart x n + Complete
    lines.append(
        Line(
            "S3 PUT-class requests", reports * puts, "requests", reports * puts * PRICES["s3_put_request"].usd
        )
    )
    gets = 1 + S3_DOWNLOADS  # the store's HeadObject, the recipient's GET
    lines.append(
        Line(
            "S3 GET-class requests", reports * gets, "requests", reports * gets * PRICES["s3_get_request"].usd
        )
    )
    gb_months = reports * size_bytes / GIB
    lines.append(
        Line("S3 Standard, one month", gb_months, "GB-month", gb_months * PRICES["s3_standard_gb_month"].usd)
    )
    sns = reports * SNS_PUBLISHES
    lines.append(
        Line(
            "SNS publish + email", sns, "emails", sns * (PRICES["sns_publish"].usd + PRICES["sns_email"].usd)
        )
    )
    secrets = reports * SECRET_READS_AT_MOST
    lines.append(
        Line("Secrets Manager reads (at most)", secrets, "calls", secrets * PRICES["secrets_api_call"].usd)
    )
    # Express: one request per execution; its duration is the whole execution (the tasks' durations, rounded
    # up to 100 ms) at the 64 MB minimum memory.
    execution_seconds = -(-(store_seconds + other_seconds["report_notifier"]) // 0.1) * 0.1
    express = reports * (
        PRICES["sfn_express_request"].usd + execution_seconds * 64 / 1024 * PRICES["sfn_express_gb_s"].usd
    )
    return ReportCost(size_label, size_bytes, store_seconds, lines, express)


@dataclass(frozen=True)
class PlannerCost:
    """What the pull planner's work costs per 1,000 windows started (benchmarks.pull_planner's figures)."""

    lines: list[Line]

    @property
    def total(self) -> float:
        return sum(line.usd for line in self.lines)


def _priced(item: str, quantity: float, unit: str, price: str) -> Line:
    """A line of `quantity` at the price table's `price`."""
    return Line(item, quantity, unit, quantity * PRICES[price].usd)


def planner_cost(
    *,
    seconds_per_window: float,
    ticks_per_window: float,
    read_units_per_window: float,
    write_units_per_window: float,
    kms_decrypts_per_window: float,
    memory_mb: int,
    architecture: str,
) -> PlannerCost:
    """Per 1,000 windows: the planner's Lambda GB-s at its memory for the measured seconds per window, one
    Lambda request and one Scheduler invocation per tick, DynamoDB on-demand request units and KMS decrypts
    (each seller's refresh token, once per container per REFRESH_TOKEN_CACHE_SECONDS)."""
    windows = 1000
    gb_s = windows * seconds_per_window * memory_mb / 1024
    ticks = windows * ticks_per_window
    reads = windows * read_units_per_window
    writes = windows * write_units_per_window
    decrypts = windows * kms_decrypts_per_window
    return PlannerCost(
        [
            _priced("Lambda pull_planner duration", gb_s, "GB-s", f"lambda_gb_s_{architecture}"),
            _priced("Lambda requests (ticks)", ticks, "requests", "lambda_request"),
            _priced("Scheduler invocations (ticks)", ticks, "invocations", "scheduler_invocation"),
            _priced("DynamoDB writes", writes, "WRU", "dynamodb_write_unit"),
            _priced("DynamoDB reads", reads, "RRU", "dynamodb_read_unit"),
            _priced("KMS requests", decrypts, "requests", "kms_request"),
        ]
    )


@dataclass(frozen=True)
class ConversionCost:
    """What converting one stored report into its Parquet table costs, per 1,000 reports of one size."""

    raw_bytes: int
    lines: list[Line]

    @property
    def total(self) -> float:
        return sum(line.usd for line in self.lines)


def conversion_cost(
    *,
    raw_bytes: int,
    parquet_bytes: int,
    wall_seconds: float,
    cpu_seconds: float,
    memory_mb: int,
    architecture: str,
) -> ConversionCost:
    """Per 1,000 reports converted (benchmarks.conversion's figures): the converter's Lambda GB-s at its
    memory (the larger of the measured wall time and the CPU seconds at the vCPU share that memory buys), one
    Lambda request and the workflow's two more transitions (entering and leaving ConvertReport), S3: one GET
    of the raw object, the staged file's PUT, its COPY to the curated key (the DELETE is free), KMS: the raw
    object's decrypt, the upload's and the copy's data keys (S3 Bucket Keys would cut them), one DynamoDB
    write (the outcome on the record) and a month of S3 Standard for the Parquet file."""
    reports = 1000
    gb_s = reports * store_duration(wall_seconds, cpu_seconds, memory_mb) * memory_mb / 1024
    transitions = reports * 2
    puts, gets, kms_requests = reports * 2, reports, reports * 3
    gb_months = reports * parquet_bytes / 1e9
    return ConversionCost(
        raw_bytes,
        [
            _priced("Lambda report_converter duration", gb_s, "GB-s", f"lambda_gb_s_{architecture}"),
            _priced("Lambda requests", reports, "requests", "lambda_request"),
            _priced("Step Functions transitions", transitions, "transitions", "sfn_standard_transition"),
            _priced("S3 PUT-class requests", puts, "requests", "s3_put_request"),
            _priced("S3 GET-class requests", gets, "requests", "s3_get_request"),
            _priced("KMS requests", kms_requests, "requests", "kms_request"),
            _priced("DynamoDB writes", reports, "WRU", "dynamodb_write_unit"),
            _priced("S3 Standard, one month (Parquet)", gb_months, "GB-month", "s3_standard_gb_month"),
        ],
    )
