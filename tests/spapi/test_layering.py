"""`spapi` is an SP-API client and nothing else: no module of it touches our AWS resources or API Gateway.

The application (tables, bucket, keys, topic, state machine, API Gateway events) lives in
`sp_reports.pipeline`,
which builds on `spapi`; never the other way round. Credentials reach `spapi` through provider callables
(`SecretsManagerAppCredentials` is one: it is handed a Secrets Manager client and a secret id, imports no AWS
SDK and knows no name of ours). This scans imports, identifiers and string literals (docstrings and comments
may still explain where SP-API's documents come from).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
SPAPI_MODULES = sorted((SRC / "sp_reports" / "spapi").rglob("*.py"))

# Packages an SP-API client has no business importing: AWS SDKs, Lambda tooling, our application and harness.
FORBIDDEN_IMPORTS = {"boto3", "botocore", "aioboto3", "moto", "aws_lambda_powertools", "sp_reports.pipeline"}
FORBIDDEN_IMPORTS |= {"sp_reports.handlers", "sp_reports.client", "sp_reports_harness", "spapi_emulator"}
# DynamoDB, S3, KMS, SNS, Step Functions and API Gateway (events and answers), however they are spelled.
FORBIDDEN_FRAGMENTS = (
    "dynamodb",
    "kms",
    "stepfunctions",
    "statemachine",
    "state_machine",
    "apigateway",
    "requestcontext",
    "httpmethod",
    "pathparameters",
    "querystringparameters",
    "isbase64encoded",
    "multipartupload",
    "presign",
)
FORBIDDEN_WORDS = {"s3", "sns", "sfn", "ddb", "states", "execution"}


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


def _words(text: str) -> set[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text)
    return {word.lower() for word in re.split(r"[^A-Za-z0-9]+", spaced) if word}


def layering_violations(path: Path) -> list[str]:
    """What in `path` belongs to the application rather than to an SP-API client, as `line: reason`."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    docstrings = _docstrings(tree)
    found = []

    def check(node: ast.AST, text: str, what: str) -> None:
        lowered = text.lower()
        hits = [f for f in FORBIDDEN_FRAGMENTS if f in lowered] + sorted(_words(text) & FORBIDDEN_WORDS)
        if hits:
            found.append(f"{node.lineno}: {what} {text!r} ({', '.join(hits)})")

    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for module in modules:
                parts = module.split(".")
                if {".".join(parts[:n]) for n in range(1, len(parts) + 1)} & FORBIDDEN_IMPORTS:
                    found.append(f"{node.lineno}: imports {module}")
        elif isinstance(node, ast.Name):
            check(node, node.id, "name")
        elif isinstance(node, ast.Attribute):
            check(node, node.attr, "attribute")
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            check(node, node.name, "definition")
        elif isinstance(node, ast.arg):
            check(node, node.arg, "parameter")
        elif isinstance(node, ast.keyword) and node.arg:
            check(node, node.arg, "keyword")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            check(node, node.value, "string")
    return found


def test_the_scan_covers_the_whole_library():
    names = {p.stem for p in SPAPI_MODULES}
    assert {"http", "lwa", "reports", "notifications", "documents", "credentials", "errors"} <= names


@pytest.mark.parametrize("module", SPAPI_MODULES, ids=lambda p: p.relative_to(SRC).as_posix())
def test_spapi_module_knows_nothing_of_our_aws_resources_or_api_gateway(module):
    assert layering_violations(module) == []


@pytest.mark.parametrize(
    ("module", "expected"),
    [
        ("report_records.py", "imports boto3"),
        ("report_storage.py", "imports botocore"),
        ("token_store.py", "kms"),
        ("api_requests.py", "pathParameters"),
        ("notifications_processing.py", "execution"),
    ],
)
def test_the_scan_finds_the_application_in_the_application_modules(module, expected):
    violations = layering_violations(SRC / "sp_reports" / "pipeline" / module)
    assert any(expected in v for v in violations), violations
