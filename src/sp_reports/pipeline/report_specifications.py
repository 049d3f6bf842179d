"""One report to ask SP-API for: whose it is (seller, region) and SP-API's CreateReportSpecification (type,
marketplaces, data window, options).

`report_plans` builds one per planned report from the validated request; the same value is then sent to
createReport and written to the reports table (the intent and the record, `report_records`), so the report
SP-API makes and the request we record of it cannot differ.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True)
class ReportSpecification:
    seller_id: str
    region_code: str
    report_type: str
    marketplace_ids: Sequence[str]
    data_start_time: str | None = None
    data_end_time: str | None = None
    # Left out of the hash (a mapping has none); equal specifications still hash alike, and the other fields
    # tell a plan's reports apart.
    report_options: Mapping[str, str] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        # Copies nobody else holds, read-only: the value stays what it was when built.
        object.__setattr__(self, "marketplace_ids", tuple(self.marketplace_ids))
        object.__setattr__(self, "report_options", MappingProxyType(dict(self.report_options)))

    def create_report_arguments(self) -> dict[str, Any]:
        """The arguments of `sp_reports.spapi.reports.ReportsClient.create_report`, which knows nothing of
        this type."""
        return {
            "report_type": self.report_type,
            "marketplace_ids": list(self.marketplace_ids),
            "data_start_time": self.data_start_time,
            "data_end_time": self.data_end_time,
            "report_options": dict(self.report_options) or None,
        }
