"""Moving a journey to its next stage."""

from __future__ import annotations

from datetime import datetime

from domain.commands import (
    AdvanceStage,
)
from domain.derived import unmet_requirements
from domain.rules.handover import open_package
from domain.rules.timekeeping import resolve_alerts
from domain.rules.effects import Refused, log, notify, refuse_if_inactive
from domain.stages import (
    Stage,
    transitions_from,
)
from domain.state import (
    Audience,
    JourneyState,
    MessageEvent,
    Notice,
)


def check_advance(state: JourneyState, cmd: AdvanceStage) -> None:
    refuse_if_inactive(state)
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


def apply_advance(state: JourneyState, cmd: AdvanceStage, now: datetime) -> None:
    check_advance(state, cmd)
    previous = state.stage
    state.stage, state.stage_entered_at = cmd.to_stage, now
    log(state, now, "stage_changed", by=cmd.by, old=previous.value, new=cmd.to_stage.value)
    params = {"stage": cmd.to_stage.value, "previous_stage": previous.value}
    notify(state, Notice(event=MessageEvent.STAGE_CHANGE, audience=Audience.FAMILY, params=params), now)
    notify(state, Notice(event=MessageEvent.LOCAL_TEAM_UPDATE, audience=Audience.LOCAL_TEAM, params=params), now)
    if state.timekeeping:
        if cmd.to_stage == Stage.RETURN_HOME:
            open_package(state, now)
        resolve_alerts(state)  # a stage clock's alert closes when the stage moves
