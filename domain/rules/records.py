"""The records checklist: reports, reviews, and the chase the workflow's clock drives."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.commands import (
    RecordDecision,
    RecordReceived,
    ReviewRecord,
)
from domain.notices import asked_of
from domain.records import (
    Holder,
    RecordItem,
    RecordStatus,
    RecordType,
    default_holder,
)
from domain.reminders import due_chases
from domain.batching import awaiting_first_ask
from domain.rules.effects import (
    Refused,
    log,
    note,
    notify,
    raise_alert,
    refuse_if_inactive,
)
from domain.stages import (
    Milestone,
    Stage,
)
from domain.state import (
    AlertKind,
    Audience,
    JourneyState,
    MessageEvent,
    MilestoneEntry,
    Notice,
)


def new_item(state: JourneyState, record_type: RecordType, now: datetime) -> RecordItem:
    holder = state.case.record_holders.get(record_type, default_holder(record_type))
    return RecordItem(record_type=record_type, holder=holder, requested_at=now, last_asked_at=now)


def apply_record_received(state: JourneyState, event: RecordReceived, now: datetime) -> None:
    """A fact: never refused. A record not on the checklist is added so nothing is lost."""
    if state.closed:
        log(state, now, "record_received_after_close", record_type=event.record_type.value)
        return
    item = state.records.get(event.record_type)
    if item is None:
        item = new_item(state, event.record_type, now)
        state.records[event.record_type] = item
        log(state, now, "record_added_off_checklist", record_type=event.record_type.value)
    if event.document_id not in item.document_ids:
        item.document_ids.append(event.document_id)
    if item.status in (RecordStatus.REQUESTED, RecordStatus.REJECTED):
        item.status, item.rejection_reason = RecordStatus.RECEIVED, None
    item.updated_at = now
    log(state, now, "record_received", record_type=event.record_type.value, document_id=event.document_id)
    resolve_overdue_alerts(state)


def check_review_record(state: JourneyState, cmd: ReviewRecord) -> None:
    refuse_if_inactive(state, allow_paused=True)
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
    log(state, now, f"record_{item.status.value}", by=cmd.by, record_type=cmd.record_type.value)
    note(state, now, f"record_{item.status.value}", cmd.note, cmd.by)
    if cmd.decision == RecordDecision.REJECT and not state.paused:
        request_outstanding(state, now, [cmd.record_type], reason=cmd.reason.value if cmd.reason else None)
    resolve_overdue_alerts(state)
    check_records_complete(state, now)


def resolve_overdue_alerts(state: JourneyState) -> None:
    for alert in state.alerts:
        if alert.open and alert.kind in (AlertKind.RECORDS_OVERDUE, AlertKind.RECORDS_DEADLINE_PASSED):
            if not any(state.records[t].outstanding for t in alert.record_types if t in state.records):
                alert.open = False


def check_records_complete(state: JourneyState, now: datetime) -> None:
    if state.stage != Stage.REMOTE_REVIEW or state.recorded(Milestone.RECORDS_COMPLETE):
        return
    if all(item.settled for item in state.records.values()):
        state.milestones.append(MilestoneEntry(milestone=Milestone.RECORDS_COMPLETE, stage=state.stage, at=now))
        waived = [t for t, i in state.records.items() if i.status == RecordStatus.WAIVED]
        log(state, now, "milestone", milestone=Milestone.RECORDS_COMPLETE.value, waived=str(len(waived)))
        notify(
            state,
            Notice(
                event=MessageEvent.STAGE_CHANGE,
                audience=Audience.FAMILY,
                params={"stage": state.stage.value, "milestone": Milestone.RECORDS_COMPLETE.value},
            ),
            now,
        )
        raise_alert(state, now, AlertKind.RECORDS_READY_FOR_REVIEW, urgent=False, waived=str(len(waived)))


def request_outstanding(
    state: JourneyState, now: datetime, record_types: list[RecordType], reason: str | None = None
) -> None:
    """Ask for the outstanding items among ``record_types``."""
    outstanding = [t for t in record_types if state.records[t].outstanding]
    chase(state, now, outstanding, MessageEvent.RECORD_REQUEST, reason=reason)


def chase(
    state: JourneyState,
    now: datetime,
    types: list[RecordType],
    event: MessageEvent,
    reason: str | None = None,
) -> None:
    """One message per audience, listing every item asked of it.

    Items the local team holds go to the team only with consent; otherwise the family is asked
    to obtain them from their doctors (``via_family``) in the same message as its own items,
    each item named with its holder (``held_by_team``).
    """
    by_audience: dict[Audience, list[RecordType]] = {}
    via_family: dict[Audience, bool] = {}
    for t in types:
        audience, via = asked_of(state, state.records[t].holder)
        by_audience.setdefault(audience, []).append(t)
        via_family[audience] = via_family.get(audience, False) or via
    for audience, listed in by_audience.items():
        holder = Holder.LOCAL_TEAM if audience == Audience.LOCAL_TEAM else Holder.FAMILY
        params: dict[str, Any] = {"via_family": via_family[audience], "holder": holder.value}
        if audience == Audience.FAMILY:  # the holder, per item: what the family is to ask its doctors for
            params["held_by_team"] = [t.value for t in listed if state.records[t].holder == Holder.LOCAL_TEAM]
        if reason:
            params["rejection_reason"] = reason
        if event == MessageEvent.RECORD_REMINDER:
            params["reminder_number"] = max(state.records[t].reminders_sent for t in listed)
        notify(state, Notice(event=event, audience=audience, params=params, record_types=listed), now)


def run_due_chases(state: JourneyState, now: datetime) -> bool:
    """Send the reminders and escalations that are due at ``now``. True if anything happened."""
    if state.closed or state.paused:
        return False
    waiting = awaiting_first_ask(state)  # no reminder or escalation before the first ask went out
    due = due_chases([i for t, i in state.records.items() if t not in waiting], state.case.policy.chase, now)
    reminded = [t for types in due.reminders.values() for t in types]
    for t in reminded:
        state.records[t].reminders_sent += 1
        state.records[t].last_asked_at = now
    if reminded:
        chase(state, now, reminded, MessageEvent.RECORD_REMINDER)
        log(state, now, "reminders_due", items=str(len(reminded)))
    for kind, types in (
        (AlertKind.RECORDS_OVERDUE, due.overdue),
        (AlertKind.RECORDS_DEADLINE_PASSED, due.past_deadline),
    ):
        if types:
            for t in types:
                state.records[t].escalated = True
            raise_alert(state, now, kind, record_types=types)
    return bool(due)
