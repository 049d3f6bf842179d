"""Benchmark 2: cold start of each Lambda under the runtime's Python, beside `import boto3` alone.

Each handler is imported the way Lambda imports it: by an interpreter of the runtime's version (CPython 3.13
for python3.13, found like scripts/package_lambdas.py finds it), from its unpacked zip
(`.build/lambda/<name>.zip`, which carries the bytecode that version compiled), next to a stand-in for the
runtime's own packages (boto3, botocore, s3transfer and their dependencies: copies of our virtualenv's,
compiled by the same interpreter once, as the runtime ships them compiled;
`sp_reports_harness.local_aws.awslambda.runtime`
builds it, and local AWS runs its functions with it too), without site-packages and without writing
bytecode (`python -S -B`: /var/task is read-only). `LAMBDA_TASK_ROOT` is set as in Lambda, and
tracing is off (`POWERTOOLS_TRACE_DISABLED=true`) except in the "tracing on" variant. The environment
variables each handler reads at cold start (its `_config.required([...])` list, found in its source) get
dummy values.

Beside each handler, "boto3 + <its clients>" imports boto3 and creates the boto3 clients that handler holds
once imported (found by the handler's own probe, after its timing: the live botocore clients and their
services), in one interpreter like the others: the part of a cold start that is botocore's (the first client
loads the endpoint data and scans the service models, each client its model and endpoint rule set), which no
code of ours can cut short of not creating the client. The handler's figure less that one is what our own
imports and module bodies cost. Handlers holding the same clients share one such row.

Two variants of one handler show what each measure saves: "no .pyc" imports the zip's sources alone (what a
zip without bytecode costs: Lambda compiles them at every cold start), "tracing on" lets Powertools' Tracer
import the X-Ray SDK and patch the libraries, as a function with tracing on does.

Whether each handler imports from its zip and the runtime's packages alone is recorded too:
tests/packaging/test_zip_imports.py keeps it so.
"""

from __future__ import annotations

import ast
import json
import shutil
import statistics
import subprocess
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import lambda_bytecode  # scripts/: the packaging script's finder of the runtime's Python
from sp_reports.handlers import FUNCTIONS as HANDLERS
from sp_reports_harness.local_aws.awslambda import runtime as lambda_runtime
from sp_reports_harness.repository import REPO_ROOT

VARIANT_HANDLER = "report_storer"
NO_BYTECODE = "no .pyc"
TRACING_ON = "tracing on"
# The rows of `import boto3` plus the clients a handler holds after its import: "boto3 + dynamodb, kms".
CLIENTS_PREFIX = "boto3 + "
BASE_ENVIRONMENT = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
    "POWERTOOLS_SERVICE_NAME": "sp-reports-bench",
    "POWERTOOLS_METRICS_NAMESPACE": "sp-reports-bench",
}
_PROBE = (
    "import time\n"
    "started, cpu_started = time.perf_counter(), time.process_time()\n"
    "import {module}\n"
    "elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started\n"
    "rss = next(l for l in open('/proc/self/status') if l.startswith('VmRSS:')).split()[1]\n"
    "modules = __import__('sys').modules\n"
    "xray = 'aws_xray_sdk' in modules\n"
    # After the timing: which boto3 clients the import created (lazily created ones are not there yet).
    "client = modules.get('botocore.client')\n"
    "names = sorted({{o.meta.service_model.service_name for o in __import__('gc').get_objects()\n"
    "    if client and isinstance(o, client.BaseClient)}})\n"
    "print(elapsed, int(rss) * 1024, int(xray), cpu, ','.join(names) or '-')\n"
)


def clients_label(clients: tuple[str, ...]) -> str:
    return CLIENTS_PREFIX + ", ".join(clients)


@dataclass
class ImportTiming:
    name: str  # handler name, or "boto3"
    variant: str = ""  # "", NO_BYTECODE or TRACING_ON
    seconds: list[float] = field(default_factory=list)
    cpu_seconds: list[float] = field(default_factory=list)
    rss_bytes: list[int] = field(default_factory=list)
    offenders: list[tuple[str, float]] = field(default_factory=list)  # (top-level package, self seconds)
    zip_bytes: int = 0
    unzipped_bytes: int = 0
    imports_from_zip_alone: bool | None = None
    xray_imported: bool | None = None
    python: str = ""  # the interpreter's version, e.g. "3.13.0"
    clients: tuple[str, ...] = ()  # the boto3 clients alive after the import (services, sorted)

    @property
    def label(self) -> str:
        return f"{self.name} ({self.variant})" if self.variant else self.name

    @property
    def is_handler(self) -> bool:
        """One of the functions as deployed (not boto3 alone, not a variant)."""
        return self.name in HANDLERS and not self.variant

    @property
    def median_seconds(self) -> float:
        return statistics.median(self.seconds)

    @property
    def median_cpu_seconds(self) -> float:
        return statistics.median(self.cpu_seconds)

    @property
    def median_rss_bytes(self) -> int:
        return int(statistics.median(self.rss_bytes))


def required_environment(handler_source: Path) -> list[str]:
    """The names in the handler's `_config.required([...])` calls: what it reads at cold start."""
    names: list[str] = []
    for node in ast.walk(ast.parse(handler_source.read_text())):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "required"
            and node.args
            and isinstance(node.args[0], ast.List | ast.Tuple)
        ):
            names.extend(
                element.value
                for element in node.args[0].elts
                if isinstance(element, ast.Constant) and isinstance(element.value, str)
            )
    return names


def dummy_value(name: str) -> str:
    if name.endswith("_ARN"):
        service = "states:stateMachine" if "STATE_MACHINE" in name else "sqs"
        if "SECRET" in name:
            return "arn:aws:secretsmanager:us-east-1:123456789012:secret:sp-reports/lwa-AbCdEf"
        if "TOPIC" in name:
            return "arn:aws:sns:us-east-1:123456789012:sp-reports-ready"
        if service == "sqs":
            return "arn:aws:sqs:us-east-1:123456789012:sp-reports-notifications"
        return "arn:aws:states:us-east-1:123456789012:stateMachine:sp-reports-report-workflow"
    if name.endswith("KEY_ID"):
        return "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000"
    return f"sp-reports-bench-{name.lower().replace('_', '-')}"


def runtime_python(zip_dir: Path) -> lambda_bytecode.RuntimePython:
    """The interpreter of the runtime the zips were built for (manifest.json); an error when absent."""
    runtime = json.loads((zip_dir / "manifest.json").read_text())["runtime"]
    python, tried = lambda_runtime.find_runtime_python(runtime)
    if python is None:
        version = runtime.removeprefix("python")
        raise RuntimeError(
            f"no CPython {version} found (tried: {', '.join(tried) or 'nothing'}): the cold start is "
            f"measured with the runtime's Python; install it (pyenv install {version})"
            f" or set {lambda_runtime.RUNTIME_PYTHON_ENV}"
        )
    return python


def _unpack(zip_path: Path, directory: Path, *, bytecode: bool = True) -> tuple[int, int]:
    shutil.rmtree(directory, ignore_errors=True)
    with zipfile.ZipFile(zip_path) as archive:
        members = [info for info in archive.infolist() if bytecode or "__pycache__/" not in info.filename]
        archive.extractall(directory, members)
        unzipped = sum(info.file_size for info in archive.infolist())
    return zip_path.stat().st_size, unzipped


def lambda_environment(
    handler: str, unpacked: Path, base: dict[str, str], *, tracing: bool
) -> dict[str, str]:
    """What the handler's process sees in Lambda: its configuration, LAMBDA_TASK_ROOT, tracing on or off."""
    env = {**base, "LAMBDA_TASK_ROOT": str(unpacked)}
    if not tracing:
        env["POWERTOOLS_TRACE_DISABLED"] = "true"
    for variable in required_environment(REPO_ROOT / "src" / "sp_reports" / "handlers" / f"{handler}.py"):
        env[variable] = dummy_value(variable)
    return env


def _run_probe(
    python: lambda_bytecode.RuntimePython,
    module: str,
    path: list[Path],
    env: dict[str, str],
    importtime: bool = False,
):
    # -B: nothing is written (/var/task is read-only); bytecode shipped in the zip is still read.
    command = [str(python.executable), "-S", "-B"]
    if importtime:
        command += ["-X", "importtime"]
    command += ["-c", _PROBE.format(module=module)]
    environment = {**env, "PYTHONPATH": ":".join(str(entry) for entry in path)}
    return subprocess.run(  # noqa: S603
        command, env=environment, capture_output=True, text=True, timeout=120, check=False, cwd="/"
    )


def top_offenders(importtime_stderr: str, count: int = 3) -> list[tuple[str, float]]:
    """Self time of every imported module, added up per top-level package (ours per package of the
    sp_reports namespace: sp_reports.handlers, sp_reports.pipeline, ...), largest first."""
    totals: dict[str, float] = defaultdict(float)
    for line in importtime_stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _cumulative, module = (part.strip() for part in line[len("import time:") :].split("|"))
        parts = module.split(".")
        totals[".".join(parts[:2] if parts[0] == "sp_reports" else parts[:1])] += int(self_us) / 1e6
    return sorted(totals.items(), key=lambda item: item[1], reverse=True)[:count]


def probe_figures(probe_stdout: str) -> list[str]:
    """The probe's figures: its last line (a handler may log at import, e.g. a warning about its
    configuration, before the probe prints)."""
    return probe_stdout.strip().splitlines()[-1].split()


def probe_clients(probe_stdout: str) -> tuple[str, ...]:
    names = probe_figures(probe_stdout)[-1]
    return () if names == "-" else tuple(names.split(","))


def run(work_dir: Path, zip_dir: Path, repeats: int = 10) -> list[ImportTiming]:
    work_dir, zip_dir = work_dir.resolve(), zip_dir.resolve()  # the probes run from /
    work_dir.mkdir(parents=True, exist_ok=True)
    python = runtime_python(zip_dir)
    base_env = {"PATH": "/usr/bin:/bin", "HOME": str(work_dir), **BASE_ENVIRONMENT}
    runtime = lambda_runtime.stand_in(python)

    targets: dict[str, tuple[str, list[Path], dict[str, str]]] = {"boto3": ("boto3", [runtime], base_env)}
    timings = {"boto3": ImportTiming("boto3", python=python.full_version)}
    baseline = work_dir / "baseline"
    shutil.rmtree(baseline, ignore_errors=True)
    baseline.mkdir()
    for name in HANDLERS:
        unpacked = work_dir / "unpacked" / name
        timing = ImportTiming(name, python=python.full_version)
        timing.zip_bytes, timing.unzipped_bytes = _unpack(zip_dir / f"{name}.zip", unpacked)
        env = lambda_environment(name, unpacked, base_env, tracing=False)
        alone = _run_probe(python, f"sp_reports.handlers.{name}", [unpacked, runtime], env)
        timing.imports_from_zip_alone = alone.returncode == 0
        if alone.returncode == 0:
            timing.clients = probe_clients(alone.stdout)
        targets[name] = (f"sp_reports.handlers.{name}", [unpacked, runtime], env)
        timings[name] = timing
    for clients in sorted({timing.clients for timing in timings.values() if timing.clients}):
        label = clients_label(clients)
        module = "boto3_with_" + "_".join(clients).replace("-", "_")
        (baseline / f"{module}.py").write_text(
            f"import boto3\n\nclients = [boto3.client(name) for name in {clients!r}]\n"
        )
        targets[label] = (module, [baseline, runtime], base_env)
        timings[label] = ImportTiming(label, python=python.full_version, clients=clients)
    sources_only = work_dir / "unpacked" / f"{VARIANT_HANDLER}-sources"
    _unpack(zip_dir / f"{VARIANT_HANDLER}.zip", sources_only, bytecode=False)
    variants = {
        NO_BYTECODE: (
            sources_only,
            lambda_environment(VARIANT_HANDLER, sources_only, base_env, tracing=False),
        ),
        TRACING_ON: (
            work_dir / "unpacked" / VARIANT_HANDLER,
            lambda_environment(
                VARIANT_HANDLER, work_dir / "unpacked" / VARIANT_HANDLER, base_env, tracing=True
            ),
        ),
    }
    for variant, (unpacked, env) in variants.items():
        timing = ImportTiming(VARIANT_HANDLER, variant=variant, python=python.full_version)
        targets[timing.label] = (f"sp_reports.handlers.{VARIANT_HANDLER}", [unpacked, runtime], env)
        timings[timing.label] = timing

    # Round-robin, so that a burst of load on the shared machine spreads over every target alike.
    for _ in range(repeats):
        for label, (module, path, env) in targets.items():
            probe = _run_probe(python, module, path, env)
            if probe.returncode != 0:
                raise RuntimeError(f"import {module} ({label}) failed:\n{probe.stderr[-2000:]}")
            seconds, rss, xray, cpu, _clients = probe_figures(probe.stdout)
            timings[label].seconds.append(float(seconds))
            timings[label].cpu_seconds.append(float(cpu))
            timings[label].rss_bytes.append(int(rss))
            timings[label].xray_imported = xray == "1"
    for label, (module, path, env) in targets.items():
        probe = _run_probe(python, module, path, env, importtime=True)
        timings[label].offenders = top_offenders(probe.stderr)
    return list(timings.values())
