output "state_machine_arn" {
  description = "ARN of the report workflow."
  value       = module.state_machine.state_machine_arn
}

output "topic_arn" {
  description = "Topic of report emails and alarms."
  value       = module.state_machine.topic_arn
}
