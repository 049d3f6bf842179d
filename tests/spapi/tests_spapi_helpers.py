"""Test doubles for boundaries the emulator cannot produce (malformed replies, 502/504, broken streams)."""

from __future__ import annotations

import requests


class CannedAdapter(requests.adapters.BaseAdapter):
    """Answers requests with the given (status, body, headers) in order; the last one repeats."""

    def __init__(self, replies: list[tuple[int, bytes, dict[str, str]]]) -> None:
        super().__init__()
        self.replies = replies
        self.calls = 0
        self.requests: list[requests.PreparedRequest] = []

    def send(self, request, **kwargs):
        status, body, headers = self.replies[min(self.calls, len(self.replies) - 1)]
        self.calls += 1
        self.requests.append(request)
        response = requests.Response()
        response.status_code = status
        response._content = body
        response.headers.update(headers)
        response.request = request
        response.url = request.url
        return response

    def close(self) -> None:
        pass


def spapi_exchanges(emulator, operation: str) -> list:
    """The emulator's recorded SP-API exchanges for one operationId, in order."""
    return [e for e in emulator.exchanges if e.kind == "spapi" and e.operation_id == operation]
