"""The application's LWA credentials (client id + secret), read from a Secrets Manager JSON secret.

The secret is cached per process (Lambda container) for `max_age` seconds, one hour by default (the AWS
Secrets Manager caching client's default `secret_refresh_interval`), so a warm container picks up a rotated
client secret well inside the seven days LWA keeps accepting the old one (developer-docs
"rotating-your-apps-lwa-credentials"). `invalidate()` forces a re-read sooner, when LWA or SP-API says the
secret is no longer good. The client secret never appears in a repr, a log line or an error message.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sp_reports.spapi.errors import ConfigurationError

# Our own key names first; then the names used by Amazon's SP-API sample solutions
# (AppClientId/AppClientSecret) and the LWA-style names, so an existing secret can be reused as it is.
_CLIENT_ID_KEYS = ("client_id", "AppClientId", "lwa_app_id", "LWA_CLIENT_ID")
_CLIENT_SECRET_KEYS = ("client_secret", "AppClientSecret", "lwa_client_secret", "LWA_CLIENT_SECRET")
DEFAULT_MAX_AGE_SECONDS = 3600.0
STALE_RETRY_SECONDS = 60.0

logger = logging.getLogger("sp_reports.spapi.credentials")


@dataclass(frozen=True)
class AppCredentials:
    client_id: str
    client_secret: str = field(repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.client_id, str) or not self.client_id.strip():
            raise ConfigurationError("app credentials: client_id is missing or empty")
        if not isinstance(self.client_secret, str) or not self.client_secret.strip():
            raise ConfigurationError("app credentials: client_secret is missing or empty")

    def __call__(self) -> AppCredentials:
        # Lets fixed credentials be used wherever a credentials provider (a callable) is expected.
        return self


def _first_present(document: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        if document.get(key):
            return document[key]
    return None


class SecretsManagerAppCredentials:
    """Credentials provider: call it for `AppCredentials` from a JSON secret {client_id, client_secret}."""

    def __init__(
        self,
        secret_id: str,
        client: Any,
        *,
        max_age: float = DEFAULT_MAX_AGE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not max_age > 0:
            raise ValueError("max_age: the credentials cache lifetime must be a positive number of seconds")
        self._secret_id = secret_id
        self._client = client
        self._max_age = float(max_age)
        self._clock = clock
        self._lock = threading.Lock()
        self._cached: AppCredentials | None = None
        self._read_at = 0.0

    def __repr__(self) -> str:
        return f"SecretsManagerAppCredentials(secret_id={self._secret_id!r})"

    def __call__(self) -> AppCredentials:
        return self.get()

    def invalidate(self) -> None:
        """Forget the cached credentials: the next call re-reads the secret (after a secret rotation)."""
        with self._lock:
            self._cached = None

    def get(self) -> AppCredentials:
        cached = self._cached
        if cached is not None and self._fresh():
            return cached
        with self._lock:
            if self._cached is not None and self._fresh():
                return self._cached
            try:
                loaded = self._load()
            except ConfigurationError:
                if self._cached is None:
                    raise
                # The scheduled re-read failed (Secrets Manager unreachable...): the credentials we hold were
                # good an hour ago and stay good for days after a rotation, so keep them and try again soon.
                logger.warning(
                    "re-reading the app credentials failed; keeping the cached ones",
                    extra={"secret_id": self._secret_id},
                )
                self._read_at = self._clock() - self._max_age + min(self._max_age, STALE_RETRY_SECONDS)
                return self._cached
            self._cached, self._read_at = loaded, self._clock()
            return loaded

    def _fresh(self) -> bool:
        return self._clock() - self._read_at < self._max_age

    def _load(self) -> AppCredentials:
        try:
            answer = self._client.get_secret_value(SecretId=self._secret_id)
        except Exception as exc:  # botocore ClientError etc.; its text names the secret id, not its value
            raise ConfigurationError(
                f"app credentials: cannot read secret {self._secret_id}: {type(exc).__name__}"
            ) from exc
        text = answer.get("SecretString")
        if text is None:
            raise ConfigurationError(f"app credentials: secret {self._secret_id} has no SecretString")
        try:
            document = json.loads(text)
        except ValueError:
            # Do not chain the JSONDecodeError: its message would quote the secret's text.
            raise ConfigurationError(
                f"app credentials: secret {self._secret_id} is not a JSON object"
            ) from None
        if not isinstance(document, dict):
            raise ConfigurationError(f"app credentials: secret {self._secret_id} is not a JSON object")
        client_id = _first_present(document, _CLIENT_ID_KEYS)
        client_secret = _first_present(document, _CLIENT_SECRET_KEYS)
        missing = [
            name for name, value in (("client_id", client_id), ("client_secret", client_secret)) if not value
        ]
        if missing:
            raise ConfigurationError(
                f"app credentials: secret {self._secret_id} lacks {' and '.join(missing)} "
                f"(expected keys client_id and client_secret)"
            )
        if not isinstance(client_id, str) or not isinstance(client_secret, str):
            raise ConfigurationError(
                f"app credentials: secret {self._secret_id}: client_id and client_secret must be strings"
            )
        return AppCredentials(client_id=client_id, client_secret=client_secret)
