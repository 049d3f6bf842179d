"""HTTP helpers for the emulator tests: a session bound to the emulator and one access token, LWA calls."""

from __future__ import annotations

import requests

from spapi_emulator import SpApiEmulator
from tests.support.canaries import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN

USER_AGENT = "sp-reports-tests/1.0 (Language=Python/3.11)"
SQS_ARN = "arn:aws:sqs:us-east-1:123456789012:sp-reports-notifications"
US = "ATVPDKIKX0DER"
LISTINGS = "GET_MERCHANT_LISTINGS_ALL_DATA"
SELLER_GRANT = {
    "grant_type": "refresh_token",
    "refresh_token": REFRESH_TOKEN,
    "client_id": CLIENT_ID,
    "client_secret": CLIENT_SECRET,
}
GRANTLESS_GRANT = {
    "grant_type": "client_credentials",
    "scope": "sellingpartnerapi::notifications",
    "client_id": CLIENT_ID,
    "client_secret": CLIENT_SECRET,
}


class Api:
    """A requests session bound to the emulator and one access token."""

    def __init__(
        self, emulator: SpApiEmulator, access_token: str | None, base_url: str | None = None
    ) -> None:
        self.emulator = emulator
        self.base_url = base_url or emulator.url
        self.session = requests.Session()
        self.session.headers["user-agent"] = USER_AGENT
        if access_token:
            self.session.headers["x-amz-access-token"] = access_token

    def at(self, base_url: str) -> Api:
        """The same token, sent to another (regional) endpoint."""
        return Api(self.emulator, self.session.headers.get("x-amz-access-token"), base_url)

    def call(self, method: str, path: str, **kwargs) -> requests.Response:
        return self.session.request(method, self.base_url + path, timeout=5, **kwargs)

    def create_report(self, report_type: str = LISTINGS, marketplaces: tuple[str, ...] = (US,)) -> str:
        response = self.call(
            "POST",
            "/reports/2021-06-30/reports",
            json={"reportType": report_type, "marketplaceIds": list(marketplaces)},
        )
        assert response.status_code == 202, response.text
        return response.json()["reportId"]

    def get_report(self, report_id: str) -> dict:
        response = self.call("GET", f"/reports/2021-06-30/reports/{report_id}")
        assert response.status_code == 200, response.text
        return response.json()

    def create_destination(self, arn: str = SQS_ARN) -> str:
        response = self.call(
            "POST",
            "/notifications/v1/destinations",
            json={"name": "reports", "resourceSpecification": {"sqs": {"arn": arn}}},
        )
        assert response.status_code == 200, response.text
        return response.json()["payload"]["destinationId"]

    def subscribe(self, destination_id: str, payload_version: str = "1.0") -> requests.Response:
        return self.call(
            "POST",
            "/notifications/v1/subscriptions/REPORT_PROCESSING_FINISHED",
            json={"payloadVersion": payload_version, "destinationId": destination_id},
        )


def lwa_token(emulator: SpApiEmulator, **fields: str) -> requests.Response:
    return requests.post(emulator.lwa_url, data=fields, timeout=5)


def seller_token(emulator: SpApiEmulator, refresh_token: str = REFRESH_TOKEN) -> str:
    response = lwa_token(
        emulator,
        grant_type="refresh_token",
        refresh_token=refresh_token,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
    )
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def grantless_token(emulator: SpApiEmulator) -> str:
    response = lwa_token(
        emulator,
        grant_type="client_credentials",
        scope="sellingpartnerapi::notifications",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
    )
    assert response.status_code == 200, response.text
    return response.json()["access_token"]
