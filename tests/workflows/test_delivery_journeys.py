"""Whole journeys delivering over real HTTP to local servers that speak Twilio's and Resend's
protocols: language, local time, opt-out, consent, outages, close: each message exactly once."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from domain.commands import CloseJourney, RecordReceived, ReviewRecord, SetConsent
from domain.state import AlertKind, MessageEvent, MessageStatus
from messaging.ledger import Ledger
from messaging.provider_config import senders_for
from service.config import DeliverySettings
from messaging.outbox import OutboxSender
from messaging.outbox import Outbox
from service.config import Settings
from service.inbound import handle_inbound_sms
from tests.support.polling import eventually
from tests.conftest import Harness, make_case
from tests.support.fake_providers import FakeResend, FakeTwilio, delivery_environment, fake_resend, fake_twilio  # noqa: F401
from worker import build_worker

ALMATY = ZoneInfo("Asia/Almaty")
PHONE = "+77012345678"
EMAIL = "aigerim.family@example.kz"
TEAM_EMAIL = "haematology@childrens-hospital.example.kz"
CYRILLIC = re.compile(r"[А-Яа-яЁё]")


def guardian(**overrides):
    g = {"name": "Айгерим", "language": "ru", "timezone": "Asia/Almaty", "email": EMAIL, "phone": PHONE,
         "channels": ["email", "sms"], "quiet_hours": {"start": "00:00", "end": "00:00"}}
    g.update(overrides)
    return g


class Wired(Harness):
    twilio: FakeTwilio
    resend: FakeResend
    ledger: Ledger
    environment: dict[str, str]

    def emails_to(self, address: str) -> list[dict]:
        return [m for m in self.resend.messages if m["to"] in (address, [address])]

    def sms_to(self, number: str) -> list[dict]:
        return [m for m in self.twilio.messages if m["to"] == number]


async def _wired(env: WorkflowEnvironment, settings: Settings, tmp_path: Path, twilio: FakeTwilio, resend: FakeResend) -> AsyncIterator[Wired]:
    environment = delivery_environment(twilio, resend, tmp_path / "ledger.sqlite")
    senders, ledger = senders_for(DeliverySettings.from_env(environment), OutboxSender(Outbox(settings.outbox_dir)))
    assert ledger is not None
    harness = Wired(env, settings)
    harness.twilio, harness.resend, harness.ledger = twilio, resend, ledger
    harness.environment = environment
    async with build_worker(env.client, settings, senders):
        yield harness
        await harness.journeys.terminate_all()
    ledger.close()


@pytest_asyncio.fixture
async def wired_skipping(time_env, settings, tmp_path, fake_twilio, fake_resend) -> AsyncIterator[Wired]:  # noqa: F811
    async for h in _wired(time_env, settings, tmp_path, fake_twilio, fake_resend):
        yield h


@pytest_asyncio.fixture
async def wired_dev(dev_env, settings, tmp_path, fake_twilio, fake_resend) -> AsyncIterator[Wired]:  # noqa: F811
    async for h in _wired(dev_env, settings, tmp_path, fake_twilio, fake_resend):
        yield h


async def test_almaty_guardian_gets_a_russian_reminder_at_eight_when_due_at_eleven_pm(wired_skipping: Wired):
    h = wired_skipping
    # Started at midday in Almaty, so the record request goes out at once: the chase counts from
    # when the family was asked, and a start in quiet hours (the server's time of day depends on
    # the wall clock and on what earlier tests skipped through) would move the reminder with it.
    before = (await h.env.get_current_time()).astimezone(ALMATY)
    await h.env.sleep(datetime.combine(before.date() + timedelta(days=1), time(12), ALMATY) - before)
    # The clock stands still from reading it to the start: the session's server holds other
    # tests' journeys, whose timers it would otherwise skip to in between.
    with h.env.auto_time_skipping_disabled():
        now = await h.env.get_current_time()
        local = now.astimezone(ALMATY)
        # Due at 23:00:30 local (30 s of slack for the test server's clock reading).
        due_local = datetime.combine(local.date() + timedelta(days=2), datetime.min.time(), ALMATY).replace(hour=23, second=30)
        first_reminder_after = due_local - local
        case = make_case(
            guardians=[guardian(quiet_hours={"start": "21:00", "end": "08:00"})],
            policy={"chase": {"first_reminder_after": f"PT{int(first_reminder_after.total_seconds())}S"}},
        )
        ref = case.case_reference
        await h.journeys.start(case)
    await h.env.sleep(first_reminder_after + timedelta(hours=12))

    messages = await h.journeys.messages(ref)
    reminders = [m for m in messages if m.event == MessageEvent.RECORD_REMINDER and m.recipient == "guardian-1"]
    email = next(m for m in reminders if m.channel.value == "email")
    assert email.status == MessageStatus.SENT
    assert email.created_at.astimezone(ALMATY).hour == 23
    sent_local = email.sent_at.astimezone(ALMATY)
    assert (sent_local.hour, sent_local.minute) == (8, 0) and sent_local.date() == due_local.date() + timedelta(days=1)
    # It reached the e-mail provider once, in Russian, keyed by the business event.
    [delivered] = [m for m in h.emails_to(EMAIL) if m["idempotency_key"] == email.key]
    assert CYRILLIC.search(delivered["subject"]) and CYRILLIC.search(delivered["text"])
    assert ref in delivered["text"]
    # The SMS twin fell under the 1-a-day cap only if an SMS went out in the last 24 h.
    sms = next(m for m in reminders if m.channel.value == "sms")
    assert sms.status in (MessageStatus.SENT, MessageStatus.SKIPPED)


async def test_stop_in_russian_silences_sms_but_email_continues(wired_dev: Wired):
    h = wired_dev
    case = make_case(guardians=[guardian()])
    ref = case.case_reference
    await h.journeys.start(case)
    await eventually(lambda: h.sms_to(PHONE) and h.emails_to(EMAIL))
    assert len(h.sms_to(PHONE)) == 1

    result = await handle_inbound_sms(h.client, h.ledger, PHONE, "  Стоп ")
    assert result.understood and result.signalled == [ref]
    await eventually(lambda: len(h.sms_to(PHONE)) == 2)  # the one confirmation
    assert CYRILLIC.search(h.sms_to(PHONE)[1]["body"])
    await handle_inbound_sms(h.client, h.ledger, PHONE, "СТОП")  # again: no second confirmation

    emails_before = len(h.emails_to(EMAIL))
    await h.journeys.report_record_received(ref, RecordReceived(record_type="imaging", document_id="img-1"))
    await h.journeys.command(ref, ReviewRecord(record_type="imaging", decision="reject", reason="illegible"))
    await eventually(lambda: len(h.emails_to(EMAIL)) == emails_before + 1)  # e-mail continues
    await asyncio.sleep(1)
    assert len(h.sms_to(PHONE)) == 2
    status = await h.journeys.status(ref)
    assert status.opted_out == {"guardian-1": ["sms"]}
    rerequest = [m for m in await h.journeys.messages(ref) if m.params.get("rejection_reason") == "illegible"]
    assert {(m.channel.value, m.status) for m in rerequest} == {("email", MessageStatus.SENT)}

    # A message that is not a keyword goes to the coordinator and changes no preference; only
    # START resubscribes.
    chatter = await handle_inbound_sms(h.client, h.ledger, PHONE, "please stop the reminders about the biopsy")
    assert chatter.signalled == [ref] and chatter.detail == "a reply for the coordinator"
    assert (await h.journeys.status(ref)).opted_out == {"guardian-1": ["sms"]}
    await handle_inbound_sms(h.client, h.ledger, PHONE, "СТАРТ")
    await eventually(lambda: _no_opt_out(h, ref))


async def _no_opt_out(h: Wired, ref: str) -> bool:
    return (await h.journeys.status(ref)).opted_out == {}


async def test_local_team_hears_nothing_until_consent(wired_dev: Wired):
    h = wired_dev
    case = make_case(guardians=[guardian()])
    ref = case.case_reference
    await h.journeys.start(case)
    await eventually(lambda: h.emails_to(EMAIL))
    await asyncio.sleep(1)
    assert h.emails_to(TEAM_EMAIL) == []
    family_request = h.emails_to(EMAIL)[0]
    assert "pathology" not in family_request["text"]  # labels, not codes
    await h.journeys.command(ref, SetConsent(granted=True, by="coord-lin"))
    [team_email] = await eventually(lambda: h.emails_to(TEAM_EMAIL))
    assert ref in team_email["text"]


async def test_providers_down_for_an_hour_then_everything_arrives_exactly_once(wired_skipping: Wired):
    h = wired_skipping
    h.twilio.mode = "500"
    h.resend.mode = "429"
    case = make_case(guardians=[guardian()], policy={"chase": {"first_reminder_after": "PT30M"}})
    ref = case.case_reference
    await h.journeys.start(case)
    await h.env.sleep(timedelta(hours=1))
    assert h.twilio.messages == [] and h.resend.messages == []
    sending = [m for m in await h.journeys.messages(ref) if m.status == MessageStatus.SENDING]
    assert sending, "messages should be waiting on the providers"

    h.twilio.mode = "ok"
    h.resend.mode = "ok"
    await h.env.sleep(timedelta(hours=2))
    messages = await h.journeys.messages(ref)
    out = [m for m in messages if m.status == MessageStatus.SENT]
    assert out and not [m for m in messages if m.status in (MessageStatus.SENDING, MessageStatus.FAILED)]
    email_keys = Counter(m["idempotency_key"] for m in h.resend.messages)
    assert email_keys and max(email_keys.values()) == 1
    assert set(email_keys) == {m.key for m in out if m.channel.value == "email"}
    assert len(h.twilio.messages) == len([m for m in out if m.channel.value == "sms"])
    counts = h.ledger.counts()
    assert counts.get("sent") == len(out)


async def test_closed_journey_sends_nothing_more(wired_skipping: Wired):
    h = wired_skipping
    case = make_case(guardians=[guardian()])
    ref = case.case_reference
    await h.journeys.start(case)
    await h.env.sleep(timedelta(hours=1))
    before = (len(h.twilio.messages), len(h.resend.messages))
    assert before[0] >= 1 and before[1] >= 1
    await h.journeys.command(ref, CloseJourney(reason="child_died"))
    await h.env.sleep(timedelta(days=60))
    assert (len(h.twilio.messages), len(h.resend.messages)) == before


async def test_invalid_number_alerts_the_coordinator_and_email_still_goes(wired_dev: Wired):
    h = wired_dev
    h.twilio.override(PHONE, "invalid_number")
    case = make_case(guardians=[guardian()])
    ref = case.case_reference
    await h.journeys.start(case)

    async def failed_sms():
        return [m for m in await h.journeys.messages(ref) if m.channel.value == "sms" and m.status == MessageStatus.FAILED]

    [sms] = await eventually(failed_sms)
    assert sms.outcome == "InvalidAddress"
    status = await h.journeys.status(ref)
    assert AlertKind.DELIVERY_FAILED in {a.kind for a in status.open_alerts}
    assert h.emails_to(EMAIL)  # the family still hears by e-mail
    coordinator = await eventually(lambda: h.emails_to("lin.coordinator@waypoint.example"))
    assert any(ref in m["text"] for m in coordinator)


async def test_undelivered_status_callback_through_the_cli_reaches_the_journey(wired_dev: Wired):
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    h = wired_dev
    case = make_case(guardians=[guardian()])
    ref = case.case_reference
    await h.journeys.start(case)
    [sms] = await eventually(lambda: h.sms_to(PHONE))
    env = {
        **os.environ,
        **h.environment,
        "TEMPORAL_ADDRESS": h.client.service_client.config.target_host,
        "WAYPOINT_TASK_QUEUE": h.settings.task_queue,
    }
    args = [sys.executable, str(ROOT / "starter.py"), "delivery-status", "--provider-id", sms["sid"],
            "--status", "undelivered", "--code", "30003"]
    done = await asyncio.to_thread(subprocess.run, args, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert f"told {ref}" in done.stdout

    async def problem():
        status = await h.journeys.status(ref)
        return status if status.delivery_problems else None

    status = await eventually(problem)
    [bad] = status.delivery_problems
    assert bad.channel.value == "sms" and bad.delivery == "undelivered" and bad.outcome == "undelivered (30003)"
    assert AlertKind.DELIVERY_FAILED in {a.kind for a in status.open_alerts}
    unknown = await asyncio.to_thread(
        subprocess.run, [*args[:4], "SMdoesnotexist", *args[5:]], env=env, capture_output=True, text=True, timeout=60
    )
    assert unknown.returncode == 0 and "no message with that provider id" in unknown.stdout
