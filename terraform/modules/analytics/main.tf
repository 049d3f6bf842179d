# Analytics: the curated Parquet tables (written by the report converter under curated/ in the reports bucket) in
# the Glue Data Catalog, one table per schema of tables.json (scripts/glue_tables.py renders it from
# sp_reports.analytics.table_schemas, the converter's own schemas), "latest" views where a table has a natural key,
# and an Athena workgroup that enforces where results go, how they are encrypted and how much a query may scan.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  catalog = jsondecode(file("${path.module}/tables.json"))
  # A for expression, not a conditional: the tables' objects differ in shape (column counts, views), and a
  # conditional would have to unify them into one map type.
  tables = { for name, table in local.catalog.tables : name => table if var.enabled }
  views  = { for name, table in local.tables : table.latest_view.name => merge(table.latest_view, { table = name }) if table.latest_view != null }

  # Glue and Athena names: lowercase letters, digits and underscores (Athena User Guide, "Name databases, tables,
  # and columns": https://docs.aws.amazon.com/athena/latest/ug/tables-databases-columns-names.html). The prefix
  # is unique per deployment in an account and region, so is the name.
  database_name  = coalesce(var.database_name, "${replace(var.name_prefix, "-", "_")}_reports")
  workgroup_name = "${var.name_prefix}-analytics"
  results_prefix = "${var.query_results_prefix}${local.workgroup_name}/"

  curated_location = "s3://${var.bucket_name}/${local.catalog.curated_prefix}"

  # Partition projection (Athena User Guide, "Use partition projection with Amazon Athena" and "Supported types
  # for partition projection": https://docs.aws.amazon.com/athena/latest/ug/partition-projection.html,
  # https://docs.aws.amazon.com/athena/latest/ug/partition-projection-supported-types.html): Athena computes the
  # partitions from these table properties, so no crawler or MSCK REPAIR registers them. marketplace is an enum of
  # every marketplace id the converter can write, dt a date range from var.projection_start_date to the query's
  # day, seller_id injected (too many values to enumerate: a query must name one with an equality, which also
  # keeps one seller's query from scanning another's files). storage.location.template maps the values onto the
  # converter's keys, curated/<table>/seller_id=<seller>/marketplace=<m>/dt=<yyyy-MM-dd>/: a template places each
  # partition column's value anywhere in the path, in any order (Athena User Guide, "Set up partition projection",
  # "Specify custom S3 storage locations":
  # https://docs.aws.amazon.com/athena/latest/ug/partition-projection-setting-up.html), so seller_id leads and one
  # prefix holds a seller's files of a table, which the seller erasure deletes ("$${" is a literal "${" in
  # Terraform).
  projection_parameters = {
    "projection.enabled"            = "true"
    "projection.marketplace.type"   = "enum"
    "projection.marketplace.values" = join(",", local.catalog.marketplace_partition_values)
    "projection.dt.type"            = "date"
    "projection.dt.format"          = "yyyy-MM-dd"
    "projection.dt.range"           = "${var.projection_start_date},NOW"
    "projection.dt.interval"        = "1"
    "projection.dt.interval.unit"   = "DAYS"
    "projection.seller_id.type"     = "injected"
  }
}

resource "aws_glue_catalog_database" "curated" {
  count = var.enabled ? 1 : 0

  name        = local.database_name
  description = "Curated SP-API report tables of ${var.name_prefix} (Parquet under s3://${var.bucket_name}/${local.catalog.curated_prefix})."
  tags        = var.tags
}

resource "aws_glue_catalog_table" "curated" {
  for_each = local.tables

  name          = each.key
  database_name = aws_glue_catalog_database.curated[0].name
  description   = each.value.description
  table_type    = "EXTERNAL_TABLE"

  parameters = merge(local.projection_parameters, {
    EXTERNAL                    = "TRUE"
    classification              = "parquet"
    "storage.location.template" = "${local.curated_location}${each.key}/seller_id=$${seller_id}/marketplace=$${marketplace}/dt=$${dt}/"
  })

  dynamic "partition_keys" {
    for_each = local.catalog.partition_keys
    content {
      name    = partition_keys.value.name
      type    = partition_keys.value.type
      comment = partition_keys.value.comment
    }
  }

  storage_descriptor {
    location      = "${local.curated_location}${each.key}/"
    input_format  = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
    output_format = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"

    ser_de_info {
      name                  = "parquet"
      serialization_library = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
      parameters            = { "serialization.format" = "1" }
    }

    dynamic "columns" {
      for_each = each.value.columns
      content {
        name    = columns.value.name
        type    = columns.value.type
        comment = columns.value.comment == "" ? null : columns.value.comment
      }
    }
  }
}

# The "latest" views: Athena views are Glue tables of type VIRTUAL_VIEW whose original text is
# "/* Presto View: <base64 of the view's JSON definition> */" and expanded text "/* Presto View */", with the
# table parameter presto_view = "true" (the Hive metastore format Trino reads and writes, which Athena uses for
# views in the Glue catalog: Athena User Guide, "Work with views",
# https://docs.aws.amazon.com/athena/latest/ug/views.html; Trino's Hive connector, ViewReaderUtil,
# https://github.com/trinodb/trino/blob/master/plugin/trino-hive/src/main/java/io/trino/plugin/hive/ViewReaderUtil.java).
# The JSON names the SQL, the catalog and schema its unqualified names resolve in, and the columns with Trino
# type names; the Glue columns repeat them with Hive type names.
resource "aws_glue_catalog_table" "latest" {
  for_each = local.views

  name          = each.key
  database_name = aws_glue_catalog_database.curated[0].name
  description   = each.value.description
  table_type    = "VIRTUAL_VIEW"

  view_expanded_text = "/* Presto View */"
  view_original_text = "/* Presto View: ${base64encode(jsonencode({
    originalSql = each.value.sql
    catalog     = "awsdatacatalog"
    schema      = aws_glue_catalog_database.curated[0].name
    columns     = [for c in each.value.columns : { name = c.name, type = c.view_type }]
  }))} */"

  parameters = {
    presto_view = "true"
    comment     = "Presto View"
  }

  storage_descriptor {
    dynamic "columns" {
      for_each = each.value.columns
      content {
        name = columns.value.name
        type = columns.value.type
      }
    }
  }

  # The view reads its table by name: create the table first, drop the view first.
  depends_on = [aws_glue_catalog_table.curated]
}

# The workgroup's settings override each client's (enforce_workgroup_configuration): every query's results go to
# the reports bucket under local.results_prefix, encrypted with the data key (SSE_KMS), and a query that scans
# more than the cutoff is cancelled (Athena User Guide, "Workgroup settings override client-side settings" and
# "Configure per-query and per-workgroup data usage controls":
# https://docs.aws.amazon.com/athena/latest/ug/workgroups-settings-override.html,
# https://docs.aws.amazon.com/athena/latest/ug/workgroups-setting-control-limits-cloudwatch.html).
resource "aws_athena_workgroup" "analytics" {
  count = var.enabled ? 1 : 0

  name          = local.workgroup_name
  description   = "Queries of the curated SP-API report tables of ${var.name_prefix}."
  state         = "ENABLED"
  force_destroy = !var.deletion_protection

  configuration {
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true
    bytes_scanned_cutoff_per_query     = var.bytes_scanned_cutoff_per_query

    engine_version {
      selected_engine_version = "Athena engine version 3"
    }

    result_configuration {
      output_location       = "s3://${var.bucket_name}/${local.results_prefix}"
      expected_bucket_owner = data.aws_caller_identity.current.account_id

      encryption_configuration {
        encryption_option = "SSE_KMS"
        kms_key_arn       = var.kms_key_arn
      }
    }
  }

  tags = var.tags
}
