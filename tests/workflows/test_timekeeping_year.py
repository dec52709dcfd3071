"""A transplant journey and a CAR-T journey, each from records to the end of follow-up (more
than a year of simulated time, default policies) on the official Java time-skipping server,
through the real worker: every planned check, reminder, alert and message at its local hour,
exactly once, none after close, none to the local team without consent; a pause in the middle
moves what follows; both journeys end themselves."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from temporalio.client import WorkflowExecutionStatus

from domain.commands import (
    AdvanceStage,
    ApplyMilestone,
    PauseJourney,
    RecordAppointmentOutcome,
    RecordDonorTyping,
    RecordReceived,
    ResumeJourney,
    ReviewRecord,
    ScheduleAppointment,
    UpdateHandoverItem,
)
from domain.handover import HandoverItemType
from domain.records import RecordStatus
from domain.stages import Milestone, Stage
from domain.state import AlertKind, Message, MessageEvent, MessageStatus
from tests.conftest import Harness, make_case, record_history

SHANGHAI, ALMATY = ZoneInfo("Asia/Shanghai"), ZoneInfo("Asia/Almaty")
QUIET = {"start": "21:00", "end": "08:00"}
GUARDIANS = [
    {"name": "Aigerim", "language": "ru", "timezone": "Asia/Almaty", "email": "aigerim@example.kz",
     "phone": "+77012345678", "channels": ["email", "sms"], "quiet_hours": QUIET},
    {"name": "Daulet", "language": "ru", "timezone": "Asia/Shanghai", "email": "daulet@example.kz", "quiet_hours": QUIET},
]
ZONES = {"guardian-1": ALMATY, "guardian-2": SHANGHAI, "local-team": ALMATY, "coordinator": SHANGHAI}


class Driver:
    """A coordinator and a document store, driving one journey through the real client."""

    def __init__(self, h: Harness, ref: str) -> None:
        self.h, self.ref = h, ref

    async def now(self) -> datetime:
        return await self.h.env.get_current_time()

    async def today(self) -> date:
        return (await self.now()).astimezone(SHANGHAI).date()

    async def cmd(self, command) -> None:  # noqa: ANN001 - any journey command
        await self.h.journeys.command(self.ref, command)

    async def milestone(self, name: Milestone, **details) -> None:
        await self.cmd(ApplyMilestone(milestone=name, **details))

    async def advance(self, stage: Stage) -> None:
        await self.cmd(AdvanceStage(to_stage=stage))

    async def sleep(self, **delta: float) -> None:
        await self.h.env.sleep(timedelta(**delta))

    async def settle_records(self) -> None:
        status = await self.h.journeys.status(self.ref)
        for line in status.records:
            if line.status in (RecordStatus.REQUESTED, RecordStatus.REJECTED):
                await self.h.journeys.report_record_received(
                    self.ref, RecordReceived(record_type=line.record_type, document_id=f"doc-{line.record_type.value}"))
        for _ in range(50):
            status = await self.h.journeys.status(self.ref)
            if not any(r.outstanding for r in status.records):
                break
            await self.sleep(seconds=1)
        for line in status.records:
            if line.status == RecordStatus.RECEIVED:
                await self.cmd(ReviewRecord(record_type=line.record_type, decision="accept"))

    async def book(self, kind: str, on: date, hour: int, **extra) -> str:
        await self.cmd(ScheduleAppointment(kind=kind, starts_at=datetime(on.year, on.month, on.day, hour, 0), **extra))
        return (await self.h.journeys.status(self.ref)).appointments[-1].id

    async def messages(self) -> list[Message]:
        return await self.h.journeys.messages(self.ref)


async def to_day_zero(d: Driver, pathway: str) -> date:
    """Records, review, eligibility, visa, travel and pre-treatment, about six weeks; day 0 today."""
    await d.settle_records()
    await d.milestone(Milestone.REVIEW_STARTED)
    await d.milestone(Milestone.REVIEW_OUTCOME, outcome="proceed_to_eligibility", pathway=pathway)
    await d.settle_records()
    await d.sleep(days=5)
    await d.advance(Stage.ELIGIBILITY)
    await d.milestone(Milestone.ELIGIBILITY_DECIDED, eligible=True)
    await d.advance(Stage.VISA_TRAVEL)
    await d.milestone(Milestone.INVITATION_LETTER_ISSUED)
    await d.milestone(Milestone.VISA_APPLIED, visa_type="S1", applicant="patient")
    await d.sleep(days=9)
    await d.milestone(Milestone.VISA_GRANTED, visa_type="S1", applicant="patient",
                      expires_on=await d.today() + timedelta(days=420))
    await d.milestone(Milestone.TRAVEL_BOOKED, on_date=await d.today() + timedelta(days=7))
    await d.sleep(days=7)
    await d.advance(Stage.PRE_TREATMENT)
    if pathway == "transplant":
        await d.cmd(RecordDonorTyping(relation="mother", status="kit_sent", holder="family"))
        await d.sleep(days=8)  # one typing reminder to the family, a week on
        await d.cmd(RecordDonorTyping(relation="mother", status="result_received", holder="centre", match_grade="5/10 haplo"))
        await d.milestone(Milestone.HLA_TYPING_DONE)
        await d.milestone(Milestone.DONOR_SELECTED, donor="mother")
    for m in (Milestone.QUOTE_ISSUED, Milestone.DEPOSIT_RECEIVED, Milestone.PRE_TREATMENT_EVALUATION_DONE):
        await d.milestone(m)
    await d.advance(Stage.TREATMENT_STAY)
    await d.milestone(Milestone.ADMITTED, on_date=await d.today())
    day0 = await d.today()
    await d.milestone(Milestone.DAY_ZERO, on_date=day0)
    return day0


async def home_and_follow_up(d: Driver, consent: bool) -> None:
    await d.milestone(Milestone.DISCHARGED, on_date=await d.today())
    await d.advance(Stage.MONITORING)
    await d.milestone(Milestone.CLEARED_FOR_TRAVEL)
    await d.advance(Stage.RETURN_HOME)
    for item in HandoverItemType:
        await d.cmd(UpdateHandoverItem(item=item, action="received"))
        await d.cmd(UpdateHandoverItem(item=item, action="sent" if consent else "waived"))
    await d.milestone(Milestone.RETURN_FLIGHT_BOOKED, on_date=await d.today() + timedelta(days=2))
    await d.sleep(days=2)
    await d.milestone(Milestone.RETURNED_HOME)
    await d.advance(Stage.FOLLOW_UP)


def sent(messages: list[Message], event: MessageEvent, recipient: str | None = None) -> list[Message]:
    return [m for m in messages if m.event == event and m.status == MessageStatus.SENT
            and (recipient is None or m.recipient == recipient)]


def assert_the_rules_held(h: Harness, ref: str, messages: list[Message], closed_at: datetime, consent: bool) -> None:
    sent_all = [m for m in messages if m.status == MessageStatus.SENT]
    # Exactly once: every key once, every sent message written once.
    assert len({m.key for m in messages}) == len(messages)
    assert len(h.outbox_files(ref)) == len(sent_all)
    # None after close; none in a family member's quiet hours.
    assert all(m.sent_at is not None and m.sent_at <= closed_at for m in sent_all)
    for m in sent_all:
        if m.recipient.startswith("guardian") and m.event != MessageEvent.OPT_OUT_CONFIRMATION:
            local = m.sent_at.astimezone(ZONES[m.recipient])
            assert 8 <= local.hour < 21, f"{m.event.value} to {m.recipient} at {local}"
    to_team = [m for m in sent_all if m.recipient == "local-team"]
    if not consent:
        assert to_team == []


async def test_a_transplant_journey_keeps_time_from_records_to_the_end_of_follow_up(skipping: Harness):
    case = make_case(guardians=GUARDIANS)
    ref = case.case_reference
    await skipping.journeys.start(case)
    d = Driver(skipping, ref)
    day0 = await to_day_zero(d, "transplant")

    # The day +14 check is booked in good time, at 09:30 in Guangzhou; the others are not.
    check14 = await d.book("monitoring_check", day0 + timedelta(days=14), 9, check_day=14, place="GZ-HOSP-3")
    await d.sleep(days=20)
    await d.cmd(RecordAppointmentOutcome(appointment_id=check14, outcome="done"))
    await d.milestone(Milestone.ENGRAFTED)
    await d.sleep(days=15)  # day +35
    await d.cmd(PauseJourney(reason="child_admitted_locally"))
    await d.sleep(days=10)
    await d.cmd(ResumeJourney())
    await d.sleep(days=75)  # day +120 (day +110 of the plan, moved on by ten days paused)
    await home_and_follow_up(d, consent=False)
    await d.sleep(days=420)

    description = await skipping.journeys.handle(ref).describe()
    assert description.status == WorkflowExecutionStatus.COMPLETED
    status = await skipping.journeys.status(ref)
    assert status.closed and status.close_reason == "completed"
    messages = await d.messages()
    timeline = await skipping.journeys.timeline(ref)
    closed_at = next(e.at for e in timeline if e.kind == "closed")

    # Each planned check not booked: one booking request each, three days before it is due, at
    # 10:00 in the coordinator's zone; the checks after the pause moved on by the ten days paused.
    requests = [m for m in sent(messages, MessageEvent.COORDINATOR_ALERT) if m.params.get("alert") == "check_not_booked"]
    by_day = Counter(int(m.params["day"]) for m in requests)
    assert by_day == {7: 1, 21: 1, 30: 1, 60: 1, 100: 1}
    for m in requests:
        due = date.fromisoformat(m.params["due_on"])
        shift = timedelta(days=10) if int(m.params["day"]) > 35 else timedelta(0)
        assert due == day0 + timedelta(days=int(m.params["day"])) + shift
        planned = datetime(due.year, due.month, due.day, 10, tzinfo=SHANGHAI) - timedelta(days=3)
        assert timedelta(0) <= m.created_at - planned < timedelta(minutes=1)  # a timer fires just after its moment
    assert not [m for m in sent(messages, MessageEvent.COORDINATOR_ALERT) if m.params.get("alert") == "engraftment_overdue"]

    # The booked check: confirmed with an invitation, reminded two days and one day before at
    # 10:00 in each guardian's own zone (guardian-1 by e-mail; SMS under its cap).
    reminders = [m for m in sent(messages, MessageEvent.APPOINTMENT_REMINDER) if m.channel.value == "email"]
    check_day = day0 + timedelta(days=14)
    for person, zone in (("guardian-1", ALMATY), ("guardian-2", SHANGHAI)):
        local = sorted(m.created_at.astimezone(zone) for m in reminders if m.recipient == person)
        assert [(t.date(), t.hour) for t in local] == [(check_day - timedelta(days=2), 10), (check_day - timedelta(days=1), 10)]
    confirmations = sent(messages, MessageEvent.APPOINTMENT_SCHEDULED)
    assert {m.recipient for m in confirmations} == {"guardian-1", "guardian-2"}
    invitation = next(f for f in skipping.outbox_files(ref) if f.name.startswith("appointment_scheduled") and "email" in f.name)
    text = invitation.read_text()
    assert "BEGIN:VCALENDAR" in text and "METHOD:REQUEST" in text and f"UID:{check14}.{ref}@waypoint-journeys" in text

    # Donor typing: one reminder to the family a week after the kit was sent.
    assert len(sent(messages, MessageEvent.DONOR_TYPING_REMINDER, "guardian-2")) == 1

    # A year of monthly check-ins, each once per guardian and channel, then the kind last word.
    for recipient in ("guardian-1", "guardian-2"):
        emails = [m for m in sent(messages, MessageEvent.FOLLOW_UP_CHECK_IN, recipient) if m.channel.value == "email"]
        assert sorted(m.params["check_in"] for m in emails) == list(range(1, 13))
    calls = [m for m in sent(messages, MessageEvent.COORDINATOR_ALERT) if m.params.get("alert") == "follow_up_call_due"]
    assert sorted(int(m.params["check_in"]) for m in calls) == list(range(1, 13))
    assert len([m for m in sent(messages, MessageEvent.JOURNEY_COMPLETED) if m.channel.value == "email"]) == 2
    assert_the_rules_held(skipping, ref, messages, closed_at, consent=False)
    await record_history(skipping, ref, "timekeeping_transplant_year")


async def test_a_car_t_journey_with_consent_keeps_the_local_team_informed_and_ends_itself(skipping: Harness):
    data = make_case(guardians=GUARDIANS).model_dump(mode="json")
    data["local_team"]["consent"] = True
    data["local_team"]["quiet_hours"] = QUIET
    case = type(make_case()).model_validate(data)
    ref = case.case_reference
    await skipping.journeys.start(case)
    d = Driver(skipping, ref)
    day0 = await to_day_zero(d, "car_t")
    for n in (7, 14, 21, 28, 60):
        await d.book("monitoring_check", day0 + timedelta(days=n), 9, check_day=n)
    await d.sleep(days=62)
    await home_and_follow_up(d, consent=True)  # the package went out two days before the return
    await d.sleep(days=1)
    for item in HandoverItemType:
        await d.cmd(UpdateHandoverItem(item=item, action="acknowledged"))
    await d.sleep(days=420)

    description = await skipping.journeys.handle(ref).describe()
    assert description.status == WorkflowExecutionStatus.COMPLETED
    messages = await d.messages()
    timeline = await skipping.journeys.timeline(ref)
    closed_at = next(e.at for e in timeline if e.kind == "closed")
    alerts = [m.params.get("alert") for m in sent(messages, MessageEvent.COORDINATOR_ALERT)]
    assert "check_not_booked" not in alerts  # every planned check was booked
    assert "engraftment_overdue" not in alerts  # not a transplant
    team = [m for m in messages if m.recipient == "local-team" and m.status == MessageStatus.SENT]
    assert len([m for m in team if m.event == MessageEvent.APPOINTMENT_SCHEDULED]) == 5
    assert sorted(m.params["check_in"] for m in team if m.event == MessageEvent.FOLLOW_UP_CHECK_IN) == list(range(1, 13))
    assert len([m for m in team if m.event == MessageEvent.HANDOVER_PACKAGE]) == 6
    assert [m for m in team if m.event == MessageEvent.HANDOVER_REMINDER] == []  # acknowledged within 5 days
    assert len([m for m in team if m.event == MessageEvent.JOURNEY_COMPLETED]) == 1
    # Appointment reminders: five checks, two reminders each, per guardian by e-mail.
    reminders = [m for m in sent(messages, MessageEvent.APPOINTMENT_REMINDER) if m.channel.value == "email"]
    assert Counter(m.recipient for m in reminders) == {"guardian-1": 10, "guardian-2": 10}
    assert [a.kind for a in (await skipping.journeys.status(ref)).open_alerts if a.kind != AlertKind.DELIVERY_FAILED] == []
    assert_the_rules_held(skipping, ref, messages, closed_at, consent=True)
    await record_history(skipping, ref, "timekeeping_car_t_year")
