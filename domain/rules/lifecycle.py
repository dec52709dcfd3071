"""Pause, resume and close."""

from __future__ import annotations

from datetime import datetime

from domain.commands import (
    CloseJourney,
    PauseJourney,
    ResumeJourney,
)
from domain.rules.effects import Refused, log, note, refuse_if_inactive
from domain.stages import (
    Stage,
)
from domain.state import (
    Closure,
    JourneyState,
    MessageStatus,
    Pause,
)


def check_pause(state: JourneyState, cmd: PauseJourney) -> None:
    refuse_if_inactive(state)


def apply_pause(state: JourneyState, cmd: PauseJourney, now: datetime) -> None:
    check_pause(state, cmd)
    state.pause = Pause(since=now, reason=cmd.reason)
    log(state, now, "paused", by=cmd.by, reason=cmd.reason.value)
    note(state, now, "paused", cmd.note, cmd.by)


def check_resume(state: JourneyState, cmd: ResumeJourney) -> None:
    refuse_if_inactive(state, allow_paused=True)
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
    if state.timekeeping:
        state.paused_spans.append((state.pause.since, now))  # the plans move on by this
    state.pause = None
    log(state, now, "resumed", by=cmd.by, paused_for_hours=str(round(held.total_seconds() / 3600, 1)))
    note(state, now, "resumed", cmd.note, cmd.by)


def check_close(state: JourneyState, cmd: CloseJourney) -> None:
    refuse_if_inactive(state, allow_paused=True)


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
    log(state, now, "closed", by=cmd.by, reason=cmd.reason.value, stage=previous.value)
    note(state, now, "closed", cmd.note, cmd.by)
