"""Timekeeping after the records, as plain functions: appointments and their reminders at each
person's local hour, the monitoring and follow-up plans, stage clocks, the visa watch, donor
typing and the handover. Time is driven here exactly as the workflow drives it: wake at the
next moment the journey has something to do, carry out what is due, send what may go."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from domain import derived, plans, rules
from domain.appointments import AppointmentStatus
from domain.commands import (
    AdvanceStage,
    ApplyMilestone,
    CancelAppointment,
    CloseJourney,
    ExtendFollowUp,
    PauseJourney,
    RecordAppointmentOutcome,
    RecordDonorTyping,
    RecordReceived,
    RescheduleAppointment,
    ResumeJourney,
    ReviewRecord,
    ScheduleAppointment,
    SetConsent,
    UpdateHandoverItem,
)
from domain.notices import Defer, Send, Skip, decide
from domain.records import RecordStatus
from domain.stages import CloseReason, Milestone, Stage
from domain.state import AlertKind, JourneyState, MessageEvent, MessageStatus
from tests.conftest import make_case

T0 = datetime(2026, 2, 2, 6, 0, tzinfo=timezone.utc)
SHANGHAI, ALMATY = ZoneInfo("Asia/Shanghai"), ZoneInfo("Asia/Almaty")


class Clock:
    """Runs a journey's own time as the workflow does (no Temporal: the rules only)."""

    def __init__(self, state: JourneyState, now: datetime = T0) -> None:
        self.state, self.now = state, now

    def run_until(self, until: datetime) -> None:
        while True:
            self.send_due()
            wake = derived.next_wakeup(self.state)
            if wake is None or wake > until:
                break
            self.now = max(self.now, wake)
            rules.run_due_chases(self.state, self.now)
            rules.run_due_duties(self.state, self.now)
        self.now = max(self.now, until)
        self.send_due()

    def advance(self, **delta: float) -> None:
        self.run_until(self.now + timedelta(**delta))

    def send_due(self) -> None:
        state = self.state
        if state.closed or state.paused:
            return
        for m in state.messages:
            if m.status != MessageStatus.SCHEDULED or m.not_before > self.now:
                continue
            decision = decide(state, m, self.now)
            if isinstance(decision, Skip):
                m.status, m.outcome = MessageStatus.SKIPPED, decision.reason
            elif isinstance(decision, Defer):
                m.not_before = decision.until
            elif isinstance(decision, Send):
                m.status, m.sent_at = MessageStatus.SENT, self.now

    def do(self, apply, cmd) -> None:  # noqa: ANN001 - any rules.apply_* and its command
        apply(self.state, cmd, self.now)
        self.send_due()


def sent(state: JourneyState, event: MessageEvent, recipient: str | None = None) -> list:
    return [m for m in state.messages if m.event == event and m.status == MessageStatus.SENT
            and (recipient is None or m.recipient == recipient)]


def alerts(state: JourneyState, kind: AlertKind) -> list:
    return [a for a in state.alerts if a.kind == kind]


def journey(pathway: str = "transplant", consent: bool = False, **overrides) -> Clock:
    case = make_case("WJ-2026-0900", **overrides)
    data = case.model_dump(mode="json")
    data["guardians"][0]["timezone"] = "Asia/Almaty"
    if len(data["guardians"]) > 1:
        data["guardians"][1]["timezone"] = "Asia/Shanghai"
    data["local_team"]["consent"] = consent
    state = rules.start(type(case).model_validate(data), T0)
    state.timekeeping = True  # what the workflow's patch does for every new run
    clock = Clock(state)
    for t, item in state.records.items():
        if item.status != RecordStatus.ACCEPTED:
            clock.do(rules.apply_record_received, RecordReceived(record_type=t, document_id=f"doc-{t.value}"))
            clock.do(rules.apply_review_record, ReviewRecord(record_type=t, decision="accept"))
    clock.do(rules.apply_milestone, ApplyMilestone(milestone=Milestone.REVIEW_STARTED))
    if pathway == "second_opinion":
        clock.do(rules.apply_milestone, ApplyMilestone(milestone=Milestone.REVIEW_OUTCOME, outcome="remote_advice_only"))
        return clock
    clock.do(rules.apply_milestone, ApplyMilestone(milestone=Milestone.REVIEW_OUTCOME, outcome="proceed_to_eligibility",
                                                  pathway=pathway))
    _settle_new_records(clock)
    clock.do(rules.apply_advance, AdvanceStage(to_stage=Stage.ELIGIBILITY))
    clock.do(rules.apply_milestone, ApplyMilestone(milestone=Milestone.ELIGIBILITY_DECIDED, eligible=True))
    clock.do(rules.apply_advance, AdvanceStage(to_stage=Stage.VISA_TRAVEL))
    return clock


def _settle_new_records(clock: Clock) -> None:
    for t, item in clock.state.records.items():
        if item.outstanding:
            clock.do(rules.apply_record_received, RecordReceived(record_type=t, document_id=f"doc-{t.value}"))
            clock.do(rules.apply_review_record, ReviewRecord(record_type=t, decision="accept"))


def to_treatment(clock: Clock, visa_until: date = date(2027, 6, 1)) -> None:
    """From visas to day 0: visa, travel, pre-treatment (with donor typing on transplant)."""
    s = clock.state
    clock.do(rules.apply_milestone, ApplyMilestone(milestone=Milestone.INVITATION_LETTER_ISSUED))
    clock.do(rules.apply_milestone, ApplyMilestone(milestone=Milestone.VISA_APPLIED, visa_type="S1", applicant="patient"))
    clock.do(rules.apply_milestone, ApplyMilestone(milestone=Milestone.VISA_GRANTED, visa_type="S1", applicant="patient",
                                                  expires_on=visa_until))
    clock.do(rules.apply_milestone, ApplyMilestone(milestone=Milestone.TRAVEL_BOOKED, on_date=(clock.now + timedelta(days=10)).date()))
    clock.do(rules.apply_advance, AdvanceStage(to_stage=Stage.PRE_TREATMENT))
    if s.pathway.value == "transplant":
        clock.do(rules.apply_typing, RecordDonorTyping(relation="mother", status="result_received", match_grade="5/10 haplo",
                                                       holder="centre"))
        clock.do(rules.apply_milestone, ApplyMilestone(milestone=Milestone.HLA_TYPING_DONE))
        clock.do(rules.apply_milestone, ApplyMilestone(milestone=Milestone.DONOR_SELECTED, donor="mother"))
    for m in (Milestone.QUOTE_ISSUED, Milestone.DEPOSIT_RECEIVED, Milestone.PRE_TREATMENT_EVALUATION_DONE):
        clock.do(rules.apply_milestone, ApplyMilestone(milestone=m))
    clock.do(rules.apply_advance, AdvanceStage(to_stage=Stage.TREATMENT_STAY))
    clock.do(rules.apply_milestone, ApplyMilestone(milestone=Milestone.ADMITTED, on_date=clock.now.date()))
    clock.do(rules.apply_milestone, ApplyMilestone(milestone=Milestone.DAY_ZERO, on_date=clock.now.date()))


def book(clock: Clock, kind: str, local: datetime, **extra) -> str:
    clock.do(rules.apply_schedule, ScheduleAppointment(kind=kind, starts_at=local, **extra))
    return clock.state.appointments[-1].id


# ---------------------------------------------------------------------------------------------
# Appointments


def test_appointment_confirmed_then_reminded_two_days_and_one_day_before_at_each_persons_local_hour():
    clock = journey()
    to_treatment(clock)
    start_local = datetime.combine(clock.now.date() + timedelta(days=9), datetime.min.time()).replace(hour=9, minute=30)
    aid = book(clock, "monitoring_check", start_local, check_day=7, place="GZ-HOSP-3")
    s = clock.state
    confirmations = sent(s, MessageEvent.APPOINTMENT_SCHEDULED)
    # Both guardians by e-mail (guardian-1's SMS is over today's SMS cap, so e-mail carries it);
    # no consent: not the local team.
    assert {(m.recipient, m.channel.value) for m in confirmations} == {("guardian-1", "email"), ("guardian-2", "email")}
    clock.run_until(s.appointments[0].starts_at + timedelta(hours=1))
    reminders = sent(s, MessageEvent.APPOINTMENT_REMINDER)
    by_person: dict[str, list[datetime]] = {}
    for m in reminders:
        if m.channel.value == "email":
            by_person.setdefault(m.recipient, []).append(m.sent_at)
    zones = {"guardian-1": ALMATY, "guardian-2": SHANGHAI}
    start_day = s.appointments[0].starts_at.astimezone(SHANGHAI).date()
    for person, times in by_person.items():
        local = [t.astimezone(zones[person]) for t in sorted(times)]
        assert [(t.date(), t.hour) for t in local] == [(start_day - timedelta(days=2), 10), (start_day - timedelta(days=1), 10)]
    assert set(by_person) == {"guardian-1", "guardian-2"}
    assert all(m.params["appointment_id"] == aid for m in reminders)


def test_reschedule_leaves_no_stale_reminder_and_cancel_leaves_none():
    clock = journey()
    to_treatment(clock)
    s = clock.state
    day = clock.now.date()
    aid = book(clock, "monitoring_check", datetime.combine(day + timedelta(days=10), datetime.min.time()).replace(hour=9),
               check_day=14)
    clock.do(rules.apply_reschedule, RescheduleAppointment(
        appointment_id=aid, starts_at=datetime.combine(day + timedelta(days=20), datetime.min.time()).replace(hour=9)))
    a = s.appointments[0]
    assert (a.status, a.sequence) == (AppointmentStatus.RESCHEDULED, 1)
    keys = [d.key for d in plans.duties(s) if d.kind == plans.DutyKind.APPOINTMENT_REMINDER]
    assert keys and all(k.startswith(f"appt:{aid}:1:") for k in keys)
    clock.advance(days=12)  # past the first version's reminders: none was sent
    assert sent(s, MessageEvent.APPOINTMENT_REMINDER) == []
    clock.do(rules.apply_cancel, CancelAppointment(appointment_id=aid))
    assert [d for d in plans.duties(s) if d.params.get("appointment_id") == aid] == []
    clock.advance(days=30)
    assert sent(s, MessageEvent.APPOINTMENT_REMINDER) == []
    cancelled = sent(s, MessageEvent.APPOINTMENT_CANCELLED)
    assert cancelled and all(m.params["sequence"] == 2 for m in cancelled)
    with pytest.raises(rules.Refused, match="cancelled"):
        rules.check_reschedule(s, RescheduleAppointment(appointment_id=aid, starts_at=datetime(2027, 1, 1, 9)), clock.now)


def test_appointment_commands_are_refused_with_one_clear_line_and_change_nothing():
    clock = journey()
    s = clock.state
    before = s.model_dump_json()
    cases = [
        (ScheduleAppointment(kind="video_consultation", starts_at=datetime(2020, 1, 1, 9)), "in the past"),
        (ScheduleAppointment(kind="day_zero", starts_at=datetime(2027, 1, 1, 9)), "not booked in stage visa_travel"),
        (ScheduleAppointment(kind="video_consultation", starts_at=datetime(2027, 1, 1, 9), venue_timezone="Mars/Olympus"),
         "unknown time zone"),
        (ScheduleAppointment(kind="admission", starts_at=datetime(2027, 1, 1, 9), check_day=7), "not booked in stage"),
        (ScheduleAppointment(kind="video_consultation", starts_at=datetime(2027, 1, 1, 9), check_day=7), "check_day"),
        (RescheduleAppointment(appointment_id="A9", starts_at=datetime(2027, 1, 1, 9)), "no appointment A9"),
    ]
    for cmd, message in cases:
        check = rules.check_schedule if isinstance(cmd, ScheduleAppointment) else rules.check_reschedule
        with pytest.raises(rules.Refused, match=message) as refused:
            check(s, cmd, clock.now)
        assert "\n" not in str(refused.value)
    with pytest.raises(ValidationError):
        ScheduleAppointment(kind="teleportation", starts_at=datetime(2027, 1, 1, 9))
    second = journey(pathway="second_opinion").state
    with pytest.raises(rules.Refused, match="does not belong to the second_opinion pathway"):
        rules.check_schedule(second, ScheduleAppointment(kind="admission", starts_at=datetime(2027, 1, 1, 9)), T0)
    assert s.model_dump_json() == before


def test_an_appointment_neither_done_nor_missed_by_the_next_day_alerts_and_the_alert_closes_when_marked():
    clock = journey()
    aid = book(clock, "video_consultation", (clock.now + timedelta(days=3)).astimezone(SHANGHAI).replace(tzinfo=None))
    clock.advance(days=3, hours=12)
    assert alerts(clock.state, AlertKind.APPOINTMENT_UNRESOLVED) == []
    clock.advance(days=1)
    [alert] = alerts(clock.state, AlertKind.APPOINTMENT_UNRESOLVED)
    assert alert.open
    clock.do(rules.apply_outcome, RecordAppointmentOutcome(appointment_id=aid, outcome="missed"))
    assert not alert.open and clock.state.appointments[0].status == AppointmentStatus.MISSED


def test_the_local_team_hears_of_appointments_only_with_consent():
    without = journey(consent=False)
    book(without, "video_consultation", datetime(2027, 1, 5, 9))
    assert not [m for m in without.state.messages if m.recipient == "local-team" and m.event == MessageEvent.APPOINTMENT_SCHEDULED]
    with_consent = journey(consent=True)
    book(with_consent, "video_consultation", datetime(2027, 1, 5, 9))
    assert sent(with_consent.state, MessageEvent.APPOINTMENT_SCHEDULED, "local-team")


# ---------------------------------------------------------------------------------------------
# Monitoring plan


def test_monitoring_plan_asks_the_coordinator_to_book_each_check_not_booked_and_alerts_on_engraftment():
    clock = journey()
    to_treatment(clock)
    s = clock.state
    day0 = s.day_zero
    assert [c.day for c in derived_checks(s)] == [7, 14, 21, 30, 60, 100]
    # Day +14 is booked in good time; the others are not.
    book(clock, "monitoring_check", datetime.combine(day0 + timedelta(days=14), datetime.min.time()).replace(hour=9), check_day=14)
    clock.run_until(datetime.combine(day0 + timedelta(days=45), datetime.min.time(), tzinfo=SHANGHAI))
    asked = sorted(int(a.detail["day"]) for a in alerts(s, AlertKind.CHECK_NOT_BOOKED))
    assert asked == [7, 21, 30]  # each once; day +14 was booked
    for a in alerts(s, AlertKind.CHECK_NOT_BOOKED):
        due = date.fromisoformat(a.detail["due_on"])
        assert a.at.astimezone(SHANGHAI) == datetime.combine(due - timedelta(days=3), datetime.min.time(), tzinfo=SHANGHAI).replace(hour=10)
    [engraftment] = alerts(s, AlertKind.ENGRAFTMENT_OVERDUE)
    assert engraftment.at.astimezone(SHANGHAI).date() == day0 + timedelta(days=42)
    clock.do(rules.apply_milestone, ApplyMilestone(milestone=Milestone.ENGRAFTED))
    assert not engraftment.open
    # A check recorded on any day closes its alert.
    clock.do(rules.apply_milestone, ApplyMilestone(milestone=Milestone.MONITORING_CHECK, day=21))
    assert not next(a for a in alerts(s, AlertKind.CHECK_NOT_BOOKED) if a.detail["day"] == "21").open


def derived_checks(state: JourneyState):
    from domain.status import journey_status

    return journey_status(state).planned_checks


def test_changing_day_zero_replans_without_repeating_what_already_happened():
    clock = journey(pathway="car_t")
    to_treatment(clock)
    s = clock.state
    clock.advance(days=5)  # day +7's booking request (due day +4) has gone out
    assert [a.detail["day"] for a in alerts(s, AlertKind.CHECK_NOT_BOOKED)] == ["7"]
    moved = s.day_zero + timedelta(days=3)
    clock.do(rules.apply_milestone, ApplyMilestone(milestone=Milestone.DAY_ZERO, on_date=moved))
    assert [c.due_on for c in derived_checks(s)][0] == moved + timedelta(days=7)
    clock.advance(days=30)
    days = [a.detail["day"] for a in alerts(s, AlertKind.CHECK_NOT_BOOKED)]
    assert days.count("7") == 2 and days.count("14") == 1 and days.count("21") == 1 and days.count("28") == 1


def test_the_day_100_check_is_recorded_after_the_family_is_home():
    clock = journey()
    to_treatment(clock)
    go_home(clock)
    assert clock.state.stage == Stage.FOLLOW_UP
    clock.do(rules.apply_milestone, ApplyMilestone(milestone=Milestone.MONITORING_CHECK, day=100))
    assert clock.state.recorded(Milestone.MONITORING_CHECK)[-1].details["day"] == 100


def go_home(clock: Clock, consent: bool = True) -> None:
    s = clock.state
    if s.pathway.value == "transplant":
        clock.do(rules.apply_milestone, ApplyMilestone(milestone=Milestone.ENGRAFTED))
    clock.do(rules.apply_milestone, ApplyMilestone(milestone=Milestone.DISCHARGED, on_date=clock.now.date()))
    clock.do(rules.apply_advance, AdvanceStage(to_stage=Stage.MONITORING))
    clock.do(rules.apply_milestone, ApplyMilestone(milestone=Milestone.CLEARED_FOR_TRAVEL))
    clock.do(rules.apply_advance, AdvanceStage(to_stage=Stage.RETURN_HOME))
    if consent and not s.local_team_consent:
        clock.do(rules.apply_consent, SetConsent(granted=True))
    for item in list(s.handover):
        clock.do(rules.apply_handover, UpdateHandoverItem(item=item, action="received"))
        clock.do(rules.apply_handover, UpdateHandoverItem(item=item, action="sent"))
        clock.now += timedelta(seconds=2)  # one after another, as a coordinator does
    clock.do(rules.apply_milestone, ApplyMilestone(milestone=Milestone.RETURN_FLIGHT_BOOKED, on_date=clock.now.date()))
    clock.do(rules.apply_milestone, ApplyMilestone(milestone=Milestone.RETURNED_HOME))
    clock.do(rules.apply_advance, AdvanceStage(to_stage=Stage.FOLLOW_UP))


# ---------------------------------------------------------------------------------------------
# Follow-up, and journeys that end themselves


def test_follow_up_runs_monthly_for_a_year_then_the_journey_completes_itself_after_a_kind_last_word():
    clock = journey(consent=True)
    to_treatment(clock)
    go_home(clock)
    s = clock.state
    home = s.follow_up_from
    clock.run_until(home + timedelta(days=400))
    family = [m for m in sent(s, MessageEvent.FOLLOW_UP_CHECK_IN, "guardian-2")]
    assert [m.params["check_in"] for m in family] == list(range(1, 13))
    assert len(sent(s, MessageEvent.FOLLOW_UP_CHECK_IN, "local-team")) == 12  # consent given
    assert len(alerts(s, AlertKind.FOLLOW_UP_CALL_DUE)) == 12
    [last_word] = sent(s, MessageEvent.JOURNEY_COMPLETED, "guardian-2")
    assert s.closed and s.closure.reason == CloseReason.COMPLETED
    assert s.closure.at >= last_word.sent_at
    assert all(m.sent_at is None or m.sent_at <= s.closure.at for m in s.messages)
    assert all(not a.open for a in s.alerts)
    assert len({m.key for m in s.messages}) == len(s.messages)


def test_a_coordinator_extends_the_follow_up_and_a_pause_moves_it_on():
    clock = journey()
    to_treatment(clock)
    go_home(clock)
    s = clock.state
    home = s.follow_up_from
    clock.advance(days=45)  # check-in 1 done
    clock.do(rules.apply_pause, PauseJourney(reason="child_admitted_locally"))
    clock.advance(days=20)
    assert len(sent(s, MessageEvent.FOLLOW_UP_CHECK_IN, "guardian-2")) == 1  # nothing while paused
    clock.do(rules.apply_resume, ResumeJourney())
    clock.do(rules.apply_extend, ExtendFollowUp(check_ins=2))
    clock.run_until(home + timedelta(days=500))
    family = sent(s, MessageEvent.FOLLOW_UP_CHECK_IN, "guardian-2")
    assert len(family) == 14
    second = family[1].sent_at
    assert second >= home + timedelta(days=60 + 20)  # moved on by the 20 days paused
    assert s.closed and s.closure.reason == CloseReason.COMPLETED


def test_a_second_opinion_journey_ends_itself_after_its_advice_is_followed_up():
    clock = journey(pathway="second_opinion")
    s = clock.state
    clock.do(rules.apply_advance, AdvanceStage(to_stage=Stage.FOLLOW_UP))
    clock.advance(days=120)
    assert len(sent(s, MessageEvent.FOLLOW_UP_CHECK_IN, "guardian-2")) == 2
    assert s.closed and s.closure.reason == CloseReason.COMPLETED


def test_no_message_after_close_and_nothing_planned_survives_it():
    clock = journey()
    to_treatment(clock)
    s = clock.state
    clock.do(rules.apply_close, CloseJourney(reason="family_declined"))
    count = len(s.messages)
    assert plans.duties(s) == [] and derived.next_wakeup(s) is None
    clock.advance(days=200)
    assert len(s.messages) == count


# ---------------------------------------------------------------------------------------------
# Stage clocks, visas, donors, handover


def test_a_stage_over_its_expected_duration_alerts_once_and_the_alert_closes_when_the_stage_moves():
    state = rules.start(make_case("WJ-2026-0901"), T0)
    state.timekeeping = True
    clock = Clock(state)
    _settle_new_records(clock)  # records complete at T0: the written outcome is expected within 14 days
    assert state.recorded(Milestone.RECORDS_COMPLETE)
    clock.advance(days=13)
    assert alerts(state, AlertKind.STAGE_OVERDUE) == []
    clock.advance(days=2)
    [overdue] = alerts(state, AlertKind.STAGE_OVERDUE)
    assert overdue.detail["stage"] == "remote_review" and overdue.at == T0 + timedelta(days=14)
    clock.advance(days=30)
    assert alerts(state, AlertKind.STAGE_OVERDUE) == [overdue]  # once
    clock.do(rules.apply_milestone, ApplyMilestone(milestone=Milestone.REVIEW_STARTED))
    assert overdue.open
    clock.do(rules.apply_milestone, ApplyMilestone(milestone=Milestone.REVIEW_OUTCOME, outcome="proceed_to_eligibility",
                                                  pathway="car_t"))
    assert not overdue.open


def test_a_visa_decision_overdue_alerts_and_a_pause_moves_the_clock_on():
    clock = journey(pathway="car_t")
    s = clock.state
    clock.do(rules.apply_milestone, ApplyMilestone(milestone=Milestone.INVITATION_LETTER_ISSUED))
    clock.do(rules.apply_milestone, ApplyMilestone(milestone=Milestone.VISA_APPLIED, visa_type="S1", applicant="patient"))
    applied = clock.now
    clock.advance(days=10)
    clock.do(rules.apply_pause, PauseJourney(reason="awaiting_funds"))
    clock.advance(days=10)
    clock.do(rules.apply_resume, ResumeJourney())
    clock.advance(days=25)
    [overdue] = alerts(s, AlertKind.STAGE_OVERDUE)
    assert overdue.at == applied + timedelta(days=40)  # 30 days expected + 10 paused


def test_visa_watched_on_a_timer_30_and_7_days_before_it_ends_while_the_family_is_expected_in_china():
    clock = journey(pathway="car_t")
    visa_end = (clock.now + timedelta(days=50)).date()
    to_treatment(clock, visa_until=visa_end)  # day 0 now, +60 days stay: still in China when it ends
    s = clock.state
    clock.run_until(datetime.combine(visa_end, datetime.min.time(), tzinfo=SHANGHAI))
    watched = alerts(s, AlertKind.VISA_EXPIRING)
    assert [a.detail["days_left"] for a in watched] == ["30", "7"]
    assert [a.at.astimezone(SHANGHAI).date() for a in watched] == [visa_end - timedelta(days=30), visa_end - timedelta(days=7)]
    warnings = [m for m in sent(s, MessageEvent.VISA_EXPIRY_WARNING) if m.params.get("days_left")]
    assert {m.params["days_left"] for m in warnings} == {"30", "7"}


def test_donor_typing_is_tracked_per_relative_with_reminders_to_whoever_holds_the_next_step():
    clock = journey()
    s = clock.state
    clock.do(rules.apply_typing, RecordDonorTyping(relation="sibling", number=1, status="kit_sent", holder="family"))
    clock.do(rules.apply_typing, RecordDonorTyping(relation="father", status="sample_taken", holder="centre"))
    clock.advance(days=15)
    reminders = sent(s, MessageEvent.DONOR_TYPING_REMINDER, "guardian-2")
    assert [m.params["donor"] for m in reminders] == ["sibling-1", "sibling-1"]
    assert [a.detail["donor"] for a in alerts(s, AlertKind.TYPING_RESULT_PENDING)] == ["father", "father"]
    clock.do(rules.apply_typing, RecordDonorTyping(relation="father", status="result_received", holder="centre",
                                                   match_grade="5/10 haplo"))
    assert all(not a.open for a in alerts(s, AlertKind.TYPING_RESULT_PENDING))
    with pytest.raises(rules.Refused, match="match grade"):
        rules.check_typing(s, RecordDonorTyping(relation="mother", status="result_received"))
    with pytest.raises(rules.Refused, match="does not go back"):
        rules.check_typing(s, RecordDonorTyping(relation="father", status="kit_sent"))


def test_donor_selected_names_a_typed_relative():
    clock = journey()
    to = clock.state
    clock.do(rules.apply_milestone, ApplyMilestone(milestone=Milestone.INVITATION_LETTER_ISSUED))
    clock.do(rules.apply_milestone, ApplyMilestone(milestone=Milestone.VISA_APPLIED, visa_type="S1", applicant="patient"))
    clock.do(rules.apply_milestone, ApplyMilestone(milestone=Milestone.VISA_GRANTED, visa_type="S1", applicant="patient",
                                                  expires_on=date(2027, 6, 1)))
    clock.do(rules.apply_milestone, ApplyMilestone(milestone=Milestone.TRAVEL_BOOKED, on_date=clock.now.date()))
    clock.do(rules.apply_advance, AdvanceStage(to_stage=Stage.PRE_TREATMENT))
    clock.do(rules.apply_typing, RecordDonorTyping(relation="sibling", number=2, status="sample_taken", holder="centre"))
    clock.do(rules.apply_milestone, ApplyMilestone(milestone=Milestone.HLA_TYPING_DONE))
    with pytest.raises(rules.Refused, match="names the typed relative"):
        rules.check_milestone(to, ApplyMilestone(milestone=Milestone.DONOR_SELECTED))
    with pytest.raises(rules.Refused, match="no typing result"):
        rules.check_milestone(to, ApplyMilestone(milestone=Milestone.DONOR_SELECTED, donor="sibling-2"))


def test_returned_home_needs_the_handover_package_sent_or_waived_and_sending_needs_consent():
    clock = journey(consent=False)
    to_treatment(clock)
    s = clock.state
    clock.do(rules.apply_milestone, ApplyMilestone(milestone=Milestone.ENGRAFTED))
    clock.do(rules.apply_milestone, ApplyMilestone(milestone=Milestone.DISCHARGED, on_date=clock.now.date()))
    clock.do(rules.apply_advance, AdvanceStage(to_stage=Stage.MONITORING))
    clock.do(rules.apply_milestone, ApplyMilestone(milestone=Milestone.CLEARED_FOR_TRAVEL))
    clock.do(rules.apply_advance, AdvanceStage(to_stage=Stage.RETURN_HOME))
    assert len(s.handover) == 6
    clock.do(rules.apply_milestone, ApplyMilestone(milestone=Milestone.RETURN_FLIGHT_BOOKED, on_date=clock.now.date()))
    with pytest.raises(rules.Refused, match="handover_sent"):
        rules.check_milestone(s, ApplyMilestone(milestone=Milestone.RETURNED_HOME))
    clock.do(rules.apply_handover, UpdateHandoverItem(item="discharge_summary", action="received"))
    with pytest.raises(rules.Refused, match="consent"):
        rules.check_handover(s, UpdateHandoverItem(item="discharge_summary", action="sent"))
    clock.advance(days=6)
    [awaited] = alerts(s, AlertKind.HANDOVER_ITEM_AWAITED)  # one alert for everything still awaited
    assert len(awaited.detail["items"].split(",")) == 5
    for item in list(s.handover):
        clock.do(rules.apply_handover, UpdateHandoverItem(item=item, action="waived"))
    assert s.recorded(Milestone.HANDOVER_SENT) and not awaited.open
    clock.do(rules.apply_milestone, ApplyMilestone(milestone=Milestone.RETURNED_HOME))
    assert not [m for m in s.messages if m.recipient == "local-team"]  # never without consent


def test_sent_handover_items_are_reminded_to_the_local_team_until_acknowledged():
    clock = journey(consent=True)
    to_treatment(clock)
    go_home(clock)
    s = clock.state
    clock.advance(days=11)
    reminders = sent(s, MessageEvent.HANDOVER_REMINDER, "local-team")
    assert len(reminders) == 2 and len(reminders[0].params["items"]) == 6  # one message for all six, twice
    for item in list(s.handover):
        clock.do(rules.apply_handover, UpdateHandoverItem(item=item, action="acknowledged"))
    clock.advance(days=20)
    assert len(sent(s, MessageEvent.HANDOVER_REMINDER, "local-team")) == 2


def test_state_stays_bounded_across_a_year_of_check_ins():
    clock = journey(consent=True)
    to_treatment(clock)
    for week in range(1, 15):
        book(clock, "video_consultation", (clock.now + timedelta(days=3)).astimezone(SHANGHAI).replace(tzinfo=None))
        clock.advance(days=4)
        clock.do(rules.apply_outcome, RecordAppointmentOutcome(appointment_id=clock.state.appointments[-1].id, outcome="done"))
        if week % 4 == 0:
            rules.compact(clock.state, clock.now)
    before = len(clock.state.model_dump_json())
    go_home(clock)
    clock.advance(days=300)
    rules.compact(clock.state, clock.now)
    after = len(clock.state.model_dump_json())
    assert after < before * 1.6, (before, after)
    assert not any(k.startswith("appt:") for k in clock.state.fired)  # appointments that are over
