"""What each command does to a journey: checks that refuse, and changes that apply.

Each ``check_*`` raises ``Refused`` with a message a coordinator can act on and changes nothing;
each ``apply_*`` calls its check first, then changes the state and returns the notices to send.
The workflow runs the check in the update validator (so a refused command never reaches
history) and the apply in the handler.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from domain.case_file import CaseFile
from domain.opt_out import Keyword
from domain.commands import (
    AdvanceStage,
    ApplyMilestone,
    ChannelReply,
    CloseJourney,
    DeliveryReport,
    DeliveryStatus,
    PauseJourney,
    RecordDecision,
    RecordReceived,
    ResumeJourney,
    ReviewRecord,
    SetChannelOptOut,
    SetConsent,
)
from domain.notices import audience_for_holder, fall_back, plan
from domain.records import Holder, RecordItem, RecordStatus, RecordType, checklist_for, default_holder
from domain.reminders import due_chases, next_chase_at
from domain.stages import (
    MILESTONES,
    TREATMENT_PATHWAYS,
    Detail,
    Milestone,
    Pathway,
    ReviewOutcome,
    Stage,
    transitions_from,
)
from domain.state import (
    Alert,
    AlertKind,
    Audience,
    Closure,
    JourneyState,
    Message,
    MessageEvent,
    MessageStatus,
    MilestoneEntry,
    Notice,
    Pause,
    TimelineEntry,
    Visa,
)


class Refused(ValueError):
    """A command that does not fit the journey as it stands. Nothing was changed."""


# ---------------------------------------------------------------------------------------------
# Starting


def start(case: CaseFile, now: datetime) -> JourneyState:
    state = JourneyState(
        case=case,
        pathway=case.pathway,
        stage=Stage.REMOTE_REVIEW,
        started_at=now,
        stage_entered_at=now,
        local_team_consent=bool(case.local_team and case.local_team.consent),
    )
    state.records = checklist_for(case.pathway, now, holders=case.record_holders)
    for record_type in case.records_in_hand:
        item = state.records.get(record_type)
        if item is None:
            item = _new_item(state, record_type, now)
            state.records[record_type] = item
        item.status, item.updated_at = RecordStatus.ACCEPTED, now
    _log(state, now, "journey_started", pathway=case.pathway.value)
    _request_outstanding(state, now, list(state.records))
    _check_records_complete(state, now)
    return state


def _new_item(state: JourneyState, record_type: RecordType, now: datetime) -> RecordItem:
    holder = state.case.record_holders.get(record_type, default_holder(record_type))
    return RecordItem(record_type=record_type, holder=holder, requested_at=now, last_asked_at=now)


# ---------------------------------------------------------------------------------------------
# Shared helpers


def _log(state: JourneyState, now: datetime, kind: str, by: str | None = None, **detail: str) -> None:
    state.timeline.append(TimelineEntry(at=now, kind=kind, detail=detail, by=by))


def _note(state: JourneyState, now: datetime, kind: str, note: str | None, by: str | None) -> None:
    if note:
        state.notes.append(TimelineEntry(at=now, kind=kind, detail={"note": note}, by=by))


def notify(state: JourneyState, notice: Notice, now: datetime) -> list[Message]:
    """Plan a notice into the outgoing queue (nothing is planned once the journey is closed)."""
    if state.closed:
        return []
    planned = plan(state, notice, now)
    state.messages.extend(planned)
    return planned


def _alert(
    state: JourneyState,
    now: datetime,
    kind: AlertKind,
    record_types: list[RecordType] | None = None,
    urgent: bool = True,
    **detail: str,
) -> None:
    key = f"{state.case.case_reference}:alert:{len(state.alerts) + 1}"
    state.alerts.append(
        Alert(key=key, kind=kind, at=now, record_types=record_types or [], detail=detail)
    )
    _log(state, now, "coordinator_alerted", alert=kind.value)
    notify(
        state,
        Notice(
            event=MessageEvent.COORDINATOR_ALERT,
            audience=Audience.COORDINATOR,
            params={"alert": kind.value, **detail, "record_types": [t.value for t in record_types or []]},
            urgent=urgent,
        ),
        now,
    )


def _request_outstanding(
    state: JourneyState, now: datetime, record_types: list[RecordType], reason: str | None = None
) -> None:
    """Ask for the outstanding items among ``record_types``."""
    outstanding = [t for t in record_types if state.records[t].outstanding]
    _chase(state, now, outstanding, MessageEvent.RECORD_REQUEST, reason=reason)


def _chase(
    state: JourneyState,
    now: datetime,
    types: list[RecordType],
    event: MessageEvent,
    reason: str | None = None,
) -> None:
    """One message per audience, listing every item asked of it.

    Items the local team holds go to the team only with consent; otherwise the family is asked
    to obtain them from their doctors (``via_family``) in the same message as its own items.
    """
    by_audience: dict[Audience, list[RecordType]] = {}
    via_family: dict[Audience, bool] = {}
    for t in types:
        audience, via = audience_for_holder(state, state.records[t].holder)
        by_audience.setdefault(audience, []).append(t)
        via_family[audience] = via_family.get(audience, False) or via
    for audience, listed in by_audience.items():
        holder = Holder.LOCAL_TEAM if audience == Audience.LOCAL_TEAM else Holder.FAMILY
        params: dict[str, Any] = {"via_family": via_family[audience], "holder": holder.value}
        if reason:
            params["rejection_reason"] = reason
        if event == MessageEvent.RECORD_REMINDER:
            params["reminder_number"] = max(state.records[t].reminders_sent for t in listed)
        notify(state, Notice(event=event, audience=audience, params=params, record_types=listed), now)


def _refuse_if_inactive(state: JourneyState, allow_paused: bool = False) -> None:
    if state.closed:
        assert state.closure is not None
        raise Refused(f"journey is closed ({state.closure.reason.value}); nothing more can change")
    if state.paused and not allow_paused:
        raise Refused("journey is paused; resume it first")


# ---------------------------------------------------------------------------------------------
# Records


def apply_record_received(state: JourneyState, event: RecordReceived, now: datetime) -> None:
    """A fact: never refused. A record not on the checklist is added so nothing is lost."""
    if state.closed:
        _log(state, now, "record_received_after_close", record_type=event.record_type.value)
        return
    item = state.records.get(event.record_type)
    if item is None:
        item = _new_item(state, event.record_type, now)
        state.records[event.record_type] = item
        _log(state, now, "record_added_off_checklist", record_type=event.record_type.value)
    if event.document_id not in item.document_ids:
        item.document_ids.append(event.document_id)
    if item.status in (RecordStatus.REQUESTED, RecordStatus.REJECTED):
        item.status, item.rejection_reason = RecordStatus.RECEIVED, None
    item.updated_at = now
    _log(state, now, "record_received", record_type=event.record_type.value, document_id=event.document_id)
    _resolve_overdue_alerts(state)


def check_review_record(state: JourneyState, cmd: ReviewRecord) -> None:
    _refuse_if_inactive(state, allow_paused=True)
    item = state.records.get(cmd.record_type)
    if item is None:
        listed = ", ".join(sorted(state.records))
        raise Refused(f"record '{cmd.record_type.value}' is not on this journey's checklist (it has: {listed})")
    if cmd.decision == RecordDecision.ACCEPT and item.status != RecordStatus.RECEIVED:
        raise Refused(f"cannot accept '{cmd.record_type.value}': it is {item.status.value}, not received")
    if cmd.decision == RecordDecision.REJECT:
        if cmd.reason is None:
            raise Refused("rejecting a record needs a reason (illegible, wrong_patient, needs_translation, ...)")
        if item.status not in (RecordStatus.RECEIVED, RecordStatus.ACCEPTED):
            raise Refused(f"cannot reject '{cmd.record_type.value}': it is {item.status.value}; nothing to reject")
    if cmd.decision != RecordDecision.REJECT and cmd.reason is not None:
        raise Refused("a reason is only given when rejecting a record")
    if cmd.decision == RecordDecision.WAIVE and item.status in (RecordStatus.WAIVED, RecordStatus.ACCEPTED):
        raise Refused(f"cannot waive '{cmd.record_type.value}': it is already {item.status.value}")


def apply_review_record(state: JourneyState, cmd: ReviewRecord, now: datetime) -> None:
    check_review_record(state, cmd)
    item = state.records[cmd.record_type]
    item.updated_at = now
    if cmd.decision == RecordDecision.ACCEPT:
        item.status = RecordStatus.ACCEPTED
    elif cmd.decision == RecordDecision.WAIVE:
        item.status = RecordStatus.WAIVED
    else:
        assert cmd.reason is not None
        item.status, item.rejection_reason = RecordStatus.REJECTED, cmd.reason
        # Asked again from the holder, with the reason; the chase starts over.
        item.requested_at = item.last_asked_at = now
        item.reminders_sent, item.escalated = 0, False
    _log(state, now, f"record_{item.status.value}", by=cmd.by, record_type=cmd.record_type.value)
    _note(state, now, f"record_{item.status.value}", cmd.note, cmd.by)
    if cmd.decision == RecordDecision.REJECT and not state.paused:
        _request_outstanding(state, now, [cmd.record_type], reason=cmd.reason.value if cmd.reason else None)
    _resolve_overdue_alerts(state)
    _check_records_complete(state, now)


def _resolve_overdue_alerts(state: JourneyState) -> None:
    for alert in state.alerts:
        if alert.open and alert.kind in (AlertKind.RECORDS_OVERDUE, AlertKind.RECORDS_DEADLINE_PASSED):
            if not any(state.records[t].outstanding for t in alert.record_types if t in state.records):
                alert.open = False


def _check_records_complete(state: JourneyState, now: datetime) -> None:
    if state.stage != Stage.REMOTE_REVIEW or state.recorded(Milestone.RECORDS_COMPLETE):
        return
    if all(item.settled for item in state.records.values()):
        state.milestones.append(MilestoneEntry(milestone=Milestone.RECORDS_COMPLETE, stage=state.stage, at=now))
        waived = [t for t, i in state.records.items() if i.status == RecordStatus.WAIVED]
        _log(state, now, "milestone", milestone=Milestone.RECORDS_COMPLETE.value, waived=str(len(waived)))
        notify(
            state,
            Notice(
                event=MessageEvent.STAGE_CHANGE,
                audience=Audience.FAMILY,
                params={"stage": state.stage.value, "milestone": Milestone.RECORDS_COMPLETE.value},
            ),
            now,
        )
        _alert(state, now, AlertKind.RECORDS_READY_FOR_REVIEW, urgent=False, waived=str(len(waived)))


# ---------------------------------------------------------------------------------------------
# The chase (driven by the workflow's clock)


def run_due_chases(state: JourneyState, now: datetime) -> bool:
    """Send the reminders and escalations that are due at ``now``. True if anything happened."""
    if state.closed or state.paused:
        return False
    due = due_chases(list(state.records.values()), state.case.policy.chase, now)
    reminded = [t for types in due.reminders.values() for t in types]
    for t in reminded:
        state.records[t].reminders_sent += 1
        state.records[t].last_asked_at = now
    if reminded:
        _chase(state, now, reminded, MessageEvent.RECORD_REMINDER)
        _log(state, now, "reminders_due", items=str(len(reminded)))
    for kind, types in ((AlertKind.RECORDS_OVERDUE, due.overdue), (AlertKind.RECORDS_DEADLINE_PASSED, due.past_deadline)):
        if types:
            for t in types:
                state.records[t].escalated = True
            _alert(state, now, kind, record_types=types)
    return bool(due)


def next_wakeup(state: JourneyState) -> datetime | None:
    """The earliest moment the journey has something to do by itself (None: only on news)."""
    if state.closed or state.paused:
        return None
    times = [m.not_before for m in state.messages if m.status == MessageStatus.SCHEDULED]
    for item in state.records.values():
        at = next_chase_at(item, state.case.policy.chase)
        if at is not None:
            times.append(at)
    return min(times) if times else None


def overdue(state: JourneyState) -> bool:
    return any(i.escalated and i.outstanding for i in state.records.values())


# ---------------------------------------------------------------------------------------------
# Milestones


def check_milestone(state: JourneyState, cmd: ApplyMilestone) -> None:
    _refuse_if_inactive(state)
    rule = MILESTONES[cmd.milestone]
    name = cmd.milestone.value
    if rule.automatic:
        raise Refused(f"'{name}' is recorded automatically when every record is accepted or waived")
    if rule.stage != state.stage:
        raise Refused(f"'{name}' belongs to stage {rule.stage.value}; the journey is in stage {state.stage.value}")
    if state.pathway not in rule.pathways:
        raise Refused(f"'{name}' does not apply to the {state.pathway.value} pathway")
    if not rule.repeatable and state.recorded(cmd.milestone):
        raise Refused(f"'{name}' is already recorded")
    missing = [m.value for m in rule.requires if not state.recorded(m)]
    if missing:
        raise Refused(f"'{name}' needs {', '.join(missing)} first")
    given = {d for d in Detail if getattr(cmd, d.value) is not None}
    lacking = sorted(d.value for d in rule.required_details - given)
    if lacking:
        raise Refused(f"'{name}' needs: {', '.join(lacking)}")
    extra = sorted(d.value for d in given - rule.required_details - rule.optional_details)
    if extra:
        raise Refused(f"'{name}' does not take: {', '.join(extra)}")
    if cmd.milestone == Milestone.REVIEW_OUTCOME:
        if cmd.pathway is not None and cmd.outcome != ReviewOutcome.PROCEED_TO_ELIGIBILITY:
            raise Refused("a pathway is chosen only with outcome proceed_to_eligibility")
        if cmd.outcome == ReviewOutcome.PROCEED_TO_ELIGIBILITY:
            target = cmd.pathway or state.pathway
            if target not in TREATMENT_PATHWAYS:
                raise Refused("outcome proceed_to_eligibility needs pathway transplant or car_t")
    if cmd.visa_type is not None and cmd.visa_type not in state.case.policy.travel.visa_codes():
        codes = ", ".join(state.case.policy.travel.visa_codes())
        raise Refused(f"unknown visa type '{cmd.visa_type}' (configured: {codes})")


def apply_milestone(state: JourneyState, cmd: ApplyMilestone, now: datetime) -> None:
    check_milestone(state, cmd)
    details = cmd.model_dump(mode="json", exclude_none=True, exclude={"milestone", "note", "by"})
    state.milestones.append(
        MilestoneEntry(milestone=cmd.milestone, stage=state.stage, at=now, details=details, by=cmd.by)
    )
    _log(state, now, "milestone", by=cmd.by, milestone=cmd.milestone.value, **{k: str(v) for k, v in details.items()})
    _note(state, now, cmd.milestone.value, cmd.note, cmd.by)

    if cmd.milestone == Milestone.REVIEW_OUTCOME:
        if cmd.outcome == ReviewOutcome.PROCEED_TO_ELIGIBILITY:
            _change_pathway(state, cmd.pathway or state.pathway, now)
        elif cmd.outcome == ReviewOutcome.REMOTE_ADVICE_ONLY:
            _change_pathway(state, Pathway.SECOND_OPINION, now)
    elif cmd.milestone == Milestone.VISA_GRANTED:
        assert cmd.visa_type and cmd.applicant and cmd.expires_on
        state.visas.append(Visa(visa_type=cmd.visa_type, applicant=cmd.applicant.value, expires_on=cmd.expires_on))
    elif cmd.milestone == Milestone.TRAVEL_BOOKED:
        state.travel_date = cmd.on_date
    elif cmd.milestone == Milestone.DAY_ZERO:
        state.day_zero = cmd.on_date

    rule = MILESTONES[cmd.milestone]
    params: dict[str, Any] = {"stage": state.stage.value, "milestone": cmd.milestone.value}
    if cmd.on_date is not None:
        params["on_date"] = cmd.on_date.isoformat()
    if rule.tell_family:
        event = MessageEvent.APPOINTMENT if cmd.on_date is not None else MessageEvent.STAGE_CHANGE
        notify(state, Notice(event=event, audience=Audience.FAMILY, params=params), now)
    if rule.tell_local_team:
        notify(state, Notice(event=MessageEvent.LOCAL_TEAM_UPDATE, audience=Audience.LOCAL_TEAM, params=params), now)
    if cmd.milestone in (Milestone.VISA_GRANTED, Milestone.TRAVEL_BOOKED, Milestone.DAY_ZERO):
        _check_visas(state, now)


def _change_pathway(state: JourneyState, pathway: Pathway, now: datetime) -> None:
    if pathway == state.pathway:
        return
    _log(state, now, "pathway_changed", old=state.pathway.value, new=pathway.value)
    state.pathway = pathway
    before = set(state.records)
    state.records = checklist_for(pathway, now, holders=state.case.record_holders, already=state.records)
    added = [t for t in state.records if t not in before]
    if added:
        _request_outstanding(state, now, added)


def projected_return(state: JourneyState) -> date | None:
    """When the family is expected to be able to travel home (day 0 + the pathway's stay)."""
    travel = state.case.policy.travel
    stay = travel.stay_after_day_zero_days.get(state.pathway.value)
    if stay is None:
        return None
    if state.day_zero is not None:
        return state.day_zero + timedelta(days=stay)
    if state.travel_date is not None:
        return state.travel_date + timedelta(days=travel.arrival_to_day_zero_days + stay)
    return None


def _check_visas(state: JourneyState, now: datetime) -> None:
    ends = projected_return(state)
    if ends is None:
        return
    margin = timedelta(days=state.case.policy.travel.visa_margin_days)
    for visa in state.visas:
        if visa.expires_on < ends + margin:
            already = any(
                a.kind == AlertKind.VISA_EXPIRES_TOO_SOON
                and a.detail.get("expires_on") == visa.expires_on.isoformat()
                and a.detail.get("projected_return") == ends.isoformat()
                for a in state.alerts
            )
            if already:
                continue
            detail = {
                "applicant": visa.applicant,
                "visa_type": visa.visa_type,
                "expires_on": visa.expires_on.isoformat(),
                "projected_return": ends.isoformat(),
            }
            _alert(state, now, AlertKind.VISA_EXPIRES_TOO_SOON, **detail)
            notify(
                state,
                Notice(event=MessageEvent.VISA_EXPIRY_WARNING, audience=Audience.FAMILY, params=detail),
                now,
            )


# ---------------------------------------------------------------------------------------------
# Stages


def check_advance(state: JourneyState, cmd: AdvanceStage) -> None:
    _refuse_if_inactive(state)
    if cmd.to_stage == Stage.CLOSED:
        raise Refused("to end a journey, close it with a reason")
    options = transitions_from(state.stage, state.pathway)
    chosen = [t for t in options if t.target == cmd.to_stage]
    if not chosen:
        allowed = ", ".join(t.target.value for t in options) or "none (close the journey when done)"
        raise Refused(
            f"cannot move from {state.stage.value} to {cmd.to_stage.value} on the "
            f"{state.pathway.value} pathway; allowed next: {allowed}"
        )
    missing = unmet_requirements(state, cmd.to_stage)
    if missing:
        raise Refused(f"cannot move to {cmd.to_stage.value} yet: needs {'; '.join(missing)}")


def unmet_requirements(state: JourneyState, target: Stage) -> list[str]:
    """What still stands between the current stage and ``target`` (empty: ready)."""
    for t in transitions_from(state.stage, state.pathway):
        if t.target != target:
            continue
        missing = []
        for req in t.requires:
            if state.pathway not in req.pathways:
                continue
            entries = state.recorded(req.milestone)
            latest = entries[-1] if entries else None
            if latest is None:
                missing.append(f"milestone {req.milestone.value}")
            elif req.outcome is not None and latest.details.get("outcome") != req.outcome.value:
                missing.append(f"{req.milestone.value} with outcome {req.outcome.value}")
            elif req.eligible is not None and latest.details.get("eligible") != req.eligible:
                missing.append(f"{req.milestone.value} with eligible={str(req.eligible).lower()}")
        return missing
    return ["a transition to that stage"]


def apply_advance(state: JourneyState, cmd: AdvanceStage, now: datetime) -> None:
    check_advance(state, cmd)
    previous = state.stage
    state.stage, state.stage_entered_at = cmd.to_stage, now
    _log(state, now, "stage_changed", by=cmd.by, old=previous.value, new=cmd.to_stage.value)
    params = {"stage": cmd.to_stage.value, "previous_stage": previous.value}
    notify(state, Notice(event=MessageEvent.STAGE_CHANGE, audience=Audience.FAMILY, params=params), now)
    notify(state, Notice(event=MessageEvent.LOCAL_TEAM_UPDATE, audience=Audience.LOCAL_TEAM, params=params), now)


# ---------------------------------------------------------------------------------------------
# Pause, resume, close


def check_pause(state: JourneyState, cmd: PauseJourney) -> None:
    _refuse_if_inactive(state)


def apply_pause(state: JourneyState, cmd: PauseJourney, now: datetime) -> None:
    check_pause(state, cmd)
    state.pause = Pause(since=now, reason=cmd.reason)
    _log(state, now, "paused", by=cmd.by, reason=cmd.reason.value)
    _note(state, now, "paused", cmd.note, cmd.by)


def check_resume(state: JourneyState, cmd: ResumeJourney) -> None:
    _refuse_if_inactive(state, allow_paused=True)
    if not state.paused:
        raise Refused("journey is not paused")


def apply_resume(state: JourneyState, cmd: ResumeJourney, now: datetime) -> None:
    check_resume(state, cmd)
    assert state.pause is not None
    held = now - state.pause.since
    # Timers were suspended: every clock moves on by the time spent paused.
    for item in state.records.values():
        item.requested_at += held
        item.last_asked_at += held
    for message in state.messages:
        if message.status == MessageStatus.SCHEDULED:
            message.not_before += held
    state.pause = None
    _log(state, now, "resumed", by=cmd.by, paused_for_hours=str(round(held.total_seconds() / 3600, 1)))
    _note(state, now, "resumed", cmd.note, cmd.by)


def check_close(state: JourneyState, cmd: CloseJourney) -> None:
    _refuse_if_inactive(state, allow_paused=True)


def apply_close(state: JourneyState, cmd: CloseJourney, now: datetime) -> None:
    check_close(state, cmd)
    state.closure = Closure(at=now, reason=cmd.reason, by=cmd.by)
    previous = state.stage
    state.stage = Stage.CLOSED
    state.pause = None
    for message in state.messages:
        if message.status == MessageStatus.SCHEDULED:
            message.status, message.outcome = MessageStatus.CANCELLED, "journey closed"
    for alert in state.alerts:
        alert.open = False
    _log(state, now, "closed", by=cmd.by, reason=cmd.reason.value, stage=previous.value)
    _note(state, now, "closed", cmd.note, cmd.by)


# ---------------------------------------------------------------------------------------------
# Consent and channel preferences


def check_consent(state: JourneyState, cmd: SetConsent) -> None:
    _refuse_if_inactive(state, allow_paused=True)
    if state.case.local_team is None:
        raise Refused("this case names no local treating team; add one before recording consent")


def apply_consent(state: JourneyState, cmd: SetConsent, now: datetime) -> None:
    check_consent(state, cmd)
    if state.local_team_consent == cmd.granted:
        return
    state.local_team_consent = cmd.granted
    _log(state, now, "consent_recorded" if cmd.granted else "consent_withdrawn", by=cmd.by)
    if cmd.granted and not state.paused:
        # Records the team holds are now asked of the team itself.
        held = [t for t, i in state.records.items() if i.holder == Holder.LOCAL_TEAM and i.outstanding]
        _request_outstanding(state, now, held)


def check_opt_out(state: JourneyState, cmd: SetChannelOptOut) -> None:
    _refuse_if_inactive(state, allow_paused=True)
    index = int(cmd.recipient.split("-")[1]) - 1
    if index >= len(state.case.guardians):
        raise Refused(f"this case has no {cmd.recipient}")


def apply_opt_out(state: JourneyState, cmd: SetChannelOptOut, now: datetime) -> bool:
    """True when the preference changed."""
    check_opt_out(state, cmd)
    current = state.opted_out.setdefault(cmd.recipient, [])
    if (cmd.channel in current) == cmd.opted_out:
        return False
    if cmd.opted_out:
        current.append(cmd.channel)
    else:
        current.remove(cmd.channel)
    _log(
        state,
        now,
        "opted_out" if cmd.opted_out else "opted_in",
        by=cmd.by,
        recipient=cmd.recipient,
        channel=cmd.channel.value,
    )
    return True


# ---------------------------------------------------------------------------------------------
# Replies and delivery outcomes


def apply_channel_reply(state: JourneyState, reply: ChannelReply, now: datetime) -> None:
    """A guardian replied STOP or START. STOP takes effect at once with one confirmation;
    only an explicit START subscribes again. Never refused: it is a fact."""
    if state.closed:
        _log(state, now, "reply_after_close", recipient=reply.recipient, keyword=reply.keyword.value)
        return
    current = state.opted_out.setdefault(reply.recipient, [])
    if reply.keyword == Keyword.STOP:
        if reply.channel in current:
            return  # already stopped: no second confirmation
        current.append(reply.channel)
        _log(state, now, "opted_out", recipient=reply.recipient, channel=reply.channel.value, via="reply")
        for m in state.messages:
            if m.recipient == reply.recipient and m.channel == reply.channel and m.status == MessageStatus.SCHEDULED:
                m.status, m.outcome = MessageStatus.SKIPPED, f"recipient opted out of {reply.channel.value}"
        notify(
            state,
            Notice(
                event=MessageEvent.OPT_OUT_CONFIRMATION,
                audience=Audience.FAMILY,
                params={"channel": reply.channel.value},
                only_recipient=reply.recipient,
                only_channel=reply.channel,
            ),
            now,
        )
    elif reply.channel in current:
        current.remove(reply.channel)
        _log(state, now, "opted_in", recipient=reply.recipient, channel=reply.channel.value, via="reply")


def apply_delivery_report(state: JourneyState, report: DeliveryReport, now: datetime) -> None:
    """A provider's later word on a message. A failed family message alerts the coordinator and
    falls back to the recipient's other channel."""
    message = next((m for m in state.messages if m.key == report.key), None)
    if message is None:
        _log(state, now, "delivery_report_unmatched", status=report.status.value)
        return
    if message.delivery == report.status.value:
        return  # providers repeat callbacks
    message.delivery, message.delivery_at = report.status.value, now
    if report.status != DeliveryStatus.DELIVERED and not state.closed:
        message.outcome = f"{report.status.value}{' (' + report.provider_code + ')' if report.provider_code else ''}"
        if message.event != MessageEvent.COORDINATOR_ALERT:
            delivery_failed(state, message, now)


def delivery_failed(state: JourneyState, message: Message, now: datetime) -> None:
    """A message could not be delivered for good: tell the coordinator, try the other channel."""
    _log(state, now, "delivery_failed", recipient=message.recipient, channel=message.channel.value)
    fallback = fall_back(state, message, now)
    _alert(
        state,
        now,
        AlertKind.DELIVERY_FAILED,
        failed_event=message.event.value,
        failed_recipient=message.recipient,
        failed_channel=message.channel.value,
        failure=message.outcome or "unknown",
        fallback=fallback.channel.value if fallback else "none",
    )
