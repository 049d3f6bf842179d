"""The notification mix fed to the processor: valid notifications in the planned proportions."""

from __future__ import annotations

from collections import Counter

import pytest
from benchmarks.notifications import notification_mix, other_type_body, sqs_event

from sp_reports.pipeline.notifications_processing import (
    UnsupportedNotificationError,
    parse_report_processing_finished,
)


def test_mix_has_duplicates_and_unrequested_reports_in_the_planned_shares():
    requested, bodies = notification_mix(10, messages=1000, duplicate_share=0.10, unrequested_share=0.05)
    report_ids = [parse_report_processing_finished(body).report_id for body in bodies]

    assert len(bodies) == 1000
    assert len(requested) == len(set(requested)) == 850
    counts = Counter(report_ids)
    assert set(requested) <= set(counts)
    assert sum(counts[report_id] for report_id in requested) == 950  # 850 first deliveries + 100 repeats
    assert len([report_id for report_id in counts if report_id not in requested]) == 50


def test_every_delivery_is_a_distinct_notification():
    _, bodies = notification_mix(20, messages=200, duplicate_share=0.10, unrequested_share=0.05)
    notification_ids = {parse_report_processing_finished(body).notification_id for body in bodies}
    assert len(notification_ids) == 200


def test_sqs_event_carries_each_body_once():
    _, bodies = notification_mix(30, messages=20, duplicate_share=0.10, unrequested_share=0.05)
    event = sqs_event(bodies)
    assert [record["body"] for record in event["Records"]] == bodies
    assert len({record["messageId"] for record in event["Records"]}) == 20


def test_overhead_probe_messages_are_dropped_before_any_aws_call():
    # The probe measures the handler without moto: its messages must stop at the type check.
    with pytest.raises(UnsupportedNotificationError):
        parse_report_processing_finished(other_type_body(1))
