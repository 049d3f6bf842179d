"""Each built zip imports on its own, beside only what the Lambda runtime provides.

Our virtualenv has more installed than a Lambda container (moto pulls in the X-Ray SDK, for one), so handler
tests that import from it cannot notice a dependency missing from a zip. This imports each handler the way
Lambda does: from its unpacked zip, then the runtime's boto3 and friends, without site-packages.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import cold_start

ZIP_DIR = Path(__file__).resolve().parents[2] / ".build" / "lambda"


@pytest.mark.parametrize("handler", cold_start.HANDLERS)
def test_handler_imports_from_its_zip_and_the_runtime_packages_alone(handler, tmp_path):
    zip_path = ZIP_DIR / f"{handler}.zip"
    if not zip_path.exists():
        pytest.fail(f"{zip_path} is missing: run `make package` first (make test does)")
    unpacked = tmp_path / handler
    cold_start._unpack(zip_path, unpacked)
    runtime = cold_start._runtime_directory(tmp_path, cold_start.RUNTIME_PACKAGES)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **cold_start.BASE_ENVIRONMENT}
    source = Path(__file__).resolve().parents[2] / "src" / "handlers" / f"{handler}.py"
    env.update({name: cold_start.dummy_value(name) for name in cold_start.required_environment(source)})

    probe = cold_start._run_probe(f"handlers.{handler}", [unpacked, runtime], env)

    assert probe.returncode == 0, f"handlers.{handler} does not import from its zip:\n{probe.stderr[-1500:]}"


def test_the_function_list_names_every_handler_module_and_nothing_else():
    import handlers

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
        assert "spapi/report_types.json" in archive.namelist()
