"""The journey's rules as plain functions: transitions, records, consent, pause, close."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from domain import derived, rules
from domain.rules.milestones import check_visas
from domain.case_file import Channel
from domain.commands import (
    AdvanceStage,
    ApplyMilestone,
    CloseJourney,
    PauseJourney,
    RecordReceived,
    ResumeJourney,
    ReviewRecord,
    SetChannelOptOut,
    SetConsent,
)
from domain.notices import why_not_send
from domain.records import CHECKLISTS, RecordStatus, RecordType
from domain.stages import MILESTONES, TRANSITIONS, Milestone, Pathway, Stage
from domain.state import AlertKind, Audience, MessageEvent, MessageStatus, Notice
from domain.status import journey_status
from tests.conftest import make_case

T0 = datetime(2026, 2, 2, 6, 0, tzinfo=timezone.utc)  # 11:00 in Almaty, 14:00 in Shanghai


def fresh(**overrides):
    return rules.start(make_case("WJ-2026-0100", **overrides), T0)


def settle_records(state, now=T0):
    for t, item in state.records.items():
        if item.status != RecordStatus.ACCEPTED:
            rules.apply_record_received(state, RecordReceived(record_type=t, document_id=f"doc-{t.value}"), now)
            rules.apply_review_record(state, ReviewRecord(record_type=t, decision="accept"), now)


def milestone(state, name, now=T0, **details):
    rules.apply_milestone(state, ApplyMilestone(milestone=name, **details), now)


def advance(state, stage, now=T0):
    rules.apply_advance(state, AdvanceStage(to_stage=stage), now)


def test_start_requests_records_once_per_audience_and_respects_quiet_hours():
    state = fresh()
    assert state.stage == Stage.REMOTE_REVIEW
    assert set(state.records) == set(CHECKLISTS[Pathway.SECOND_OPINION])
    assert state.records[RecordType.CLINICAL_SUMMARY].status == RecordStatus.ACCEPTED  # in hand at intake
    requests = [m for m in state.messages if m.event == MessageEvent.RECORD_REQUEST]
    # No consent: everything goes to the family; one message per guardian and channel.
    assert {(m.recipient, m.channel) for m in requests} == {
        ("guardian-1", Channel.EMAIL),
        ("guardian-1", Channel.SMS),
        ("guardian-2", Channel.EMAIL),
    }
    assert all(m.params["via_family"] for m in requests)
    assert len({m.key for m in state.messages}) == len(state.messages)


def test_local_team_asked_directly_only_with_consent():
    state = fresh(local_team={**make_case().model_dump(mode="json")["local_team"], "consent": True})
    to_team = [m for m in state.messages if m.recipient == "local-team"]
    assert to_team and all(m.event == MessageEvent.RECORD_REQUEST for m in to_team)
    family = [m for m in state.messages if m.recipient == "guardian-1" and m.channel == Channel.EMAIL]
    assert family[0].record_types == [RecordType.BLOOD_COUNTS]  # the family's own item only


def test_consent_withdrawn_stops_local_team_messages_at_send_time():
    state = fresh(local_team={**make_case().model_dump(mode="json")["local_team"], "consent": True})
    queued = [m for m in state.messages if m.recipient == "local-team"][0]
    rules.apply_consent(state, SetConsent(granted=False), T0)
    assert why_not_send(state, queued) == "no consent to inform the local team"


def test_opt_out_silences_only_that_channel():
    state = fresh()
    sms = [m for m in state.messages if m.channel == Channel.SMS][0]
    email = [m for m in state.messages if m.recipient == "guardian-1" and m.channel == Channel.EMAIL][0]
    rules.apply_opt_out(state, SetChannelOptOut(recipient="guardian-1", channel="sms", opted_out=True), T0)
    assert why_not_send(state, sms) == "recipient opted out of sms"
    assert why_not_send(state, email) is None
    with pytest.raises(rules.Refused, match="no guardian-2"):
        rules.apply_opt_out(
            fresh(guardians=[make_case().model_dump(mode="json")["guardians"][0]]),
            SetChannelOptOut(recipient="guardian-2", channel="email", opted_out=True),
            T0,
        )


def test_reminder_skipped_when_record_arrived():
    state = fresh()
    request = [m for m in state.messages if m.event == MessageEvent.RECORD_REQUEST][0]
    for t in request.record_types:
        rules.apply_record_received(state, RecordReceived(record_type=t, document_id="d1"), T0)
    assert why_not_send(state, request) == "records already received"


def test_records_complete_is_automatic_and_alerts_coordinator():
    state = fresh()
    settle_records(state)
    assert state.recorded(Milestone.RECORDS_COMPLETE)
    assert [a.kind for a in state.alerts] == [AlertKind.RECORDS_READY_FOR_REVIEW]
    with pytest.raises(rules.Refused, match="recorded automatically"):
        rules.check_milestone(state, ApplyMilestone(milestone=Milestone.RECORDS_COMPLETE))


def test_waived_items_count_toward_completeness():
    state = fresh()
    for t, item in state.records.items():
        if item.status == RecordStatus.REQUESTED:
            rules.apply_review_record(state, ReviewRecord(record_type=t, decision="waive"), T0)
    assert state.recorded(Milestone.RECORDS_COMPLETE)


@pytest.mark.parametrize(
    "cmd, message",
    [
        (ReviewRecord(record_type=RecordType.PATHOLOGY, decision="accept"), "not received"),
        (ReviewRecord(record_type=RecordType.PATHOLOGY, decision="reject"), "needs a reason"),
        (ReviewRecord(record_type=RecordType.PATHOLOGY, decision="reject", reason="illegible"), "nothing to reject"),
        (ReviewRecord(record_type=RecordType.HLA_TYPING, decision="waive"), "not on this journey's checklist"),
        (ReviewRecord(record_type=RecordType.CLINICAL_SUMMARY, decision="waive"), "already accepted"),
        (ReviewRecord(record_type=RecordType.PATHOLOGY, decision="waive", reason="illegible"), "only given when rejecting"),
    ],
)
def test_bad_record_decisions_are_refused_and_change_nothing(cmd, message):
    state = fresh()
    before = state.model_dump()
    with pytest.raises(rules.Refused, match=message):
        rules.apply_review_record(state, cmd, T0)
    assert state.model_dump() == before


def test_rejected_record_is_asked_again_with_reason():
    state = fresh()
    rules.apply_record_received(state, RecordReceived(record_type=RecordType.IMAGING, document_id="d1"), T0)
    later = T0 + timedelta(days=2)
    rules.apply_review_record(
        state, ReviewRecord(record_type=RecordType.IMAGING, decision="reject", reason="needs_translation"), later
    )
    item = state.records[RecordType.IMAGING]
    assert item.status == RecordStatus.REJECTED and item.requested_at == later and item.reminders_sent == 0
    again = state.messages[-1]
    assert again.event == MessageEvent.RECORD_REQUEST and again.record_types == [RecordType.IMAGING]
    assert again.params["rejection_reason"] == "needs_translation"


def test_record_not_on_checklist_is_kept_not_lost():
    state = fresh()
    rules.apply_record_received(state, RecordReceived(record_type=RecordType.HLA_TYPING, document_id="hla-1"), T0)
    assert state.records[RecordType.HLA_TYPING].status == RecordStatus.RECEIVED
    assert state.timeline[-2].kind == "record_added_off_checklist"


@pytest.mark.parametrize(
    "cmd, message",
    [
        (ApplyMilestone(milestone=Milestone.REVIEW_STARTED), "needs records_complete first"),
        (ApplyMilestone(milestone=Milestone.ELIGIBILITY_DECIDED, eligible=True), "belongs to stage eligibility"),
        (ApplyMilestone(milestone=Milestone.DONOR_SELECTED), "belongs to stage pre_treatment"),
    ],
)
def test_milestones_out_of_order_are_refused(cmd, message):
    state = fresh()
    with pytest.raises(rules.Refused, match=message):
        rules.check_milestone(state, cmd)


def test_milestone_details_are_checked():
    state = fresh()
    settle_records(state)
    milestone(state, Milestone.REVIEW_STARTED)
    with pytest.raises(rules.Refused, match="needs: outcome"):
        rules.check_milestone(state, ApplyMilestone(milestone=Milestone.REVIEW_OUTCOME))
    with pytest.raises(rules.Refused, match="needs pathway transplant or car_t"):
        rules.check_milestone(state, ApplyMilestone(milestone=Milestone.REVIEW_OUTCOME, outcome="proceed_to_eligibility"))
    with pytest.raises(rules.Refused, match="does not take: on_date"):
        rules.check_milestone(
            state, ApplyMilestone(milestone=Milestone.REVIEW_OUTCOME, outcome="remote_advice_only", on_date=date(2026, 3, 1))
        )
    with pytest.raises(rules.Refused, match="already recorded"):
        rules.check_milestone(state, ApplyMilestone(milestone=Milestone.REVIEW_STARTED))


def test_second_opinion_pathway_end_to_end():
    state = fresh()
    settle_records(state)
    milestone(state, Milestone.REVIEW_STARTED)
    with pytest.raises(rules.Refused, match="needs milestone review_outcome"):
        rules.check_advance(state, AdvanceStage(to_stage=Stage.FOLLOW_UP))
    milestone(state, Milestone.REVIEW_OUTCOME, outcome="remote_advice_only")
    with pytest.raises(rules.Refused, match="allowed next: follow_up"):
        rules.check_advance(state, AdvanceStage(to_stage=Stage.ELIGIBILITY))
    advance(state, Stage.FOLLOW_UP)
    milestone(state, Milestone.FOLLOW_UP_CHECK)
    milestone(state, Milestone.FOLLOW_UP_COMPLETED)
    rules.apply_close(state, CloseJourney(reason="completed"), T0)
    assert state.stage == Stage.CLOSED and state.closed


def _to_treatment(state, pathway):
    settle_records(state)
    milestone(state, Milestone.REVIEW_STARTED)
    milestone(state, Milestone.REVIEW_OUTCOME, outcome="proceed_to_eligibility", pathway=pathway)
    assert state.pathway == pathway
    settle_records(state)  # the pathway added items (passport, HLA or CAR-T work-up)
    advance(state, Stage.ELIGIBILITY)
    milestone(state, Milestone.ELIGIBILITY_DECIDED, eligible=True)
    advance(state, Stage.VISA_TRAVEL)
    milestone(state, Milestone.INVITATION_LETTER_ISSUED)
    milestone(state, Milestone.VISA_APPLIED, visa_type="S1", applicant="patient")
    milestone(state, Milestone.VISA_GRANTED, visa_type="S1", applicant="patient", expires_on=date(2027, 6, 1))
    milestone(state, Milestone.TRAVEL_BOOKED, on_date=date(2026, 4, 1))
    advance(state, Stage.PRE_TREATMENT)


@pytest.mark.parametrize("pathway", [Pathway.TRANSPLANT, Pathway.CAR_T])
def test_treatment_pathways_end_to_end(pathway):
    state = fresh()
    _to_treatment(state, pathway)
    if pathway == Pathway.TRANSPLANT:
        assert RecordType.HLA_TYPING in state.records
        with pytest.raises(rules.Refused, match="needs milestone donor_selected"):
            milestone(state, Milestone.QUOTE_ISSUED)
            milestone(state, Milestone.DEPOSIT_RECEIVED)
            milestone(state, Milestone.PRE_TREATMENT_EVALUATION_DONE)
            advance(state, Stage.TREATMENT_STAY)
        milestone(state, Milestone.HLA_TYPING_DONE)
        milestone(state, Milestone.DONOR_SELECTED)
    else:
        assert RecordType.INFECTION_SEROLOGY in state.records
        with pytest.raises(rules.Refused, match="does not apply to the car_t pathway"):
            milestone(state, Milestone.HLA_TYPING_DONE)
        milestone(state, Milestone.QUOTE_ISSUED)
        milestone(state, Milestone.DEPOSIT_RECEIVED)
        milestone(state, Milestone.PRE_TREATMENT_EVALUATION_DONE)
    advance(state, Stage.TREATMENT_STAY)
    milestone(state, Milestone.ADMITTED, on_date=date(2026, 4, 3))
    milestone(state, Milestone.DAY_ZERO, on_date=date(2026, 4, 20))
    if pathway == Pathway.TRANSPLANT:
        milestone(state, Milestone.ENGRAFTED)
    milestone(state, Milestone.DISCHARGED, on_date=date(2026, 6, 1))
    advance(state, Stage.MONITORING)
    for day in (30, 60, 100):
        milestone(state, Milestone.MONITORING_CHECK, day=day)
    milestone(state, Milestone.CLEARED_FOR_TRAVEL)
    advance(state, Stage.RETURN_HOME)
    milestone(state, Milestone.RETURN_FLIGHT_BOOKED, on_date=date(2026, 8, 1))
    milestone(state, Milestone.HANDOVER_SENT)
    milestone(state, Milestone.RETURNED_HOME)
    advance(state, Stage.FOLLOW_UP)
    milestone(state, Milestone.FOLLOW_UP_COMPLETED)
    rules.apply_close(state, CloseJourney(reason="completed"), T0)
    stages = [e.detail["new"] for e in state.timeline if e.kind == "stage_changed"]
    assert stages == ["eligibility", "visa_travel", "pre_treatment", "treatment_stay", "monitoring", "return_home", "follow_up"]


def test_not_eligible_cannot_advance():
    state = fresh()
    settle_records(state)
    milestone(state, Milestone.REVIEW_STARTED)
    milestone(state, Milestone.REVIEW_OUTCOME, outcome="proceed_to_eligibility", pathway="car_t")
    advance(state, Stage.ELIGIBILITY)
    milestone(state, Milestone.ELIGIBILITY_DECIDED, eligible=False)
    with pytest.raises(rules.Refused, match="eligible=true"):
        rules.check_advance(state, AdvanceStage(to_stage=Stage.VISA_TRAVEL))


def test_visa_expiring_before_projected_return_alerts_once():
    state = fresh()
    _to_treatment(state, Pathway.CAR_T)
    state_visa = [a for a in state.alerts if a.kind == AlertKind.VISA_EXPIRES_TOO_SOON]
    assert state_visa == []  # S1 until June 2027 covers travel in April + 21 + 60 days
    milestone(state, Milestone.QUOTE_ISSUED)
    milestone(state, Milestone.DEPOSIT_RECEIVED)
    milestone(state, Milestone.PRE_TREATMENT_EVALUATION_DONE)
    advance(state, Stage.TREATMENT_STAY)
    milestone(state, Milestone.ADMITTED, on_date=date(2026, 4, 3))
    # A caregiver's short visa: day 0 on 20 April + 60 days = 19 June, visa ends 1 June.
    state.visas.append(state.visas[0].model_copy(update={"applicant": "caregiver", "expires_on": date(2026, 6, 1)}))
    milestone(state, Milestone.DAY_ZERO, on_date=date(2026, 4, 20))
    alerts = [a for a in state.alerts if a.kind == AlertKind.VISA_EXPIRES_TOO_SOON]
    assert len(alerts) == 1 and alerts[0].detail["projected_return"] == "2026-06-19"
    warnings = [m for m in state.messages if m.event == MessageEvent.VISA_EXPIRY_WARNING]
    assert warnings
    # The visas are checked again (as every later visa, travel or day 0 milestone does) while
    # nothing about them changed: no second alert, no second warning to the family.
    check_visas(state, T0 + timedelta(days=120))
    assert [a for a in state.alerts if a.kind == AlertKind.VISA_EXPIRES_TOO_SOON] == alerts
    assert [m for m in state.messages if m.event == MessageEvent.VISA_EXPIRY_WARNING] == warnings


def test_unknown_visa_type_is_refused_with_configured_list():
    state = fresh()
    settle_records(state)
    milestone(state, Milestone.REVIEW_STARTED)
    milestone(state, Milestone.REVIEW_OUTCOME, outcome="proceed_to_eligibility", pathway="car_t")
    advance(state, Stage.ELIGIBILITY)
    milestone(state, Milestone.ELIGIBILITY_DECIDED, eligible=True)
    advance(state, Stage.VISA_TRAVEL)
    milestone(state, Milestone.INVITATION_LETTER_ISSUED)
    with pytest.raises(rules.Refused, match="configured: S2, S1, L"):
        rules.check_milestone(state, ApplyMilestone(milestone=Milestone.VISA_APPLIED, visa_type="Z", applicant="patient"))


def test_pause_suspends_the_chase_and_resume_shifts_clocks():
    state = fresh()
    first = derived.next_wakeup(state)
    rules.apply_pause(state, PauseJourney(reason="child_admitted_locally"), T0 + timedelta(hours=1))
    assert derived.next_wakeup(state) is None
    assert not rules.run_due_chases(state, T0 + timedelta(days=30))
    with pytest.raises(rules.Refused, match="paused"):
        rules.check_advance(state, AdvanceStage(to_stage=Stage.FOLLOW_UP))
    rules.apply_resume(state, ResumeJourney(), T0 + timedelta(days=10, hours=1))
    assert derived.next_wakeup(state) is not None
    chase = [r.next_reminder_at for r in journey_status(state).records if r.next_reminder_at]
    assert min(chase) == T0 + timedelta(days=13)  # 3-day reminder moved by the 10 paused days
    assert first is not None


def test_close_cancels_everything_scheduled_and_refuses_further_commands():
    state = fresh()
    assert any(m.status == MessageStatus.SCHEDULED for m in state.messages)
    rules.apply_close(state, CloseJourney(reason="child_died"), T0)
    assert all(m.status != MessageStatus.SCHEDULED for m in state.messages)
    assert derived.next_wakeup(state) is None
    assert rules.notify(state, Notice(event=MessageEvent.STAGE_CHANGE, audience=Audience.FAMILY), T0) == []
    assert not rules.run_due_chases(state, T0 + timedelta(days=60))
    for check, cmd in [
        (rules.check_close, CloseJourney(reason="other")),
        (rules.check_pause, PauseJourney(reason="other")),
        (rules.check_milestone, ApplyMilestone(milestone=Milestone.REVIEW_STARTED)),
    ]:
        with pytest.raises(rules.Refused, match="journey is closed"):
            check(state, cmd)


def test_transition_table_is_consistent():
    for t in TRANSITIONS:
        for req in t.requires:
            assert MILESTONES[req.milestone].stage == t.source, (t, req)
    for rule in MILESTONES.values():
        for needed in rule.requires:
            assert MILESTONES[needed].stage == rule.stage


# --- messaging rules at send time ------------------------------------------------------------

from domain.commands import ChannelReply, DeliveryReport  # noqa: E402
from domain.notices import Defer, Send, Skip, decide  # noqa: E402


def sent(state, message, at):
    message.status, message.sent_at = MessageStatus.SENT, at


def test_sms_over_the_cap_goes_by_email_instead():
    state = fresh()
    first_sms = [m for m in state.messages if m.channel == Channel.SMS][0]
    assert isinstance(decide(state, first_sms, T0), Send)
    sent(state, first_sms, T0)
    rules.notify(state, Notice(event=MessageEvent.STAGE_CHANGE, audience=Audience.FAMILY, params={"stage": "remote_review"}), T0 + timedelta(hours=2))
    second = [m for m in state.messages if m.channel == Channel.SMS][-1]
    assert decide(state, second, T0 + timedelta(hours=2)) == Skip("over the SMS cap: sent by e-mail instead")


def test_sms_only_guardian_waits_for_the_cap_and_waiting_sms_merge():
    guardian = {"name": "A", "timezone": "Asia/Almaty", "phone": "+77012345678", "channels": ["sms"],
                "quiet_hours": {"start": "00:00", "end": "00:00"}}
    state = fresh(guardians=[guardian])
    first = [m for m in state.messages if m.channel == Channel.SMS][0]
    sent(state, first, T0)
    later = T0 + timedelta(hours=3)
    for _ in range(2):
        rules.notify(state, Notice(event=MessageEvent.STAGE_CHANGE, audience=Audience.FAMILY, params={"stage": "remote_review"}), later)
    a, b = [m for m in state.messages if m.channel == Channel.SMS][-2:]
    assert decide(state, a, later) == Defer(T0 + timedelta(days=1))
    a.not_before = b.not_before = T0 + timedelta(days=1)
    decision = decide(state, a, T0 + timedelta(days=1))
    assert decision == Send(merged=(b.key,))


def test_stop_reply_silences_sms_once_with_one_confirmation_and_start_resubscribes():
    state = fresh()
    reply = ChannelReply(recipient="guardian-1", channel="sms", keyword="stop")
    rules.apply_channel_reply(state, reply, T0)
    rules.apply_channel_reply(state, reply, T0)  # a second STOP: no second confirmation
    confirmations = [m for m in state.messages if m.event == MessageEvent.OPT_OUT_CONFIRMATION]
    assert len(confirmations) == 1 and confirmations[0].channel == Channel.SMS
    assert isinstance(decide(state, confirmations[0], T0), Send)
    pending_sms = [m for m in state.messages if m.channel == Channel.SMS and m.event != MessageEvent.OPT_OUT_CONFIRMATION]
    assert all(m.status == MessageStatus.SKIPPED for m in pending_sms)
    email = [m for m in state.messages if m.recipient == "guardian-1" and m.channel == Channel.EMAIL][0]
    assert isinstance(decide(state, email, T0), Send)  # e-mail continues
    rules.apply_channel_reply(state, ChannelReply(recipient="guardian-1", channel="sms", keyword="start"), T0)
    assert state.opted_out["guardian-1"] == []


def test_failed_family_message_alerts_and_falls_back_to_the_other_channel():
    state = fresh()
    sms = [m for m in state.messages if m.recipient == "guardian-1" and m.channel == Channel.SMS][0]
    email = [m for m in state.messages if m.key == f"{sms.notice_key}:guardian-1:email"][0]
    sent(state, sms, T0)
    email.status, email.outcome = MessageStatus.FAILED, "InactiveRecipient"
    rules.delivery_failed(state, email, T0)
    assert state.alerts[-1].kind == AlertKind.DELIVERY_FAILED
    # SMS for that notice already went out: nothing more to fall back to.
    assert state.alerts[-1].detail["fallback"] == "none"
    rules.apply_delivery_report(state, DeliveryReport(key=sms.key, status="undelivered", provider_code="30003"), T0)
    assert sms.delivery == "undelivered" and sms.outcome == "undelivered (30003)"
    fallback = [m for m in state.messages if m.key == email.key][0]
    assert fallback.status == MessageStatus.SCHEDULED and fallback.outcome == "fallback after sms failed"
    rules.apply_delivery_report(state, DeliveryReport(key=sms.key, status="undelivered"), T0)  # repeated callback
    assert len([a for a in state.alerts if a.kind == AlertKind.DELIVERY_FAILED]) == 2
