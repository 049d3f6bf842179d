"""The fake root credentials of local AWS.

moto accepts any credentials; these are the ones ``LocalAws.env()`` hands to subprocesses and Lambda workers,
and the API Gateway data plane treats a request signed with them as signed by the account root (allowed, like
root on AWS). They are published constants, not secrets.
"""

ROOT_ACCESS_KEY_ID = "LOCALAWSROOTKEY00001"
ROOT_SECRET_ACCESS_KEY = "local-aws-root-secret-not-a-secret"  # noqa: S105 - published fake credential
