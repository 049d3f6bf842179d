"""The deployed emulator's state in S3 (``stored_state``, ``lambda_function.Deployment``): conditional
writes so that concurrent containers never lose each other's changes. Local AWS (moto) enforces PutObject's
If-Match / If-None-Match as S3 does (412 PreconditionFailed; 404 NoSuchKey for If-Match on no object)."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from spapi_emulator.lambda_function import Deployment, StoredEmulatorApp
from spapi_emulator.state_in_s3 import capture

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
    return {token: seller.seller_id for token, seller in snapshot.app.state.sellers.items()}


def test_a_save_over_a_state_deleted_since_it_was_loaded_is_a_lost_race(deployment_env):
    """If-Match on a key that no longer exists: 404 NoSuchKey (the other conditional-write cases are held by
    test_lambda's table); the store says "reload", which then starts afresh with If-None-Match."""
    deployment = Deployment()
    deployment.transact(lambda app: None)
    _snapshot, etag = deployment.store.load()
    deployment.s3.delete_object(Bucket=BUCKET, Key=deployment.store.key)
    app = StoredEmulatorApp(deployment.contract, deployment.config, deployment.s3, BUCKET)

    assert deployment.store.save(capture(app, None), etag) is False
    assert deployment.store.load() == (None, None)


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
