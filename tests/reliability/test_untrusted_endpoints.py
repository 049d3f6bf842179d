"""Attack: point the functions at another host for SP-API or LWA without the test-only flag.

One changed setting (`spapi_endpoint_url`, `lwa_endpoint_url`) would send every refresh token and the LWA
client secret to whoever runs that host. Outside a test deployment (`SP_REPORTS_TEST_ENDPOINTS`, which only
Terraform's `test_endpoint_overrides` sets) the functions accept Amazon's hosts over https only
(spapi/regions.py), and a function given another host does not start: its cold start fails with the reason,
before any request is read. The host here is our emulator, reachable and willing, and it must see nothing.
"""

from __future__ import annotations

import pytest

from sp_reports.spapi.errors import ConfigurationError

# Every function that calls SP-API or LWA.
FUNCTIONS = ("token_storage", "notifications_subscriber", "report_creator", "report_storer", "report_sweeper")
ENDPOINTS = ("SPAPI_ENDPOINT_URL", "LWA_ENDPOINT_URL")
CASES = [(function, endpoint) for function in FUNCTIONS for endpoint in ENDPOINTS]


@pytest.mark.parametrize(("function", "endpoint"), CASES)
def test_an_endpoint_override_without_the_test_flag_stops_the_function_before_it_sends_anything(
    function, endpoint, spapi_emulator, fresh_handler, monkeypatch, capsys, attack_results
):
    monkeypatch.delenv("SP_REPORTS_TEST_ENDPOINTS")
    for other in ENDPOINTS:
        if other != endpoint:
            monkeypatch.delenv(other)  # Amazon's own host: only the overridden one is in question

    with pytest.raises(ConfigurationError, match=f"{endpoint} names http://127.0.0.1") as refused:
        fresh_handler(function)

    assert "SP_REPORTS_TEST_ENDPOINTS=true" in str(refused.value)
    assert spapi_emulator.exchanges == [] and spapi_emulator.lwa_exchange_count == 0
    attack_results.record(
        "8-endpoint-override",
        attack="Endpoint override (SP-API or LWA) without the test-only flag, per function that calls them",
        cases=1,
        outcome="the function's cold start fails naming the setting; 0 requests and 0 tokens reach the host",
        lost=None,
    )
