# The keys, their aliases and the tokens key's policy are counted (none when the caller brings that key): a stack
# deployed while they were single resources keeps its keys, moved to index 0, instead of destroying them (and
# scheduling the deletion of the keys its data is encrypted under).

moved {
  from = aws_kms_key.data
  to   = aws_kms_key.data[0]
}

moved {
  from = aws_kms_alias.data
  to   = aws_kms_alias.data[0]
}

moved {
  from = aws_kms_key.tokens
  to   = aws_kms_key.tokens[0]
}

moved {
  from = aws_kms_key_policy.tokens
  to   = aws_kms_key_policy.tokens[0]
}

moved {
  from = aws_kms_alias.tokens
  to   = aws_kms_alias.tokens[0]
}
