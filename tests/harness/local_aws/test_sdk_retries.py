"""An SDK's retry of a write local AWS already made is answered as the attempt that made it."""

from __future__ import annotations

import io
import json
import threading
from typing import Any

import pytest

from sp_reports_harness.local_aws.sdk_retries import SdkRetryReplay


class _CountingApp:
    """A WSGI app that answers with a fixed status and counts its calls (and may hold the first one)."""

    def __init__(self, status: str, hold: threading.Event | None = None) -> None:
        self.status = status
        self.calls = 0
        self.hold = hold

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        self.calls += 1
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        if self.hold is not None and self.calls == 1:
            self.hold.wait(5)
        start_response(self.status, [("Content-Type", "text/plain")])
        return [f"call {self.calls}: {body.decode()}".encode()]


def _environ(method: str, attempt: int | None, invocation: str | None = "inv-1") -> dict[str, Any]:
    body = b"Action=CreateRole&RoleName=r"
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": "/",
        "QUERY_STRING": "",
        "CONTENT_TYPE": "application/x-www-form-urlencoded; charset=utf-8",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    if invocation is not None:
        environ["HTTP_AMZ_SDK_INVOCATION_ID"] = invocation
    if attempt is not None:
        environ["HTTP_AMZ_SDK_REQUEST"] = f"attempt={attempt}; max=25"
    return environ


def _call(middleware: SdkRetryReplay, environ: dict[str, Any]) -> tuple[str, bytes]:
    seen: dict[str, str] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        seen["status"] = status

    body = b"".join(middleware(environ, start_response))
    return seen["status"], body


# (first status, method, retried with, expected app calls, expected retry answer)
CASES = [
    # A write answered 2xx: its retry gets the same answer, the write is not made again.
    ("200 OK", "POST", {"attempt": 2}, 1, b"call 1: Action=CreateRole&RoleName=r"),
    # A write refused with a 4xx: the retry runs (the SDK retries only what it may; nothing to replay).
    ("400 BAD REQUEST", "POST", {"attempt": 2}, 2, b"call 2: Action=CreateRole&RoleName=r"),
    # A 5xx: the retry runs again, as on AWS.
    ("500 INTERNAL SERVER ERROR", "POST", {"attempt": 2}, 2, b"call 2: Action=CreateRole&RoleName=r"),
    # Reads are never replayed: they may simply run again.
    ("200 OK", "GET", {"attempt": 2}, 2, b"call 2: Action=CreateRole&RoleName=r"),
    # A first attempt of another call with the same body is a new write.
    ("200 OK", "POST", {"attempt": 1, "invocation": "inv-2"}, 2, b"call 2: Action=CreateRole&RoleName=r"),
    # A retry of another invocation is not answered from this one.
    ("200 OK", "POST", {"attempt": 2, "invocation": "inv-2"}, 2, b"call 2: Action=CreateRole&RoleName=r"),
    # A caller that is no SDK (no invocation id) is never replayed.
    ("200 OK", "POST", {"attempt": 2, "invocation": None}, 2, b"call 2: Action=CreateRole&RoleName=r"),
]


@pytest.mark.parametrize(("first_status", "method", "retry", "calls", "answer"), CASES)
def test_a_retry_is_answered_from_its_earlier_attempt_only_when_that_made_a_write(
    first_status: str, method: str, retry: dict[str, Any], calls: int, answer: bytes
) -> None:
    app = _CountingApp(first_status)
    middleware = SdkRetryReplay(app)
    first_invocation = "inv-1" if retry.get("invocation", "inv-1") is not None else None
    _call(middleware, _environ(method, 1, first_invocation))

    app.status = "200 OK"
    _status, body = _call(middleware, _environ(method, retry["attempt"], retry.get("invocation", "inv-1")))

    assert app.calls == calls
    assert body == answer


def test_a_retry_waits_for_the_attempt_still_running_and_gets_its_answer() -> None:
    release = threading.Event()
    app = _CountingApp("200 OK", hold=release)
    middleware = SdkRetryReplay(app)
    first = threading.Thread(target=_call, args=(middleware, _environ("POST", 1)))
    first.start()
    answers: list[bytes] = []
    retry = threading.Thread(target=lambda: answers.append(_call(middleware, _environ("POST", 2))[1]))
    retry.start()
    release.set()
    first.join(5)
    retry.join(5)

    assert app.calls == 1
    assert answers == [b"call 1: Action=CreateRole&RoleName=r"]


def test_replays_and_server_errors_are_journaled_with_their_operation() -> None:
    app = _CountingApp("200 OK")
    middleware = SdkRetryReplay(app)
    _call(middleware, _environ("POST", 1))
    _call(middleware, _environ("POST", 2))
    app.status = "503 SERVICE UNAVAILABLE"
    _call(middleware, _environ("GET", 1, invocation="inv-3"))

    assert [str(entry) for entry in middleware.journal] == [
        "replayed: POST CreateRole -> 200 OK",
        "server-error: GET CreateRole -> 503 SERVICE UNAVAILABLE",
    ]


def test_local_aws_answers_a_retried_create_role_without_creating_it_twice(local_aws) -> None:
    trust = json.dumps({"Version": "2012-10-17", "Statement": []})
    iam = local_aws.boto3_client("iam")
    attempts = iter(["attempt=1; max=3", "attempt=2; max=3"])

    def same_invocation(request: Any, **_: Any) -> None:
        request.headers["amz-sdk-invocation-id"] = "11111111-2222-4333-8444-555555555555"
        request.headers["amz-sdk-request"] = next(attempts)

    iam.meta.events.register("before-send.iam.CreateRole", same_invocation)
    first = iam.create_role(RoleName="retried", AssumeRolePolicyDocument=trust)["Role"]
    retried = iam.create_role(RoleName="retried", AssumeRolePolicyDocument=trust)["Role"]

    assert retried["RoleId"] == first["RoleId"]
    assert [str(entry) for entry in local_aws.server_journal] == ["replayed: POST CreateRole -> 200 OK"]
    # Without the SDK's marks the same request is a second write, and IAM refuses it as AWS does.
    iam.meta.events.unregister("before-send.iam.CreateRole", same_invocation)
    with pytest.raises(iam.exceptions.EntityAlreadyExistsException):
        iam.create_role(RoleName="retried", AssumeRolePolicyDocument=trust)
