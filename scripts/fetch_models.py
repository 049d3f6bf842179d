"""Download Amazon's SP-API models that our contract tests and emulator follow.

Inside the development setting the models sit read-only in ``../shared/spapi-models``. Outside it, this script
fetches the same four files from amzn/selling-partner-api-models at the pinned commit and refuses any whose
sha256 differs, so the contract never drifts silently.

Usage: python scripts/fetch_models.py [--dest DIR]   (then export SPAPI_MODELS_DIR=DIR)
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import urllib.request
from pathlib import Path

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


def fetch(dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    for name, (path, expected) in MODELS.items():
        target = dest / name
        if target.exists() and hashlib.sha256(target.read_bytes()).hexdigest() == expected:
            print(f"{name}: present")
            continue
        with urllib.request.urlopen(RAW + path, timeout=60) as response:  # noqa: S310 - fixed https URL
            data = response.read()
        actual = hashlib.sha256(data).hexdigest()
        if actual != expected:
            raise SystemExit(f"{name}: sha256 {actual} does not match the pinned {expected}")
        target.write_bytes(data)
        print(f"{name}: downloaded")
    print(f"export SPAPI_MODELS_DIR={dest.resolve()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dest", type=Path, default=Path(".build/spapi-models"))
    fetch(parser.parse_args(argv).dest)
    return 0


if __name__ == "__main__":
    sys.exit(main())
