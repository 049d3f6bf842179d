"""A report specification is one value from the plan to createReport and the reports table: it cannot change
on the way, and what createReport is sent is exactly its fields
(sp_reports.pipeline.report_specifications)."""

from __future__ import annotations

import inspect
from dataclasses import FrozenInstanceError

import pytest

from sp_reports.pipeline.report_specifications import ReportSpecification
from sp_reports.spapi.reports import ReportsClient


def _specification(**changes):
    fields = {
        "seller_id": "A3TH9S8BH6GOGM",
        "region_code": "EU",
        "report_type": "GET_MERCHANT_LISTINGS_ALL_DATA",
        "marketplace_ids": ["A1F83G8C2ARO7P", "A1PA6795UKMFR9"],
        "data_start_time": "2024-05-01T00:00:00Z",
        "report_options": {"custom": "true"},
    }
    return ReportSpecification(**{**fields, **changes})


def test_the_value_does_not_change_after_it_is_built():
    options, marketplaces = {"custom": "true"}, ["A1F83G8C2ARO7P"]
    specification = _specification(report_options=options, marketplace_ids=marketplaces)
    options["custom"], marketplaces[0] = "false", "A1PA6795UKMFR9"  # the caller's own copies

    assert specification.report_options == {"custom": "true"}
    assert specification.marketplace_ids == ("A1F83G8C2ARO7P",)
    with pytest.raises(TypeError):
        specification.report_options["custom"] = "false"  # type: ignore[index]
    with pytest.raises(FrozenInstanceError):
        specification.report_type = "GET_FLAT_FILE_OPEN_LISTINGS_DATA"  # type: ignore[misc]


def test_equal_specifications_are_one_key():
    assert {_specification(): 1}[_specification()] == 1
    assert _specification() != _specification(report_options={"custom": "false"})


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {},
            {
                "report_type": "GET_MERCHANT_LISTINGS_ALL_DATA",
                "marketplace_ids": ["A1F83G8C2ARO7P", "A1PA6795UKMFR9"],
                "data_start_time": "2024-05-01T00:00:00Z",
                "data_end_time": None,
                "report_options": {"custom": "true"},
            },
        ),
        (  # no options: none sent (createReport's reportOptions is optional)
            {"report_options": {}, "data_start_time": None},
            {
                "report_type": "GET_MERCHANT_LISTINGS_ALL_DATA",
                "marketplace_ids": ["A1F83G8C2ARO7P", "A1PA6795UKMFR9"],
                "data_start_time": None,
                "data_end_time": None,
                "report_options": None,
            },
        ),
    ],
    ids=["every-field", "no-options-no-window"],
)
def test_create_report_is_given_the_fields_it_takes_and_no_more(changes, expected):
    arguments = _specification(**changes).create_report_arguments()

    assert arguments == expected
    # bind raises TypeError on a name create_report does not take
    inspect.signature(ReportsClient.create_report).bind(None, **arguments)
