"""The table of what SP-API tolerates and refuses beyond the models (docs/spapi-notes.md#tolerance) and the
emulator's list of the deviations it answers and records (spapi_emulator.contract.TOLERATED) say the same:
each listed deviation has exactly one row, naming it, and no row names a deviation the code does not record.
Every row carries SP-API's behaviour, the emulator's and a source."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sp_reports_harness.repository import REPO_ROOT
from spapi_emulator import contract
from spapi_emulator.contract import TOLERATED, ContractViolation, ModelContract

NOTES = REPO_ROOT / "docs" / "spapi-notes.md"
COLUMNS = ["Request", "SP-API", "Emulator", "Source"]
# A source is a link, a model file, or a file of a named, versioned package.
SOURCE = re.compile(
    r"\]\(https://|`[A-Za-z_]+(_\d{4}-\d\d-\d\d)?\.json`|(amzn-sp-api|python-amazon-sp-api) \d"
)


def table_rows() -> list[dict[str, str]]:
    text = NOTES.read_text()
    section = text.split('<a id="tolerance"></a>', 1)[1].split("<a id=", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    header, _rule, *rows = ([cell.strip() for cell in line.strip("|").split(" | ")] for line in lines)
    assert header == COLUMNS
    return [dict(zip(COLUMNS, row, strict=True)) for row in rows]


def test_each_row_has_sp_apis_behaviour_the_emulators_and_a_source():
    rows = table_rows()
    assert len(rows) >= len(TOLERATED)
    for row in rows:
        assert all(row.values()), row
        assert SOURCE.search(row["Source"]), f"no source in the row for {row['Request']!r}"
        assert row["Emulator"].startswith(("answered", "refused")), row["Emulator"]


def test_the_rows_that_record_a_deviation_are_exactly_the_emulators_tolerated_list():
    recorded = [
        name for row in table_rows() for name in re.findall(r"recorded as `([^`]+)`", row["Emulator"])
    ]
    assert sorted(recorded) == sorted(TOLERATED)
    for row in table_rows():
        if "recorded as" in row["Emulator"]:
            assert row["Emulator"].startswith("answered"), row  # a tolerated request is answered


def test_a_deviation_outside_the_list_cannot_be_tolerated(models_dir: Path):
    # The contract names the kind of each deviation it tolerates; a kind missing from TOLERATED (and so from
    # the table) is a programming error, not a silent tolerance.
    with pytest.raises(ValueError, match="is not in TOLERATED"):
        contract._deviate([], "a deviation nobody documented", "message", "getReport")
    # Both listed kinds at once: recorded with a list to record them in, raised without one.
    models = ModelContract.load(models_dir)
    request = ("DELETE", "/reports/2021-06-30/reports/1", {"MarketplaceId": ["ATVPDKIKX0DER"]}, b"{}")
    tolerated: list[str] = []
    models.validate_request(*request, tolerated)
    assert len(tolerated) == 2, tolerated
    with pytest.raises(ContractViolation, match="not declared"):
        models.validate_request(*request)
