# The analytics conversion's alarm. The report converter (local.functions, task convert) counts
# ConversionRejected (a document it could not convert at all: header without a required column, a corrupt
# gzip, undecodable bytes) and ConversionProblems (cells and rows it nulled or dropped) per report
# (src/sp_reports/pipeline/report_conversion.py); the report notifier counts ConversionFailed (a conversion
# still failing after the workflow's retries: src/sp_reports/pipeline/conversion_failures.py). Each means a
# curated table lacks data the raw file holds: somebody reads the record's Conversion (GET
# /plans/{planId}/coverage names it per window) and fixes the schema or redrives the report.
resource "aws_cloudwatch_metric_alarm" "report_conversion_problems" {
  alarm_name          = "${var.name_prefix}-report-conversion-problems"
  alarm_description   = "A stored report was rejected by the analytics conversion, converted with problems, or its conversion failed after retries: its curated table lacks rows or cells the raw file holds (the report record's Conversion names the first problems or the error)."
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [module.state_machine.topic_arn]
  tags                = var.tags

  metric_query {
    id          = "problems"
    expression  = "rejected + cells + failed"
    label       = "Conversions rejected or failed plus conversion problems"
    return_data = true
  }

  metric_query {
    id = "rejected"
    metric {
      namespace   = var.metrics_namespace
      metric_name = "ConversionRejected"
      dimensions  = local.metric_dimensions
      stat        = "Sum"
      period      = 300
    }
  }

  metric_query {
    id = "cells"
    metric {
      namespace   = var.metrics_namespace
      metric_name = "ConversionProblems"
      dimensions  = local.metric_dimensions
      stat        = "Sum"
      period      = 300
    }
  }

  metric_query {
    id = "failed"
    metric {
      namespace   = var.metrics_namespace
      metric_name = "ConversionFailed"
      dimensions  = local.metric_dimensions
      stat        = "Sum"
      period      = 300
    }
  }
}
