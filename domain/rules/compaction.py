"""Keeping a year-long journey's carried state bounded: before each continue-as-new, what is
finished and old is left to the earlier runs' histories (which keep it in full)."""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.state import JourneyState, MessageStatus

KEEP_FINISHED_MESSAGES = 150
KEEP_RECENT = timedelta(days=14)  # SMS caps and delivery reports look back this far at most
KEEP_TIMELINE = 400
KEEP_CLOSED_ALERTS = 60


def compact(state: JourneyState, now: datetime) -> None:
    if not state.timekeeping:
        return  # journeys without timekeeping carry their state as they always did
    waiting = (MessageStatus.SCHEDULED, MessageStatus.SENDING)
    finished = [m for m in state.messages if m.status not in waiting]
    old = [m for m in finished if m.created_at < now - KEEP_RECENT]
    drop = {m.key for m in old[: max(0, len(finished) - KEEP_FINISHED_MESSAGES)]}
    if drop:
        state.messages = [m for m in state.messages if m.key not in drop]
    if len(state.timeline) > KEEP_TIMELINE:
        state.timeline_trimmed += len(state.timeline) - KEEP_TIMELINE
        state.timeline = state.timeline[-KEEP_TIMELINE:]
    closed = [a for a in state.alerts if not a.open]
    if len(closed) > KEEP_CLOSED_ALERTS:
        gone = {a.key for a in closed[: len(closed) - KEEP_CLOSED_ALERTS]}
        state.alerts = [a for a in state.alerts if a.key not in gone]
    # Duties of appointments that are over are never derived again: their keys can go.
    over = {f"appt:{a.id}:" for a in state.appointments if not a.upcoming}
    state.fired = [k for k in state.fired if not any(k.startswith(p) for p in over)]
