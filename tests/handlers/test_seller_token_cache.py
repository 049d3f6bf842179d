"""The handlers' cache of decrypted refresh tokens: a warm container reads and decrypts a seller's token once;
LWA's invalid_grant drops it and re-reads the stored one once (a replacement is used, the same token fails as
before); POST /tokens forgets the replaced token; no token reaches a log line."""

from __future__ import annotations

from collections import Counter

import boto3
import pytest

from sp_reports.pipeline.token_store import TokenStore
from tests.support import api_events
from tests.support.canaries import REFRESH_TOKEN, SELLER_ID, assert_no_secrets

REQUEST = {
    "SellerId": SELLER_ID,
    "RegionCode": "EU",
    "ReportType": "GET_MERCHANT_LISTINGS_ALL_DATA",
    "MarketplaceIds": "A1F83G8C2ARO7P",
}
REPLACEMENT = "Atzr|CANARY-REFRESH-replacement-authorisation"


@pytest.fixture
def report_creator(spapi_emulator, load_handler, stored_seller, fast_spapi_retries):
    module = load_handler("report_creator")
    fast_spapi_retries(module, "EU", read_timeout=0.3)
    return module


def _count_token_reads(module) -> Counter[str]:
    """GetItem and Decrypt as the module's own token store calls them (botocore event hooks)."""
    calls: Counter[str] = Counter()
    store = module.spapi_clients.tokens._store
    for client in (store._dynamodb, store._kms):
        client.meta.events.register("before-call", lambda model, **_: calls.update([model.name]))
    return calls


def _create(module, context) -> dict:
    return module.handler(api_events.api_event("POST", "/reports", REQUEST), context)


def _replace_stored_token(resources, refresh_token: str) -> None:
    """What POST /tokens does in token_storage's containers, which this container cannot hear."""
    TokenStore(
        resources.tokens_table, resources.tokens_key_id, boto3.client("dynamodb"), boto3.client("kms")
    ).put(SELLER_ID, refresh_token)


def test_a_warm_container_reads_and_decrypts_the_token_once(report_creator, lambda_context):
    calls = _count_token_reads(report_creator)
    for _ in range(5):
        assert _create(report_creator, lambda_context)["statusCode"] == 202
    assert calls["Decrypt"] == 1


def test_invalid_grant_re_reads_the_token_once_and_uses_its_replacement(
    report_creator, resources, spapi_emulator, lambda_context, capsys
):
    assert _create(report_creator, lambda_context)["statusCode"] == 202  # caches REFRESH_TOKEN
    calls = _count_token_reads(report_creator)
    spapi_emulator.register_seller(REPLACEMENT, SELLER_ID)
    _replace_stored_token(resources, REPLACEMENT)
    spapi_emulator.revoke(REFRESH_TOKEN)  # the old authorisation and its access tokens stop working

    response = _create(report_creator, lambda_context)

    assert response["statusCode"] == 202
    assert calls["Decrypt"] == 1  # the one re-read
    assert _create(report_creator, lambda_context)["statusCode"] == 202
    assert calls["Decrypt"] == 1  # the replacement is cached now
    assert_no_secrets(capsys.readouterr().out + response["body"], REPLACEMENT)


def test_invalid_grant_for_the_stored_token_itself_fails_as_before_after_one_re_read(
    report_creator, spapi_emulator, lambda_context, capsys
):
    assert _create(report_creator, lambda_context)["statusCode"] == 202
    calls = _count_token_reads(report_creator)
    spapi_emulator.revoke(REFRESH_TOKEN)

    response = _create(report_creator, lambda_context)

    assert response["statusCode"] == 403
    assert api_events.answer_body(response)["error"]["code"] == "SellerAuthorizationRevoked"
    assert calls["Decrypt"] == 1, "exactly one re-read, then LWA's refusal stands"
    assert_no_secrets(capsys.readouterr().out + response["body"])


def test_post_tokens_forgets_the_replaced_token_in_its_own_container(
    spapi_emulator, load_handler, stored_seller, lambda_context, capsys
):
    token_storage = load_handler("token_storage")
    assert token_storage.spapi_clients.tokens.get(SELLER_ID) == REFRESH_TOKEN  # cached here
    spapi_emulator.register_seller(REPLACEMENT, SELLER_ID)

    response = token_storage.handler(
        api_events.api_event("POST", "/tokens", {"SellerId": SELLER_ID, "RefreshToken": REPLACEMENT}),
        lambda_context,
    )

    assert response["statusCode"] == 200
    assert token_storage.spapi_clients.tokens.get(SELLER_ID) == REPLACEMENT
    assert_no_secrets(capsys.readouterr().out + response["body"], REPLACEMENT)
