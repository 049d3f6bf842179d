"""The account the real-account target of ``make acceptance`` deploys into, and how everything reaches it.

- ``AccountAccess.of_session(session)``: an AWS account, through the standard credential chain. Terraform
  gets the chain from the environment as the user's shell has it; nothing is overridden.
- ``AccountAccess.local_account()``: local AWS standing in for that account
  (``SP_REPORTS_ACCEPTANCE_TARGET=local-account``). Everything else is the real-account target's own code:
  the account is confirmed through ``sts get-caller-identity``, ``terraform/acceptance`` is applied with the
  SP-API emulator deployed as a Lambda behind its AWS_IAM function URL, the assertions drive that emulator
  through the URL, and everything is destroyed. ``make test`` runs it, so the path a user takes into an
  account is proven on every change, as far as local AWS decides as AWS does.

On a run with a real seller's credentials (``acceptance.seller``) the stack calls SP-API and LWA
themselves. With local AWS as the account, which no SP-API can deliver to, our SP-API emulator stands in for
them (``spapi_stand_in``): it runs in this process, knows the seller's app and refresh token, and delivers
REPORT_PROCESSING_FINISHED into local AWS as SP-API's account. It is reached at the endpoints
``terraform/acceptance`` lets a stand-in set, and it has no control the assertions could use: they see it
only through SP-API's operations, as they see real SP-API.

The differences are only in how a request finds the account: an endpoint URL for every client and for
Terraform's provider (``local_aws.terraform_provider``), and the API's data-plane URL, which local AWS serves
on its own endpoint (``LocalAws.invoke_url``) where AWS serves ``api_base_url``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from sp_reports_harness.acceptance.seller import RealSeller
from sp_reports_harness.deployment.local_deployment import Seller, start_emulator
from sp_reports_harness.local_aws.server import LocalAws
from sp_reports_harness.local_aws.terraform_provider import write_provider_override
from spapi_emulator import SpApiEmulator


@dataclass
class AccountAccess:
    session: Any  # a boto3 Session: its credentials and region are the run's
    local_aws: LocalAws | None = None  # set when local AWS stands in for the account; stopped with the run
    # Set when the emulator stands in for real SP-API (a real seller's run on local AWS); stopped with it.
    spapi_stand_in: SpApiEmulator | None = None

    @classmethod
    def of_session(cls, session: Any) -> AccountAccess:
        return cls(session)

    @classmethod
    def local_account(cls, lambda_session_seconds: int, seller: RealSeller | None = None) -> AccountAccess:
        """Start local AWS and reach it as an account: its root credentials, its region. With a real
        seller, start the emulator standing in for SP-API, knowing that seller and its app."""
        aws = LocalAws(lambda_session_seconds=lambda_session_seconds).start()
        session = boto3.Session(
            aws_access_key_id=aws.access_key_id,
            aws_secret_access_key=aws.secret_access_key,
            region_name=aws.region,
        )
        access = cls(session, aws)
        if seller is not None:
            try:
                access.spapi_stand_in = start_emulator(
                    aws, seller.app, Seller(seller.seller.seller_id, seller.seller.refresh_token)
                )
            except BaseException:
                access.stop()
                raise
        return access

    @property
    def endpoint_url(self) -> str | None:
        return self.local_aws.endpoint_url if self.local_aws is not None else None

    @property
    def spapi_endpoint_url(self) -> str | None:
        """SP-API's base URL for a real seller's run: None is SP-API's own regional endpoint."""
        return self.spapi_stand_in.url if self.spapi_stand_in is not None else None

    @property
    def lwa_endpoint_url(self) -> str | None:
        """LWA's token URL for a real seller's run: None is LWA's own."""
        return self.spapi_stand_in.lwa_url if self.spapi_stand_in is not None else None

    def spapi_stand_in_problems(self) -> list[str]:
        """What the stand-in saw break SP-API's models or fail to deliver (nothing when there is none)."""
        if self.spapi_stand_in is None:
            return []
        return self.spapi_stand_in.contract_violations() + [
            f"notification not delivered: {error}" for error in self.spapi_stand_in.notification_errors
        ]

    @property
    def region(self) -> str | None:
        return self.session.region_name

    def client(self, service: str) -> Any:
        """A client of the caller (who deploys), in the run's region."""
        if self.endpoint_url is None:
            return self.session.client(service, region_name=self.region)
        return self.session.client(service, region_name=self.region, endpoint_url=self.endpoint_url)

    def description(self, account: str) -> str:
        if self.local_aws is None:
            return f"AWS account {account} in {self.region}"
        return f"local AWS as account {account} in {self.region} ({self.local_aws.endpoint_url})"

    @property
    def credentials_source(self) -> str:
        return "the standard AWS chain" if self.local_aws is None else "local AWS's root credentials"

    def invoke_url(self, outputs: Mapping[str, Any]) -> str:
        """The API's base URL (append the resource path)."""
        if self.local_aws is None:
            return str(outputs["api_base_url"]).rstrip("/")
        return self.local_aws.invoke_url(str(outputs["api_id"]), str(outputs["api_stage_name"]))

    def prepare_terraform(self, *module_dirs: Path) -> None:
        """Point each configuration's ``provider "aws"`` at the account (nothing to do for AWS itself)."""
        if self.local_aws is not None:
            for directory in module_dirs:
                write_provider_override(directory, self.local_aws.endpoint_url)

    def terraform_env(self, base: Mapping[str, str]) -> dict[str, str]:
        return self.local_aws.env(base) if self.local_aws is not None else dict(base)

    def stop(self) -> None:
        # The stand-in first: it must not deliver into a local AWS that is going away.
        if self.spapi_stand_in is not None:
            self.spapi_stand_in.stop()
            self.spapi_stand_in = None
        if self.local_aws is not None:
            self.local_aws.stop()
            self.local_aws = None
