# What an analyst needs to query the curated tables through this workgroup, and nothing more: a policy document a
# platform team attaches to its analysts' roles (this module creates no principal). Athena runs a query with its
# caller's permissions: it reads the Glue tables and the S3 objects under them, and writes the results, as the
# caller (Athena User Guide, "Identity and access management in Athena" and "Access to Amazon S3":
# https://docs.aws.amazon.com/athena/latest/ug/security-iam-athena.html,
# https://docs.aws.amazon.com/athena/latest/ug/s3-permissions.html). The reports bucket's policy denies object
# reads to every principal it does not name, so the same principals go to the storage module's
# curated_reader_principal_arns (the root's analyst_principal_arns does both).

locals {
  arn_tail      = "${data.aws_region.current.id}:${data.aws_caller_identity.current.account_id}"
  workgroup_arn = "arn:${data.aws_partition.current.partition}:athena:${local.arn_tail}:workgroup/${local.workgroup_name}"
  glue_arns = [
    "arn:${data.aws_partition.current.partition}:glue:${local.arn_tail}:catalog",
    "arn:${data.aws_partition.current.partition}:glue:${local.arn_tail}:database/${local.database_name}",
    "arn:${data.aws_partition.current.partition}:glue:${local.arn_tail}:table/${local.database_name}/*",
  ]

  analyst_policy = {
    Version = "2012-10-17"
    Statement = [
      {
        Sid    = "QueryThroughTheWorkgroup"
        Effect = "Allow"
        Action = [
          "athena:GetWorkGroup",
          "athena:StartQueryExecution",
          "athena:StopQueryExecution",
          "athena:GetQueryExecution",
          "athena:GetQueryResults",
        ]
        Resource = local.workgroup_arn
      },
      {
        # Read only: the tables' and views' definitions (no partitions are registered: projection computes them).
        Sid      = "ReadTheCatalog"
        Effect   = "Allow"
        Action   = ["glue:GetDatabase", "glue:GetTable", "glue:GetTables"]
        Resource = local.glue_arns
      },
      {
        Sid      = "LocateTheBucket"
        Effect   = "Allow"
        Action   = "s3:GetBucketLocation"
        Resource = var.bucket_arn
      },
      {
        # Athena lists a partition's prefix to find its files; nothing else of the bucket is listed.
        Sid       = "ListTheCuratedAndResultPrefixes"
        Effect    = "Allow"
        Action    = "s3:ListBucket"
        Resource  = var.bucket_arn
        Condition = { StringLike = { "s3:prefix" = ["${local.catalog.curated_prefix}*", "${local.results_prefix}*"] } }
      },
      {
        # The curated Parquet only: never the raw documents, never curated-staging/.
        Sid      = "ReadTheCuratedTables"
        Effect   = "Allow"
        Action   = "s3:GetObject"
        Resource = "${var.bucket_arn}/${local.catalog.curated_prefix}*"
      },
      {
        # Athena writes a large result as a multipart upload, as the caller: the actions the "Access to Amazon S3"
        # page lists for the query results location (s3-permissions.html above), on the results objects only.
        Sid      = "WriteAndReadQueryResults"
        Effect   = "Allow"
        Action   = ["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]
        Resource = "${var.bucket_arn}/${local.results_prefix}*"
      },
      {
        # The bucket-level action of that list: it names the bucket, not a prefix, and shows the keys of uploads
        # in progress, never an object's content.
        Sid      = "ListTheResultUploadsInProgress"
        Effect   = "Allow"
        Action   = "s3:ListBucketMultipartUploads"
        Resource = var.bucket_arn
      },
      {
        # The curated objects and the results are encrypted with the data key; only S3 may use it on the
        # analyst's behalf (kms:ViaService).
        Sid       = "UseTheDataKeyThroughS3"
        Effect    = "Allow"
        Action    = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource  = var.kms_key_arn
        Condition = { StringEquals = { "kms:ViaService" = "s3.${data.aws_region.current.id}.amazonaws.com" } }
      },
    ]
  }
}
