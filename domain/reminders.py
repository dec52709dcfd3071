"""The records chase schedule: when each outstanding item is next reminded or escalated."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from domain.policy import ChasePolicy
from domain.records import Holder, RecordItem, RecordType


@dataclass
class ChaseDue:
    """What falls due at one moment: reminders grouped by holder, and escalations."""

    reminders: dict[Holder, list[RecordType]] = field(default_factory=dict)
    overdue: list[RecordType] = field(default_factory=list)  # unanswered reminders
    past_deadline: list[RecordType] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.reminders or self.overdue or self.past_deadline)


def deadline_of(item: RecordItem, policy: ChasePolicy) -> datetime:
    return item.requested_at + policy.records_deadline


def next_chase_at(item: RecordItem, policy: ChasePolicy) -> datetime | None:
    """The next reminder or escalation for this item; None once escalated or not outstanding."""
    if not item.outstanding or item.escalated:
        return None
    gap = policy.first_reminder_after if item.reminders_sent == 0 else policy.reminder_interval
    return min(item.last_asked_at + gap, deadline_of(item, policy))


def due_chases(items: list[RecordItem], policy: ChasePolicy, now: datetime) -> ChaseDue:
    due = ChaseDue()
    for item in items:
        at = next_chase_at(item, policy)
        if at is None or at > now:
            continue
        if now >= deadline_of(item, policy):
            due.past_deadline.append(item.record_type)
        elif item.reminders_sent >= policy.escalate_after_reminders:
            due.overdue.append(item.record_type)
        else:
            due.reminders.setdefault(item.holder, []).append(item.record_type)
    return due


def reminder_schedule(item: RecordItem, policy: ChasePolicy) -> list[datetime]:
    """The remaining reminder times for an item if nobody answers, ending at its escalation."""
    if not item.outstanding or item.escalated:
        return []
    times: list[datetime] = []
    sent, last = item.reminders_sent, item.last_asked_at
    deadline = deadline_of(item, policy)
    while True:
        gap = policy.first_reminder_after if sent == 0 else policy.reminder_interval
        at = last + gap
        if at >= deadline or sent >= policy.escalate_after_reminders:
            times.append(min(at, deadline))  # the escalation
            return times
        times.append(at)
        sent, last = sent + 1, at
