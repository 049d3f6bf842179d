"""The cost model's plumbing: what it reads from Terraform and the ASL, and its arithmetic on known inputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import cost_model

REPO = Path(__file__).resolve().parents[2]
ASL = REPO / "terraform" / "modules" / "state_machine" / "report_workflow.asl.json"
GIB = 1024**3


@pytest.mark.parametrize(
    ("execution_input", "states"),
    [
        (
            {"processingStatus": "DONE"},
            ["RouteByProcessingStatus", "StoreReport", "ConvertReport", "NotifyReady"],
        ),
        ({"processingStatus": "CANCELLED"}, ["RouteByProcessingStatus", "NotifyNoData"]),
        ({"processingStatus": "FATAL"}, ["RouteByProcessingStatus", "NotifyFailed"]),
        ({}, ["RouteByProcessingStatus", "RejectUnknownProcessingStatus", "NotifyFailed"]),
    ],
)
def test_the_states_one_execution_enters_are_walked_from_the_asl(execution_input, states):
    assert cost_model.states_entered(ASL, execution_input) == states


def test_memory_sizes_architecture_and_batch_size_come_from_terraform():
    deployment = cost_model.read_deployment(REPO / "terraform", 8 * 1024 * 1024)
    assert set(deployment.memory_mb) >= {"report_creator", "report_storer", "report_notifier"}
    assert deployment.memory_mb["report_storer"] > deployment.memory_mb["report_creator"]
    assert deployment.architecture in ("x86_64", "arm64")
    assert deployment.batch_size >= 1


def test_a_gibibyte_report_costs_what_the_price_table_says():
    deployment = cost_model.Deployment(
        {
            "report_creator": 1024,
            "report_storer": 2048,
            "report_notifier": 1024,
            "notifications_processor": 1024,
        },
        "x86_64",
        10,
        8 * 1024 * 1024,
    )
    others = {"report_creator": 1.0, "notifications_processor": 1.0, "report_notifier": 1.0}
    cost = cost_model.report_cost("1 GiB", GIB, 10.0, others, deployment, transitions=3)
    lines = {line.item: line for line in cost.lines}
    gb_s = cost_model.PRICES["lambda_gb_s_x86_64"].usd
    assert lines["Lambda report_storer duration"].quantity == pytest.approx(1000 * 10.0 * 2)
    assert lines["Lambda report_storer duration"].usd == pytest.approx(20_000 * gb_s)
    assert lines["Lambda notifications_processor duration"].quantity == pytest.approx(
        1000 * 1.0
    )  # batch of 10
    assert lines["S3 Standard, one month"].usd == pytest.approx(1000 * 0.023)
    assert lines["S3 PUT-class requests"].quantity == 1000 * (128 + 2)  # Create + 128 parts + Complete
    assert lines["Step Functions Standard transitions"].usd == pytest.approx(3000 * 0.025 / 1000)
    assert cost.biggest.item == "S3 Standard, one month"
    assert cost.total == pytest.approx(sum(line.usd for line in cost.lines))


def test_the_store_runs_as_long_as_its_cpu_time_at_the_memory_s_vcpu_share():
    assert cost_model.store_duration(2.0, 5.0, 1769) == 5.0
    assert cost_model.store_duration(2.0, 0.5, 1769) == 2.0
    assert cost_model.store_duration(2.0, 1.0, 512) == pytest.approx(1769 / 512)
