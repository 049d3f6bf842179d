"""The benchmark's results as Markdown: the console table and docs/benchmarks.md."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from benchmarks.cold_start import WITH_BYTECODE, ImportTiming
from benchmarks.cost_model import PRICES, PRICES_READ, ReportCost
from benchmarks.machine import Machine
from benchmarks.notifications import NotificationRun, OverheadProbe
from benchmarks.rate_limiting import RateLimitRun
from benchmarks.s3_standin import FIRST_BYTE_LATENCY, UPLOAD_BANDWIDTH
from benchmarks.sizing import (
    DESIGN_REPORT_GIB,
    FULL_VCPU_MB,
    BatchAdvice,
    StoreMemoryAdvice,
    TerraformDefaults,
)
from benchmarks.storage import StorageRun
from benchmarks.token_economy import TokenEconomy

MIB = 1024 * 1024
RSS_TARGET_MIB = 128
GZIP_SHARE_TARGET = 0.80  # of `gzip -dc` throughput, into the S3 stand-in, at the largest size
COLD_START_MARGIN_SECONDS = 0.100
ZIP_LIMIT_BYTES = 5 * MIB
CHART_NAME = "benchmarks-memory.png"


@dataclass
class Results:
    machine: Machine
    storage: list[StorageRun]
    cold_start: list[ImportTiming]
    tokens: TokenEconomy
    rate_limits: list[RateLimitRun]
    notifications: list[NotificationRun]
    overhead_probes: list[OverheadProbe]
    store_memory: StoreMemoryAdvice
    batch: BatchAdvice
    terraform: TerraformDefaults
    costs: list[ReportCost]
    transitions: list[str]
    seconds: float
    cpu_seconds: float


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _mark(ok: bool) -> str:
    return "yes" if ok else "**no**"


def _storage_run(results: Results, size: str, method: str, sink: str) -> StorageRun | None:
    for run in results.storage:
        if run.size_label == size and run.method == method and run.sink == sink:
            return run
    return None


def _gzip_limit(limit: StorageRun) -> float:
    """`gzip -dc`'s MiB/s on a core of its own: bytes over its CPU seconds (it is single-threaded and
    CPU-bound), so a busy shared machine does not make the bar lower than the machine can do."""
    return limit.uncompressed_bytes / MIB / limit.cpu_seconds


def _sizes(results: Results) -> list[str]:
    return list(dict.fromkeys(run.size_label for run in results.storage))


def targets_table(results: Results) -> str:
    rows = []
    sizes = _sizes(results)
    for size in sizes:
        ours = _storage_run(results, size, "streaming", "standin")
        naive = _storage_run(results, size, "naive", "standin")
        moto = _storage_run(results, size, "streaming", "s3")
        limit = _storage_run(results, size, "gzip -dc", "/dev/null")
        if not (ours and naive and limit):
            continue
        peak = max(ours.peak_rss_bytes, moto.peak_rss_bytes if moto else 0)
        rows.append(
            (
                f"{size}: streaming peak RSS ≤ {RSS_TARGET_MIB} MiB",
                f"{peak / MIB:.0f} MiB (naive {naive.peak_rss_bytes / MIB:.0f} MiB)",
                _mark(peak <= RSS_TARGET_MIB * MIB),
            )
        )
        if size != sizes[-1]:
            continue
        share = ours.mib_per_second / _gzip_limit(limit)
        rows.append(
            (
                f"{size} into the S3 stand-in: streaming ≥ {GZIP_SHARE_TARGET:.0%} of gzip -dc",
                f"streaming {share:.0%} ({ours.mib_per_second:.0f} MiB/s wall), naive "
                f"{naive.mib_per_second / _gzip_limit(limit):.0%}; "
                f"gzip -dc {_gzip_limit(limit):.0f} MiB/s on a core of its own",
                _mark(share >= GZIP_SHARE_TARGET),
            )
        )
    boto3_timing = next(t for t in results.cold_start if t.name == "boto3")
    handlers = [t for t in results.cold_start if t.name not in ("boto3",) and not t.name.endswith("(.pyc)")]
    slowest = max(handlers, key=lambda t: t.median_seconds)
    budget = boto3_timing.median_seconds + COLD_START_MARGIN_SECONDS
    rows.append(
        (
            "each handler imports within boto3 + 100 ms",
            f"slowest {slowest.name} {slowest.median_seconds * 1000:.0f} ms vs budget {budget * 1000:.0f} ms",
            _mark(all(t.median_seconds <= budget for t in handlers)),
        )
    )
    largest = max(handlers, key=lambda t: t.zip_bytes)
    rows.append(
        (
            "each zip ≤ 5 MiB",
            f"largest {largest.zip_bytes / MIB:.2f} MiB ({largest.unzipped_bytes / MIB:.1f} MiB unzipped)",
            _mark(all(t.zip_bytes <= ZIP_LIMIT_BYTES for t in handlers)),
        )
    )
    tokens = results.tokens
    rows.append(
        (
            f"{tokens.spapi_calls} calls, {tokens.sellers} sellers: "
            f"{tokens.sellers} LWA exchanges, 1 secret read",
            f"{tokens.lwa_exchanges} exchanges, {tokens.secret_reads} secret read(s)",
            _mark(tokens.lwa_exchanges == tokens.sellers and tokens.secret_reads == 1),
        )
    )
    for run in results.rate_limits:
        rows.append(
            (
                f"rate limit, {run.threads} thread(s): ≤ 1.1x minimum, 0 surfaced",
                f"{run.ratio:.2f}x, {run.throttled_seen} 429 seen, {run.surfaced} surfaced",
                _mark(run.ratio <= 1.1 and run.surfaced == 0),
            )
        )
    for run in results.notifications:
        rows.append(
            (
                f"notifications (batch {run.batch_size}): executions = unique requested reports",
                f"{run.executions_started} = {run.requested_reports}, "
                f"{run.messages_per_second:.0f} messages/s",
                _mark(run.executions_started == run.requested_reports and run.batch_item_failures == 0),
            )
        )
    return _table(("target", "measured", "met"), rows)


def storage_table(results: Results) -> str:
    rows = []
    for run in results.storage:
        limit = _storage_run(results, run.size_label, "gzip -dc", "/dev/null")
        rows.append(
            (
                run.size_label,
                run.label,
                f"{run.wall_seconds:.2f}",
                f"{run.cpu_seconds:.2f}",
                f"{run.mib_per_second:.0f}",
                f"{run.mib_per_second / _gzip_limit(limit):.0%}" if limit else "-",
                f"{run.peak_rss_bytes / MIB:.0f}",
                f"{run.s3_seconds:.2f}" if run.into_s3 else "-",
            )
        )
    return _table(
        (
            "report",
            "method → sink",
            "wall s",
            "CPU s",
            "MiB/s",
            "share of gzip -dc (its CPU-bound MiB/s)",
            "peak RSS MiB",
            "in S3 calls s (summed over threads)",
        ),
        rows,
    )


def s3_breakdown(results: Results) -> str:
    rows = []
    for run in results.storage:
        if not run.into_s3:
            continue
        parts = ", ".join(
            f"{name} {seconds:.2f} s" for name, seconds in sorted(run.s3_seconds_by_operation.items())
        )
        rows.append((run.size_label, run.label, parts))
    return _table(("report", "method", "time in each S3 operation"), rows)


def cost_table(results: Results) -> str:
    items = [line.item for line in results.costs[0].lines] if results.costs else []
    rows = []
    for item in items:
        cells = []
        for cost in results.costs:
            line = next(line for line in cost.lines if line.item == item)
            cells.append(f"${line.usd:.4f} ({line.quantity:,.0f} {line.unit})")
        rows.append((item, *cells))
    rows.append(("**total**", *(f"**${cost.total:.4f}**" for cost in results.costs)))
    rows.append(
        (
            "Step Functions Express instead of Standard",
            *(
                f"${cost.express_usd:.4f} instead of "
                f"${next(line.usd for line in cost.lines if line.item.startswith('Step Functions')):.4f}"
                for cost in results.costs
            ),
        )
    )
    rows.append(("biggest line", *(cost.biggest.item for cost in results.costs)))
    return _table(("per 1,000 reports", *(f"{cost.size_label} report" for cost in results.costs)), rows)


def price_table() -> str:
    return _table(
        ("price", "USD", "per", "source (us-east-1, read " + PRICES_READ + ")"),
        [(name, f"{price.usd:.10g}", price.unit, price.source) for name, price in PRICES.items()],
    )


def cold_start_table(results: Results) -> str:
    boto3_timing = next(t for t in results.cold_start if t.name == "boto3")
    rows = []
    for timing in results.cold_start:
        extra = timing.median_seconds - boto3_timing.median_seconds
        offenders = ", ".join(f"{name} {seconds * 1000:.0f}" for name, seconds in timing.offenders)
        is_handler = timing.name != "boto3" and not timing.name.endswith("(.pyc)")
        rows.append(
            (
                timing.name,
                f"{timing.median_seconds * 1000:.0f}",
                "-" if timing.name == "boto3" else f"{extra * 1000:+.0f}",
                f"{timing.median_rss_bytes / MIB:.0f}",
                f"{timing.zip_bytes / MIB:.2f} / {timing.unzipped_bytes / MIB:.2f}" if is_handler else "-",
                ("yes" if timing.imports_from_zip_alone else "**no**") if is_handler else "-",
                offenders,
            )
        )
    return _table(
        (
            "import",
            "median ms",
            "vs boto3 ms",
            "RSS after MiB",
            "zip MiB (compressed / unzipped)",
            "imports from zip + runtime alone",
            "top offenders (self ms per package)",
        ),
        rows,
    )


def tokens_table(results: Results) -> str:
    tokens = results.tokens
    return _table(
        (
            "SP-API calls",
            "sellers",
            "LWA exchanges",
            "secret reads",
            "token item reads",
            "KMS decrypts",
            "calls/s",
        ),
        [
            (
                tokens.spapi_calls,
                tokens.sellers,
                tokens.lwa_exchanges,
                tokens.secret_reads,
                tokens.token_item_reads,
                tokens.kms_decrypts,
                f"{tokens.calls_per_second:.0f}",
            )
        ],
    )


def rate_table(results: Results) -> str:
    return _table(
        ("threads", "calls", "rate/s", "burst", "seconds", "minimum s", "ratio", "429 seen", "surfaced"),
        [
            (
                run.threads,
                run.calls,
                f"{run.rate:g}",
                run.burst,
                f"{run.seconds:.2f}",
                f"{run.theoretical_seconds:.2f}",
                f"{run.ratio:.2f}",
                run.throttled_seen,
                run.surfaced,
            )
            for run in results.rate_limits
        ],
    )


def notifications_table(results: Results) -> str:
    return _table(
        (
            "batch size",
            "messages",
            "duplicates",
            "unrequested",
            "invocations",
            "seconds",
            "messages/s",
            "in AWS calls s",
            "handler's own CPU ms/message",
            "executions started",
            "unique requested",
        ),
        [
            (
                run.batch_size,
                run.messages,
                run.duplicates,
                run.unrequested,
                run.invocations,
                f"{run.seconds:.2f}",
                f"{run.messages_per_second:.0f}",
                f"{run.aws_seconds:.2f}",
                f"{run.own_cpu_seconds_per_message * 1000:.2f}",
                run.executions_started,
                run.requested_reports,
            )
            for run in results.notifications
        ],
    )


def overhead_table(results: Results) -> str:
    return _table(
        ("batch size", "messages", "invocations", "CPU s", "CPU ms/message"),
        [
            (
                probe.batch_size,
                probe.messages,
                probe.invocations,
                f"{probe.cpu_seconds:.2f}",
                f"{probe.cpu_seconds / probe.messages * 1000:.2f}",
            )
            for probe in results.overhead_probes
        ],
    )


def terraform_table(results: Results) -> str:
    memory, batch, current = results.store_memory, results.batch, results.terraform
    return _table(
        ("setting", "from the figures", "Terraform default", "why"),
        [
            (
                "report_storer memory_size",
                f"{memory.memory_mb} MB",
                f"{current.store_memory_mb} MB" if current.store_memory_mb else "not found",
                f"projected peak {memory.projected_peak_mib:.0f} MiB (x2 headroom); "
                f"{memory.cpu_seconds_per_gib:.1f} CPU s per GiB → a {DESIGN_REPORT_GIB} GiB report in "
                f"≈ {memory.design_report_seconds:.0f} s at {memory.memory_mb / FULL_VCPU_MB:.2f} vCPU "
                f"(timeout {memory.timeout_seconds} s)",
            ),
            (
                "notifications_processor batch_size",
                str(batch.batch_size),
                str(current.batch_size) if current.batch_size else "not found",
                f"handler's per-invocation overhead {batch.overhead_seconds * 1000:.1f} ms, a message "
                f"{batch.message_seconds * 1000:.1f} ms: {batch.overhead_share:.2%} of a batch of "
                f"{batch.batch_size}; above 10 needs a ≥ 1 s batching window",
            ),
        ],
    )


def _notification_counts(results: Results) -> str:
    return ", ".join(f"{run.messages} in batches of {run.batch_size}" for run in results.notifications)


def _transitions(results: Results) -> str:
    return f"{len(results.transitions)}: " + ", ".join(results.transitions)


def cost_findings(results: Results) -> str:
    """The biggest line of each size, and what would cut it."""
    notes = []
    for cost in results.costs:
        biggest = cost.biggest
        share = biggest.usd / cost.total if cost.total else 0.0
        if biggest.item.startswith("S3 Standard"):
            cut = (
                "storing the report gzipped as SP-API delivers it (about a third of the bytes for this "
                "report), or a lifecycle rule moving reports to Standard-IA or expiring them"
            )
        elif biggest.item.startswith("Step Functions"):
            cut = (
                f"an Express workflow (${cost.express_usd:.4f}), if the execution fits Express's 5 minutes "
                "and at-least-once runs: the store's throttling retries wait up to 300 s, which it does not"
            )
        elif biggest.item.startswith("Lambda report_storer"):
            cut = "a faster inflate or more memory (CPU share) for the store step"
        else:
            cut = "fewer requests of that kind per report"
        notes.append(
            f"- {cost.size_label}: ${cost.total:.4f} per 1,000 reports; the biggest line is {biggest.item} "
            f"(${biggest.usd:.4f}, {share:.0%}); what would cut it: {cut}. The store step runs "
            f"{cost.store_seconds:.2f} s on Lambda."
        )
    return "\n".join(notes)


def findings(results: Results) -> str:
    """Observations that follow from this run's figures."""
    notes = []
    streaming = [run for run in results.storage if run.method == "streaming" and run.sink == "standin"]
    if streaming:
        largest = max(streaming, key=lambda run: run.uncompressed_bytes)
        working_set = (largest.peak_rss_bytes - largest.baseline_rss_bytes) / MIB
        discard = _storage_run(results, largest.size_label, "streaming", "discard")
        notes.append(
            f"- Streaming holds a working set of {working_set:.0f} MiB above the process's baseline "
            f"({largest.baseline_rss_bytes / MIB:.0f} MiB with boto3 and requests loaded) whatever the "
            "report size: the parts s3transfer holds for upload (at most `PARTS_IN_MEMORY`, 6 MiB each) and "
            "the one being read. The naive way needs the compressed body, the whole report and "
            "`gzip.decompress`'s growing buffer: several times the report size."
        )
        if discard:
            notes.append(
                f"- Into the S3 stand-in the {largest.size_label} store takes {largest.wall_seconds:.1f} s "
                f"wall for {largest.cpu_seconds:.1f} CPU s; reading and gunzipping alone (discard sink) take "
                f"{discard.cpu_seconds:.1f} CPU s. Parts upload on up to 4 connections while the next part "
                "is read, so the link is not what limits the store on this machine. On Lambda it is the "
                "CPU: a 512 MB function has 0.29 vCPU, so the cost model projects the store's duration "
                "from its CPU seconds."
            )
    handlers = [t for t in results.cold_start if t.name != "boto3" and not t.name.endswith("(.pyc)")]
    if handlers:
        xray = [dict(t.offenders).get("aws_xray_sdk", 0.0) * 1000 for t in handlers]
        notes.append(
            f"- Cold start: `aws_xray_sdk` costs {min(xray):.0f}-{max(xray):.0f} ms of self time in every "
            "handler (its recorder creates two botocore clients at import). Creating the boto3 clients at "
            "module level and compiling the zip's sources (no `.pyc` in the zips: bytecode would have to "
            "come from the runtime's Python 3.13, which this machine lacks) make up most of the rest."
        )
    seen = sum(run.throttled_seen for run in results.rate_limits)
    if seen and not any(run.surfaced for run in results.rate_limits):
        notes.append(
            f"- Rate limiting: the {seen} 429(s) the emulator answered were retried by the client and never "
            "reached the caller. They come from the two buckets starting apart: the client's fills when it "
            "sends the first call, the emulator's when that call arrives, after the connection set-up, so "
            "the emulator's bucket runs a few milliseconds behind until a retry realigns them."
        )
    tokens = results.tokens
    notes.append(
        f"- Token economy: {tokens.lwa_exchanges} LWA exchanges and {tokens.secret_reads} secret read "
        f"for {tokens.spapi_calls} calls, as targeted; but every invocation reads the seller's refresh "
        f"token from DynamoDB and decrypts it with KMS ({tokens.token_item_reads} reads, "
        f"{tokens.kms_decrypts} decrypts here). A per-container cache of decrypted refresh tokens with a "
        "short lifetime would save a KMS request (billed, and rate-limited per account) per invocation."
    )
    return "\n".join(notes)


def console(results: Results) -> str:
    return "\n\n".join(
        (
            "Targets",
            targets_table(results),
            "1. Report storage",
            storage_table(results),
            "2. Cold start",
            cold_start_table(results),
            "3. Token economy",
            tokens_table(results),
            "4. Rate limiting",
            rate_table(results),
            "5. Notification throughput",
            notifications_table(results),
            "Terraform defaults",
            terraform_table(results),
            "Cost per 1,000 reports (us-east-1)",
            cost_table(results),
        )
    )


def markdown(results: Results) -> str:
    machine = results.machine
    storer = next((t for t in results.cold_start if t.name == WITH_BYTECODE), None)
    storer_pyc = next((t for t in results.cold_start if t.name == f"{WITH_BYTECODE} (.pyc)"), None)
    compile_note = ""
    interpreters = len(storer.seconds) if storer else 0
    if storer and storer_pyc:
        compile_note = (
            f" With bytecode at hand the same `{WITH_BYTECODE}` import takes "
            f"{storer_pyc.median_seconds * 1000:.0f} ms instead of {storer.median_seconds * 1000:.0f} ms: "
            "the difference is compiling the zip's sources, which Lambda does at every cold start because "
            "the zips carry no `.pyc` (they must be compiled by the runtime's Python version to be used)."
        )
    return f"""# Benchmarks

Generated by `make bench` (`python -m benchmarks`); do not edit by hand.

- Date: {machine.date}
- Commit: `{machine.commit}` (`+changes`: the working tree differed from it)
- Machine: {machine.describe()}
- Run time: {results.seconds / 60:.1f} min ({results.cpu_seconds / 60:.1f} min of CPU in its processes)

The machine is shared and noisy: compare figures within this page (they were measured in the same run),
not against another run's. CPU seconds are steadier than wall seconds when the machine is busy.

## Targets

{targets_table(results)}

## 1. Report storage: streaming (ours) vs naive vs `gzip -dc`

A synthetic listings report (tab-separated, 20 columns like GET_MERCHANT_LISTINGS_ALL_DATA, gzip level 6)
is served by the SP-API emulator over loopback from this process. It is stored into two S3s: the *S3
stand-in* (`benchmarks/s3_standin.py`: a local server speaking the calls our store makes, discarding the
bytes at {UPLOAD_BANDWIDTH / 1e6:.0f} MB/s per connection with {FIRST_BYTE_LATENCY * 1000:.0f} ms per
request, Lambda -> S3 in-region, each default's source in the module) and *moto S3* (in a process of its
own; its `CompleteMultipartUpload` re-assembles every part in memory, so it measures moto). Each method runs
in a fresh child process, so the peak RSS (the child's own VmHWM) is its alone.
*streaming* is our store step (`spapi.documents.iter_report_document`, ISA-L inflate, into
`reports_pipeline.report_storage.store_report_document`: s3transfer uploads 6 MiB parts on up to 4
connections while the next part is read); *naive* is the reference samples' way (`requests.get(url).content`,
`gzip.decompress`, one `put_object`); *discard* counts and drops the bytes; `gzip -dc file > /dev/null` is
this machine's decompression limit. Wall time starts after the imports.

{storage_table(results)}

{s3_breakdown(results)}

![RSS over time, streaming vs naive, 1 GiB report into the S3 stand-in]({CHART_NAME})

## 2. Cold start

Median import time of each handler module over {interpreters} fresh interpreters, imported from its
unpacked zip the way Lambda does it (no bytecode for the zip's modules, `python -S -B`), beside a
stand-in for the runtime's own packages (boto3, botocore, s3transfer, jmespath, dateutil, six);
`import boto3` alone is measured the same way in the same rounds. Top offenders: self time per top-level
package from one `-X importtime` run
(`handlers` includes the module bodies, which create the boto3 clients).{compile_note}

{cold_start_table(results)}

"imports from zip + runtime alone" checks the handler imports with only its zip and the runtime's packages.
The first run of this benchmark found it failing everywhere: Powertools' `Tracer()` imports `aws_xray_sdk`,
which `aws-lambda-powertools` installs only with its `tracer` extra; the zips now ship that extra (and a test
keeps it so). `aws_xray_sdk.core` creates two botocore clients at import, hence its place among the offenders.

## 3. Token economy

One warm process serving {results.tokens.spapi_calls} invocations for {results.tokens.sellers} sellers
through the handlers' `SpApiClients` (each invocation asks for the seller's Reports client and makes one
call). LWA exchanges are counted by the emulator, AWS calls by botocore event hooks on moto's in-process
clients. The refresh token itself is read from DynamoDB and decrypted with KMS on every invocation.

{tokens_table(results)}

## 4. Rate limiting

getReport against a scaled-down usage plan, the same on both sides: the emulator's bucket (`set_rate`) and
the client's (`RateLimiter`). Minimum time `(N - burst) / rate`; 429s seen by the emulator vs errors that
reached the caller.

{rate_table(results)}

## 5. Notification throughput

REPORT_PROCESSING_FINISHED notifications ({_notification_counts(results)}; 10 % duplicates, 5 % for
reports nobody requested) through `handlers.notifications_processor.handler` in-process, in SQS batches,
against moto's DynamoDB (reports table pre-seeded) and Step Functions (a trivial state machine; executions
recorded, not run). Each batch size uses fresh report ids. Most of the time is moto's (its DynamoDB
evaluates every conditional write in pure Python); the handler's own CPU time per message is what our
code costs.

{notifications_table(results)}

The handler's fixed cost per invocation, measured apart from moto: messages of another notification type,
which it logs and drops without an AWS call, in batches of 1 and of 10 (CPU time of this process).

{overhead_table(results)}

## 6. Cost per 1,000 reports

`benchmarks/cost_model.py` prices one DONE report's work in us-east-1: Lambda GB-s from the memory sizes and
architecture in `terraform/` and the durations measured here (the store step: its run into the S3 stand-in,
at the larger of its wall time and its CPU seconds at the vCPU share its memory buys; report_creator: one
call through the handlers' SP-API clients, token read and decrypt included, from section 3;
notifications_processor and report_notifier: a notification's time through the processor in section 5, the
notifier's work being one record read, one write and one publish like it), Lambda requests, the
Step Functions Standard transitions of one execution ({_transitions(results)}, walked from the ASL),
SQS (SP-API's SendMessage; receive and delete per batch), DynamoDB on-demand,
KMS, S3 requests and one month of S3 Standard for the (uncompressed) report, the SNS email and Secrets Manager
reads (an upper bound: one per invocation; the handlers read it once per container). Free tiers, the $1/month
KMS key and $0.40/month secret are per account, not per report, and are left out.

{cost_table(results)}

{cost_findings(results)}

Prices:

{price_table()}

## What the figures say

{findings(results)}

## Terraform defaults from these figures

{terraform_table(results)}

The store function's memory is the smallest Lambda size that holds twice the projected peak RSS (the
`report_storer` module's RSS after its cold start plus the streaming working set above the measuring
process's baseline) and stores a {DESIGN_REPORT_GIB} GiB report within half its timeout at the CPU share
that memory buys (Lambda gives one vCPU at {FULL_VCPU_MB} MB), from the CPU seconds per GiB of the
streaming → S3 run. The processor's batch size stays the largest SQS delivers without a batching window,
because the fitted per-invocation overhead is a small share of a batch: larger batches would only add a
delay to every notification. `terraform/main.tf` (store memory) and `terraform/modules/queue/variables.tf`
(batch size) point here.
"""
