"""The Glue tables are the converter's tables: terraform/modules/analytics/tables.json is what
scripts/glue_tables.py renders from sp_reports.analytics.table_schemas, every column the module's mocked plan
declares is a column the converter writes (names, types, order), and a "latest" view keeps one row per seller
and natural key (its SQL run by DuckDB, a real SQL engine)."""

from __future__ import annotations

import base64
import json
import shutil
from datetime import datetime

import duckdb
import pytest

import glue_tables
import terraform_checks
from sp_reports.analytics import table_schemas
from sp_reports_harness.repository import REPO_ROOT

ANALYTICS_MODULE = REPO_ROOT / "terraform" / "modules" / "analytics"
BUCKET = "acme-glue-reports-123456789012-us-east-1"
VARIABLES = {
    "name_prefix": "acme-glue",
    "bucket_name": BUCKET,
    "bucket_arn": f"arn:aws:s3:::{BUCKET}",
    "kms_key_arn": "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555",
}
needs_terraform = pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")


def test_the_committed_tables_json_is_what_the_schemas_give():
    assert glue_tables.stale_diff() == "", "run scripts/glue_tables.py"


def test_check_reports_a_stale_file_and_what_differs(tmp_path, capsys, monkeypatch):
    stale = tmp_path / "tables.json"
    document = json.loads(glue_tables.render())
    document["tables"]["all_orders"]["columns"][0]["type"] = "bigint"
    stale.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    monkeypatch.setattr(glue_tables, "TABLES_JSON", stale)

    assert glue_tables.main(["--check"]) == 1
    assert '"type": "bigint"' in capsys.readouterr().err

    glue_tables.main([])
    assert glue_tables.main(["--check"]) == 0


def test_every_table_carries_glue_columns_in_order():
    document = json.loads(glue_tables.render())

    assert set(document["tables"]) == set(table_schemas.TABLE_SCHEMAS)
    for name, table in table_schemas.TABLE_SCHEMAS.items():
        declared = [(c["name"], c["type"]) for c in document["tables"][name]["columns"]]
        assert declared == list(table_schemas.glue_columns(table))
    assert [(k["name"], k["type"]) for k in document["partition_keys"]] == list(table_schemas.PARTITION_KEYS)
    assert document["marketplace_partition_values"] == list(table_schemas.MARKETPLACE_PARTITION_VALUES)
    assert all(
        len(c["comment"]) <= glue_tables.COLUMN_COMMENT_LIMIT
        for t in document["tables"].values()
        for c in t["columns"]
    )


def test_a_latest_view_exists_exactly_where_a_natural_key_and_latest_by_do():
    document = json.loads(glue_tables.render())

    for name, table in table_schemas.TABLE_SCHEMAS.items():
        view = document["tables"][name]["latest_view"]
        if table.natural_key and table.latest_by:
            assert view["name"] == f"{name}_latest"
        else:
            assert view is None
    assert document["tables"]["all_orders"]["latest_view"] is not None


@pytest.mark.parametrize(
    ("glue_type", "view_type"),
    [
        ("string", "varchar"),
        ("bigint", "bigint"),
        ("double", "double"),
        ("boolean", "boolean"),
        ("date", "date"),
        ("timestamp", "timestamp"),
        ("decimal(18,2)", "decimal(18,2)"),
        ("map<string,string>", "map(varchar,varchar)"),
    ],
)
def test_view_columns_use_the_engines_type_names(glue_type, view_type):
    assert glue_tables.view_type(glue_type) == view_type


def test_a_type_outside_the_grammar_is_refused():
    with pytest.raises(ValueError, match="array<string>"):
        glue_tables.view_type("array<string>")


def test_the_latest_view_keeps_every_row_of_the_newest_report_of_each_seller_and_order():
    table = table_schemas.TABLE_SCHEMAS["all_orders"]
    latest_by = table.latest_by
    assert table.natural_key == ("amazon_order_id",)
    columns = [*table_schemas.glue_columns(table), *table_schemas.PARTITION_KEYS]
    connection = duckdb.connect()
    declared = ", ".join(
        f'"{n}" {"TIMESTAMP" if n == latest_by else "BIGINT" if n == "source_row" else "VARCHAR"}'
        for n, _ in columns
    )
    connection.execute(f'CREATE TABLE "{table.name}" ({declared})')

    def row(seller: str, order: str, sku: str, updated: str | None, report: str, line: int) -> dict:
        values = {n: None for n, _ in columns}
        values |= {
            "amazon_order_id": order,
            "sku": sku,
            latest_by: updated and datetime.fromisoformat(updated),
            "report_id": report,
            "source_row": line,
        }
        values |= {"seller_id": seller, "dt": "2026-01-01", "marketplace": "ATVPDKIKX0DER"}
        return values

    order, other_order = "111-0000000-0000001", "111-0000000-0000002"
    rows = [
        row("A1SELLER", order, "SKU-1", "2026-01-01T10:00:00", "52000000001", 2),
        # The latest version: two items of one SKU (the report has no order-item id) and another SKU.
        row("A1SELLER", order, "SKU-1", "2026-01-03T10:00:00", "52000000002", 2),
        row("A1SELLER", order, "SKU-1", "2026-01-03T10:00:00", "52000000002", 3),
        row("A1SELLER", order, "SKU-2", "2026-01-03T10:00:00", "52000000002", 4),
        row("A1SELLER", order, "SKU-1", None, "52000000003", 2),  # no date: never beats a dated version
        row("A2SELLER", order, "SKU-1", "2026-01-02T10:00:00", "52000000004", 2),  # another seller's stays
        # The same version in two reports: the newer report's rows only; ids compare as numbers.
        row("A1SELLER", other_order, "SKU-3", "2026-01-01T10:00:00", "9000000001", 2),
        row("A1SELLER", other_order, "SKU-3", "2026-01-01T10:00:00", "10000000001", 5),
    ]
    placeholders = ", ".join("?" for _ in columns)
    connection.executemany(
        f'INSERT INTO "{table.name}" VALUES ({placeholders})',  # noqa: S608 (the schema's table name)
        [[r[n] for n, _ in columns] for r in rows],
    )

    view_sql = json.loads(glue_tables.render())["tables"][table.name]["latest_view"]["sql"]
    # The generated view's SQL, as Athena would run it.
    query = f"SELECT seller_id, amazon_order_id, sku, report_id, source_row FROM ({view_sql}) ORDER BY ALL"  # noqa: S608
    result = connection.execute(query).fetchall()

    assert result == [
        ("A1SELLER", order, "SKU-1", "52000000002", 2),
        ("A1SELLER", order, "SKU-1", "52000000002", 3),
        ("A1SELLER", order, "SKU-2", "52000000002", 4),
        ("A1SELLER", other_order, "SKU-3", "10000000001", 5),
        ("A2SELLER", order, "SKU-1", "52000000004", 2),
    ]
    empty = f"SELECT * FROM ({view_sql}) LIMIT 0"  # noqa: S608
    described = [d[0] for d in connection.execute(empty).description]
    assert described == [n for n, _ in columns]


@pytest.fixture(scope="module")
def module_plan() -> dict:
    return terraform_checks.mock_plan_json(ANALYTICS_MODULE, VARIABLES)


def _planned(plan: dict, resource_type: str, name: str) -> dict[str, dict]:
    return {
        r["index"]: r["change"]["after"]
        for r in plan["resource_changes"]
        if r["type"] == resource_type and r["name"] == name
    }


@needs_terraform
def test_terraform_declares_the_converters_columns_names_types_and_order(module_plan):
    tables = _planned(module_plan, "aws_glue_catalog_table", "curated")

    assert set(tables) == set(table_schemas.TABLE_SCHEMAS)
    for name, table in table_schemas.TABLE_SCHEMAS.items():
        declared = [(c["name"], c["type"]) for c in tables[name]["storage_descriptor"][0]["columns"]]
        assert declared == list(table_schemas.glue_columns(table)), name
        partitions = [(k["name"], k["type"]) for k in tables[name]["partition_keys"]]
        assert partitions == list(table_schemas.PARTITION_KEYS), name
        assert (
            tables[name]["storage_descriptor"][0]["location"]
            == f"s3://{BUCKET}/{table_schemas.CURATED_PREFIX}{name}/"
        )


@needs_terraform
def test_the_projection_reaches_every_key_the_converter_writes(module_plan):
    tables = _planned(module_plan, "aws_glue_catalog_table", "curated")
    key = table_schemas.curated_key(
        "all_orders",
        seller_id="A1SELLER",
        report_type="GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL",
        marketplace_ids=("ATVPDKIKX0DER",),
        data_start=datetime.fromisoformat("2026-03-04T00:00:00+00:00"),
        data_end=datetime.fromisoformat("2026-03-05T00:00:00+00:00"),
        report_id="50001020304",
    )
    parameters = tables["all_orders"]["parameters"]
    template = parameters["storage.location.template"]
    location = template.replace("${marketplace}", "ATVPDKIKX0DER").replace("${dt}", "2026-03-04")
    location = location.replace("${seller_id}", "A1SELLER")

    assert f"s3://{BUCKET}/{key}".startswith(location)
    assert "ATVPDKIKX0DER" in parameters["projection.marketplace.values"].split(",")
    assert "multiple" in parameters["projection.marketplace.values"].split(",")


@needs_terraform
def test_the_views_definitions_are_presto_views_of_the_generated_sql(module_plan):
    views = _planned(module_plan, "aws_glue_catalog_table", "latest")
    document = json.loads(glue_tables.render())
    expected = {
        t["latest_view"]["name"]: t["latest_view"] for t in document["tables"].values() if t["latest_view"]
    }

    assert set(views) == set(expected)
    for name, view in views.items():
        encoded = view["view_original_text"].removeprefix("/* Presto View: ").removesuffix(" */")
        definition = json.loads(base64.b64decode(encoded))
        assert definition["originalSql"] == expected[name]["sql"]
        assert definition["schema"] == "acme_glue_reports"
        assert definition["columns"] == [
            {"name": c["name"], "type": c["view_type"]} for c in expected[name]["columns"]
        ]
        glue = [(c["name"], c["type"]) for c in view["storage_descriptor"][0]["columns"]]
        assert glue == [(c["name"], c["type"]) for c in expected[name]["columns"]]


def test_the_terraform_checks_fail_on_a_stale_tables_json(tmp_path, monkeypatch):
    assert terraform_checks.glue_tables_step().ok

    stale = tmp_path / "tables.json"
    stale.write_text("{}\n", encoding="utf-8")
    monkeypatch.setattr(glue_tables, "TABLES_JSON", stale)
    step = terraform_checks.glue_tables_step()

    assert not step.ok
    assert "run scripts/glue_tables.py" in step.output


ANALYST = "arn:aws:iam::123456789012:role/estate/analyst"


def _by_address(plan: dict) -> dict[str, dict]:
    return {r["address"]: r["change"]["after"] for r in plan["resource_changes"]}


@pytest.fixture(scope="module")
def root_plan() -> dict[str, dict]:
    variables = {
        "name_prefix": "acme-an",
        "analyst_principal_arns": [ANALYST],
        "athena_bytes_scanned_cutoff_per_query": 1073741824,
        "analytics_projection_start_date": "2024-02-01",
        "athena_query_results_expiration_days": 3,
    }
    return _by_address(terraform_checks.mock_plan_json(variables=variables))


@pytest.fixture(scope="module")
def root_plan_without_analytics() -> dict[str, dict]:
    variables = {"name_prefix": "acme-an", "analytics_enabled": False}
    return _by_address(terraform_checks.mock_plan_json(variables=variables))


def _lifecycle_rules(plan: dict[str, dict]) -> dict[str, dict]:
    lifecycle = plan["module.storage.aws_s3_bucket_lifecycle_configuration.reports"]
    return {rule["id"]: rule for rule in lifecycle["rule"]}


def _bucket_statements(plan: dict[str, dict]) -> dict[str, dict]:
    policy = json.loads(plan["module.storage.aws_s3_bucket_policy.reports"]["policy"])
    return {s["Sid"]: s for s in policy["Statement"]}


@needs_terraform
def test_the_root_inputs_reach_the_workgroup_and_the_projection(root_plan):
    workgroup = root_plan["module.analytics.aws_athena_workgroup.analytics[0]"]
    table = root_plan['module.analytics.aws_glue_catalog_table.curated["all_orders"]']

    assert workgroup["configuration"][0]["bytes_scanned_cutoff_per_query"] == 1073741824
    assert table["parameters"]["projection.dt.range"] == "2024-02-01,NOW"
    bucket = root_plan["module.storage.aws_s3_bucket.reports"]["bucket"]
    output_location = workgroup["configuration"][0]["result_configuration"][0]["output_location"]
    assert output_location == f"s3://{bucket}/athena-results/acme-an-analytics/"


@needs_terraform
def test_the_bucket_expires_staging_and_results_and_keeps_curated_with_the_raw_data(root_plan):
    rules = _lifecycle_rules(root_plan)

    assert rules["curated-staging"]["filter"][0]["prefix"] == table_schemas.STAGING_PREFIX
    assert rules["curated-staging"]["expiration"][0]["days"] == 1
    assert rules["query-results"]["filter"][0]["prefix"] == "athena-results/"
    assert rules["query-results"]["expiration"][0]["days"] == 3
    # curated/ is under the rule for every object and the restricted tag's rule, as the raw documents are.
    assert set(rules) == {"reports", "restricted-reports", "curated-staging", "query-results"}


@needs_terraform
def test_analysts_read_only_the_curated_objects_and_their_results(root_plan):
    statements = _bucket_statements(root_plan)
    bucket_arn = root_plan["module.storage.aws_s3_bucket.reports"]["arn"]  # the mocked ARN
    readers = statements["DenyObjectReadsToAllButTheReportReaders"]["Condition"]["ArnNotLike"]

    assert ANALYST in readers["aws:PrincipalArn"]
    kept = statements["DenyCuratedReadersAllButTheCuratedObjects"]
    assert kept["Condition"]["ArnLike"]["aws:PrincipalArn"] == [ANALYST]
    assert kept["NotResource"] == [f"{bucket_arn}/curated/*", f"{bucket_arn}/athena-results/*"]


@needs_terraform
def test_without_analytics_nothing_is_catalogued_and_analysts_get_no_exception(root_plan_without_analytics):
    plan = root_plan_without_analytics

    assert not [a for a in plan if a.startswith("module.analytics.")]
    rules = _lifecycle_rules(plan)
    assert "query-results" not in rules
    assert rules["curated-staging"]["expiration"][0]["days"] == 1  # the converter stages whatever the catalog
    assert "DenyCuratedReadersAllButTheCuratedObjects" not in _bucket_statements(plan)
