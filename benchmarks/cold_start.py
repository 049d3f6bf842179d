"""Benchmark 2: cold start of each Lambda, beside `import boto3` alone, and the size of each zip.

Each handler is imported the way Lambda imports it: from its unpacked zip (`.build/lambda/<name>.zip`), with
no bytecode cache for the zip's modules (Lambda's /var/task is read-only and the zips carry no .pyc, so the
code is compiled at every cold start), next to a stand-in for the runtime's own packages (boto3, botocore,
s3transfer and their dependencies, from our virtualenv), without site-packages (`python -S -B`). The
environment variables each handler reads at cold start (its `_config.required([...])` list, found in its
source) get dummy values.

Whether each handler imports from its zip and the runtime's packages alone is recorded too: the first run of
this benchmark found that none did (Powertools' Tracer imports `aws_xray_sdk`, which the zips then lacked);
the zips now ship `aws-lambda-powertools[tracer]`, and tests/packaging/test_zip_imports.py keeps it so.
"""

from __future__ import annotations

import ast
import shutil
import statistics
import subprocess
import sys
import sysconfig
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from handlers import FUNCTIONS as HANDLERS

REPO_ROOT = Path(__file__).resolve().parent.parent
# What every Python Lambda runtime provides (boto3 and what it imports).
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six.py", "urllib3")
WITH_BYTECODE = "report_storer"
BASE_ENVIRONMENT = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
    "POWERTOOLS_SERVICE_NAME": "sp-reports-bench",
    "POWERTOOLS_METRICS_NAMESPACE": "sp-reports-bench",
}
_PROBE = (
    "import time\n"
    "started = time.perf_counter()\n"
    "import {module}\n"
    "elapsed = time.perf_counter() - started\n"
    "rss = next(l for l in open('/proc/self/status') if l.startswith('VmRSS:')).split()[1]\n"
    "print(elapsed, int(rss) * 1024)\n"
)


@dataclass
class ImportTiming:
    name: str  # handler name, or "boto3"
    seconds: list[float] = field(default_factory=list)
    rss_bytes: list[int] = field(default_factory=list)
    offenders: list[tuple[str, float]] = field(default_factory=list)  # (top-level package, self seconds)
    zip_bytes: int = 0
    unzipped_bytes: int = 0
    imports_from_zip_alone: bool | None = None

    @property
    def median_seconds(self) -> float:
        return statistics.median(self.seconds)

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


def _runtime_directory(work_dir: Path, packages: tuple[str, ...]) -> Path:
    """A directory of links to the virtualenv's copies of `packages` (the Lambda runtime's stand-in)."""
    site_packages = Path(sysconfig.get_paths()["purelib"])
    directory = work_dir / ("runtime-" + "-".join(name.split(".")[0] for name in packages))
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    for name in packages:
        source = site_packages / name
        if not source.exists():
            raise FileNotFoundError(f"{source} is missing from the virtualenv")
        (directory / name).symlink_to(source)
    return directory


def _unpack(zip_path: Path, directory: Path) -> tuple[int, int]:
    shutil.rmtree(directory, ignore_errors=True)
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(directory)
        unzipped = sum(info.file_size for info in archive.infolist())
    return zip_path.stat().st_size, unzipped


def _run_probe(module: str, path: list[Path], env: dict[str, str], importtime: bool = False):
    # -B: the zip's modules are compiled from source every time, as on Lambda. A target whose env names a
    # PYTHONPYCACHEPREFIX instead keeps its bytecode there (the "what if the zip shipped .pyc" variant).
    command = [sys.executable, "-S"] if "PYTHONPYCACHEPREFIX" in env else [sys.executable, "-S", "-B"]
    if importtime:
        command += ["-X", "importtime"]
    command += ["-c", _PROBE.format(module=module)]
    environment = {**env, "PYTHONPATH": ":".join(str(entry) for entry in path)}
    return subprocess.run(  # noqa: S603
        command, env=environment, capture_output=True, text=True, timeout=120, check=False, cwd="/"
    )


def top_offenders(importtime_stderr: str, count: int = 3) -> list[tuple[str, float]]:
    """Self time of every imported module, added up per top-level package, largest first."""
    totals: dict[str, float] = defaultdict(float)
    for line in importtime_stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _cumulative, module = (part.strip() for part in line[len("import time:") :].split("|"))
        totals[module.split(".")[0]] += int(self_us) / 1e6
    return sorted(totals.items(), key=lambda item: item[1], reverse=True)[:count]


def run(work_dir: Path, zip_dir: Path, repeats: int = 10) -> list[ImportTiming]:
    work_dir, zip_dir = work_dir.resolve(), zip_dir.resolve()  # the probes run from /
    work_dir.mkdir(parents=True, exist_ok=True)
    base_env = {"PATH": "/usr/bin:/bin", "HOME": str(work_dir), **BASE_ENVIRONMENT}
    runtime = _runtime_directory(work_dir, RUNTIME_PACKAGES)

    targets: dict[str, tuple[str, list[Path], dict[str, str]]] = {"boto3": ("boto3", [runtime], base_env)}
    timings = {"boto3": ImportTiming("boto3")}
    for name in HANDLERS:
        unpacked = work_dir / "unpacked" / name
        timing = ImportTiming(name)
        timing.zip_bytes, timing.unzipped_bytes = _unpack(zip_dir / f"{name}.zip", unpacked)
        env = dict(base_env)
        for variable in required_environment(REPO_ROOT / "src" / "handlers" / f"{name}.py"):
            env[variable] = dummy_value(variable)
        alone = _run_probe(f"handlers.{name}", [unpacked, runtime], env)
        timing.imports_from_zip_alone = alone.returncode == 0
        targets[name] = (f"handlers.{name}", [unpacked, runtime], env)
        timings[name] = timing
    # The same import with bytecode at hand, to show what compiling the zip's sources costs each cold start.
    module, path, env = targets[WITH_BYTECODE]
    cache = work_dir / "pycache"
    shutil.rmtree(cache, ignore_errors=True)
    cached_env = {**env, "PYTHONPYCACHEPREFIX": str(cache)}
    _run_probe(module, path, cached_env)  # writes the cache
    targets[f"{WITH_BYTECODE} (.pyc)"] = (module, path, cached_env)
    timings[f"{WITH_BYTECODE} (.pyc)"] = ImportTiming(f"{WITH_BYTECODE} (.pyc)")

    # Round-robin, so that a burst of load on the shared machine spreads over every target alike.
    for _ in range(repeats):
        for name, (module, path, env) in targets.items():
            probe = _run_probe(module, path, env)
            if probe.returncode != 0:
                raise RuntimeError(f"import {module} failed:\n{probe.stderr[-2000:]}")
            seconds, rss = probe.stdout.split()
            timings[name].seconds.append(float(seconds))
            timings[name].rss_bytes.append(int(rss))
    for name, (module, path, env) in targets.items():
        probe = _run_probe(module, path, env, importtime=True)
        timings[name].offenders = top_offenders(probe.stderr)
    return list(timings.values())
