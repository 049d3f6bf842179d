"""The peer clients' venv for every test here that runs code of Amazon's SDK or python-amazon-sp-api."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.peer_venv import PeerVenvUnavailable, ensure_venv


@pytest.fixture(scope="module")
def peer_python() -> Path:
    try:
        return ensure_venv()
    except PeerVenvUnavailable as reason:
        pytest.skip(str(reason))
