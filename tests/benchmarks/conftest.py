"""The benchmark package lives at the repository root (run as `python -m benchmarks`), outside `src/`: put the
root on sys.path so these tests import it however pytest is started."""

from __future__ import annotations

import sys

from sp_reports_local.repository import REPO_ROOT

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))
