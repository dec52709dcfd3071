"""Replies on the embedded default (`make run`: the outbox is the provider, issue 10 finding 7):
a STOP in Russian sent through the CLI or the Twilio webhook reaches the journey."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest_asyncio

from api.app import ApiSettings, create_app
from api.signatures import twilio_signature
from api.webhooks import WebhookSettings
from messaging.outbox import Outbox, OutboxSender
from messaging.provider_config import open_ledger, senders_for
from service.config import DeliverySettings
from tests.api.test_starter_cli import cli
from tests.conftest import Harness, make_case
from tests.support.api_harness import api_settings, served
from tests.support.polling import eventually
from worker import build_worker

PHONE = "+77012345678"


def embedded_environment(tmp_path: Path) -> dict[str, str]:
    """What `make run` has: no provider configured; the ledger file under the data directory."""
    return {"WAYPOINT_LEDGER_URL": f"sqlite:///{tmp_path}/var/ledger.sqlite"}


@pytest_asyncio.fixture
async def embedded(dev_env, settings, tmp_path) -> AsyncIterator[Harness]:
    senders, ledger = senders_for(DeliverySettings.from_env(embedded_environment(tmp_path)), OutboxSender(Outbox(settings.outbox_dir)))
    harness = Harness(dev_env, settings)
    async with build_worker(dev_env.client, settings, senders):
        yield harness
        await harness.journeys.terminate_all()
    if ledger is not None:
        ledger.close()


def guardian() -> dict:
    return {"name": "Айгерим", "language": "ru", "timezone": "Asia/Almaty", "email": "family@example.kz",
            "phone": PHONE, "channels": ["email", "sms"], "quiet_hours": {"start": "00:00", "end": "00:00"}}


async def test_a_stop_through_the_cli_reaches_the_journey_on_the_outbox(embedded: Harness, tmp_path: Path, monkeypatch):
    h = embedded
    case = make_case(guardians=[guardian()])
    ref = case.case_reference
    await h.journeys.start(case)
    await eventually(lambda: any("sms" in p.name for p in h.outbox_files(ref)))

    for name, value in embedded_environment(tmp_path).items():
        monkeypatch.setenv(name, value)
    result = await cli(h, "inbound-sms", "--from", PHONE, "--body", "СТОП")
    assert result.returncode == 0, result.stderr
    status = await eventually(lambda: _opted_out(h, ref))
    assert status == {"guardian-1": ["sms"]}
    await eventually(lambda: any("opt_out_confirmation" in p.name for p in h.outbox_files(ref)))


async def test_the_twilio_webhook_answers_on_the_outbox(embedded: Harness, tmp_path: Path):
    h = embedded
    case = make_case(guardians=[guardian()])
    ref = case.case_reference
    await h.journeys.start(case)
    await eventually(lambda: any("sms" in p.name for p in h.outbox_files(ref)))

    token = secrets.token_urlsafe(24)  # `make run` creates a dev token (var/dev-api.env)
    ledger = open_ledger(DeliverySettings.from_env(embedded_environment(tmp_path)))
    assert ledger is not None, "the embedded default must open the ledger that routes replies"
    app = create_app(h.settings, h.journeys, ledger, api_settings(webhooks=WebhookSettings(twilio_auth_token=token)))
    async with served(app) as base, httpx.AsyncClient(base_url=base) as web:
        params = [("From", PHONE), ("Body", "STOP"), ("MessageSid", "SM" + "0" * 32)]
        signature = twilio_signature(token, f"{base}/webhooks/twilio/sms", params)
        r = await web.post("/webhooks/twilio/sms", data=dict(params), headers={"X-Twilio-Signature": signature})
    ledger.close()
    assert r.status_code == 200, r.text
    assert await eventually(lambda: _opted_out(h, ref)) == {"guardian-1": ["sms"]}


async def _opted_out(h: Harness, ref: str):
    return (await h.journeys.status(ref)).opted_out
