"""Download links state the true expiry: the earlier of the wanted lifetime and the signer's session end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest

from sp_reports.pipeline.download_links import DownloadLinks

NOW = datetime(2026, 11, 28, 10, 0, 0, tzinfo=UTC)
ROLE = "arn:aws:iam::123456789012:role/sp-reports-download-link-signer"


class FakeSts:
    """Answers AssumeRole with sessions of a fixed length, as STS states them."""

    def __init__(self, clock, session_seconds: int = 3600) -> None:
        self.clock = clock
        self.session_seconds = session_seconds
        self.calls: list[dict] = []

    def assume_role(self, **kwargs):
        self.calls.append(kwargs)
        return {
            "Credentials": {
                "AccessKeyId": f"ASIASIGNER{len(self.calls):010d}",
                "SecretAccessKey": "secret",
                "SessionToken": "token",
                "Expiration": self.clock() + timedelta(seconds=self.session_seconds),
            }
        }


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def _expires_in(url: str) -> int:
    return int(parse_qs(urlparse(url).query)["X-Amz-Expires"][0])


def test_a_fresh_session_gives_the_whole_lifetime_and_is_assumed_for_at_most_an_hour():
    clock = Clock()
    sts = FakeSts(clock)
    link = DownloadLinks(sts, ROLE, 1800, clock=clock).link("bucket", "seller/TYPE/1/report.tsv")
    assert link.expires_at == NOW + timedelta(seconds=1800)
    assert link.lifetime_seconds == 1800 == _expires_in(link.url)
    assert sts.calls == [
        {"RoleArn": ROLE, "RoleSessionName": "report-download-links", "DurationSeconds": 3600}
    ]
    assert "ASIASIGNER" in link.url  # signed by the signer's session, not by the caller's own credentials


def test_a_session_that_ends_first_bounds_the_link_and_the_stated_expiry():
    clock = Clock()
    sts = FakeSts(clock, session_seconds=900)  # e.g. a role whose maximum session is shorter than the link
    link = DownloadLinks(sts, ROLE, 3600, clock=clock).link("bucket", "key")
    assert link.expires_at == NOW + timedelta(seconds=900)
    assert _expires_in(link.url) == 900


def test_a_session_is_reused_while_it_outlives_a_whole_link_then_replaced():
    clock = Clock()
    sts = FakeSts(clock)
    links = DownloadLinks(sts, ROLE, 1200, clock=clock)
    links.link("bucket", "a")
    clock.now = NOW + timedelta(seconds=2400)  # 1200 s of the session left: exactly one whole link
    assert links.link("bucket", "b").expires_at == clock.now + timedelta(seconds=1200)
    assert len(sts.calls) == 1
    clock.now = NOW + timedelta(seconds=2401)  # less than a whole link left: a new session
    assert links.link("bucket", "c").expires_at == clock.now + timedelta(seconds=1200)
    assert len(sts.calls) == 2


@pytest.mark.parametrize("ttl", [59, 3601, 86400])
def test_lifetimes_a_chained_role_session_cannot_cover_are_refused(ttl):
    with pytest.raises(ValueError, match="one hour"):
        DownloadLinks(FakeSts(Clock()), ROLE, ttl)


def test_the_url_stays_out_of_the_links_repr():
    clock = Clock()
    link = DownloadLinks(FakeSts(clock), ROLE, 600, clock=clock).link("bucket", "key")
    assert "X-Amz-Signature" not in repr(link)
