"""Our distribution beside the published SP-API clients: one top-level package, `sp_reports`, that no
SP-API package on PyPI uses, so our wheel installs with Amazon's SDK and python-amazon-sp-api in one
environment and nothing of either is overwritten.

The fresh-venv test needs the package index (as the peer tests do: PIP_INDEX_URL, else pip's, else PyPI) and
skips, saying why, without it; the top-level checks read only the built wheel.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.support import peer_venv

PROBE = Path(__file__).resolve().parent / "coexistence_probe.py"
OURS = {"sp_reports"}

# The top-level import names of the SP-API client packages published on PyPI, read from each distribution's
# file list (`pip download --no-deps <name>`, wheel or sdist, the versions below). A name of ours in this set
# would overwrite that package's files when both are installed.
PUBLISHED_SP_API_TOP_LEVEL = {
    "amzn-sp-api 1.13.0 (Amazon's SDK)": {"spapi"},
    "python-amazon-sp-api 2.1.35": {"sp_api"},
    "python-amazon-sp-api-async 0.0.3": {"sp_api_async", "make_endpoint", "docs", "tests"},
    "amzn-selling-partner 1.6.0": {"amzn_selling_partner"},
    "amazon-sp-api-clients 1.9.2": {"amazon_sp_api_clients"},
    "amazon-sp-api-python 0.1.1": {"py_sp_api"},
    "lw-spapi 1.0.12": {"spapi"},
    "sp-api-lib 1.1.0": {"sp_api_lib"},
    # Not an SP-API client, but the PyPI project named "spapi" (SPapi 1.1.2): its package is `SPapi`.
    "SPapi 1.1.2": {"SPapi"},
}


def wheel_top_level(wheel: Path) -> set[str]:
    """The top-level names the wheel installs into site-packages: its packages and modules, not its
    .dist-info or .data directories."""
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    packages = {name.split("/")[0] for name in names if "/" in name}
    modules = {name.removesuffix(".py") for name in names if "/" not in name and name.endswith(".py")}
    return {name for name in packages if not name.endswith((".dist-info", ".data"))} | modules


def wheel_top_level_txt(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        (listing,) = [name for name in archive.namelist() if name.endswith(".dist-info/top_level.txt")]
        return set(archive.read(listing).decode().split())


def test_the_wheel_installs_one_top_level_package_sp_reports(built_wheel: Path):
    assert wheel_top_level(built_wheel) == OURS
    assert wheel_top_level_txt(built_wheel) == OURS


def test_no_top_level_name_of_ours_is_one_a_published_sp_api_package_installs(built_wheel: Path):
    ours = {name.lower() for name in wheel_top_level(built_wheel) | wheel_top_level_txt(built_wheel)}
    for package, names in PUBLISHED_SP_API_TOP_LEVEL.items():
        # Lower-cased: on a case-insensitive file system `SPapi/` and `spapi/` are one directory.
        assert not ours & {name.lower() for name in names}, f"our wheel installs what {package} installs"


def _run(command: list[str], timeout: float = 600) -> subprocess.CompletedProcess[str]:
    # Nothing of the checkout on the path: pip would take the src/ on PYTHONPATH (with the editable
    # install's metadata beside it) for an installed sp-reports and skip our wheel.
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PYTHONHOME")}
    result = subprocess.run(  # noqa: S603 - our own venv and pip commands
        command, capture_output=True, text=True, timeout=timeout, check=False, env=env
    )
    assert result.returncode == 0, (
        f"{' '.join(command[:5])} ...:\n{result.stdout[-3000:]}{result.stderr[-3000:]}"
    )
    return result


def test_our_wheel_and_both_peer_clients_install_in_one_venv_and_all_import(
    built_wheel: Path, tmp_path: Path
):
    if not peer_venv.index_reachable():
        pytest.skip(f"the package index {peer_venv.index_url()} is unreachable")
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)])
    python = str(peer_venv.venv_python(venv))
    pip = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    # The peers as the peer tests pin them (versions and hashes), then our wheel with its dependencies.
    _run([*pip, "--require-hashes", "--only-binary=:all:", "-r", str(peer_venv.REQUIREMENTS)])
    _run([*pip, str(built_wheel)])
    _run([python, "-m", "pip", "check"])

    result = peer_venv.run_in_venv(Path(python), PROBE, "")
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(result.stdout)

    assert not found["errors"], found["errors"]
    site = Path(found["imported"]["amzn-sp-api"]).parents[1]
    assert Path(found["imported"]["sp_reports.spapi"]).is_relative_to(site / "sp_reports" / "spapi")
    assert Path(found["imported"]["sp_reports.client"]).is_relative_to(site / "sp_reports" / "client")
    assert Path(found["imported"]["amzn-sp-api"]) == site / "spapi" / "client.py"
    assert found["imported"]["SPAPIClient"] == "spapi.client"
    assert Path(found["imported"]["python-amazon-sp-api"]).is_relative_to(site / "sp_api")
    # No file installed by two of the distributions: pip overwrites such a file without a word.
    owners: dict[str, list[str]] = {}
    for distribution, files in found["files"].items():
        for path in files:
            owners.setdefault(path, []).append(distribution)
    shared = {path: names for path, names in owners.items() if len(names) > 1}
    assert not shared, shared
