"""Local AWS's DynamoDB extensions."""
