"""Cold-start helpers: the environment a handler needs, and the offenders in -X importtime output."""

from __future__ import annotations

from pathlib import Path

from benchmarks.cold_start import HANDLERS, dummy_value, required_environment, top_offenders

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_required_environment_lists_the_names_a_handler_reads(tmp_path):
    source = tmp_path / "handler.py"
    source.write_text(
        "from handlers import _config\n"
        'config = _config.required(["TABLE_NAME", "QUEUE_ARN"])\n'
        'other = _config.positive_int("OPTIONAL", 3)\n'
    )
    assert required_environment(source) == ["TABLE_NAME", "QUEUE_ARN"]


def test_every_handler_declares_its_cold_start_environment():
    for name in HANDLERS:
        names = required_environment(REPO_ROOT / "src" / "handlers" / f"{name}.py")
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
            "import time:       500 |      14000 | handlers.report_storer",
            "Traceback lines and other output are ignored",
        ]
    )
    assert top_offenders(stderr, count=2) == [("botocore", 0.004), ("aws_xray_sdk", 0.0025)]
