"""Alerts that close by themselves (issue 10): 'records ready for review' once the stage moves
on, 'escalated' once the record is in hand; a family's reply keeps them in Today until handled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.digest import digest, reasons
from domain import rules
from domain.alerts import close_settled_alerts
from domain.commands import FamilyReply, RecordReceived, ReviewRecord
from domain.records import RecordType
from domain.replies import apply_family_reply
from domain.stages import Milestone, Stage
from domain.state import AlertKind
from domain.status import journey_status
from tests.domain.test_journey_rules import T0, advance, fresh, milestone, settle_records


def codes(state, now=T0):
    return [r.code for r in reasons(digest(state, overdue=False), now)]


def test_records_ready_for_review_closes_once_the_stage_moves_on():
    state = fresh()
    settle_records(state)
    assert "r_ready" in codes(state)
    milestone(state, Milestone.REVIEW_STARTED)
    milestone(state, Milestone.REVIEW_OUTCOME, outcome="proceed_to_eligibility", pathway="car_t")
    settle_records(state)
    advance(state, Stage.ELIGIBILITY)
    close_settled_alerts(state)
    assert not [a for a in state.alerts if a.open and a.kind == AlertKind.RECORDS_READY_FOR_REVIEW]
    assert "r_ready" not in codes(state)


def test_a_record_is_no_longer_escalated_once_it_is_accepted():
    state = fresh()
    late = T0 + timedelta(days=40)
    rules.run_due_chases(state, late)
    line = next(r for r in journey_status(state).records if r.record_type == RecordType.PATHOLOGY)
    assert line.escalated and "r_escalated" in codes(state, late)
    for t in [t for t, item in state.records.items() if item.outstanding]:
        rules.apply_record_received(state, RecordReceived(record_type=t, document_id=f"d-{t.value}"), late)
        rules.apply_review_record(state, ReviewRecord(record_type=t, decision="accept"), late)
    close_settled_alerts(state)
    line = next(r for r in journey_status(state).records if r.record_type == RecordType.PATHOLOGY)
    assert not line.escalated
    assert "r_escalated" not in codes(state, late) and "r_overdue" not in codes(state, late)


def test_an_open_reply_puts_the_family_in_today():
    state = fresh()
    assert "r_reply" not in codes(state)
    apply_family_reply(state, FamilyReply(recipient="guardian-1", channel="sms", text="?"), T0)
    assert "r_reply" in codes(state)
