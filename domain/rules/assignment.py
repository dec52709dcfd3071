"""Who a journey is assigned to: reassignment to another coordinator."""

from __future__ import annotations

from datetime import datetime

from domain.commands import ReassignJourney
from domain.rules.effects import Refused, log, note, refuse_if_inactive
from domain.state import JourneyState


def check_reassign(state: JourneyState, cmd: ReassignJourney) -> None:
    refuse_if_inactive(state, allow_paused=True)
    if cmd.coordinator.id == state.case.coordinator.id:
        raise Refused(f"journey is already assigned to {cmd.coordinator.id}")


def apply_reassign(state: JourneyState, cmd: ReassignJourney, now: datetime) -> None:
    check_reassign(state, cmd)
    previous = state.case.coordinator.id
    state.case.coordinator = cmd.coordinator
    log(state, now, "reassigned", by=cmd.by, from_coordinator=previous, to_coordinator=cmd.coordinator.id)
    note(state, now, "reassigned", cmd.note, cmd.by)
