"""The deployed emulator's state in S3 (``stored_state``, ``lambda_function.Deployment``): conditional
writes so that concurrent containers never lose each other's changes. Local AWS (moto) enforces PutObject's
If-Match / If-None-Match as S3 does (412 PreconditionFailed; 404 NoSuchKey for If-Match on no object)."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from spapi_emulator.lambda_function import Deployment, StoredEmulatorApp
from spapi_emulator.stored_state import StateStore, capture

BUCKET = "spapi-emulator-state-test"


@pytest.fixture
def deployment_env(monkeypatch, models_dir):
    monkeypatch.setenv("SPAPI_EMULATOR_STATE_BUCKET", BUCKET)
    monkeypatch.setenv("SPAPI_MODELS_DIR", str(models_dir))
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=BUCKET)
        yield


def _sellers(deployment: Deployment) -> dict[str, str]:
    snapshot, _etag = deployment.store.load()
    return {token: seller.seller_id for token, seller in snapshot.state.sellers.items()}


@pytest.mark.parametrize(
    ("case", "condition", "saved"),
    [
        ("first save, nothing stored", "none", True),
        ("first save, another container saved first", "none-but-stored", False),
        ("the ETag loaded is still the stored one", "current", True),
        ("another container saved since the load", "stale", False),
        ("the state object was deleted since the load", "deleted", False),
    ],
)
def test_a_save_succeeds_only_on_the_state_it_was_loaded_from(deployment_env, case, condition, saved):
    deployment = Deployment()
    store: StateStore = deployment.store
    if condition != "none":
        deployment.transact(lambda app: None)
    _snapshot, etag = store.load()
    if condition == "stale":
        deployment.transact(lambda app: app.state.register_seller("Atzr|other", "OTHER"))
    if condition == "deleted":
        deployment.s3.delete_object(Bucket=BUCKET, Key=store.key)
    loaded = None if condition.startswith("none") else etag
    app = StoredEmulatorApp(deployment.contract, deployment.config, deployment.s3, BUCKET)

    assert store.save(capture(app, None), loaded) is saved, case


def test_a_request_that_lost_the_race_is_redone_on_the_fresh_state(deployment_env):
    """Two containers change the state at once: the one saving second reloads and redoes its whole request,
    so both changes are kept and the redone request's effect is applied exactly once."""
    first, second = Deployment(), Deployment()
    first.transact(lambda app: app.state.register_seller("Atzr|seed", "SEED"))
    seen: list[set[str]] = []

    def register(app):
        seen.append(set(app.state.sellers))
        if len(seen) == 1:  # the other container saves between our load and our save
            second.transact(lambda other: other.state.register_seller("Atzr|second", "SECOND"))
        app.state.register_seller("Atzr|first", "FIRST")
        return len(app.state.sellers)

    result, _app = first.transact(register)

    assert seen == [{"Atzr|seed"}, {"Atzr|seed", "Atzr|second"}]
    assert result == 3
    assert _sellers(first) == {"Atzr|seed": "SEED", "Atzr|second": "SECOND", "Atzr|first": "FIRST"}
