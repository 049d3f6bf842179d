"""Each built zip imports on its own, under the runtime's Python, beside only what the Lambda runtime
provides; with tracing off it does not import the X-Ray SDK.

Our virtualenv has more installed than a Lambda container (moto pulls in the X-Ray SDK, for one), so handler
tests that import from it cannot notice a dependency missing from a zip. This imports each handler the way
Lambda does: CPython 3.13 (the runtime's version), from its unpacked zip (with the bytecode it carries), then
the runtime's boto3 and friends, without site-packages.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

import package_lambdas
from benchmarks import cold_start
from sp_reports_harness.local_aws.awslambda import runtime as lambda_runtime
from sp_reports_harness.repository import REPO_ROOT
from spapi_emulator.contract import default_models_dir

ZIP_DIR = REPO_ROOT / ".build" / "lambda"


@pytest.fixture(scope="module")
def runtime():
    """The runtime's Python and its SDK stand-in (built once, shared with local AWS and the benchmark)."""
    if not (ZIP_DIR / "manifest.json").exists():
        pytest.fail(f"{ZIP_DIR} has no zips: run `make package` first (make test does)")
    python = cold_start.runtime_python(ZIP_DIR)
    return python, lambda_runtime.stand_in(python)


def _probe(handler: str, tmp_path: Path, runtime, *, tracing: bool):
    python, packages = runtime
    unpacked = tmp_path / handler
    cold_start._unpack(ZIP_DIR / f"{handler}.zip", unpacked)
    base = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **cold_start.BASE_ENVIRONMENT}
    env = cold_start.lambda_environment(handler, unpacked, base, tracing=tracing)
    return cold_start._run_probe(python, f"sp_reports.handlers.{handler}", [unpacked, packages], env)


@pytest.mark.parametrize("handler", cold_start.HANDLERS)
def test_handler_imports_from_its_zip_and_the_runtime_packages_alone_without_x_ray(
    handler, tmp_path, runtime
):
    probe = _probe(handler, tmp_path, runtime, tracing=False)

    assert probe.returncode == 0, (
        f"sp_reports.handlers.{handler} does not import from its zip:\n{probe.stderr[-1500:]}"
    )
    _seconds, _rss, xray_imported, _cpu, _clients = cold_start.probe_figures(probe.stdout)
    assert xray_imported == "0", f"sp_reports.handlers.{handler} imported aws_xray_sdk with tracing off"


@pytest.mark.parametrize(
    ("handler", "at_import", "on_first_use"),
    [
        ("report_status", ("dynamodb",), "sts"),
        ("report_notifier", ("dynamodb", "sns"), "sts"),
        ("report_sweeper", ("dynamodb", "kms", "secretsmanager"), "stepfunctions"),
    ],
)
def test_a_client_only_some_paths_call_is_not_created_at_the_cold_start(
    handler, at_import, on_first_use, tmp_path, runtime
):
    probe = _probe(handler, tmp_path, runtime, tracing=False)

    assert probe.returncode == 0, probe.stderr[-1500:]
    clients = cold_start.probe_clients(probe.stdout)
    assert clients == at_import and on_first_use not in clients


def test_with_tracing_on_the_x_ray_sdk_is_imported_and_works_from_the_zip(tmp_path, runtime):
    probe = _probe("report_storer", tmp_path, runtime, tracing=True)

    assert probe.returncode == 0, probe.stderr[-1500:]
    assert cold_start.probe_figures(probe.stdout)[2] == "1"


def test_the_function_list_names_every_handler_module_and_nothing_else():
    import sp_reports.handlers as handlers

    modules = {p.stem for p in Path(handlers.__file__).parent.glob("*.py") if not p.stem.startswith("_")}
    assert set(handlers.FUNCTIONS) == modules
    assert len(handlers.FUNCTIONS) == len(modules)


@pytest.mark.parametrize("handler", cold_start.HANDLERS)
def test_each_zip_carries_the_report_type_catalogue(handler):
    import zipfile

    zip_path = ZIP_DIR / f"{handler}.zip"
    if not zip_path.exists():
        pytest.fail(f"{zip_path} is missing: run `make package` first (make test does)")
    with zipfile.ZipFile(zip_path) as archive:
        assert "sp_reports/spapi/report_types.json" in archive.namelist()


def test_the_emulator_handler_imports_and_loads_its_models_from_its_zip_and_the_runtime_packages_alone(
    tmp_path, runtime
):
    """spapi_emulator.zip (package_lambdas --emulator): the handler imports under the runtime's Python with
    only the runtime's SDK beside it (no requests, no werkzeug/jsonschema but its own), and a container's
    first call can build its deployment: the SP-API models it carries load and compile their schemas."""
    python, packages = runtime
    target = package_lambdas.target_from_terraform(REPO_ROOT / "terraform")
    requirements = package_lambdas.emulator_requirements(REPO_ROOT / "pyproject.toml")
    deps = package_lambdas.install_locked(
        package_lambdas.EMULATOR_LOCK_FILE, target, REPO_ROOT / ".build", requirements
    )
    built = package_lambdas.build_emulator(
        tmp_path / "zip",
        src_dir=REPO_ROOT / "src",
        models_dir=default_models_dir(),
        deps_dir=deps,
        runtime_python=python,
    )
    unpacked = tmp_path / "task"
    cold_start._unpack(built, unpacked)
    probe = (
        "import spapi_emulator.lambda_function as f\n"
        "d = f.Deployment()\n"
        "op = d.contract.operation('createReport')\n"
        "import sys\n"
        "print(op is not None, 'requests' in sys.modules, sys.modules['jsonschema'].__file__)\n"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "PYTHONPATH": f"{unpacked}:{packages}",
        "SPAPI_EMULATOR_STATE_BUCKET": "spapi-emulator-state",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    result = subprocess.run(  # noqa: S603 - the runtime's Python on our own probe
        [str(python.executable), "-S", "-B", "-c", probe],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, f"the emulator does not load from its zip:\n{result.stderr[-1500:]}"
    found, requests_imported, jsonschema_file = result.stdout.split()
    assert found == "True" and requests_imported == "False"
    assert jsonschema_file.startswith(str(unpacked))
