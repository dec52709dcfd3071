"""One calm message instead of a burst (issue 10, finding 2), through the real worker and the
local Resend server: family messages falling due together go out as one per recipient and
channel, saying everything in order, under one exactly-once key; nothing waiting through quiet
hours turns into a request plus reminders at once, and no escalation comes before the family was
asked once."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from domain.commands import RecordReceived, ReviewRecord
from domain.state import MessageEvent, MessageStatus
from tests.support.fake_providers import fake_resend, fake_twilio  # noqa: F401
from tests.support.polling import eventually
from tests.workflows.test_delivery_journeys import (  # noqa: F401
    EMAIL,
    Wired,
    guardian,
    make_case,
    wired_dev,
    wired_skipping,
)

COORDINATOR_EMAIL = "lin.coordinator@waypoint.example"


async def test_a_burst_goes_out_as_one_message_saying_everything_in_order(wired_dev: Wired):  # noqa: F811
    h = wired_dev
    case = make_case(guardians=[guardian(language="en", channels=["email"])],
                     record_holders={"blood_counts": "family", "imaging": "family", "pathology": "family"},
                     policy={"batching": {"window": "PT15S"}})
    ref = case.case_reference
    await h.journeys.start(case)
    # Within the window: two records arrive and are rejected, each asked for again with its reason.
    for record, reason in (("imaging", "illegible"), ("pathology", "needs_translation")):
        await h.journeys.report_record_received(ref, RecordReceived(record_type=record, document_id=f"{record}-1"))
        await eventually(lambda r=record: _received(h, ref, r))
        await h.journeys.command(ref, ReviewRecord(record_type=record, decision="reject", reason=reason))

    await eventually(lambda: h.emails_to(EMAIL), timeout=60)
    await _settle(h, ref)
    [email] = h.emails_to(EMAIL)
    text = email["text"]
    first_ask = text.index("- Recent blood counts")
    illegible = text.index("reason: not legible")
    translation = text.index("reason: needs a translation")
    assert first_ask < illegible < translation  # in the order it happened

    # One key: the earliest message's; the others are marked merged into it. The ledger holds it once.
    messages = [m for m in await h.journeys.messages(ref) if m.recipient == "guardian-1"]
    [sent] = [m for m in messages if m.status == MessageStatus.SENT]
    assert email["idempotency_key"] == sent.key and sent.event == MessageEvent.RECORD_REQUEST
    merged = [m for m in messages if m.outcome == f"merged into {sent.key}"]
    assert len(merged) == 2 and sorted(sent.merged) == sorted(m.key for m in merged)
    assert h.ledger.get(sent.key).state.value == "sent"


async def test_after_quiet_hours_one_message_and_no_escalation_before_it(wired_skipping: Wired):  # noqa: F811
    h = wired_skipping
    # The clock stands still from reading it to the start: the session's server may hold other
    # tests' journeys, whose timers it would otherwise skip to in between.
    with h.env.auto_time_skipping_disabled():
        now = await h.env.get_current_time()
        almaty = now.astimezone(ZoneInfo("Asia/Almaty"))
        quiet = {"start": (almaty - timedelta(hours=1)).strftime("%H:%M"),
                 "end": (almaty + timedelta(hours=3)).strftime("%H:%M")}
        case = make_case(guardians=[guardian(quiet_hours=quiet, channels=["email"])],
                         policy={"chase": {"first_reminder_after": "PT10M", "reminder_interval": "PT10M",
                                           "escalate_after_reminders": 2}})
        ref = case.case_reference
        await h.journeys.start(case)
    await h.env.sleep(timedelta(hours=3, minutes=5))

    family = h.emails_to(EMAIL)
    assert len(family) == 1, [m["subject"] for m in family]  # the request, once; no reminders with it
    messages = await h.journeys.messages(ref)
    [request] = [m for m in messages if m.recipient == "guardian-1" and m.status == MessageStatus.SENT]
    assert request.event == MessageEvent.RECORD_REQUEST
    escalations = [m for m in messages if m.event == MessageEvent.COORDINATOR_ALERT and m.status == MessageStatus.SENT
                   and m.params.get("alert") in ("records_overdue", "records_deadline_passed")]
    assert all(m.sent_at >= request.sent_at for m in escalations), "escalated before the family was asked"
    assert not [m for m in messages if m.event == MessageEvent.RECORD_REMINDER and m.created_at < request.sent_at]


async def _received(h: Wired, ref: str, record: str) -> bool:
    return any(r.record_type.value == record and r.status.value == "received" for r in (await h.journeys.status(ref)).records)


async def _settle(h: Wired, ref: str) -> None:
    """Nothing for the guardian still scheduled or sending."""
    async def done() -> bool:
        return not [m for m in await h.journeys.messages(ref)
                    if m.recipient == "guardian-1" and m.status in (MessageStatus.SCHEDULED, MessageStatus.SENDING)]
    await eventually(done, timeout=30)
