"""Seller onboarding end to end on local AWS: the stack deployed with seller authorization on, a seller's
browser through Amazon's authorization workflow as HTTP requests
(https://developer-docs.amazon.com/sp-api/docs/website-authorization-workflow), the emulator standing in for
Seller Central's consent (the code it sends to the redirect URI) and for LWA (the code's exchange)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from sp_reports_harness.acceptance.results import EMULATOR_OPTIONS, LAMBDA_SESSION_SECONDS
from sp_reports_harness.deployment.local_deployment import (
    AppCredentials,
    DeploymentSettings,
    LocalDeployment,
    Seller,
    StackOutputs,
)
from tests.support.canaries import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, SELLER_ID, assert_no_secrets

# What the operator registers for the application and sets as seller_authorization_redirect_uri: it must reach
# GET /authorization/redirect (here through a custom domain in front of the local stage).
REDIRECT_URI = "https://onboarding.example.com/prod/authorization/redirect"
CALLBACK = "https://sellercentral.amazon.com/apps/authorize/confirm/amzn1.sellerapps.app.2eca283f-9f5a"
NEW_SELLER = "A1NEWSELLER0AB"


@pytest.fixture(scope="module")
def deployed(
    tmp_path_factory, models_dir: Path, lambda_package_dir: Path
) -> Iterator[tuple[LocalDeployment, StackOutputs]]:
    if shutil.which("terraform") is None:
        pytest.skip("terraform is not installed")
    settings = DeploymentSettings(
        state_dir=tmp_path_factory.mktemp("onboarding"),
        package_dir=lambda_package_dir,
        models_dir=models_dir,
        emulator_options=EMULATOR_OPTIONS,
        lambda_session_seconds=LAMBDA_SESSION_SECONDS,
        extra_variables={"seller_authorization_redirect_uri": REDIRECT_URI},
    )
    with LocalDeployment(
        settings, app=AppCredentials(CLIENT_ID, CLIENT_SECRET), seller=Seller(SELLER_ID, REFRESH_TOKEN)
    ) as started:
        started.terraform_init()
        yield started, started.terraform_apply()


def test_a_sellers_browser_authorizes_the_application_and_its_token_is_stored_bound(deployed):
    deployment, outputs = deployed
    base = deployment.invoke_url()
    # Amazon loads our log-in URI once the seller consented on Seller Central.
    login = requests.get(
        f"{base}/authorization/login",
        params={
            "amazon_callback_uri": CALLBACK,
            "amazon_state": "amzn-state",
            "selling_partner_id": NEW_SELLER,
        },
        allow_redirects=False,
        timeout=60,
    )
    assert login.status_code == 302, login.text
    location = urlsplit(login.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == CALLBACK
    sent = {name: values[0] for name, values in parse_qs(location.query).items()}
    assert sent["redirect_uri"] == REDIRECT_URI and sent["amazon_state"] == "amzn-state"
    # Amazon's confirm page, once the seller confirmed, sends the browser to the redirect URI with a code.
    code = deployment.emulator.authorize(CLIENT_ID, NEW_SELLER, REDIRECT_URI)
    query = {"state": sent["state"], "selling_partner_id": NEW_SELLER, "spapi_oauth_code": code}

    done = requests.get(f"{base}/authorization/redirect", params=query, timeout=60)

    assert done.status_code == 200, done.text
    assert NEW_SELLER in done.text
    assert_no_secrets(done.text, sent["state"], code)
    tokens_table = str(outputs["tokens_table_name"])
    item = deployment.aws.boto3_client("dynamodb").get_item(
        TableName=tokens_table, Key={"SellerId": {"S": NEW_SELLER}}
    )["Item"]
    assert item["Bound"] == {"BOOL": True}
    # The same redirect again: the state is used up.
    again = requests.get(f"{base}/authorization/redirect", params=query, timeout=60)
    assert again.status_code == 403 and again.text.startswith("InvalidState")


def test_the_other_routes_still_refuse_an_unsigned_browser(deployed):
    deployment, _outputs = deployed
    answer = requests.post(
        f"{deployment.invoke_url()}/tokens",
        json={"SellerId": NEW_SELLER, "RefreshToken": "Atzr|x"},
        timeout=60,
    )

    assert answer.status_code == 403
