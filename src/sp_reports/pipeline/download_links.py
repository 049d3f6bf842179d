"""Download links whose stated expiry is true.

A presigned URL stops working when the credentials that signed it expire, whatever its X-Amz-Expires says
(AWS Knowledge Center, "presigned-url-s3-bucket-expiration": "If you created a presigned URL using a temporary
token, then the URL expires when the token expires"). A Lambda function's own credentials are such a token,
and nothing tells the function when they end, so a link it signs may die long before the time an email
promises. Links are therefore signed by a dedicated signer role assumed here, whose session's expiration STS
states; the link's expiry is the earlier of the wanted lifetime and that session's end, and is what we say.

Assuming a role from a Lambda's role is role chaining, which STS limits to one hour (IAM User Guide, "Roles
terms and concepts": "Role chaining limits your AWS CLI or AWS API role session to a maximum of one hour"), so
a link lives at most an hour; `GET /reports/{reportId}` gives a fresh one at any time. A session is reused
while it outlives a whole link lifetime, so links do not cost one AssumeRole each.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.config import Config

ROLE_CHAINING_MAX_SECONDS = 3600
MIN_LINK_SECONDS = 60


@dataclass(frozen=True)
class DownloadLink:
    url: str = field(repr=False)  # a bearer credential for the object: kept out of reprs and logs
    expires_at: datetime
    lifetime_seconds: int

    @property
    def expires_at_text(self) -> str:
        return self.expires_at.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class _Session:
    client: Any
    expires_at: datetime


class DownloadLinks:
    """Presigns GetObject links with sessions of the signer role."""

    def __init__(
        self,
        sts_client: Any,
        signer_role_arn: str,
        ttl_seconds: int,
        *,
        session_name: str = "report-download-links",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        s3_client_factory: Callable[..., Any] | None = None,
    ) -> None:
        if not MIN_LINK_SECONDS <= ttl_seconds <= ROLE_CHAINING_MAX_SECONDS:
            raise ValueError(
                f"link lifetime must be {MIN_LINK_SECONDS}-{ROLE_CHAINING_MAX_SECONDS} seconds: links are "
                "signed by a role session, and a role assumed from a Lambda's role lasts at most one hour "
                "(role chaining)"
            )
        self._sts = sts_client
        self._role_arn = signer_role_arn
        self._ttl = timedelta(seconds=ttl_seconds)
        self._session_name = session_name
        self._clock = clock
        self._s3_client_factory = s3_client_factory or _s3_client
        self._lock = threading.Lock()
        self._session: _Session | None = None

    def link(self, bucket: str, key: str) -> DownloadLink:
        now = self._clock()
        session = self._current_session(now)
        # Whole seconds, rounded down, so the stated expiry is never later than the real one.
        lifetime = int((min(now + self._ttl, session.expires_at) - now).total_seconds())
        url = session.client.generate_presigned_url(
            "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=lifetime
        )
        expires_at = (now + timedelta(seconds=lifetime)).replace(microsecond=0)
        return DownloadLink(url=url, expires_at=expires_at, lifetime_seconds=lifetime)

    def _current_session(self, now: datetime) -> _Session:
        with self._lock:
            if self._session is None or self._session.expires_at - now < self._ttl:
                self._session = self._assume(now)
            return self._session

    def _assume(self, now: datetime) -> _Session:
        credentials = self._sts.assume_role(
            RoleArn=self._role_arn,
            RoleSessionName=self._session_name,
            DurationSeconds=ROLE_CHAINING_MAX_SECONDS,
        )["Credentials"]
        expiration = credentials["Expiration"]
        if isinstance(expiration, str):
            expiration = datetime.fromisoformat(expiration.replace("Z", "+00:00"))
        if expiration.tzinfo is None:
            expiration = expiration.replace(tzinfo=UTC)
        client = self._s3_client_factory(
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
        )
        return _Session(client=client, expires_at=expiration)


def _s3_client(**credentials: str) -> Any:
    # SSE-KMS objects can only be fetched with SigV4-signed URLs.
    return boto3.client("s3", config=Config(signature_version="s3v4"), **credentials)
