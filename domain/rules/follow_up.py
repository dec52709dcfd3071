"""The follow-up plan a coordinator can extend before the journey completes by itself."""

from __future__ import annotations

from datetime import datetime

from domain.commands import ExtendFollowUp
from domain.plans import follow_up_check_ins
from domain.rules.effects import Refused, log, note, refuse_if_inactive
from domain.state import JourneyState


def check_extend(state: JourneyState, cmd: ExtendFollowUp) -> None:
    refuse_if_inactive(state, allow_paused=True)
    if state.follow_up_from is None:
        raise Refused("the follow-up plan has not begun (it starts at return home, or with a second opinion's advice)")
    if state.completing_since is not None:
        raise Refused("the family has already been told the follow-up is complete; the journey is closing")


def apply_extend(state: JourneyState, cmd: ExtendFollowUp, now: datetime) -> None:
    check_extend(state, cmd)
    state.follow_up_extra += cmd.check_ins
    log(state, now, "follow_up_extended", by=cmd.by, check_ins=str(cmd.check_ins), total=str(follow_up_check_ins(state)))
    note(state, now, "follow_up_extended", cmd.note, cmd.by)
