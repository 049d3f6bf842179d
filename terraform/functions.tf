# The stack's functions and everything Terraform derives from them: the function map (local.functions, the one
# list of the functions in Terraform), the permission statements they share, their environment, settings and
# policies, and the IAM role names the root gives the modules. It lives apart from main.tf, which wires the
# modules together, because it is most of what changes when a function is added or its permissions change; the
# modules in main.tf read it as local.function_settings and local.function_policy_statements, filtered by group.
locals {
  # The stack's functions, the one list of them in Terraform. Adding a function is adding an entry here (and its
  # handler, src/sp_reports/handlers FUNCTIONS). The key names the handler (handlers.<key>.handler), the zip (<key>.zip),
  # the function (<name_prefix>-<key with dashes>) and its execution role (<iam_name_prefix>-<key with dashes>,
  # local.iam_role_names). group says who invokes it and so which module deploys it: api (serving the API's `route`), processor (the notifications queue), workflow
  # (doing the report workflow's `task`) or standalone (deployed by module.standalone_function below; what
  # invokes it, e.g. a schedule, is wired beside it). memory_size and timeout are defaults that lambda_memory_sizes and
  # lambda_timeouts override. environment names what it gets beyond common_environment (the values are in
  # environment_values). policy_statements are its own permissions, each its own actions on its own resources
  # (shared ones in local.statements); data_key_services are the services it uses the data key through, its
  # last statement (kms:ViaService). Key policies follow the statements: a function with
  # statements.decrypt_refresh_tokens may decrypt with the tokens key, one with signs_download_links = true
  # may assume the link signer (see token_readers and link_signers below).
  functions = merge({
    token_storage = {
      group       = "api"
      description = "POST /tokens: checks a seller's refresh token with LWA and stores it encrypted"
      route       = "create_token"
      memory_size = 256
      timeout     = 29
      environment = ["TOKENS_TABLE_NAME", "TOKENS_KMS_KEY_ID", "LWA_CREDENTIALS_SECRET_ARN"]
      policy_statements = [
        {
          Sid      = "UpsertEncryptedRefreshTokens"
          Effect   = "Allow"
          Action   = ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem"]
          Resource = module.storage.tokens_table_arn
        },
        local.statements.encrypt_refresh_tokens,
        local.statements.read_lwa_credentials,
      ]
      data_key_services = ["dynamodb", "secretsmanager"]
    }
    notifications_subscriber = {
      group             = "api"
      description       = "POST /notifications: subscribes a seller to REPORT_PROCESSING_FINISHED"
      route             = "create_subscription"
      memory_size       = 256
      timeout           = 29
      environment       = ["TOKENS_TABLE_NAME", "LWA_CREDENTIALS_SECRET_ARN", "NOTIFICATIONS_QUEUE_ARN", "SPAPI_DESTINATION_NAME"]
      policy_statements = [local.statements.read_refresh_tokens, local.statements.decrypt_refresh_tokens, local.statements.read_lwa_credentials]
      data_key_services = ["dynamodb", "secretsmanager"]
    }
    report_creator = {
      group       = "api"
      description = "POST /reports: requests a report from SP-API and records it"
      route       = "create_report"
      memory_size = 256
      timeout     = 29
      environment = ["TOKENS_TABLE_NAME", "REPORTS_TABLE_NAME", "LWA_CREDENTIALS_SECRET_ARN", "REPORT_RECORD_TTL_DAYS", "SELLER_DAILY_REPORT_BUDGET", "CALLER_DAILY_REPORT_BUDGET", "ALLOW_RESTRICTED_REPORT_TYPES"]
      policy_statements = [
        local.statements.read_refresh_tokens,
        local.statements.decrypt_refresh_tokens,
        local.statements.read_lwa_credentials,
        {
          Sid      = "RecordRequestedReports"
          Effect   = "Allow"
          Action   = "dynamodb:PutItem"
          Resource = module.storage.reports_table_arn
        },
        {
          # Request intents (src/sp_reports/pipeline/report_records.py) are written before createReport and removed
          # once the report is recorded; only their items (partition keys request-intents#...), by
          # dynamodb:LeadingKeys (DynamoDB Developer Guide, "Using IAM policy conditions for fine-grained access
          # control").
          Sid       = "TrackReportRequestIntents"
          Effect    = "Allow"
          Action    = ["dynamodb:UpdateItem", "dynamodb:DeleteItem"]
          Resource  = module.storage.reports_table_arn
          Condition = { "ForAllValues:StringLike" = { "dynamodb:LeadingKeys" = ["request-intents#*"] } }
        },
        {
          # What the sweep looks for (src/sp_reports/pipeline/sweep_state.py): the seller's requested report types
          # per region and the first watermark, noted once SP-API accepted a report; only the sweep's seller
          # items (partition keys sweep-seller#...), by dynamodb:LeadingKeys.
          Sid       = "NoteRequestedReportTypesForTheSweep"
          Effect    = "Allow"
          Action    = "dynamodb:UpdateItem"
          Resource  = module.storage.reports_table_arn
          Condition = { "ForAllValues:StringLike" = { "dynamodb:LeadingKeys" = ["sweep-seller#*"] } }
        },
        {
          # A report type's cooldown per seller and marketplace, the one the pull planner takes too
          # (src/sp_reports/pipeline/report_cooldowns.py): taken before createReport and given back when it made no
          # report, each a conditional UpdateItem. Only the cooldown items (partition keys report-cooldown#...), by
          # dynamodb:LeadingKeys.
          Sid       = "TakeReportTypeCooldowns"
          Effect    = "Allow"
          Action    = "dynamodb:UpdateItem"
          Resource  = module.storage.reports_table_arn
          Condition = { "ForAllValues:StringLike" = { "dynamodb:LeadingKeys" = ["report-cooldown#*"] } }
        },
        {
          # Each seller's and each caller's count of reports for the UTC day (src/sp_reports/pipeline/
          # report_budget.py): spent and given back with UpdateItem, deleted when a request that created nothing
          # brings it back to zero. Only those items (partition keys report-budget#... and
          # caller-report-budget#...) and only their attributes, by dynamodb:LeadingKeys and
          # dynamodb:Attributes; no other return values than the update's own (DynamoDB Developer Guide,
          # "Using IAM policy conditions for fine-grained access control").
          Sid      = "SpendDailyReportBudgets"
          Effect   = "Allow"
          Action   = ["dynamodb:UpdateItem", "dynamodb:DeleteItem"]
          Resource = module.storage.reports_table_arn
          Condition = {
            "ForAllValues:StringLike"   = { "dynamodb:LeadingKeys" = ["report-budget#*", "caller-report-budget#*"] }
            "ForAllValues:StringEquals" = { "dynamodb:Attributes" = ["ReportId", "ReportCount", "ExpiresAt"] }
            StringEqualsIfExists        = { "dynamodb:ReturnValues" = ["NONE", "UPDATED_NEW"] }
          }
        },
      ]
      data_key_services = ["dynamodb", "secretsmanager"]
    }
    report_status = {
      group       = "api"
      description = "GET /reports/{reportId}: the recorded status and a fresh download link"
      route       = "get_report"
      memory_size = 256
      timeout     = 29
      environment = ["REPORTS_TABLE_NAME", "REPORTS_BUCKET_NAME", "PRESIGNED_URL_TTL_SECONDS", "DOWNLOAD_LINK_SIGNER_ROLE_ARN"]
      policy_statements = [
        {
          Sid      = "ReadReportRecords"
          Effect   = "Allow"
          Action   = "dynamodb:GetItem"
          Resource = module.storage.reports_table_arn
        },
      ]
      signs_download_links = true
      data_key_services    = ["dynamodb"]
    }
    notifications_processor = {
      group       = "processor"
      description = "Starts one report workflow execution per REPORT_PROCESSING_FINISHED notification"
      memory_size = 256
      timeout     = 60
      environment = ["REPORTS_TABLE_NAME", "STATE_MACHINE_ARN", "PROCESS_UNREQUESTED_REPORTS", "SPAPI_APPLICATION_ID", "ALLOW_RESTRICTED_REPORT_TYPES", "TOKENS_TABLE_NAME"]
      # Consuming the queue (ConsumeNotificationQueue) is granted by the queue module, which owns the queue.
      policy_statements = [
        {
          Sid      = "TrackReportRecords"
          Effect   = "Allow"
          Action   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
          Resource = module.storage.reports_table_arn
        },
        {
          # APPLICATION_OAUTH_CHANGED (Deauthorization): the seller's token goes (src/sp_reports/pipeline/
          # seller_erasure.py, revoke), deleted by key; nothing of the token is read.
          Sid      = "EraseDeauthorizedSellersTokens"
          Effect   = "Allow"
          Action   = "dynamodb:DeleteItem"
          Resource = module.storage.tokens_table_arn
        },
        {
          # ... and its sweep state and the sweep cursor when it names the seller: only the sweep's items, by
          # dynamodb:LeadingKeys (DynamoDB Developer Guide, "Using IAM policy conditions for fine-grained
          # access control").
          Sid       = "StopDeauthorizedSellersSweep"
          Effect    = "Allow"
          Action    = "dynamodb:DeleteItem"
          Resource  = module.storage.reports_table_arn
          Condition = { "ForAllValues:StringLike" = { "dynamodb:LeadingKeys" = ["sweep-seller#*", "sweep-cursor#"] } }
        },
        local.statements.start_report_workflow,
        local.statements.find_report_workflow_executions,
        {
          # A notification of a report requested with a seller's token, naming that seller, binds the token
          # (src/sp_reports/pipeline/notifications_processing.py, _confirm_token): Bound and BoundAt only, the
          # condition reading EncryptedRefreshToken and UpdatedAt; nothing decrypted, nothing returned.
          Sid      = "BindConfirmedSellerTokens"
          Effect   = "Allow"
          Action   = "dynamodb:UpdateItem"
          Resource = module.storage.tokens_table_arn
          Condition = {
            "ForAllValues:StringEquals" = { "dynamodb:Attributes" = ["SellerId", "Bound", "BoundAt", "EncryptedRefreshToken", "UpdatedAt"] }
            StringEqualsIfExists        = { "dynamodb:ReturnValues" = ["NONE"] }
          }
        },
      ]
      data_key_services = ["dynamodb", "sqs"]
    }
    report_storer = {
      group       = "workflow"
      description = "Streams a finished report document from SP-API into S3"
      task        = "store"
      # 512 MB comes from `make bench` (docs/benchmarks.md): twice the streaming store's projected peak RSS,
      # and the CPU share (Lambda scales CPU with memory) to store a 5 GiB report in half its timeout.
      memory_size = 512
      timeout     = 300
      environment = ["TOKENS_TABLE_NAME", "REPORTS_TABLE_NAME", "LWA_CREDENTIALS_SECRET_ARN", "REPORTS_BUCKET_NAME", "REPORTS_KMS_KEY_ID", "TRANSCODE_REPORTS_TO_UTF8", "MAX_DOCUMENT_BYTES"]
      policy_statements = [
        local.statements.read_refresh_tokens,
        local.statements.decrypt_refresh_tokens,
        local.statements.read_lwa_credentials,
        {
          # Records where the document went; the report's context comes in the execution input, so the storer
          # reads no record (the update's condition says whether one exists).
          Sid      = "UpdateReportRecords"
          Effect   = "Allow"
          Action   = "dynamodb:UpdateItem"
          Resource = module.storage.reports_table_arn
        },
        {
          # The "already stored" check HEADs a key that usually does not exist yet. Without s3:ListBucket on the
          # bucket S3 answers that with 403, not 404 (S3 API reference, HeadObject: "If you don't have the
          # s3:ListBucket permission, Amazon S3 returns an HTTP status code 403 Forbidden error"), and every
          # report would fail there. No s3:prefix condition: a HeadObject request carries no prefix key.
          Sid      = "TellMissingReportsFromForbiddenOnes"
          Effect   = "Allow"
          Action   = "s3:ListBucket"
          Resource = module.storage.reports_bucket_arn
        },
        {
          # GetObject also answers HeadObject (the "already stored" check); multipart uploads need the rest.
          Sid    = "StreamReportDocumentsIntoBucket"
          Effect = "Allow"
          # s3:PutObjectTagging: the upload carries the document's data-class tag (x-amz-tagging), which S3
          # authorises as tagging ("To use PutObject with tags, you must have the s3:PutObjectTagging
          # permission": S3 API Reference, PutObject).
          # A plan window's report is also copied to the window's key under plans/ (CopyObject reads the stored
          # report with s3:GetObject and writes with s3:PutObject) and named by the window's manifest
          # (src/sp_reports/pipeline/pull_window_objects.py): covered by the same object ARN.
          Action   = ["s3:PutObject", "s3:PutObjectTagging", "s3:GetObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]
          Resource = "${module.storage.reports_bucket_arn}/*"
        },
      ]
      data_key_services = ["dynamodb", "secretsmanager", "s3"]
    }
    report_converter = {
      group       = "workflow"
      description = "Converts a stored DONE report's document into typed Parquet under curated/"
      task        = "convert"
      # A 1 GiB document streams through pyarrow in bounded row groups: 2048 MB holds pyarrow's buffers with room
      # and buys 1.16 vCPU (Lambda gives one vCPU per 1769 MB); 900 s, Lambda's most, for the largest documents.
      # /tmp holds what the Parquet writer spools (ephemeral_storage_mb; lambda_ephemeral_storage_sizes).
      memory_size          = 2048
      timeout              = 900
      ephemeral_storage_mb = 1024
      environment          = ["REPORTS_TABLE_NAME", "REPORTS_KMS_KEY_ID"]
      policy_statements = [
        {
          # Reads the report record (type, marketplaces, data range) and records the conversion's outcome on it.
          Sid      = "RecordReportConversions"
          Effect   = "Allow"
          Action   = ["dynamodb:GetItem", "dynamodb:UpdateItem"]
          Resource = module.storage.reports_table_arn
        },
        {
          # The stored reports only (<seller>/<type>/<report id>/report.<ext>, report_storage.report_key), not the
          # error documents or the plans' copies. GetObject answers HeadObject too (the stored charset);
          # GetObjectTagging reads the data-class tag the curated objects carry on.
          Sid      = "ReadStoredReportDocuments"
          Effect   = "Allow"
          Action   = ["s3:GetObject", "s3:GetObjectTagging"]
          Resource = "${module.storage.reports_bucket_arn}/*/report.*"
        },
        {
          # The Parquet file is uploaded (multipart for a large one) under curated-staging/, copied to its curated
          # key in one CopyObject (its source read with GetObject) and deleted. Tagged writes need
          # s3:PutObjectTagging (S3 API Reference, PutObject); a failed multipart upload is aborted.
          Sid      = "WriteStagedParquetFiles"
          Effect   = "Allow"
          Action   = ["s3:PutObject", "s3:PutObjectTagging", "s3:GetObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
          Resource = "${module.storage.reports_bucket_arn}/curated-staging/*"
        },
        {
          # Publishing a file: the CopyObject's destination, with the raw report's tags (TaggingDirective
          # REPLACE). GetObject answers the HeadObject that reads the window version a held file names (an
          # older version never replaces a newer one's file); nothing under curated/ is deleted by the converter.
          Sid      = "PublishCuratedParquetFiles"
          Effect   = "Allow"
          Action   = ["s3:PutObject", "s3:PutObjectTagging", "s3:GetObject"]
          Resource = "${module.storage.reports_bucket_arn}/curated/*"
        },
      ]
      data_key_services = ["dynamodb", "s3"]
    }
    report_notifier = {
      group       = "workflow"
      description = "Emails the outcome through SNS (with a presigned download link only with email_download_links)"
      task        = "notify"
      memory_size = 256
      timeout     = 60
      # NOTIFICATIONS_TOPIC_ARN is added by the state_machine module, which owns the topic. The link signer and
      # the links' lifetime only when emails carry links (email_download_links).
      environment = concat(["REPORTS_TABLE_NAME", "REPORTS_BUCKET_NAME", "EMAIL_DOWNLOAD_LINKS", "PULL_PLANS_TABLE_NAME"], var.email_download_links ? ["PRESIGNED_URL_TTL_SECONDS", "DOWNLOAD_LINK_SIGNER_ROLE_ARN"] : [])
      policy_statements = [
        {
          Sid      = "UpdateReportRecords"
          Effect   = "Allow"
          Action   = ["dynamodb:GetItem", "dynamodb:UpdateItem"]
          Resource = module.storage.reports_table_arn
        },
        # A plan window's report settles its ledger entry (src/sp_reports/pipeline/pull_window_outcomes.py).
        local.statements.track_pull_plan_windows,
        {
          Sid      = "PublishReportNotifications"
          Effect   = "Allow"
          Action   = "sns:Publish"
          Resource = module.state_machine.topic_arn
        },
        {
          # Publishing reaches only confirmed subscriptions (email ones stay pending until their owner confirms):
          # the notifier counts them so the record never claims a delivery nobody could receive.
          Sid      = "CountConfirmedRecipients"
          Effect   = "Allow"
          Action   = "sns:ListSubscriptionsByTopic"
          Resource = module.state_machine.topic_arn
        },
      ]
      # Only a notifier that emails links may assume the link signer (and is named in its trust policy).
      signs_download_links = var.email_download_links
      data_key_services    = ["dynamodb", "sns"]
    }
    report_sweeper = {
      group       = "standalone"
      description = "Scheduled sweep: starts the workflow of every finished report of ours no notification brought in"
      # Invoked by module.sweep_schedule (EventBridge Scheduler, sweep.tf). Ten minutes: a run stops on its own
      # before its timeout (get_remaining_time_in_millis) and the next resumes where it stopped.
      memory_size = 256
      timeout     = 600
      environment = ["TOKENS_TABLE_NAME", "REPORTS_TABLE_NAME", "STATE_MACHINE_ARN", "LWA_CREDENTIALS_SECRET_ARN", "PROCESS_UNREQUESTED_REPORTS", "SWEEP_STUCK_AFTER_HOURS", "SWEEP_AMAZON_GENERATED_REPORT_TYPES", "ALLOW_RESTRICTED_REPORT_TYPES"]
      policy_statements = [
        {
          # The sellers with a stored token: a Scan that projects SellerId and UpdatedAt (nothing decrypted).
          Sid      = "ListSellersWithTokens"
          Effect   = "Allow"
          Action   = "dynamodb:Scan"
          Resource = module.storage.tokens_table_arn
        },
        local.statements.read_refresh_tokens,
        local.statements.decrypt_refresh_tokens,
        local.statements.read_lwa_credentials,
        {
          # Report records, changed as the notifications processor changes them (read; recorded from a request
          # intent or, opted in, an Amazon-generated report; moved to PROCESSING), and the sweep's own items
          # (sweep-seller#<seller>: watermarks, requested types, a revoked token; sweep-cursor#).
          Sid      = "TrackReportRecordsAndSweepState"
          Effect   = "Allow"
          Action   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
          Resource = module.storage.reports_table_arn
        },
        local.statements.start_report_workflow,
        local.statements.find_report_workflow_executions,
      ]
      data_key_services = ["dynamodb", "secretsmanager"]
    }
    pull_planner = {
      group       = "standalone"
      description = "Scheduled pull planner: requests each pull plan's due windows and records them in the plans ledger"
      # Invoked by module.pull_planner_schedule (pull_planner.tf). A tick stops on its own well before its timeout
      # (get_remaining_time_in_millis) and the next resumes where it stopped.
      memory_size = 256
      timeout     = 300
      environment = ["TOKENS_TABLE_NAME", "REPORTS_TABLE_NAME", "PULL_PLANS_TABLE_NAME", "LWA_CREDENTIALS_SECRET_ARN", "REPORTS_BUCKET_NAME", "REPORTS_KMS_KEY_ID", "REPORT_RECORD_TTL_DAYS", "PULL_PLANNER_MAX_REPORTS_PER_TICK", "STATE_MACHINE_ARN"]
      policy_statements = [
        local.statements.read_refresh_tokens,
        local.statements.decrypt_refresh_tokens,
        local.statements.read_lwa_credentials,
        {
          # The plans' next-due index (sparse GSI `due`, sharded by plan): which plans are due, no table scan.
          Sid      = "FindDuePullPlans"
          Effect   = "Allow"
          Action   = "dynamodb:Query"
          Resource = "${module.storage.pull_plans_table_arn}/index/due"
        },
        local.statements.track_pull_plan_windows,
        {
          # Lists a plan's ledger (Query); reading the plan, claiming window versions (conditional UpdateItem) and
          # setting the plan's next due time are TrackPullPlanWindows. Only the plans' items (partition keys
          # plan#...), by dynamodb:LeadingKeys.
          Sid       = "ListPullPlanLedgers"
          Effect    = "Allow"
          Action    = "dynamodb:Query"
          Resource  = module.storage.pull_plans_table_arn
          Condition = { "ForAllValues:StringLike" = { "dynamodb:LeadingKeys" = ["plan#*"] } }
        },
        {
          # A window's report is recorded as requested (with PlanId, WindowKey, WindowVersion), read back when it is
          # adopted or reconciled, and named with its window when it was recorded without (from its intent). The
          # intent (request-intents#...), the sweep's note (sweep-seller#...) and the report type cooldowns shared
          # with POST /reports (report-cooldown#...) are UpdateItem/DeleteItem too.
          Sid      = "RecordPlannedReports"
          Effect   = "Allow"
          Action   = ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem"]
          Resource = module.storage.reports_table_arn
        },
        {
          Sid       = "ForgetSettledRequestIntents"
          Effect    = "Allow"
          Action    = "dynamodb:DeleteItem"
          Resource  = module.storage.reports_table_arn
          Condition = { "ForAllValues:StringLike" = { "dynamodb:LeadingKeys" = ["request-intents#*"] } }
        },
        {
          # A report that finished before its record named its window is placed by the planner: the stored report is
          # read (CopyObject's source), the window's key and manifest written. HeadObject of a missing key needs
          # s3:ListBucket to answer 404, not 403 (S3 API Reference, HeadObject).
          Sid      = "TellMissingWindowObjectsFromForbiddenOnes"
          Effect   = "Allow"
          Action   = "s3:ListBucket"
          Resource = module.storage.reports_bucket_arn
        },
        {
          Sid      = "ReadStoredReportsAndManifests"
          Effect   = "Allow"
          Action   = "s3:GetObject"
          Resource = "${module.storage.reports_bucket_arn}/*"
        },
        local.statements.write_pull_window_objects,
        # A discover plan's report (src/sp_reports/pipeline/pull_discovery.py) goes on its way as the sweep sends
        # one whose notification never came: the same workflow, the same execution name.
        local.statements.start_report_workflow,
        local.statements.find_report_workflow_executions,
      ]
      data_key_services = ["dynamodb", "secretsmanager", "s3"]
    }
    seller_eraser = {
      group       = "api"
      description = "DELETE /sellers/{sellerId}: erases a seller's subscriptions, token, records, sweep state, pull plans and objects"
      route       = "delete_seller"
      memory_size = 256
      timeout     = 29
      environment = ["TOKENS_TABLE_NAME", "REPORTS_TABLE_NAME", "REPORTS_BUCKET_NAME", "LWA_CREDENTIALS_SECRET_ARN", "NOTIFICATIONS_QUEUE_ARN", "PULL_PLANS_TABLE_NAME"]
      policy_statements = [
        # The seller's token deletes its SP-API subscriptions before it is erased itself.
        local.statements.read_refresh_tokens,
        local.statements.decrypt_refresh_tokens,
        local.statements.read_lwa_credentials,
        {
          Sid      = "EraseSellerTokens"
          Effect   = "Allow"
          Action   = "dynamodb:DeleteItem"
          Resource = module.storage.tokens_table_arn
        },
        {
          # The table has no index by seller: a Scan (projecting ReportId) finds the seller's records, request
          # intents and budgets (src/sp_reports/pipeline/seller_erasure.py); each is deleted by its key.
          Sid      = "FindAndEraseSellerItems"
          Effect   = "Allow"
          Action   = ["dynamodb:Scan", "dynamodb:DeleteItem"]
          Resource = module.storage.reports_table_arn
        },
        {
          # A Query of the seller index finds the seller's pull plans, deleted ones too; a Query per plan lists
          # its ledger and BatchWriteItem deletes it (src/sp_reports/pipeline/pull_ledger.py, erase_seller).
          # A Query of an index is authorised against the index's ARN (DynamoDB Developer Guide, "Using IAM
          # policy conditions for fine-grained access control"), so the table and that one index only.
          Sid      = "FindAndEraseSellerPullPlans"
          Effect   = "Allow"
          Action   = ["dynamodb:Query", "dynamodb:BatchWriteItem"]
          Resource = [module.storage.pull_plans_table_arn, "${module.storage.pull_plans_table_arn}/index/seller"]
        },
        {
          # ListObjectVersions is authorised as s3:ListBucketVersions (S3 API Reference, ListObjectVersions), its
          # Prefix as the s3:prefix condition key (Service Authorization Reference, Amazon S3). The erasure lists
          # only the seller's prefixes (seller_object_prefixes in src/sp_reports/pipeline/seller_erasure.py):
          # <seller>/, plans/<seller>/ and curated/<table>/seller_id=<seller>/. IAM's wildcards match "/" as
          # well, so the seller-named <seller>/ admits no narrower pattern than "*/"; the condition still
          # refuses a listing of the whole bucket (no prefix: the key is absent, StringLike fails) and one by
          # a partial key name.
          Sid       = "ListSellerObjectVersions"
          Effect    = "Allow"
          Action    = "s3:ListBucketVersions"
          Resource  = module.storage.reports_bucket_arn
          Condition = { StringLike = { "s3:prefix" = ["*/"] } }
        },
        {
          # DeleteObjects with version ids needs, for each key, s3:DeleteObject and s3:DeleteObjectVersion (S3 API
          # Reference, DeleteObjects: "To delete an object from a bucket, you must always specify the
          # s3:DeleteObject permission"; "To delete a specific version ... the s3:DeleteObjectVersion permission").
          Sid      = "DeleteSellerObjectVersions"
          Effect   = "Allow"
          Action   = ["s3:DeleteObject", "s3:DeleteObjectVersion"]
          Resource = "${module.storage.reports_bucket_arn}/*"
        },
      ]
      data_key_services = ["dynamodb", "secretsmanager"]
    }
    plans_api = {
      group       = "api"
      description = "/plans: creates, lists, shows, changes and deletes pull plans, and answers a plan's coverage"
      route       = "plans"
      memory_size = 256
      timeout     = 29
      # The planner's pace (reports per tick, ticks per schedule) gives the coverage its backfill estimate; the
      # reports table, each stored window's conversion.
      environment = ["TOKENS_TABLE_NAME", "PULL_PLANS_TABLE_NAME", "REPORTS_TABLE_NAME", "SELLER_DAILY_REPORT_BUDGET", "ALLOW_RESTRICTED_REPORT_TYPES", "PULL_PLANNER_MAX_REPORTS_PER_TICK", "PULL_PLANNER_SCHEDULE_EXPRESSION"]
      policy_statements = [
        {
          # A plan (SK plan) and its ledger (SK window#...) share the partition plan#<plan id>
          # (src/sp_reports/pipeline/pull_ledger.py): the function reads, writes and changes plan items (a
          # deleted plan stays as a tombstone: UpdateItem) and Queries the ledger for the coverage; only those
          # partitions, by dynamodb:LeadingKeys (DynamoDB Developer Guide, "Using IAM policy conditions for
          # fine-grained access control").
          Sid       = "ManagePullPlansAndReadTheirLedger"
          Effect    = "Allow"
          Action    = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"]
          Resource  = module.storage.pull_plans_table_arn
          Condition = { "ForAllValues:StringLike" = { "dynamodb:LeadingKeys" = ["plan#*"] } }
        },
        {
          # GET /plans: a seller's plans (Query) or, without tenant isolation, every plan (Scan) through the
          # sparse seller index, which holds plan items only.
          Sid      = "ListPullPlans"
          Effect   = "Allow"
          Action   = ["dynamodb:Query", "dynamodb:Scan"]
          Resource = "${module.storage.pull_plans_table_arn}/index/seller"
        },
        {
          # A coverage's stored windows say their conversion: the reports' records, ReportId and Conversion
          # only (src/sp_reports/pipeline/report_records.py, conversions), by dynamodb:Attributes and
          # dynamodb:Select.
          Sid      = "ReadReportConversions"
          Effect   = "Allow"
          Action   = "dynamodb:BatchGetItem"
          Resource = module.storage.reports_table_arn
          Condition = {
            "ForAllValues:StringEquals" = { "dynamodb:Attributes" = ["ReportId", "Conversion"] }
            StringEqualsIfExists        = { "dynamodb:Select" = ["SPECIFIC_ATTRIBUTES"] }
          }
        },
        {
          # Whether the seller has a stored token (src/sp_reports/pipeline/token_store.py, has_token): its key,
          # key id and time only, never the encrypted token, by dynamodb:Attributes and dynamodb:Select.
          Sid      = "CheckSellersHaveTokens"
          Effect   = "Allow"
          Action   = "dynamodb:GetItem"
          Resource = module.storage.tokens_table_arn
          Condition = {
            "ForAllValues:StringEquals" = { "dynamodb:Attributes" = ["SellerId", "KmsKeyId", "UpdatedAt"] }
            StringEqualsIfExists        = { "dynamodb:Select" = ["SPECIFIC_ATTRIBUTES"] }
          }
        },
      ]
      data_key_services = ["dynamodb"]
    }
  }, local.seller_authorization_functions)

  # Seller onboarding through Amazon's authorization workflow (var.seller_authorization_redirect_uri; off by
  # default): the log-in URI and the redirect URI, public API routes (modules/api). States live in the tokens
  # table under partition keys authorization-state#<sha256> (src/sp_reports/pipeline/seller_authorization.py):
  # the log-in function may only create those, by dynamodb:LeadingKeys; the redirect uses them up and stores
  # the seller's token.
  seller_authorization_functions = { for f, function in {
    authorization_login = {
      group             = "api"
      description       = "GET /authorization/login: the SP-API application's log-in URI; issues a single-use state"
      route             = "authorization_login"
      memory_size       = 256
      timeout           = 10
      environment       = ["TOKENS_TABLE_NAME", "SELLER_AUTHORIZATION_REDIRECT_URI"]
      policy_statements = [local.statements.issue_authorization_states]
      data_key_services = ["dynamodb"]
    }
    authorization_redirect = {
      group       = "api"
      description = "GET /authorization/redirect: checks the state, exchanges Amazon's code with LWA, stores the seller's token"
      route       = "authorization_redirect"
      memory_size = 256
      timeout     = 29
      environment = ["TOKENS_TABLE_NAME", "TOKENS_KMS_KEY_ID", "LWA_CREDENTIALS_SECRET_ARN", "SELLER_AUTHORIZATION_REDIRECT_URI"]
      policy_statements = [
        {
          Sid       = "UseUpAuthorizationStates"
          Effect    = "Allow"
          Action    = "dynamodb:DeleteItem"
          Resource  = module.storage.tokens_table_arn
          Condition = { "ForAllValues:StringLike" = { "dynamodb:LeadingKeys" = ["authorization-state#*"] } }
        },
        {
          Sid      = "UpsertEncryptedRefreshTokens"
          Effect   = "Allow"
          Action   = "dynamodb:UpdateItem"
          Resource = module.storage.tokens_table_arn
        },
        local.statements.encrypt_refresh_tokens,
        local.statements.read_lwa_credentials,
      ]
      data_key_services = ["dynamodb", "secretsmanager"]
    }
  } : f => function if var.seller_authorization_redirect_uri != null }

  # Statements several functions share. Nothing here (nor in local.functions) may wait for a function: the
  # functions' modules wait for their statements.
  statements = {
    # A plan window's ledger entry, read and settled (STORED, NO_DATA, FAILED, PARKED) by the notifier when its
    # report ends and by the planner; only the plans' items (partition keys plan#...), by dynamodb:LeadingKeys
    # (DynamoDB Developer Guide, "Using IAM policy conditions for fine-grained access control").
    track_pull_plan_windows = {
      Sid       = "TrackPullPlanWindows"
      Effect    = "Allow"
      Action    = ["dynamodb:GetItem", "dynamodb:UpdateItem"]
      Resource  = module.storage.pull_plans_table_arn
      Condition = { "ForAllValues:StringLike" = { "dynamodb:LeadingKeys" = ["plan#*"] } }
    }
    # The copies of plan windows' reports and their manifests, only under plans/ (pull_window_objects.py); the
    # data-class tag goes on with them (s3:PutObjectTagging, S3 API Reference, PutObject), a multipart copy
    # beyond 5 GB may need aborting.
    write_pull_window_objects = {
      Sid      = "WritePullWindowObjects"
      Effect   = "Allow"
      Action   = ["s3:PutObject", "s3:PutObjectTagging", "s3:AbortMultipartUpload"]
      Resource = "${module.storage.reports_bucket_arn}/plans/*"
    }
    # The notifications processor, the sweep and a discover plan's discovery start a report's workflow under the
    # same name
    # (execution_name in src/sp_reports/pipeline/notifications_processing.py).
    start_report_workflow = {
      Sid      = "StartReportWorkflow"
      Effect   = "Allow"
      Action   = "states:StartExecution"
      Resource = local.state_machine_arn
    }
    # A duplicate notification, or the sweep, looks up the report's execution by name (running, succeeded, or
    # ended without success and to be reported). DescribeExecution is authorised on the execution ARN; names
    # are per report, hence the wildcard over this state machine's executions only.
    find_report_workflow_executions = {
      Sid      = "FindReportWorkflowExecutions"
      Effect   = "Allow"
      Action   = "states:DescribeExecution"
      Resource = "${replace(local.state_machine_arn, ":stateMachine:", ":execution:")}:*"
    }
    issue_authorization_states = {
      Sid       = "IssueAuthorizationStates"
      Effect    = "Allow"
      Action    = "dynamodb:PutItem"
      Resource  = module.storage.tokens_table_arn
      Condition = { "ForAllValues:StringLike" = { "dynamodb:LeadingKeys" = ["authorization-state#*"] } }
    }
    read_refresh_tokens = {
      Sid      = "ReadEncryptedRefreshTokens"
      Effect   = "Allow"
      Action   = "dynamodb:GetItem"
      Resource = module.storage.tokens_table_arn
    }
    # Use of the tokens key; its key policy grants the same to the same roles (token_writers, token_readers).
    encrypt_refresh_tokens = {
      Sid       = "EncryptRefreshTokensWithSellerContext"
      Effect    = "Allow"
      Action    = "kms:Encrypt"
      Resource  = module.security.tokens_kms_key_arn
      Condition = module.security.tokens_key_condition
    }
    decrypt_refresh_tokens = {
      Sid       = "DecryptRefreshTokensWithSellerContext"
      Effect    = "Allow"
      Action    = "kms:Decrypt"
      Resource  = module.security.tokens_kms_key_arn
      Condition = module.security.tokens_key_condition
    }
    read_lwa_credentials = {
      Sid      = "ReadLwaAppCredentials"
      Effect   = "Allow"
      Action   = "secretsmanager:GetSecretValue"
      Resource = module.security.lwa_credentials_secret_arn
    }
  }

  # Download links are signed by the link-signer role, not by the function's own credentials: a presigned URL
  # dies with its signer's session, and only an assumed session's end is known (security module). Given to the
  # functions with signs_download_links, outside local.functions and local.statements: the signer's ARN holds an
  # IAM name, and the check of the IAM names (variables.tf, iam_name_prefix) reads local.functions' keys, so
  # local.functions may not wait for an IAM name.
  download_link_signing_statement = {
    Sid      = "SignDownloadLinksAsTheLinkSigner"
    Effect   = "Allow"
    Action   = "sts:AssumeRole"
    Resource = module.security.download_link_signer_role_arn
  }

  # Who the key policy and the signer's trust policy name, read from the statements by Sid and from
  # signs_download_links (known at plan time).
  token_writers = [for f, function in local.functions : f if contains(function.policy_statements[*].Sid, local.statements.encrypt_refresh_tokens.Sid)]
  token_readers = [for f, function in local.functions : f if contains(function.policy_statements[*].Sid, local.statements.decrypt_refresh_tokens.Sid)]
  link_signers  = [for f, function in local.functions : f if try(function.signs_download_links, false)]

  # With tenant_isolation every API function checks the tenant map before acting for a seller
  # (src/sp_reports/pipeline/tenancy.py): each of its routes names a seller (in the body, or the record's). It reads
  # one item per request; the map is written by operators, never by the stack.
  tenant_bound = var.tenant_isolation ? [for f, function in local.functions : f if function.group == "api"] : []
  read_tenant_map_statement = {
    Sid      = "ReadTenantMap"
    Effect   = "Allow"
    Action   = "dynamodb:GetItem"
    Resource = module.storage.tenant_map_table_arn
  }

  # Each function's statements, assuming the link signer if it signs download links, and, last, its use of the
  # data key (the tables, the secret, the bucket, the queue and the topic are all encrypted with it) through its
  # services only: kms:ViaService keeps a role from using it directly.
  function_policy_statements = {
    for f, function in local.functions : f => concat(function.policy_statements, contains(local.link_signers, f) ? [local.download_link_signing_statement] : [], contains(local.tenant_bound, f) ? [local.read_tenant_map_statement] : [], [for s in local.spapi_emulator_statements : s if contains(local.spapi_callers, f)], [{
      Sid      = "UseDataKeyOnlyThroughItsServices"
      Effect   = "Allow"
      Action   = ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
      Resource = module.security.data_kms_key_arn
      Condition = {
        StringEquals = { "kms:ViaService" = [for service in function.data_key_services : "${service}.${data.aws_region.current.id}.amazonaws.com"] }
      }
    }])
  }

  # The functions that call SP-API, LWA or the Tokens API: those that read the LWA app credentials (every such
  # call starts with an LWA access token).
  spapi_callers = [for f, function in local.functions : f if contains(function.environment, "LWA_CREDENTIALS_SECRET_ARN")]

  # Test only (var.test_spapi_emulator_function_arn): the callers reach the SP-API emulator through its function
  # URL with AWS_IAM auth, signing their requests. Such a URL needs both permissions on the function (Lambda
  # Developer Guide, "Control access to Lambda function URLs": "Starting in October 2025, new function URLs will
  # require both lambda:InvokeFunctionUrl and lambda:InvokeFunction permissions";
  # https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html).
  spapi_emulator_statements = flatten([for emulator in compact([var.test_spapi_emulator_function_arn]) : [
    {
      Sid       = "TestOnlyCallTheSpApiEmulatorUrl"
      Effect    = "Allow"
      Action    = "lambda:InvokeFunctionUrl"
      Resource  = emulator
      Condition = { StringEquals = { "lambda:FunctionUrlAuthType" = "AWS_IAM" } }
    },
    {
      Sid      = "TestOnlyInvokeTheSpApiEmulator"
      Effect   = "Allow"
      Action   = "lambda:InvokeFunction"
      Resource = emulator
    },
  ]])
  spapi_emulator_environment = var.test_spapi_emulator_function_arn == null ? {} : { SPAPI_ENDPOINT_AUTH = "aws_iam" }

  # Execution role ARN per function, from the modules that create the roles.
  function_role_arns = merge(
    module.api.function_role_arns,
    module.state_machine.function_role_arns,
    { (local.processor_function) = module.queue.processor_role_arn },
    { for f, function in module.standalone_function : f => function.function_role_arn },
  )

  processor_function = one([for f, function in local.functions : f if function.group == "processor"])

  # IAM names are global to the account while every other name of the stack is regional: with the region in
  # them (the default), one name_prefix deploys in several regions of an account. Every IAM role the stack
  # creates, by what it is for; the root gives each module its names, so these are the names planned.
  iam_name_prefix = coalesce(var.iam_name_prefix, "${var.name_prefix}-${data.aws_region.current.id}")
  iam_role_suffixes = merge(
    { for f in keys(local.functions) : f => replace(f, "_", "-") },
    {
      report_workflow         = "report-workflow"
      report_sweeper_schedule = "report-sweeper-schedule"
      pull_planner_schedule   = "pull-planner-schedule"
      # Named by the security module from iam_name_prefix (the optional API invoke user is named like the role).
      download_link_signer = "download-link-signer"
      api_invoke           = "api-invoke"
    },
  )
  iam_role_names = { for role, suffix in local.iam_role_suffixes : role => "${local.iam_name_prefix}-${suffix}" }
  # The API invoke role (modules/security), built from its path and name (IAM User Guide, "IAM identifiers":
  # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html): the API's resource policy names
  # it, while the role's own policy names the API.
  api_invoke_role_arn = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:role${var.iam_role_path}${local.iam_role_names.api_invoke}"
  # What makes the longest role name (variables.tf checks it with the prefix against IAM's limit).
  iam_longest_role_suffix = [for suffix in values(local.iam_role_suffixes) : suffix if length(suffix) == max([for s in values(local.iam_role_suffixes) : length(s)]...)][0]

  package_dir            = coalesce(var.lambda_package_dir, "${path.module}/../.build/lambda")
  spapi_destination_name = coalesce(var.spapi_destination_name, "${var.name_prefix}-notifications")

  # Built from the name the state_machine module gives it ("<name_prefix>-report-workflow"; the root test
  # checks they agree): the processor's environment cannot wait for the state machine, which invokes the
  # workflow functions whose environment comes from the same environment_values (one local is one node of
  # Terraform's graph).
  state_machine_arn = "arn:${data.aws_partition.current.partition}:states:${data.aws_region.current.id}:${data.aws_caller_identity.current.account_id}:stateMachine:${var.name_prefix}-report-workflow"

  common_environment = merge(
    {
      POWERTOOLS_SERVICE_NAME      = var.name_prefix
      POWERTOOLS_METRICS_NAMESPACE = var.metrics_namespace
      LOG_LEVEL                    = var.log_level
      # No exception object in X-Ray metadata: nothing redacts it there (src/sp_reports/handlers/_observability.py,
      # which forces the same; https://docs.powertools.aws.dev/lambda/python/latest/core/tracer/).
      POWERTOOLS_TRACER_CAPTURE_ERROR = "false"
    },
    # TEST ONLY (variables.tf): the code honours SPAPI_ENDPOINT_URL / LWA_ENDPOINT_URL only beside it.
    var.test_endpoint_overrides ? { SP_REPORTS_TEST_ENDPOINTS = "true" } : {},
    var.spapi_endpoint_url == null ? {} : { SPAPI_ENDPOINT_URL = var.spapi_endpoint_url },
    var.lwa_endpoint_url == null ? {} : { LWA_ENDPOINT_URL = var.lwa_endpoint_url },
  )

  # Every environment variable a function may get, by name. Nothing here may depend on a function: the
  # queue's ARN comes from its name (the queue's own ARN waits for the processor's timeout), the state
  # machine's likewise (above).
  environment_values = {
    TOKENS_TABLE_NAME             = module.storage.tokens_table_name
    REPORTS_TABLE_NAME            = module.storage.reports_table_name
    PULL_PLANS_TABLE_NAME         = module.storage.pull_plans_table_name
    REPORTS_BUCKET_NAME           = module.storage.reports_bucket_name
    TOKENS_KMS_KEY_ID             = module.security.tokens_kms_key_arn
    REPORTS_KMS_KEY_ID            = module.security.data_kms_key_arn
    LWA_CREDENTIALS_SECRET_ARN    = module.security.lwa_credentials_secret_arn
    DOWNLOAD_LINK_SIGNER_ROLE_ARN = module.security.download_link_signer_role_arn
    NOTIFICATIONS_QUEUE_ARN       = module.queue.queue_arns_from_names.queue
    SPAPI_DESTINATION_NAME        = local.spapi_destination_name
    STATE_MACHINE_ARN             = local.state_machine_arn
    REPORT_RECORD_TTL_DAYS        = tostring(var.report_record_ttl_days)
    SELLER_DAILY_REPORT_BUDGET    = tostring(var.seller_daily_report_budget)
    CALLER_DAILY_REPORT_BUDGET    = tostring(var.caller_daily_report_budget)
    PRESIGNED_URL_TTL_SECONDS     = tostring(var.presigned_url_ttl_seconds)
    EMAIL_DOWNLOAD_LINKS          = tostring(var.email_download_links)
    PROCESS_UNREQUESTED_REPORTS   = tostring(var.process_unrequested_reports)
    TRANSCODE_REPORTS_TO_UTF8     = tostring(var.transcode_reports_to_utf8)
    MAX_DOCUMENT_BYTES            = tostring(local.max_document_bytes)
    # Notifications of other SP-API applications are dropped when our application's id is known ("" checks none).
    SPAPI_APPLICATION_ID = var.spapi_application_id == null ? "" : var.spapi_application_id
    # Restricted (PII) report types are refused at the door unless the deployment opts in.
    ALLOW_RESTRICTED_REPORT_TYPES = tostring(var.allow_restricted_report_types)
    # The sweep's policy (sp_reports.handlers.report_sweeper).
    SWEEP_STUCK_AFTER_HOURS             = tostring(var.sweep_stuck_after_hours)
    SWEEP_AMAZON_GENERATED_REPORT_TYPES = join(",", var.sweep_amazon_generated_report_types)
    # The most reports one pull planner tick requests (sp_reports.handlers.pull_planner).
    PULL_PLANNER_MAX_REPORTS_PER_TICK = tostring(var.pull_planner_max_reports_per_tick)
    PULL_PLANNER_SCHEDULE_EXPRESSION  = var.pull_planner_schedule_expression
    # The redirect URI registered for the application: LWA's code exchange repeats it (seller_authorization).
    SELLER_AUTHORIZATION_REDIRECT_URI = var.seller_authorization_redirect_uri == null ? "" : var.seller_authorization_redirect_uri
  }

  # The most the report storer can store within its timeout (src/sp_reports/pipeline/report_storage.py,
  # max_document_bytes_for): `make bench` streamed 1 GiB into S3 in 4.61 CPU seconds (docs/benchmarks.md); the
  # function gets memory/1769 of a vCPU (one vCPU at 1769 MB), and half its timeout is kept as margin. In
  # integers, as the Python does it, so both give the same number.
  storer_timeout     = lookup(var.lambda_timeouts, "report_storer", local.functions.report_storer.timeout)
  storer_memory      = lookup(var.lambda_memory_sizes, "report_storer", local.functions.report_storer.memory_size)
  max_document_bytes = coalesce(var.max_document_bytes, floor(local.storer_timeout * min(local.storer_memory, 1769) * 1073741824 * 100 / (2 * 1769 * 461)))

  function_environment = {
    for f, function in local.functions : f => merge(
      { for name in function.environment : name => local.environment_values[name] },
      contains(local.spapi_callers, f) ? local.spapi_emulator_environment : {},
      contains(local.tenant_bound, f) ? { TENANT_MAP_TABLE_NAME = module.storage.tenant_map_table_name } : {},
    )
  }

  function_settings = {
    for f, function in local.functions : f => {
      description   = function.description
      handler       = "sp_reports.handlers.${f}.handler"
      function_name = "${var.name_prefix}-${replace(f, "_", "-")}"
      route         = try(function.route, null)
      task          = try(function.task, null)
      package       = local.packages[f]
      runtime       = var.lambda_runtime
      architecture  = var.lambda_architecture
      memory_size   = lookup(var.lambda_memory_sizes, f, function.memory_size)
      timeout       = lookup(var.lambda_timeouts, f, function.timeout)
      # 512 MB, Lambda's default and its free allowance, unless the function's entry or the root says more.
      ephemeral_storage_mb = lookup(var.lambda_ephemeral_storage_sizes, f, try(function.ephemeral_storage_mb, 512))
      log_retention_days   = var.log_retention_days
      # -1 leaves a function unreserved.
      reserved_concurrent_executions = lookup(var.lambda_reserved_concurrency, f, -1)
      environment_variables          = merge(local.common_environment, local.function_environment[f])
      role_name                      = local.iam_role_names[f]
      vpc_subnet_ids                 = var.lambda_vpc_subnet_ids
      vpc_security_group_ids         = var.lambda_vpc_security_group_ids
      code_signing_config_arn        = var.lambda_code_signing_config_arn
    }
  }
}
