"""The report-type catalogue: what SP-API enforces per report type, read from `report_types.json`.

SP-API adds report types and documents their rules in prose (reporttype-values.md, issue threads): the rules
are data, versioned in one file beside this module, each entry naming its sources. `report_type(name)` gives
a type's rules, or None for a type the catalogue does not know - such a type is passed through unchanged,
so a new SP-API type works the day it appears.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any

CATALOGUE_FILE = "report_types.json"


class RequestMode(StrEnum):
    """How a report of the type comes to exist."""

    REQUESTABLE = "requestable"  # createReport makes it
    SCHEDULED_ONLY = "scheduled-only"  # "Can be scheduled." only: createReportSchedule, not createReport
    AMAZON_GENERATED = "amazon-generated"  # Amazon makes it by itself (settlement): getReports finds it
    SELLER_CENTRAL_GENERATED = "seller-central-generated"  # the seller makes it in Seller Central


class PeriodAlignment(StrEnum):
    SUNDAY_TO_SATURDAY = "SUNDAY_TO_SATURDAY"  # whole weeks, Sunday 00:00 to Saturday 23:59:59


@dataclass(frozen=True)
class Source:
    key: str
    facts: str  # the section of docs/spapi-notes.md that records it: `docs/spapi-notes.md#<anchor>`
    url: str


@dataclass(frozen=True)
class PeriodRule:
    """Limits that apply when reportOptions.reportPeriod has a given value (vendor analytics reports)."""

    max_range: timedelta | None = None
    alignment: PeriodAlignment | None = None


@dataclass(frozen=True)
class ReportTypeRules:
    name: str
    format: str  # file extension: tsv, csv, xml, json, pdf, xlsx
    content_type: str  # without a charset: the document's charset comes from its download
    request_mode: RequestMode | None  # None: the sources do not say; the request is passed through
    restricted: bool = False  # getReportDocument needs a Restricted Data Token
    max_range: timedelta | None = None  # longest dataStartTime..dataEndTime one report may cover
    single_marketplace: bool = False  # several marketplaceIds return one marketplace's data
    cooldown: timedelta | None = None  # SP-API makes at most one report of the type per this interval
    data_lag: timedelta | None = None  # the data of a period exists this long after the period ends
    # The data of a period keeps arriving this long after it ends: SP-API accepts earlier requests (unlike
    # data_lag) but answers with what it has so far.
    publication_delay: timedelta | None = None
    data_history: timedelta | None = None  # SP-API has the type's data for at most this long before now
    periods: Mapping[str, PeriodRule] = field(default_factory=dict)  # by reportOptions.reportPeriod
    how_to_get: str | None = None  # for a type createReport cannot make: how the report is obtained
    document_retention_days: int = 30
    note: str | None = None
    sources: tuple[Source, ...] = ()

    @property
    def hold_back(self) -> timedelta:
        """How long after a period ends its report is worth requesting: SP-API has all of it, or at least
        no longer refuses it."""
        return max(self.data_lag or timedelta(0), self.publication_delay or timedelta(0))

    @property
    def requestable(self) -> bool:
        """False only when the sources say createReport cannot make it."""
        return self.request_mode in (None, RequestMode.REQUESTABLE)

    def period_rule(self, report_options: Mapping[str, str] | None) -> PeriodRule | None:
        """The limits of the reportPeriod asked for, if the type has any."""
        if not self.periods:
            return None
        return self.periods.get((report_options or {}).get("reportPeriod", ""))

    def effective_max_range(self, report_options: Mapping[str, str] | None = None) -> timedelta | None:
        rule = self.period_rule(report_options)
        if rule is not None and rule.max_range is not None:
            return rule.max_range
        return self.max_range


@dataclass(frozen=True)
class Catalogue:
    version: str
    report_types: Mapping[str, ReportTypeRules]
    document_retention_days: int  # the defaults' documentRetentionDays: a type the catalogue does not list


def _days(value: Any) -> timedelta | None:
    return None if value is None else timedelta(days=value)


def _seconds(value: Any) -> timedelta | None:
    return None if value is None else timedelta(seconds=value)


def _hours(value: Any) -> timedelta | None:
    return None if value is None else timedelta(hours=value)


def _parse(document: Mapping[str, Any]) -> Catalogue:
    sources = {
        key: Source(key=key, facts=value["facts"], url=value["url"])
        for key, value in document["sources"].items()
    }
    retention = int(document["defaults"]["documentRetentionDays"])
    types: dict[str, ReportTypeRules] = {}
    for name, entry in document["reportTypes"].items():
        mode = entry.get("request")
        types[name] = ReportTypeRules(
            name=name,
            format=entry["format"],
            content_type=entry["contentType"],
            request_mode=RequestMode(mode) if mode else None,
            restricted=bool(entry.get("restricted", False)),
            max_range=_days(entry.get("maxRangeDays")),
            single_marketplace=bool(entry.get("singleMarketplace", False)),
            cooldown=_seconds(entry.get("cooldownSeconds")),
            data_lag=_hours(entry.get("dataLagHours")),
            publication_delay=_hours(entry.get("publicationDelayHours")),
            data_history=_days(entry.get("dataHistoryDays")),
            periods={
                period: PeriodRule(
                    max_range=_days(rule.get("maxRangeDays")),
                    alignment=PeriodAlignment(rule["alignment"]) if rule.get("alignment") else None,
                )
                for period, rule in (entry.get("periods") or {}).items()
            },
            how_to_get=entry.get("howToGet"),
            document_retention_days=int(entry.get("documentRetentionDays", retention)),
            note=entry.get("note"),
            # A KeyError here: an entry cites a source the file does not list.
            sources=tuple(sources[key] for key in entry["sources"]),
        )
    return Catalogue(version=str(document["version"]), report_types=types, document_retention_days=retention)


@cache
def catalogue() -> Catalogue:
    """The packaged catalogue (read once per process)."""
    text = resources.files(__package__).joinpath(CATALOGUE_FILE).read_text(encoding="utf-8")
    return _parse(json.loads(text))


def report_type(name: str) -> ReportTypeRules | None:
    """The rules of report type `name`; None for a type the catalogue does not list (pass it through)."""
    return catalogue().report_types.get(name)


def restricted_report_types() -> frozenset[str]:
    return frozenset(name for name, rules in catalogue().report_types.items() if rules.restricted)
