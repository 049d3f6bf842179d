"""The benchmark package lives at the repository root (run as `python -m benchmarks`), outside `src/`: put the
root on sys.path so these tests import it however pytest is started."""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))
