"""Alerts that close by themselves once what they asked a person to look at is settled."""

from __future__ import annotations

from domain.stages import Stage
from domain.state import AlertKind, JourneyState


def close_settled_alerts(state: JourneyState) -> bool:
    """Close 'records ready for review' once the journey has left the remote review (the review
    happened), and a records alert once none of its records is still outstanding; a record in
    hand is no longer escalated. True if anything closed. The workflow runs this behind a patch
    (it changes what puts a family on Today)."""
    closed = False
    for item in state.records.values():
        if item.escalated and not item.outstanding:
            item.escalated, closed = False, True
    for alert in state.alerts:
        if not alert.open:
            continue
        if alert.kind == AlertKind.RECORDS_READY_FOR_REVIEW and state.stage != Stage.REMOTE_REVIEW:
            alert.open, closed = False, True
        elif alert.kind in (AlertKind.RECORDS_OVERDUE, AlertKind.RECORDS_DEADLINE_PASSED) and not any(
            state.records[t].outstanding for t in alert.record_types if t in state.records
        ):
            alert.open, closed = False, True
    return closed
