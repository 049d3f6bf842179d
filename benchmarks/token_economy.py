"""Benchmark 3: LWA exchanges, secret reads, token reads and KMS decrypts for 1,000 SP-API calls, 10 sellers.

One warm process plays a Lambda container serving 1,000 invocations: each asks `SpApiClients` (the handlers'
per-container clients) for the seller's Reports client, as a handler does per invocation, and makes one call
(the first per seller a createReport, then getReport). The SP-API emulator counts LWA token requests; moto
(in-process) holds the secret, the tokens table and the KMS key, and botocore's event hooks count the calls.
Targets: exactly one exchange per seller and one secret read in all; at most 10 token item reads and 10 KMS
decrypts (the per-container token cache reads and decrypts each seller's token once in its lifetime).
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import asdict, dataclass

import boto3
from moto import mock_aws

from benchmarks.fake_aws import REGION, CallCounter, use_fake_aws_environment
from sp_reports.handlers._spapi_clients import SpApiClients
from sp_reports.pipeline.token_store import TokenStore
from spapi_emulator import EmulatorConfig, SpApiEmulator

CLIENT_ID = "amzn1.application-oa2-client.bench"
CLIENT_SECRET = "bench-client-secret"  # noqa: S105 - the emulator's, not a real one
REPORT_TYPE = "GET_MERCHANT_LISTINGS_ALL_DATA"
MARKETPLACE_ID = "ATVPDKIKX0DER"


@dataclass
class TokenEconomy:
    sellers: int
    spapi_calls: int
    seconds: float
    lwa_exchanges: int
    secret_reads: int
    token_item_reads: int  # DynamoDB GetItem on the tokens table
    kms_decrypts: int

    @property
    def calls_per_second(self) -> float:
        return self.spapi_calls / self.seconds


def _seller(index: int) -> tuple[str, str]:
    return f"A{index:02d}BENCHSELLER", f"Atzr|bench-refresh-token-{index:02d}"


def run(sellers: int = 10, calls: int = 1000) -> TokenEconomy:
    use_fake_aws_environment()
    config = EmulatorConfig(record_exchanges=False, in_queue_seconds=0.0, in_progress_seconds=0.0)
    with mock_aws(), SpApiEmulator(config=config) as emulator:
        os.environ["SP_REPORTS_TEST_ENDPOINTS"] = "true"  # the emulator stands in for SP-API and LWA
        os.environ["SPAPI_ENDPOINT_URL"] = emulator.url
        os.environ["LWA_ENDPOINT_URL"] = emulator.lwa_url
        emulator.register_app(CLIENT_ID, CLIENT_SECRET)
        # Rates raised on both sides (the client adopts x-amzn-RateLimit-Limit): this measures tokens, not
        # waiting; benchmark 4 measures the waiting.
        emulator.set_rate("getReport", 10_000.0, 10_000)
        emulator.set_rate("createReport", 100.0, 100)

        counter = CallCounter()
        dynamodb = counter.watch(boto3.client("dynamodb", region_name=REGION))
        kms = counter.watch(boto3.client("kms", region_name=REGION))
        secrets = counter.watch(boto3.client("secretsmanager", region_name=REGION))
        dynamodb.create_table(
            TableName="sp-reports-tokens",
            KeySchema=[{"AttributeName": "SellerId", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "SellerId", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        key_id = kms.create_key(Description="tokens")["KeyMetadata"]["KeyId"]
        secret_arn = secrets.create_secret(
            Name="sp-reports/lwa",
            SecretString=json.dumps({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}),
        )["ARN"]
        token_store = TokenStore("sp-reports-tokens", key_id, dynamodb, kms)
        for index in range(sellers):
            seller_id, refresh_token = _seller(index)
            emulator.register_seller(refresh_token, seller_id)
            token_store.put(seller_id, refresh_token)
        counter.calls.clear()

        clients = SpApiClients(
            lwa_secret_arn=secret_arn, secretsmanager_client=secrets, token_store=token_store
        )
        report_ids: dict[str, str] = {}
        started = time.perf_counter()
        for call in range(calls):
            seller_id, _ = _seller(call % sellers)
            reports = clients.reports(seller_id, "NA")  # per invocation, as the handlers do
            if seller_id not in report_ids:
                report_ids[seller_id] = reports.create_report(REPORT_TYPE, [MARKETPLACE_ID])
            else:
                reports.get_report(report_ids[seller_id])
        seconds = time.perf_counter() - started
        return TokenEconomy(
            sellers=sellers,
            spapi_calls=calls,
            seconds=seconds,
            lwa_exchanges=emulator.lwa_exchange_count,
            secret_reads=counter.calls["GetSecretValue"],
            token_item_reads=counter.calls["GetItem"],
            kms_decrypts=counter.calls["Decrypt"],
        )


if __name__ == "__main__":
    result = run()
    with open(sys.argv[1], "w") as out:
        json.dump(asdict(result), out)
