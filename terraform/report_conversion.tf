# The analytics conversion's alarm. The report converter (local.functions, task convert) counts
# ConversionRejected (a document it could not convert at all: header without a required column, a corrupt
# gzip, undecodable bytes) and ConversionProblems (cells and rows it nulled or dropped) per report
# (src/sp_reports/pipeline/report_conversion.py). Either means a curated table lacks data the raw file holds:
# somebody reads the record's Conversion (GET /plans/{planId}/coverage names it per window) and fixes the schema.
resource "aws_cloudwatch_metric_alarm" "report_conversion_problems" {
  alarm_name          = "${var.name_prefix}-report-conversion-problems"
  alarm_description   = "A stored report was rejected by the analytics conversion or converted with problems: its curated table lacks rows or cells the raw file holds (the report record's Conversion names the first problems)."
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [module.state_machine.topic_arn]
  tags                = var.tags

  metric_query {
    id          = "problems"
    expression  = "rejected + cells"
    label       = "Conversions rejected plus conversion problems"
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
}
