"""Cold-start helpers (the environment a handler needs, the offenders in -X importtime output) and the target
rows of the cold start and the token economy."""

from __future__ import annotations

from benchmarks.cold_start import (
    HANDLERS,
    NO_BYTECODE,
    ImportTiming,
    clients_label,
    dummy_value,
    probe_clients,
    required_environment,
    top_offenders,
)
from benchmarks.report import cold_start_table_of, cold_start_target_rows, token_target_rows
from benchmarks.token_economy import TokenEconomy

from sp_reports_harness.repository import REPO_ROOT


def test_required_environment_lists_the_names_a_handler_reads(tmp_path):
    source = tmp_path / "handler.py"
    source.write_text(
        "from sp_reports.handlers import _config\n"
        'config = _config.required(["TABLE_NAME", "QUEUE_ARN"])\n'
        'other = _config.positive_int("OPTIONAL", 3)\n'
    )
    assert required_environment(source) == ["TABLE_NAME", "QUEUE_ARN"]


def test_every_handler_declares_its_cold_start_environment():
    for name in HANDLERS:
        names = required_environment(REPO_ROOT / "src" / "sp_reports" / "handlers" / f"{name}.py")
        assert names, f"{name} reads no configuration through _config.required"


def test_dummy_values_look_like_what_terraform_passes():
    assert dummy_value("STATE_MACHINE_ARN").startswith("arn:aws:states:")
    assert dummy_value("LWA_CREDENTIALS_SECRET_ARN").startswith("arn:aws:secretsmanager:")
    assert dummy_value("TOKENS_KMS_KEY_ID").startswith("arn:aws:kms:")
    assert dummy_value("REPORTS_TABLE_NAME") == "sp-reports-bench-reports-table-name"


def test_top_offenders_add_self_time_per_top_level_package():
    stderr = "\n".join(
        [
            "import time: self [us] | cumulative | imported package",
            "import time:      1000 |       1000 |     botocore.utils",
            "import time:      3000 |       9000 |   botocore",
            "import time:      2500 |       2500 |   aws_xray_sdk.core",
            "import time:       500 |      14000 | sp_reports.handlers.report_storer",
            "import time:       700 |        700 |   sp_reports.pipeline.report_storage",
            "import time:       100 |        100 |   sp_reports.pipeline",
            "Traceback lines and other output are ignored",
        ]
    )
    assert top_offenders(stderr, count=2) == [("botocore", 0.004), ("aws_xray_sdk", 0.0025)]
    # Ours per package of the namespace, so the table says which of our layers costs what.
    assert top_offenders(stderr, count=5)[2:] == [
        ("sp_reports.pipeline", 0.0008),
        ("sp_reports.handlers", 0.0005),
    ]


def _timing(name: str, cpu_ms: float, variant: str = "", clients: tuple[str, ...] = ()) -> ImportTiming:
    return ImportTiming(
        name,
        variant=variant,
        seconds=[cpu_ms / 1000],
        cpu_seconds=[cpu_ms / 1000],
        rss_bytes=[1],
        python="3.13.0",
        clients=clients,
    )


def test_each_handler_gets_a_target_row_judged_on_cpu_time_against_boto3():
    timings = [
        _timing("boto3", 100),
        _timing("boto3 + clients", 180),  # a baseline, not judged
        _timing("report_storer", 140),
        _timing("report_creator", 190),
        _timing("report_status", 201),
        _timing("report_storer", 900, variant=NO_BYTECODE),  # variants are not judged
    ]
    rows = cold_start_target_rows(timings)

    assert [row[0].split(":")[0] for row in rows] == ["report_storer", "report_creator", "report_status"]
    assert [row[2] for row in rows] == ["yes, goal too", "yes (goal + 50 ms: no)", "**no**"]
    assert rows[0][1].startswith("+40 ms CPU")


def test_the_probe_reports_the_clients_alive_after_the_import():
    probe_output = "0.4 50000000 0 0.39 dynamodb,kms,secretsmanager\n"
    assert probe_clients(probe_output) == ("dynamodb", "kms", "secretsmanager")
    assert probe_clients("0.3 40000000 0 0.29 -\n") == ()


def test_a_handler_is_set_beside_the_clients_it_holds_created_alone():
    clients = ("dynamodb", "sns")
    timings = [
        _timing("boto3", 100),
        _timing(clients_label(clients), 190, clients=clients),
        _timing("report_notifier", 230, clients=clients),
        _timing("report_status", 240, clients=("dynamodb",)),  # its floor was not measured: no figure
    ]
    rows = cold_start_target_rows(timings)
    assert rows[0][1].endswith("; its 2 client(s) alone +90 ms")
    assert "alone" not in rows[1][1]
    table = cold_start_table_of(timings).splitlines()
    assert "vs boto3 + its clients CPU ms" in table[0]
    notifier = next(line for line in table if line.startswith("| report_notifier |"))
    assert notifier.split(" | ")[1:4] == ["230", "+130", "+40"]  # CPU, vs boto3, vs boto3 + its clients


def test_token_targets_allow_ten_reads_and_decrypts_per_thousand_calls():
    def economy(reads: int, decrypts: int) -> TokenEconomy:
        return TokenEconomy(10, 1000, 1.0, 10, 1, reads, decrypts)

    assert [row[2] for row in token_target_rows(economy(10, 10))] == ["yes", "yes"]
    assert [row[2] for row in token_target_rows(economy(10, 11))] == ["**no**", "yes"]
    assert [row[2] for row in token_target_rows(economy(1000, 10))] == ["yes", "**no**"]
