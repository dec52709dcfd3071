from datetime import datetime, timedelta, timezone

from domain.policy import ChasePolicy
from domain.records import Holder, RecordItem, RecordStatus, RecordType
from domain.reminders import due_chases, next_chase_at, reminder_schedule

T0 = datetime(2026, 1, 1, 9, 0, tzinfo=timezone.utc)
POLICY = ChasePolicy()  # 3 days, then every 4 days, escalate after 3 reminders, deadline 21 days


def item(**kw) -> RecordItem:
    base = dict(record_type=RecordType.PATHOLOGY, holder=Holder.LOCAL_TEAM, requested_at=T0, last_asked_at=T0)
    base.update(kw)
    return RecordItem(**base)


def test_default_schedule_is_three_reminders_then_escalation():
    days = [(t - T0).days for t in reminder_schedule(item(), POLICY)]
    assert days == [3, 7, 11, 15]  # 3 reminders, the 4th slot is the escalation


def test_deadline_caps_the_schedule():
    slow = ChasePolicy(first_reminder_after=timedelta(days=10), reminder_interval=timedelta(days=10), records_deadline=timedelta(days=15))
    days = [(t - T0).days for t in reminder_schedule(item(), slow)]
    assert days == [10, 15]


def test_nothing_due_before_first_reminder():
    assert not due_chases([item()], POLICY, T0 + timedelta(days=2, hours=23))


def test_reminder_due_grouped_by_holder():
    items = [item(), item(record_type=RecordType.PASSPORT_COPY, holder=Holder.FAMILY)]
    due = due_chases(items, POLICY, T0 + timedelta(days=3))
    assert due.reminders == {Holder.LOCAL_TEAM: [RecordType.PATHOLOGY], Holder.FAMILY: [RecordType.PASSPORT_COPY]}
    assert not due.overdue and not due.past_deadline


def test_after_max_reminders_next_slot_escalates():
    it = item(reminders_sent=3, last_asked_at=T0 + timedelta(days=11))
    due = due_chases([it], POLICY, T0 + timedelta(days=15))
    assert due.overdue == [RecordType.PATHOLOGY] and not due.reminders


def test_deadline_escalates_even_without_reminders():
    it = item(last_asked_at=T0 + timedelta(days=20))
    due = due_chases([it], POLICY, T0 + timedelta(days=21))
    assert due.past_deadline == [RecordType.PATHOLOGY]


def test_received_or_escalated_items_are_not_chased():
    assert next_chase_at(item(status=RecordStatus.RECEIVED), POLICY) is None
    assert next_chase_at(item(status=RecordStatus.WAIVED), POLICY) is None
    assert next_chase_at(item(escalated=True), POLICY) is None
    assert reminder_schedule(item(status=RecordStatus.ACCEPTED), POLICY) == []


def test_rejected_item_is_chased_again():
    assert next_chase_at(item(status=RecordStatus.REJECTED), POLICY) == T0 + timedelta(days=3)
