"""AWS credentials for signing: the standard boto3 chain, optionally exchanged for the API's invoke role."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import boto3
from botocore.credentials import ReadOnlyCredentials
from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from .errors import ConfigurationError

DEFAULT_ROLE_SESSION_NAME = "sp-reports-client"
DEFAULT_ROLE_DURATION_SECONDS = 3600
# Renew this long before the assumed role's credentials expire: a slow request never signs with stale ones.
REFRESH_MARGIN = timedelta(minutes=5)


class CredentialSource(Protocol):
    def get(self) -> ReadOnlyCredentials: ...


class SessionCredentials:
    """Credentials of a boto3 session (environment, profile, SSO, instance role...), renewed by botocore."""

    def __init__(self, session: boto3.Session) -> None:
        self._session = session

    def get(self) -> ReadOnlyCredentials:
        credentials = self._session.get_credentials()
        if credentials is None:
            raise ConfigurationError(
                "no AWS credentials found: configure them as for the AWS CLI "
                "(AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, SSO login, ...)"
            )
        return credentials.get_frozen_credentials()


class AssumedRoleCredentials:
    """Credentials of `role_arn`, obtained with sts:AssumeRole and renewed shortly before they expire."""

    def __init__(
        self,
        sts_client: Any,
        role_arn: str,
        session_name: str = DEFAULT_ROLE_SESSION_NAME,
        duration_seconds: int = DEFAULT_ROLE_DURATION_SECONDS,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._sts = sts_client
        self.role_arn = role_arn
        self._session_name = session_name
        self._duration_seconds = duration_seconds
        self._now = now
        self._lock = threading.Lock()
        self._credentials: ReadOnlyCredentials | None = None
        self._expiration: datetime | None = None

    def get(self) -> ReadOnlyCredentials:
        with self._lock:
            if self._credentials is None or self._expires_soon():
                self._assume_role()
            assert self._credentials is not None
            return self._credentials

    def _expires_soon(self) -> bool:
        return self._expiration is None or self._now() >= self._expiration - REFRESH_MARGIN

    def _assume_role(self) -> None:
        try:
            answer = self._sts.assume_role(
                RoleArn=self.role_arn,
                RoleSessionName=self._session_name,
                DurationSeconds=self._duration_seconds,
            )
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise ConfigurationError(
                f"cannot assume the invoke role {self.role_arn} (--role-arn): "
                f"{error.get('Code', 'Error')}: {error.get('Message', '')}".rstrip(": ")
            ) from exc
        except (BotoCoreError, ResponseParserError) as exc:
            # ResponseParserError: the endpoint is no STS (a wrong --endpoint-url answers HTML or JSON).
            raise ConfigurationError(
                f"cannot assume the invoke role {self.role_arn} (--role-arn): {exc}"
            ) from exc
        issued = answer["Credentials"]
        self._credentials = ReadOnlyCredentials(
            issued["AccessKeyId"], issued["SecretAccessKey"], issued["SessionToken"]
        )
        expiration = issued["Expiration"]
        self._expiration = expiration if expiration.tzinfo else expiration.replace(tzinfo=UTC)


def credential_source(
    session: boto3.Session,
    role_arn: str | None,
    region: str,
    sts_endpoint_url: str | None = None,
    role_session_name: str = DEFAULT_ROLE_SESSION_NAME,
) -> CredentialSource:
    if role_arn is None:
        return SessionCredentials(session)
    sts = session.client("sts", region_name=region, endpoint_url=sts_endpoint_url)
    return AssumedRoleCredentials(sts, role_arn, session_name=role_session_name)
