"""The application's LWA credentials (client id + secret), read from a Secrets Manager JSON secret.

The secret is read once per process (Lambda container) and cached; the client secret never appears in a repr,
a log line or an error message.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from spapi.errors import ConfigurationError

# Our own key names first; then the names used by Amazon's SP-API sample solutions
# (AppClientId/AppClientSecret) and the LWA-style names, so an existing secret can be reused as it is.
_CLIENT_ID_KEYS = ("client_id", "AppClientId", "lwa_app_id", "LWA_CLIENT_ID")
_CLIENT_SECRET_KEYS = ("client_secret", "AppClientSecret", "lwa_client_secret", "LWA_CLIENT_SECRET")


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

    def __init__(self, secret_id: str, client: Any) -> None:
        self._secret_id = secret_id
        self._client = client
        self._lock = threading.Lock()
        self._cached: AppCredentials | None = None

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
        if cached is not None:
            return cached
        with self._lock:
            if self._cached is None:
                self._cached = self._load()
            return self._cached

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
