# Analytics module with the mocked aws provider: one Glue table per schema of tables.json with the converter's
# columns and partition projection, "latest" views only where a table has a natural key, the workgroup's enforced
# encryption and cutoff, the names, the analyst policy, and the toggle.

mock_provider "aws" {
  source          = "../../tests/mocks"
  override_during = plan
}

variables {
  name_prefix = "acme-test"
  bucket_name = "acme-test-reports-123456789012-us-east-1"
  bucket_arn  = "arn:aws:s3:::acme-test-reports-123456789012-us-east-1"
  kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
}

run "one_table_per_schema_with_the_converters_columns" {
  command = plan

  assert {
    condition     = toset(keys(aws_glue_catalog_table.curated)) == toset(keys(jsondecode(file("tables.json")).tables))
    error_message = "There must be one Glue table per table of tables.json."
  }

  assert {
    condition = alltrue([
      for name, table in jsondecode(file("tables.json")).tables :
      [for c in aws_glue_catalog_table.curated[name].storage_descriptor[0].columns : [c.name, c.type]] == [for c in table.columns : [c.name, c.type]]
    ])
    error_message = "Every table's columns must be tables.json's columns (the converter's), in order, with their types."
  }

  assert {
    condition = alltrue([
      for t in aws_glue_catalog_table.curated :
      [for k in t.partition_keys : [k.name, k.type]] == [["marketplace", "string"], ["dt", "string"], ["seller_id", "string"]]
    ])
    error_message = "Every table must be partitioned by marketplace, dt and seller_id (strings), in that order."
  }

  assert {
    condition = alltrue([
      for name, t in aws_glue_catalog_table.curated :
      t.table_type == "EXTERNAL_TABLE" &&
      t.storage_descriptor[0].location == "s3://${var.bucket_name}/curated/${name}/" &&
      t.storage_descriptor[0].input_format == "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat" &&
      t.storage_descriptor[0].output_format == "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat" &&
      t.storage_descriptor[0].ser_de_info[0].serialization_library == "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    ])
    error_message = "Every table must be an external Parquet table at curated/<table>/ of the reports bucket."
  }

  assert {
    condition     = aws_glue_catalog_database.curated[0].name == "acme_test_reports"
    error_message = "The database name must come from the prefix, with underscores."
  }

  assert {
    condition     = alltrue([for t in aws_glue_catalog_table.curated : t.database_name == "acme_test_reports"])
    error_message = "Every table must be in the deployment's database."
  }
}

run "partitions_are_projected" {
  command = plan

  variables {
    projection_start_date = "2023-06-01"
  }

  assert {
    condition = alltrue([
      for name, t in aws_glue_catalog_table.curated :
      t.parameters["projection.enabled"] == "true" &&
      t.parameters["projection.marketplace.type"] == "enum" &&
      t.parameters["projection.dt.type"] == "date" &&
      t.parameters["projection.dt.format"] == "yyyy-MM-dd" &&
      t.parameters["projection.dt.range"] == "2023-06-01,NOW" &&
      t.parameters["projection.dt.interval"] == "1" &&
      t.parameters["projection.dt.interval.unit"] == "DAYS" &&
      t.parameters["projection.seller_id.type"] == "injected"
    ])
    error_message = "marketplace must be an enum, dt a daily yyyy-MM-dd range from projection_start_date to NOW, seller_id injected."
  }

  assert {
    condition = alltrue([
      for t in aws_glue_catalog_table.curated :
      t.parameters["projection.marketplace.values"] == join(",", jsondecode(file("tables.json")).marketplace_partition_values)
    ])
    error_message = "The marketplace enum must be every value the converter can write."
  }

  assert {
    condition     = contains(split(",", aws_glue_catalog_table.curated["all_orders"].parameters["projection.marketplace.values"]), "multiple") && contains(split(",", aws_glue_catalog_table.curated["all_orders"].parameters["projection.marketplace.values"]), "ATVPDKIKX0DER")
    error_message = "The marketplace enum must hold the marketplace ids and 'multiple'."
  }

  assert {
    condition = alltrue([
      for name, t in aws_glue_catalog_table.curated :
      t.parameters["storage.location.template"] == "s3://${var.bucket_name}/curated/${name}/seller_id=$${seller_id}/marketplace=$${marketplace}/dt=$${dt}/"
    ])
    error_message = "The location template must map the projected values onto the converter's keys."
  }
}

run "latest_views_exist_only_where_a_natural_key_does" {
  command = plan

  assert {
    condition = toset(keys(aws_glue_catalog_table.latest)) == toset([
      for name, t in jsondecode(file("tables.json")).tables : "${name}_latest" if t.latest_view != null
    ])
    error_message = "There must be a <table>_latest view exactly for the tables with a natural key and latestBy."
  }

  assert {
    condition     = contains(keys(aws_glue_catalog_table.latest), "all_orders_latest")
    error_message = "all_orders has a natural key and last_updated_date: it must have its latest view."
  }

  assert {
    condition = alltrue([
      for name, v in aws_glue_catalog_table.latest :
      v.table_type == "VIRTUAL_VIEW" && v.parameters["presto_view"] == "true" && v.view_expanded_text == "/* Presto View */" &&
      startswith(v.view_original_text, "/* Presto View: ") && endswith(v.view_original_text, " */")
    ])
    error_message = "Views must be Presto views in the Glue catalog's format."
  }

  assert {
    condition = alltrue([
      for name, v in aws_glue_catalog_table.latest :
      jsondecode(base64decode(trimsuffix(trimprefix(v.view_original_text, "/* Presto View: "), " */"))).schema == "acme_test_reports" &&
      jsondecode(base64decode(trimsuffix(trimprefix(v.view_original_text, "/* Presto View: "), " */"))).catalog == "awsdatacatalog" &&
      strcontains(jsondecode(base64decode(trimsuffix(trimprefix(v.view_original_text, "/* Presto View: "), " */"))).originalSql, "FROM \"${trimsuffix(name, "_latest")}\"")
    ])
    error_message = "A view's definition must read its own table in the deployment's database of the default catalog."
  }

  assert {
    condition = [for c in aws_glue_catalog_table.latest["all_orders_latest"].storage_descriptor[0].columns : c.name] == concat(
      [for c in aws_glue_catalog_table.curated["all_orders"].storage_descriptor[0].columns : c.name], ["marketplace", "dt", "seller_id"]
    )
    error_message = "A view's columns must be its table's columns then the partition keys."
  }
}

run "workgroup_enforces_encrypted_results_and_a_cutoff" {
  command = plan

  variables {
    bytes_scanned_cutoff_per_query = 1073741824
  }

  assert {
    condition     = aws_athena_workgroup.analytics[0].name == "acme-test-analytics" && aws_athena_workgroup.analytics[0].state == "ENABLED"
    error_message = "The workgroup must be named after the prefix and enabled."
  }

  assert {
    condition     = aws_athena_workgroup.analytics[0].configuration[0].enforce_workgroup_configuration
    error_message = "The workgroup's settings must override the clients'."
  }

  assert {
    condition     = aws_athena_workgroup.analytics[0].configuration[0].bytes_scanned_cutoff_per_query == 1073741824
    error_message = "The cutoff must be the variable's."
  }

  assert {
    condition = (
      aws_athena_workgroup.analytics[0].configuration[0].result_configuration[0].encryption_configuration[0].encryption_option == "SSE_KMS" &&
      aws_athena_workgroup.analytics[0].configuration[0].result_configuration[0].encryption_configuration[0].kms_key_arn == var.kms_key_arn
    )
    error_message = "Results must be encrypted with SSE_KMS and the data key."
  }

  assert {
    condition     = aws_athena_workgroup.analytics[0].configuration[0].result_configuration[0].output_location == "s3://${var.bucket_name}/athena-results/acme-test-analytics/"
    error_message = "Results must go under the results prefix of the reports bucket, in the workgroup's folder."
  }

  assert {
    condition     = aws_athena_workgroup.analytics[0].configuration[0].engine_version[0].selected_engine_version == "Athena engine version 3"
    error_message = "The workgroup must run engine version 3."
  }

  assert {
    condition     = output.query_results_location == "s3://${var.bucket_name}/athena-results/acme-test-analytics/"
    error_message = "The output must say where results go."
  }
}

run "the_analyst_policy_reads_only_the_curated_data_through_the_workgroup" {
  command = plan

  assert {
    condition = toset(flatten([for s in jsondecode(output.analyst_policy_json).Statement : s.Action])) == toset([
      "athena:GetWorkGroup", "athena:StartQueryExecution", "athena:StopQueryExecution", "athena:GetQueryExecution",
      "athena:GetQueryResults", "glue:GetDatabase", "glue:GetTable", "glue:GetTables", "s3:GetBucketLocation",
      "s3:ListBucket", "s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts",
      "s3:ListBucketMultipartUploads", "kms:Decrypt", "kms:GenerateDataKey",
    ])
    error_message = "The analyst policy must allow only querying, reading the catalog and the curated objects, and writing results."
  }

  assert {
    condition = [for s in jsondecode(output.analyst_policy_json).Statement : s.Resource if s.Sid == "QueryThroughTheWorkgroup"] == [
      "arn:aws:athena:us-east-1:123456789012:workgroup/acme-test-analytics"
    ]
    error_message = "Queries must be allowed only through the deployment's workgroup."
  }

  assert {
    condition = [for s in jsondecode(output.analyst_policy_json).Statement : s.Resource if s.Sid == "ReadTheCuratedTables"] == [
      "${var.bucket_arn}/curated/*"
    ]
    error_message = "Object reads must be limited to curated/ (not the raw documents, not curated-staging/)."
  }

  assert {
    condition = [for s in jsondecode(output.analyst_policy_json).Statement : s.Resource if s.Sid == "WriteAndReadQueryResults"] == [
      "${var.bucket_arn}/athena-results/acme-test-analytics/*"
    ] && [for s in jsondecode(output.analyst_policy_json).Statement : s.Resource if s.Sid == "ListTheResultUploadsInProgress"] == [var.bucket_arn]
    error_message = "Athena's multipart writes of results (Access to Amazon S3) must be allowed on the results prefix only, their listing on the bucket."
  }

  assert {
    condition = alltrue([
      for s in jsondecode(output.analyst_policy_json).Statement :
      s.Effect == "Allow" && (!strcontains(jsonencode(s.Resource), "*") || contains(["ReadTheCuratedTables", "WriteAndReadQueryResults", "ReadTheCatalog"], s.Sid))
    ])
    error_message = "Only the curated objects, the results and the database's tables may be named with a wildcard."
  }
}

run "a_database_name_can_be_given" {
  command = plan

  variables {
    database_name = "sellers_curated"
  }

  assert {
    condition     = output.database_name == "sellers_curated" && alltrue([for t in aws_glue_catalog_table.curated : t.database_name == "sellers_curated"])
    error_message = "The database name override must name the database and its tables."
  }
}

run "disabled_creates_nothing" {
  command = plan

  variables {
    enabled = false
  }

  assert {
    condition = (
      length(aws_glue_catalog_database.curated) == 0 && length(aws_glue_catalog_table.curated) == 0 &&
      length(aws_glue_catalog_table.latest) == 0 && length(aws_athena_workgroup.analytics) == 0
    )
    error_message = "With enabled = false the module must create nothing."
  }

  assert {
    condition     = output.database_name == null && output.workgroup_name == null && length(output.table_names) == 0 && output.analyst_policy_json == null
    error_message = "With enabled = false the outputs must be empty."
  }
}

run "bad_inputs_are_refused" {
  command = plan

  variables {
    database_name                  = "Sellers-Curated"
    bytes_scanned_cutoff_per_query = 1000
    projection_start_date          = "2023-13-01"
    query_results_prefix           = "curated/"
  }

  expect_failures = [
    var.database_name,
    var.bytes_scanned_cutoff_per_query,
    var.projection_start_date,
    var.query_results_prefix,
  ]
}
