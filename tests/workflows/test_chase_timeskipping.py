"""A month of the records chase in seconds, on the official Java time-skipping test server,
with the default policy (days, not test-sized durations)."""

from __future__ import annotations

from datetime import datetime, timedelta


from domain.commands import PauseJourney, RecordReceived, ResumeJourney
from domain.records import RecordStatus
from domain.state import AlertKind, MessageEvent, MessageStatus
from workflows import search_attributes as sa
from tests.conftest import Harness, make_case, record_history


# One guardian, e-mail only, quiet hours off: the schedule is then exactly the policy's.
ONE_GUARDIAN = [
    {"name": "Aigerim", "timezone": "Asia/Almaty", "email": "a@example.org", "language": "ru",
     "quiet_hours": {"start": "00:00", "end": "00:00"}}
]


def reminder_days(messages, started: datetime) -> list[float]:
    return [
        round((m.sent_at - started).total_seconds() / 86400, 2)
        for m in messages
        if m.event == MessageEvent.RECORD_REMINDER and m.status == MessageStatus.SENT
    ]


async def started_at(h: Harness, ref: str) -> datetime:
    return (await h.journeys.status(ref)).started_at


async def test_a_month_of_reminders_then_escalation(skipping: Harness):
    case = make_case(guardians=ONE_GUARDIAN)
    ref = case.case_reference
    await skipping.journeys.start(case)
    t0 = await started_at(skipping, ref)
    await skipping.env.sleep(timedelta(days=30))

    messages = await skipping.journeys.messages(ref)
    assert reminder_days(messages, t0) == [3.0, 7.0, 11.0]
    status = await skipping.journeys.status(ref)
    assert status.overdue
    alerts = [a for a in status.open_alerts if a.kind == AlertKind.RECORDS_OVERDUE]
    assert len(alerts) == 1 and round((alerts[0].at - t0).total_seconds() / 86400, 2) == 15.0
    assert all(r.escalated for r in status.records if r.status == RecordStatus.REQUESTED)
    # The coordinator alert went out as an e-mail too.
    assert any(m.event == MessageEvent.COORDINATOR_ALERT and m.status == MessageStatus.SENT for m in messages)
    # Search attributes carry the flag for listing.
    desc = await skipping.journeys.handle(ref).describe()
    assert desc.typed_search_attributes.get(sa.OVERDUE) is True
    # Every message written once to the outbox.
    sent = [m for m in messages if m.status == MessageStatus.SENT]
    assert len(skipping.outbox_files(ref)) == len(sent)
    await record_history(skipping, ref, "records_chase_month")


async def test_reminders_stop_the_moment_records_arrive(skipping: Harness):
    case = make_case(guardians=ONE_GUARDIAN)
    ref = case.case_reference
    await skipping.journeys.start(case)
    t0 = await started_at(skipping, ref)
    await skipping.env.sleep(timedelta(days=4))  # one reminder out (day 3)
    for line in (await skipping.journeys.status(ref)).records:
        if line.status == RecordStatus.REQUESTED:
            await skipping.journeys.report_record_received(
                ref, RecordReceived(record_type=line.record_type, document_id="doc-1")
            )
    await skipping.env.sleep(timedelta(days=40))
    messages = await skipping.journeys.messages(ref)
    assert reminder_days(messages, t0) == [3.0]
    status = await skipping.journeys.status(ref)
    assert not status.overdue and not [a for a in status.open_alerts if a.kind == AlertKind.RECORDS_OVERDUE]
    assert status.next_wakeup is None


async def test_pause_suspends_reminders_and_resume_restarts_the_clock(skipping: Harness):
    case = make_case(guardians=ONE_GUARDIAN)
    ref = case.case_reference
    await skipping.journeys.start(case)
    t0 = await started_at(skipping, ref)
    await skipping.env.sleep(timedelta(days=1))
    await skipping.journeys.command(ref, PauseJourney(reason="child_admitted_locally"))
    await skipping.env.sleep(timedelta(days=20))
    assert reminder_days(await skipping.journeys.messages(ref), t0) == []
    await skipping.journeys.command(ref, ResumeJourney())
    await skipping.env.sleep(timedelta(days=3))
    # Paused for 20 days: the day-3 reminder comes on day 23.
    assert reminder_days(await skipping.journeys.messages(ref), t0) == [23.0]
    await record_history(skipping, ref, "paused_and_resumed")


async def test_quiet_hours_defer_a_reminder_to_eight_in_the_morning(skipping: Harness):
    guardian = {**ONE_GUARDIAN[0], "quiet_hours": {"start": "21:00", "end": "08:00"}}
    case = make_case(guardians=[guardian])
    ref = case.case_reference
    await skipping.journeys.start(case)
    await skipping.env.sleep(timedelta(days=4))
    messages = await skipping.journeys.messages(ref)
    from zoneinfo import ZoneInfo

    for m in messages:
        if m.status == MessageStatus.SENT and m.recipient == "guardian-1":
            local = m.sent_at.astimezone(ZoneInfo("Asia/Almaty"))
            assert 8 <= local.hour < 21, f"{m.event} sent at {local}"
    reminders = [m for m in messages if m.event == MessageEvent.RECORD_REMINDER]
    assert len(reminders) == 1
