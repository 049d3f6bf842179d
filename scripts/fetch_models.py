"""Fetch Amazon's SP-API models that our contract tests and emulator follow (``make models``).

The models come from one of two places, chosen by ``spapi_emulator.contract.models_source``: a local
copy named by ``SPAPI_MODELS_DIR``, else the copy this script keeps in ``.build/spapi-models``. Either way
every file must have the sha256 pinned here, so the contract never drifts silently:

- ``SPAPI_MODELS_DIR`` set: the local copy is checked and never written; a file that differs fails the run.
- unset: the fetched copy is checked; a missing file, or one whose sha256 differs (stale or altered), is
  removed and downloaded again from amzn/selling-partner-api-models at the pinned commit, and a download
  whose sha256 differs is refused and not written.

Usage: python scripts/fetch_models.py [--dest DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import urllib.request
from collections.abc import Callable
from pathlib import Path

from spapi_emulator.contract import (
    FETCH,
    FETCHED_MODELS_DIR,
    MODELS_DIR_ENV,
    VERIFY,
    ModelsSource,
    models_source,
)

COMMIT = "34dc93fe45f37c9a0b2e56823c808f68b4f81754"
RAW = f"https://raw.githubusercontent.com/amzn/selling-partner-api-models/{COMMIT}/"
MODELS = {
    "reports_2021-06-30.json": (
        "models/reports-api-model/reports_2021-06-30.json",
        "d72db9e5280262a92933a0e45e2207c150272f1d66177b2517c20671d69c732c",
    ),
    "notifications.json": (
        "models/notifications-api-model/notifications.json",
        "6a5e945f2a53a91b9b97c27cd4570dc399db3dde2b777f623fc226fbcdc8469a",
    ),
    "ReportProcessingFinishedNotification.json": (
        "schemas/notifications/ReportProcessingFinishedNotification.json",
        "e61c27a7b367e07541af0ccda3245342ed48e4e0a9670d7a9e9e09da4083e151",
    ),
    "tokens_2021-03-01.json": (
        "models/tokens-api-model/tokens_2021-03-01.json",
        "3cd09ae7f218c83f32536a894cb8c42f2191c94b9c27f6bcf0a164442089b061",
    ),
}


class ModelMismatch(Exception):
    """A model file whose sha256 is not the pinned one."""


def download(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 - fixed https URL
        return response.read()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check(directory: Path) -> None:
    """Refuse a local copy with a missing file or a file whose sha256 is not the pinned one; never write."""
    problems = []
    for name, (_, expected) in MODELS.items():
        target = directory / name
        if not target.is_file():
            problems.append(f"{name}: missing")
        elif (actual := _sha256(target.read_bytes())) != expected:
            problems.append(f"{name}: sha256 {actual} is not the pinned {expected}")
    if problems:
        raise ModelMismatch(f"SP-API models in {directory} refused: " + "; ".join(problems))
    print(f"SP-API models in {directory}: the pinned files")


def fetch(dest: Path, downloader: Callable[[str], bytes] | None = None) -> None:
    """Make `dest` hold exactly the pinned files, downloading what is missing or differs."""
    downloader = downloader or download
    dest.mkdir(parents=True, exist_ok=True)
    for name, (path, expected) in MODELS.items():
        target = dest / name
        if target.is_file():
            if _sha256(target.read_bytes()) == expected:
                print(f"{name}: present")
                continue
            target.unlink()  # stale or altered: never used, whatever the download below does
            print(f"{name}: sha256 differs from the pinned one; downloading it again")
        data = downloader(RAW + path)
        if (actual := _sha256(data)) != expected:
            raise ModelMismatch(f"{name}: downloaded sha256 {actual} is not the pinned {expected}")
        partial = target.with_name(target.name + ".part")
        partial.write_bytes(data)
        partial.replace(target)
        print(f"{name}: downloaded")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--dest",
        type=Path,
        default=None,
        help=f"fetch into DIR (default: {MODELS_DIR_ENV}, else {FETCHED_MODELS_DIR})",
    )
    args = parser.parse_args(argv)
    source = ModelsSource(args.dest, FETCH) if args.dest else models_source()
    try:
        if source.action == VERIFY:
            check(source.directory)
        else:  # a complete copy is checked too, and a file whose sha256 differs fetched again
            fetch(source.directory)
    except ModelMismatch as error:
        print(f"fetch_models: {error}", file=sys.stderr)
        return 1
    except OSError as error:  # no network, or the pinned URL is gone
        print(f"fetch_models: cannot fetch the SP-API models: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
