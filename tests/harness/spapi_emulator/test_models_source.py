"""Where the SP-API models come from (`default_models_dir`) and how `scripts/fetch_models.py` guards its copy.

The decision is tested, not the download: the downloader is replaced, so nothing here needs the network.
"""

from __future__ import annotations

import hashlib
import importlib.util
import shutil
from pathlib import Path

import pytest

from sp_reports_harness.repository import REPO_ROOT
from spapi_emulator import contract
from spapi_emulator.contract import (
    FETCH,
    MODEL_FILES,
    NOTIFICATION_SCHEMA_FILE,
    USE,
    VERIFY,
    ModelsNotFoundError,
    ModelsSource,
    default_models_dir,
    models_source,
)

ALL_MODEL_FILES = (*MODEL_FILES, NOTIFICATION_SCHEMA_FILE)


def _load_fetch_models():
    spec = importlib.util.spec_from_file_location("fetch_models", REPO_ROOT / "scripts" / "fetch_models.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


fetch_models = _load_fetch_models()


def _complete_copy(directory: Path, models_dir: Path) -> Path:
    directory.mkdir(parents=True)
    for name in ALL_MODEL_FILES:
        shutil.copy(models_dir / name, directory / name)
    return directory


@pytest.fixture
def places(tmp_path, monkeypatch):
    """No SPAPI_MODELS_DIR, no models beside the module (as in a checkout), the fetched copy in tmp_path."""
    monkeypatch.delenv("SPAPI_MODELS_DIR", raising=False)
    monkeypatch.setattr(contract, "BUNDLED_MODELS_DIR", tmp_path / "bundled")
    monkeypatch.setattr(contract, "FETCHED_MODELS_DIR", tmp_path / "fetched")
    return tmp_path


# (SPAPI_MODELS_DIR set, complete copy in the zip, complete copy in .build) -> (directory, action)
SOURCES = [
    pytest.param(True, False, False, ("local", VERIFY), id="env-set-no-copy"),
    pytest.param(True, True, True, ("local", VERIFY), id="env-set-wins-over-every-copy"),
    pytest.param(False, True, True, ("bundled", USE), id="unset-in-the-emulator-zip"),
    pytest.param(False, False, True, ("fetched", USE), id="unset-build-copy-present"),
    pytest.param(False, False, False, ("fetched", FETCH), id="unset-no-copy-fetch-pinned"),
]


@pytest.mark.parametrize(("configured", "bundled", "fetched", "expected"), SOURCES)
def test_where_the_models_come_from(places, models_dir, configured, bundled, fetched, expected):
    environ = {"SPAPI_MODELS_DIR": str(places / "local")} if configured else {}
    if bundled:
        _complete_copy(places / "bundled", models_dir)
    if fetched:
        _complete_copy(places / "fetched", models_dir)

    source = models_source(environ, places / "bundled", places / "fetched")

    assert (source.directory, source.action) == (places / expected[0], expected[1])


def test_an_incomplete_build_copy_is_fetched_again(places, models_dir):
    (places / "fetched").mkdir()
    shutil.copy(models_dir / MODEL_FILES[0], places / "fetched" / MODEL_FILES[0])

    assert models_source({}, places / "bundled", places / "fetched") == ModelsSource(
        places / "fetched", FETCH
    )


def test_the_contract_loads_the_chosen_copy(places, models_dir):
    fetched = _complete_copy(places / "fetched", models_dir)

    assert default_models_dir() == fetched
    assert (
        contract.ModelContract.load().match("GET", "/reports/2021-06-30/reports/1").operation_id
        == "getReport"
    )


def test_the_fetched_copy_lives_in_the_build_directory_of_the_checkout():
    assert contract.FETCHED_MODELS_DIR == REPO_ROOT / ".build" / "spapi-models"


@pytest.mark.parametrize("present", [(), ALL_MODEL_FILES[:2]], ids=["none", "incomplete"])
def test_no_complete_copy_is_an_error_naming_make_models(places, models_dir, present):
    (places / "fetched").mkdir()
    for name in present:
        shutil.copy(models_dir / name, places / "fetched" / name)

    with pytest.raises(ModelsNotFoundError) as caught:
        default_models_dir()

    message = str(caught.value)
    assert "make models" in message and "SPAPI_MODELS_DIR" in message
    assert str(places / "fetched") in message and NOTIFICATION_SCHEMA_FILE in message


def test_fetch_models_pins_every_file_the_contract_loads():
    assert sorted(fetch_models.MODELS) == sorted(ALL_MODEL_FILES)
    assert fetch_models.RAW.endswith(f"/{fetch_models.COMMIT}/")


def test_the_models_in_use_are_the_pinned_files(models_dir):
    fetch_models.check(models_dir)


# Fake pins for the fetch tests: two small files with known bytes.
GOOD = {"a.json": b'{"a": 1}', "b.json": b'{"b": 2}'}


@pytest.fixture
def pinned(monkeypatch):
    models = {name: (f"models/{name}", hashlib.sha256(data).hexdigest()) for name, data in GOOD.items()}
    monkeypatch.setattr(fetch_models, "MODELS", models)
    return models


class Downloader:
    def __init__(self, answers: dict[str, bytes]) -> None:
        self.answers = answers
        self.urls: list[str] = []

    def __call__(self, url: str) -> bytes:
        self.urls.append(url)
        return self.answers[url.removeprefix(fetch_models.RAW)]


def test_fetch_downloads_missing_files_from_the_pinned_commit(tmp_path, pinned):
    downloader = Downloader({f"models/{name}": data for name, data in GOOD.items()})

    fetch_models.fetch(tmp_path / "copy", downloader)

    assert downloader.urls == [fetch_models.RAW + "models/a.json", fetch_models.RAW + "models/b.json"]
    assert {path.name: path.read_bytes() for path in (tmp_path / "copy").iterdir()} == GOOD


def test_fetch_refuses_a_download_whose_sha256_differs(tmp_path, pinned):
    downloader = Downloader({"models/a.json": GOOD["a.json"], "models/b.json": b'{"b": "altered"}'})

    with pytest.raises(fetch_models.ModelMismatch, match=r"b\.json"):
        fetch_models.fetch(tmp_path / "copy", downloader)

    assert sorted(path.name for path in (tmp_path / "copy").iterdir()) == ["a.json"]


def test_fetch_keeps_a_copy_that_matches_without_downloading(tmp_path, pinned):
    copy = tmp_path / "copy"
    copy.mkdir()
    for name, data in GOOD.items():
        (copy / name).write_bytes(data)
    downloader = Downloader({})

    fetch_models.fetch(copy, downloader)

    assert downloader.urls == []


def test_fetch_replaces_an_existing_file_whose_sha256_differs(tmp_path, pinned):
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "a.json").write_bytes(b'{"a": "stale"}')
    (copy / "b.json").write_bytes(GOOD["b.json"])
    downloader = Downloader({"models/a.json": GOOD["a.json"]})

    fetch_models.fetch(copy, downloader)

    assert downloader.urls == [fetch_models.RAW + "models/a.json"]
    assert (copy / "a.json").read_bytes() == GOOD["a.json"]


def test_a_stale_file_is_not_left_for_use_when_its_download_fails(tmp_path, pinned):
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "a.json").write_bytes(b'{"a": "stale"}')

    def offline(url: str) -> bytes:
        raise OSError("no network")

    with pytest.raises(OSError):
        fetch_models.fetch(copy, offline)

    assert not (copy / "a.json").exists()


def test_a_configured_copy_that_differs_is_refused_and_left_alone(tmp_path, pinned, monkeypatch, capsys):
    local = tmp_path / "local"
    local.mkdir()
    (local / "a.json").write_bytes(b'{"a": "altered"}')
    (local / "b.json").write_bytes(GOOD["b.json"])
    monkeypatch.setenv("SPAPI_MODELS_DIR", str(local))
    monkeypatch.setattr(fetch_models, "download", Downloader({}))

    assert fetch_models.main([]) == 1

    assert "a.json: sha256" in capsys.readouterr().err
    assert (local / "a.json").read_bytes() == b'{"a": "altered"}'
    assert fetch_models.download.urls == []


def test_a_configured_copy_with_the_pinned_files_passes(tmp_path, pinned, monkeypatch):
    local = tmp_path / "local"
    local.mkdir()
    for name, data in GOOD.items():
        (local / name).write_bytes(data)
    monkeypatch.setenv("SPAPI_MODELS_DIR", str(local))

    assert fetch_models.main([]) == 0


def test_without_a_configured_copy_main_fetches_into_the_build_directory(tmp_path, pinned, monkeypatch):
    monkeypatch.delenv("SPAPI_MODELS_DIR", raising=False)
    monkeypatch.setattr(contract, "BUNDLED_MODELS_DIR", tmp_path / "bundled")
    monkeypatch.setattr(contract, "FETCHED_MODELS_DIR", tmp_path / "fetched")
    monkeypatch.setattr(fetch_models, "download", Downloader({f"models/{n}": d for n, d in GOOD.items()}))

    assert fetch_models.main([]) == 0

    assert sorted(path.name for path in (tmp_path / "fetched").iterdir()) == sorted(GOOD)
