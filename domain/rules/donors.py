"""Donor typing on the transplant pathway: each relative's typing, and who holds its next step."""

from __future__ import annotations

from datetime import datetime

from domain.commands import RecordDonorTyping
from domain.donors import DonorTyping, TypingStatus, donor_id
from domain.rules.effects import Refused, log, refuse_if_inactive
from domain.rules.timekeeping import resolve_alerts
from domain.stages import Pathway, Stage
from domain.state import JourneyState

TYPING_STAGES = frozenset({Stage.ELIGIBILITY, Stage.VISA_TRAVEL, Stage.PRE_TREATMENT})
ORDER = list(TypingStatus)


def check_typing(state: JourneyState, cmd: RecordDonorTyping) -> None:
    refuse_if_inactive(state, allow_paused=True)
    if not state.timekeeping:
        raise Refused("this journey was started before donor typing was tracked; record hla_typing_done instead")
    if state.pathway != Pathway.TRANSPLANT:
        raise Refused(f"donor typing belongs to the transplant pathway, not {state.pathway.value}")
    if state.stage not in TYPING_STAGES:
        raise Refused(f"donor typing is recorded in eligibility, visa_travel or pre_treatment, not {state.stage.value}")
    if (cmd.match_grade is None) != (cmd.status != TypingStatus.RESULT_RECEIVED):
        raise Refused("a match grade is given with the result, and only then (e.g. 10/10 or 5/10 haplo)")
    existing = _find(state, donor_id(cmd.relation, cmd.number))
    if existing is not None and ORDER.index(cmd.status) < ORDER.index(existing.status):
        raise Refused(f"{existing.id}'s typing is already at {existing.status.value}; it does not go back")


def _find(state: JourneyState, key: str) -> DonorTyping | None:
    return next((d for d in state.donors if d.id == key), None)


def apply_typing(state: JourneyState, cmd: RecordDonorTyping, now: datetime) -> None:
    check_typing(state, cmd)
    key = donor_id(cmd.relation, cmd.number)
    donor = _find(state, key)
    if donor is None:
        donor = DonorTyping(id=key, relation=cmd.relation, status=cmd.status, holder=cmd.holder,
                            updated_at=now, last_asked_at=now)
        state.donors.append(donor)
    elif donor.status != cmd.status or donor.holder != cmd.holder:
        donor.reminders_sent = 0  # a new step: its reminders start over
        donor.last_asked_at = now
    donor.status, donor.holder, donor.match_grade, donor.updated_at = cmd.status, cmd.holder, cmd.match_grade, now
    detail = {"donor": key, "status": cmd.status.value, "holder": cmd.holder.value}
    if cmd.match_grade:
        detail["match_grade"] = cmd.match_grade
    log(state, now, "donor_typing", by=cmd.by, **detail)
    resolve_alerts(state)


def typed_donors(state: JourneyState) -> list[str]:
    return [d.id for d in state.donors if d.status == TypingStatus.RESULT_RECEIVED]
