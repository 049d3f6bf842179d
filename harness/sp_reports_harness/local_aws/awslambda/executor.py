"""Run Lambda functions from their deployed zip, one worker process per warm "container".

moto routes every invocation (direct Invoke, Step Functions tasks, event sources) through
``LambdaFunction._invoke_lambda``, which in the pinned moto needs Docker. We replace that one method: the
function's zip is extracted once per code hash, and a worker process (``worker.py``) imports the
configured handler and serves invocations over JSON lines, like a warm Lambda container. Idle workers are
reused; a busy function gets another worker (as Lambda scales out), so a function may call itself or be
invoked concurrently.

Which Python: the function's runtime's own (``local_aws.awslambda.runtime``): a ``python3.13`` function runs
on CPython 3.13 with the whole zip first on ``sys.path`` and a stand-in for the runtime's SDK (boto3 and what
it imports) after it, as Lambda runs it: the zip's compiled wheels and its 3.13 bytecode are what is imported.
Where that Python is missing, or the zip's wheels are for another architecture than this machine's, the worker
falls back to this interpreter (logged once per reason): the handler's own packages (``spapi``, ``handlers``)
still come from the zip, third-party libraries from this venv's site-packages (the zip's compiled wheels may
not import here), and the whole zip last for libraries only it has; a bundled package is one a
``*.dist-info/RECORD`` in the zip lists. A separate process keeps the function's environment variables,
module-level clients and crashes away from the server's process, and lets us enforce the configured timeout by
killing it.

Lambda semantics kept: exceptions become ``{"errorType", "errorMessage", ...}`` with the function-error flag
(Step Functions Retry/Catch match on ``errorType``); a timeout kills the worker and reports
``Sandbox.Timedout``; code or configuration changes retire the old workers; logs go to the function's
CloudWatch log group.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import queue
import shutil
import site
import subprocess
import tempfile
import threading
import time
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sp_reports_harness.local_aws.awslambda.runtime import RuntimeChoice, runtime_for
from sp_reports_harness.local_aws.awslambda.worker import LOG_END_MARKER
from sp_reports_harness.local_aws.moto_internals import LambdaFunction, PatchSet

logger = logging.getLogger(__name__)

WORKER_SCRIPT = Path(__file__).with_name("worker.py")
INIT_TIMEOUT_SECONDS = 10.0  # Lambda's limit for the init phase (imports, module-level clients)
LOG_DRAIN_SECONDS = 2.0


@dataclass(frozen=True)
class InvocationResult:
    payload: Any
    errored: bool
    logs: str


@dataclass(frozen=True)
class WorkerSpec:
    """Everything that, when changed, requires a fresh container."""

    function_arn: str
    function_name: str
    function_version: str
    handler: str
    runtime: str
    architecture: str
    region: str
    timeout_seconds: float
    memory_mb: int
    code_sha256: str
    environment: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, function: LambdaFunction) -> WorkerSpec:
        return cls(
            function_arn=function.function_arn,
            function_name=function.function_name,
            function_version=str(function.version),
            handler=function.handler or "",
            runtime=function.run_time or "",
            architecture=(function.architectures or ["x86_64"])[0],
            region=function.region,
            timeout_seconds=float(function.timeout or 3),
            memory_mb=int(function.memory_size or 128),
            code_sha256=function.code_sha_256 or "",
            environment=tuple(sorted((function.environment_vars or {}).items())),
        )


@dataclass(frozen=True)
class ExtractedCode:
    task_root: Path  # the whole zip, as /var/task
    own_code: Path  # links to the zip's own top-level modules and packages only


def link_own_code(task_root: Path, own_code: Path) -> None:
    """Link the zip's top-level entries that belong to no bundled distribution (our ``spapi``, ``handlers``,
    the handler module) into ``own_code``. Bundled packages are the ones a ``*.dist-info/RECORD`` lists."""
    bundled: set[str] = set()
    for record in task_root.glob("*.dist-info/RECORD"):
        for line in record.read_text(encoding="utf-8").splitlines():
            top = line.split(",", 1)[0].split("/", 1)[0]
            if top and not top.endswith((".dist-info", ".data")) and top != "..":
                bundled.add(top)
    own_code.mkdir()
    for entry in task_root.iterdir():
        if (
            entry.name in bundled
            or entry.name.endswith((".dist-info", ".data"))
            or entry.name in {"bin", "__pycache__"}
        ):
            continue
        # Relative, so the links survive moving the extracted tree into place.
        target = Path(os.path.relpath(entry, own_code))
        (own_code / entry.name).symlink_to(target, target_is_directory=entry.is_dir())


@dataclass(frozen=True)
class RoleCredentials:
    """A function's execution-role session: what Lambda hands the function in its environment."""

    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str = field(repr=False)
    expiration: float  # epoch seconds

    def environment(self) -> dict[str, str]:
        return {
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
            "AWS_SESSION_TOKEN": self.session_token,
        }


CredentialsProvider = Callable[[LambdaFunction], RoleCredentials]


class WorkerFailed(Exception):
    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


class _Worker:
    def __init__(
        self,
        spec: WorkerSpec,
        executable: str,
        code_dir: Path,
        env: dict[str, str],
        credentials_expire: float,
    ) -> None:
        self.spec = spec
        self.credentials_expire = credentials_expire
        # Init time beyond Lambda's 10 seconds, charged to the first invocation (see _start_worker).
        self.init_charge_seconds = 0.0
        self.process = subprocess.Popen(  # noqa: S603 - our own worker script, arguments fixed
            [executable, "-I", "-S", "-u", str(WORKER_SCRIPT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=code_dir,
            env=env,
            text=True,
            encoding="utf-8",
        )
        self._responses: queue.Queue[str | None] = queue.Queue()
        self._logs: queue.Queue[str | None] = queue.Queue()
        self._readers = [
            threading.Thread(target=_pump, args=(self.process.stdout, self._responses), daemon=True),
            threading.Thread(target=_pump, args=(self.process.stderr, self._logs), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def credentials_last(self, seconds: float, now: float) -> bool:
        """Whether the worker's role session outlives an invocation of ``seconds`` started ``now``."""
        return now + seconds < self.credentials_expire

    def invoke(self, event: Any, request_id: str) -> tuple[dict[str, Any], str]:
        deadline = time.time() + self.spec.timeout_seconds - self.init_charge_seconds
        self.init_charge_seconds = 0.0  # only the first invocation carries a suppressed init
        request = {
            "event": event,
            "request_id": request_id,
            "invoked_function_arn": self.spec.function_arn,
            "deadline_epoch_ms": deadline * 1000,
        }
        try:
            assert self.process.stdin is not None
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
        except OSError as error:
            raise WorkerFailed(
                "Runtime.ExitError", f"RequestId: {request_id} Error: worker exited"
            ) from error
        try:
            line = self._responses.get(timeout=max(0.0, deadline - time.time()))
        except queue.Empty:
            self.stop()
            raise WorkerFailed(
                "Sandbox.Timedout",
                f"RequestId: {request_id} Error: Task timed out after "
                f"{self.spec.timeout_seconds:.2f} seconds",
            ) from None
        if line is None:
            self.stop()
            raise WorkerFailed(
                "Runtime.ExitError",
                f"RequestId: {request_id} Error: Runtime exited without providing a reason",
            )
        return json.loads(line), self.take_logs(request_id, wait=True)

    def take_logs(self, request_id: str = "", wait: bool = False) -> str:
        lines: list[str] = []
        end = time.monotonic() + (LOG_DRAIN_SECONDS if wait else 0)
        while True:
            try:
                line = (
                    self._logs.get(timeout=max(0.0, end - time.monotonic()))
                    if wait
                    else self._logs.get_nowait()
                )
            except queue.Empty:
                break
            if line is None:
                break
            if line.startswith(LOG_END_MARKER):
                if line.rstrip("\n").endswith(request_id):
                    break
                continue
            lines.append(line)
        return "".join(lines)

    def stop(self) -> None:
        if self.alive:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        for reader in self._readers:
            reader.join(timeout=5)


def _pump(stream: io.TextIOBase | None, sink: queue.Queue[str | None]) -> None:
    try:
        assert stream is not None
        for line in stream:
            sink.put(line)
    except (OSError, ValueError):
        pass  # the stream was closed while the worker was being stopped
    finally:
        sink.put(None)


class LambdaExecutor:
    """Pools of warm workers per function; ``invoke`` is what moto's ``_invoke_lambda`` calls."""

    def __init__(
        self,
        endpoint_url: str,
        credentials_for: CredentialsProvider,
        extra_env: dict[str, str] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._endpoint_url = endpoint_url
        self._clock = clock
        # Each function runs as its execution role (Lambda Developer Guide, "Lambda execution role": Lambda
        # assumes the role and hands the function its temporary credentials in AWS_ACCESS_KEY_ID,
        # AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN).
        self._credentials_for = credentials_for
        self._extra_env = dict(extra_env or {})
        self._site_packages = tuple(site.getsitepackages())
        self._runtimes: dict[tuple[str, str], RuntimeChoice] = {}
        self._root = Path(tempfile.mkdtemp(prefix="sp-reports-lambda-"))
        self._lock = threading.Lock()
        self._idle: dict[str, list[_Worker]] = {}
        self._busy: set[_Worker] = set()
        self._closed = False

    # -- invocation ---------------------------------------------------------------------------------------
    def invoke(self, function: LambdaFunction, event: Any) -> InvocationResult:
        spec = WorkerSpec.of(function)
        request_id = str(uuid.uuid4())
        event = _decode_event(event)
        try:
            worker = self._acquire(spec, function)
        except WorkerFailed as failure:
            return _failure(failure, request_id, "")
        try:
            response, logs = worker.invoke(event, request_id)
        except WorkerFailed as failure:
            return _failure(failure, request_id, worker.take_logs())
        finally:
            self._release(worker)
        return InvocationResult(payload=response["payload"], errored=bool(response["error"]), logs=logs)

    def _acquire(self, spec: WorkerSpec, function: LambdaFunction) -> _Worker:
        retired: list[_Worker] = []
        chosen: _Worker | None = None
        with self._lock:
            if self._closed:
                raise WorkerFailed("Lambda.ServiceException", "local AWS is shutting down")
            pool = self._idle.setdefault(spec.function_arn, [])
            while pool:
                worker = pool.pop()
                # A container whose role session would end during the invocation is retired: a new one
                # starts with fresh credentials, so no call is signed with an expired session.
                if (
                    worker.spec == spec
                    and worker.alive
                    and worker.credentials_last(spec.timeout_seconds, self._clock())
                ):
                    chosen = worker
                    break
                retired.append(worker)
            retired.extend(worker for worker in pool if worker.spec != spec)
            pool[:] = [worker for worker in pool if worker.spec == spec]
        for worker in retired:
            worker.stop()
        if chosen is None:
            chosen = self._start_worker(spec, function)
        with self._lock:
            self._busy.add(chosen)
        return chosen

    def _release(self, worker: _Worker) -> None:
        with self._lock:
            self._busy.discard(worker)
            keep = worker.alive and not self._closed
            if keep:
                self._idle.setdefault(worker.spec.function_arn, []).append(worker)
        if not keep:
            worker.stop()

    def _start_worker(self, spec: WorkerSpec, function: LambdaFunction) -> _Worker:
        code = self._extract(function)
        try:
            credentials = self._credentials_for(function)
        except Exception as refused:
            raise WorkerFailed(
                "Lambda.ServiceException", f"cannot assume the execution role: {refused}"
            ) from None
        runtime = self._runtime(spec)
        env = {**self._environment(spec, code, runtime), **credentials.environment()}
        worker = _Worker(spec, runtime.executable, code.task_root, env, credentials.expiration)
        started = time.monotonic()
        try:
            ready = worker._responses.get(timeout=INIT_TIMEOUT_SECONDS)
        except queue.Empty:
            # "If all three tasks do not complete within 10 seconds, Lambda retries the Init phase at the time
            # of the first function invocation with the configured function timeout" (Lambda Developer Guide,
            # "Understanding the Lambda execution environment lifecycle", Init phase): the init goes on within
            # the invocation's time, and what it takes beyond the 10 seconds is charged to that invocation.
            try:
                ready = worker._responses.get(timeout=spec.timeout_seconds)
            except queue.Empty:
                ready = None
            worker.init_charge_seconds = time.monotonic() - started - INIT_TIMEOUT_SECONDS
        if ready is None or json.loads(ready).get("ready") is not True:
            logs = worker.take_logs()
            worker.stop()
            raise WorkerFailed(
                "Runtime.ExitError", f"worker for {spec.function_name} did not start: {logs[-2000:]}"
            )
        return worker

    def _extract(self, function: LambdaFunction) -> ExtractedCode:
        code = function.code_bytes if hasattr(function, "code_bytes") else b""
        if not code:
            raise WorkerFailed(
                "Runtime.ImportModuleError", f"function {function.function_name} has no zip code"
            )
        target = self._root / f"code-{hashlib.sha256(code).hexdigest()[:24]}"
        with self._lock:
            if not target.exists():
                staging = Path(tempfile.mkdtemp(dir=self._root))
                with zipfile.ZipFile(io.BytesIO(code)) as archive:
                    archive.extractall(staging / "task")
                link_own_code(staging / "task", staging / "own")
                staging.rename(target)
        return ExtractedCode(task_root=target / "task", own_code=target / "own")

    def _runtime(self, spec: WorkerSpec) -> RuntimeChoice:
        key = (spec.runtime, spec.architecture)
        with self._lock:
            choice = self._runtimes.get(key)
        if choice is None:
            choice = runtime_for(spec.runtime, spec.architecture, self._site_packages)
            if choice.reason is not None:
                logger.warning(
                    "functions on %s (%s) run on %s with this venv's libraries: %s",
                    spec.runtime,
                    spec.architecture,
                    choice.executable,
                    choice.reason,
                )
            with self._lock:
                self._runtimes[key] = choice
        return choice

    def _environment(self, spec: WorkerSpec, code: ExtractedCode, runtime: RuntimeChoice) -> dict[str, str]:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "TZ": ":UTC",
            # Keep the developer's ~/.aws configuration out of the function, as in Lambda.
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            # Powertools Tracer would need the X-Ray SDK and daemon; functions may still override this.
            "POWERTOOLS_TRACE_DISABLED": "true",
        }
        env.update(self._extra_env)
        env.update(dict(spec.environment))
        env.update(
            {
                "AWS_ENDPOINT_URL": self._endpoint_url,
                "AWS_REGION": spec.region,
                "AWS_DEFAULT_REGION": spec.region,
                "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
                "AWS_LAMBDA_FUNCTION_NAME": spec.function_name,
                "AWS_LAMBDA_FUNCTION_VERSION": spec.function_version,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
                "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.function_name}",
                "AWS_LAMBDA_LOG_STREAM_NAME": f"local/[{spec.function_version}]{uuid.uuid4().hex}",
                "LAMBDA_TASK_ROOT": str(code.task_root),
                "_HANDLER": spec.handler,
                "SP_REPORTS_LOCAL_SYS_PATH": json.dumps(_sys_path(code, runtime)),
            }
        )
        return env

    # -- lifecycle -------------------------------------------------------------------------------------------
    @property
    def worker_count(self) -> int:
        with self._lock:
            return len(self._busy) + sum(len(pool) for pool in self._idle.values())

    def worker_pids(self) -> list[int]:
        with self._lock:
            workers = [*self._busy, *(w for pool in self._idle.values() for w in pool)]
        return [worker.process.pid for worker in workers]

    def stop(self) -> None:
        with self._lock:
            self._closed = True
            workers = [*self._busy, *(w for pool in self._idle.values() for w in pool)]
            self._idle.clear()
            self._busy.clear()
        for worker in workers:
            worker.stop()
        shutil.rmtree(self._root, ignore_errors=True)

    # -- moto hook ----------------------------------------------------------------------------------------
    def patches(self) -> PatchSet:
        executor = self

        def _invoke_lambda(self: LambdaFunction, event: Any = None) -> tuple[str, bool, str]:
            result = executor.invoke(self, event)
            self.logs_backend.ensure_log_group(self.logs_group_name)
            if result.logs:
                self.save_logs(result.logs)
            return json.dumps(result.payload), result.errored, result.logs

        synchronous_invoke = LambdaFunction.invoke

        def invoke(self: LambdaFunction, body: str, request_headers: Any, response_headers: Any) -> Any:
            # The pinned moto runs an InvocationType=Event invoke before answering. Lambda queues the event
            # and answers 202 at once ("Invoking a Lambda function asynchronously", Lambda Developer Guide:
            # "Lambda places the event in a queue and returns a success response without additional
            # information"), so a function may invoke itself asynchronously and return.
            if str(request_headers.get("x-amz-invocation-type", "")).lower() != "event":
                return synchronous_invoke(self, body, request_headers, response_headers)
            thread = threading.Thread(
                target=_run_queued,
                args=(synchronous_invoke, self, body, dict(request_headers)),
                name=f"lambda-event-{self.function_name}",
                daemon=True,
            )
            thread.start()
            return ""

        patches = PatchSet("lambda_executor")
        patches.replace(LambdaFunction, "_invoke_lambda", _invoke_lambda)
        patches.replace(LambdaFunction, "invoke", invoke)
        return patches


def _run_queued(invoke: Callable[..., Any], function: Any, body: str, headers: dict) -> None:
    try:
        invoke(function, body, headers, {})
    except Exception:  # an asynchronous invocation's failure is the function's, logged as Lambda logs it
        logger.exception("asynchronous invocation of %s failed", function.function_name)


def _decode_event(event: Any) -> Any:
    if event is None:
        return {}
    if isinstance(event, bytes | str):
        try:
            return json.loads(event or "{}")
        except ValueError:
            return event
    return event


def _failure(failure: WorkerFailed, request_id: str, logs: str) -> InvocationResult:
    payload = {"errorType": failure.error_type, "errorMessage": str(failure), "requestId": request_id}
    return InvocationResult(payload=payload, errored=True, logs=logs)


def _sys_path(code: ExtractedCode, runtime: RuntimeChoice) -> dict[str, list[str]]:
    """What the worker puts before and after the standard library on ``sys.path``."""
    if runtime.is_runtime_python:
        # As in Lambda: the whole zip (/var/task) first, the runtime's SDK after it.
        return {"first": [str(code.task_root)], "last": list(runtime.library_paths)}
    # Own code first, this venv's libraries next, the zip's libraries only as a last resort.
    return {"first": [str(code.own_code)], "last": [*runtime.library_paths, str(code.task_root)]}
