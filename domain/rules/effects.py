"""What every rule may do besides changing state: refuse, log, note, notify, alert."""

from __future__ import annotations

from datetime import datetime

from domain.notices import plan
from domain.records import (
    RecordType,
)
from domain.state import (
    Alert,
    AlertKind,
    Audience,
    JourneyState,
    Message,
    MessageEvent,
    Notice,
    TimelineEntry,
)


class Refused(ValueError):
    """A command that does not fit the journey as it stands. Nothing was changed."""


def log(state: JourneyState, now: datetime, kind: str, by: str | None = None, **detail: str) -> None:
    state.timeline.append(TimelineEntry(at=now, kind=kind, detail=detail, by=by))


def note(state: JourneyState, now: datetime, kind: str, note: str | None, by: str | None) -> None:
    if note:
        state.notes.append(TimelineEntry(at=now, kind=kind, detail={"note": note}, by=by))


def notify(state: JourneyState, notice: Notice, now: datetime) -> list[Message]:
    """Plan a notice into the outgoing queue (nothing is planned once the journey is closed)."""
    if state.closed:
        return []
    planned = plan(state, notice, now)
    state.messages.extend(planned)
    return planned


def raise_alert(
    state: JourneyState,
    now: datetime,
    kind: AlertKind,
    record_types: list[RecordType] | None = None,
    urgent: bool = True,
    **detail: str,
) -> None:
    key = f"{state.case.case_reference}:alert:{len(state.alerts) + 1}"
    state.alerts.append(Alert(key=key, kind=kind, at=now, record_types=record_types or [], detail=detail))
    log(state, now, "coordinator_alerted", alert=kind.value)
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


def refuse_if_inactive(state: JourneyState, allow_paused: bool = False) -> None:
    if state.closed:
        assert state.closure is not None
        raise Refused(f"journey is closed ({state.closure.reason.value}); nothing more can change")
    if state.paused and not allow_paused:
        raise Refused("journey is paused; resume it first")
